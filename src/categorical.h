// Likelihoods of a categorical response with L classes.
//
// Multinomial (softmax) regression: K = L - 1 predictors, the log-odds of
// classes 2..L against the first (the baseline, as nnet::multinom), with the
// softmax computed after subtracting the largest predictor. The symmetric
// form has K = L predictors, one per class (glmnet's, for penalised fits: the
// likelihood alone does not identify it). The response is
// either one column of class codes 0 .. L-1 or L columns of proportions
// (counts divided by their total, which then enters the weights).
//
// Ordinal (cumulative-link) regression: K = L predictors, the location
// eta = x b (without an intercept) and the L - 1 cut-points zeta_1 < ... <
// zeta_{L-1}, each the predictor of an intercept-only block:
//   P(Y <= j) = F(zeta_j - eta),
// as MASS::polr parametrises it. The response is one column of class codes.
#ifndef GRADGLM_CATEGORICAL_H
#define GRADGLM_CATEGORICAL_H

#include <string>
#include <vector>

#include "likelihood.h"

namespace gradglm {

class Multinomial : public Likelihood {
 public:
  explicit Multinomial(int classes, bool symmetric = false);
  double eval_block(const Response& y, const RowBlock& rb, double* grad, double* curv,
                    Curv mode) const override;
  bool canonical() const override { return true; }
  std::string name() const override { return "multinomial"; }
  int classes() const { return L_; }

 private:
  int L_;
  bool symmetric_;
};

// the distribution function F of the latent variable of an ordinal model
enum class CumLink { logit = 1, probit = 2, cloglog = 3, loglog = 4, cauchit = 5 };

class Ordinal : public Likelihood {
 public:
  Ordinal(int classes, int link_code);
  double eval_block(const Response& y, const RowBlock& rb, double* grad, double* curv,
                    Curv mode) const override;
  bool has_fisher() const override { return false; }
  std::string name() const override { return "ordinal"; }

  // log F(x), log(1 - F(x)), log f(x) and f'(x) / f(x)
  double log_cdf(double x) const;
  double log_surv(double x) const;
  double log_dens(double x) const;
  double dens_slope(double x) const;

 private:
  int L_;
  CumLink link_;
  // columns of the curvature pairs: (0,0), (0,k), (k,k), (k,k+1)
  std::vector<int> c0k_, ckk_, ckk1_;
};

}  // namespace gradglm

#endif
