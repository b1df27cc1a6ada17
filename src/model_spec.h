// A model as R describes it, read into the engine's pieces: designs (dense
// matrices or lists of columns in R's memory, not copied), blocks, the
// response, weights, offsets and the likelihood. The R side (R/fit.R) builds
// the list; this is the one place that reads it.
#ifndef GRADGLM_MODEL_SPEC_H
#define GRADGLM_MODEL_SPEC_H

#include "eigen.h"

#include <memory>
#include <utility>
#include <vector>

#include "design.h"
#include "likelihood.h"

namespace gradglm {

typedef Eigen::Map<const MatrixXd> MapMat;
typedef Eigen::Map<const VectorXd> MapVec;

struct ModelSpec {
  Index n = 0;
  std::vector<Design> designs;
  std::vector<std::pair<int, int>> blocks;  // (design, number of predictors)
  Response y{nullptr, 0, 0};
  const double* weights = nullptr;
  // the R vectors of the response and weights (kept by deferred outputs)
  SEXP y_r = R_NilValue;
  SEXP weights_r = R_NilValue;
  std::vector<const double*> offsets;  // one per predictor, nullptr = none
  std::unique_ptr<Likelihood> lik;
  // the rank check of the first design counts a constant column before its
  // own (the other parameters act as an intercept: an ordinal's cut-points)
  bool constant_in_rank = false;
};

// a design: a double matrix, NULL (an intercept-only block) or a list of
// columns (NULL for the intercept, double vectors and double matrices)
Design read_design(SEXP x, Index n);

// spec: list(designs, block_design, block_m, y, weights, offsets, likelihood,
// constant_in_rank)
ModelSpec parse_model_spec(const Rcpp::List& spec);

// likelihood: list(type = "glm" | "location_scale" | "multinomial" | "ordinal",
// dist, link, df, classes, responses)
std::unique_ptr<Likelihood> make_likelihood(const Rcpp::List& lik);

}  // namespace gradglm

#endif
