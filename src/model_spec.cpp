#include "model_spec.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "categorical.h"
#include "family.h"
#include "location_scale.h"
#include "negbin.h"

namespace gradglm {

namespace {

int get_int(const Rcpp::List& l, const char* name, int fallback) {
  return l.containsElementNamed(name) && !Rf_isNull(l[name]) ? Rcpp::as<int>(l[name]) : fallback;
}

double get_double(const Rcpp::List& l, const char* name, double fallback) {
  return l.containsElementNamed(name) && !Rf_isNull(l[name]) ? Rcpp::as<double>(l[name]) : fallback;
}

}  // namespace

// a design: a numeric matrix, NULL (an intercept-only block) or a list of
// columns (NULL for the intercept, double vectors and double matrices)
Design read_design(SEXP x, Index n) {
  if (Rf_isNull(x)) return Design::ones(n);
  if (TYPEOF(x) == REALSXP && Rf_isMatrix(x)) {
    if (Rf_nrows(x) != n) throw std::invalid_argument("a design has the wrong number of rows");
    return Design::dense(REAL(x), n, Rf_ncols(x));
  }
  if (TYPEOF(x) != VECSXP) throw std::invalid_argument("a design must be a double matrix or a list of columns");
  std::vector<const double*> cols;
  for (R_xlen_t k = 0; k < Rf_xlength(x); ++k) {
    SEXP c = VECTOR_ELT(x, k);
    if (Rf_isNull(c)) {
      cols.push_back(nullptr);
      continue;
    }
    if (TYPEOF(c) != REALSXP) throw std::invalid_argument("a design column must be double");
    const Index rows = Rf_isMatrix(c) ? Rf_nrows(c) : Rf_xlength(c);
    const Index ncol = Rf_isMatrix(c) ? Rf_ncols(c) : 1;
    if (rows != n) throw std::invalid_argument("a design column has the wrong number of rows");
    for (Index j = 0; j < ncol; ++j) cols.push_back(REAL(c) + j * n);
  }
  return Design::columns(n, cols);
}

std::unique_ptr<Likelihood> make_likelihood(const Rcpp::List& lik) {
  const std::string type = Rcpp::as<std::string>(lik["type"]);
  const int responses = get_int(lik, "responses", 1);
  std::unique_ptr<Likelihood> base;
  int columns = 1;  // response columns of one response
  if (type == "glm") {
    base.reset(new Family(get_int(lik, "dist", 0), get_int(lik, "link", 0), true, get_double(lik, "theta", NAN),
                          get_double(lik, "power", 1.0)));
  } else if (type == "location_scale") {
    base.reset(new LocationScale(get_int(lik, "dist", 0), get_int(lik, "link", 0), get_double(lik, "df", NAN)));
  } else if (type == "negative_binomial") {
    base.reset(new NegBinomial(get_int(lik, "link", 0)));
  } else if (type == "multinomial") {
    base.reset(new Multinomial(get_int(lik, "classes", 0), get_int(lik, "symmetric", 0) != 0));
    columns = get_int(lik, "columns", 1);
  } else if (type == "ordinal") {
    base.reset(new Ordinal(get_int(lik, "classes", 0), get_int(lik, "link", 0)));
  } else {
    throw std::invalid_argument("unknown likelihood type '" + type + "'");
  }
  if (responses == 1) return base;
  return std::unique_ptr<Likelihood>(new ProductLikelihood(std::move(base), responses, columns));
}

ModelSpec parse_model_spec(const Rcpp::List& spec) {
  ModelSpec m;
  SEXP y = spec["y"];
  if (TYPEOF(y) != REALSXP) throw std::invalid_argument("y must be double");
  m.n = Rf_isMatrix(y) ? Rf_nrows(y) : Rf_xlength(y);
  m.y = Response{REAL(y), m.n, Rf_isMatrix(y) ? (Index)Rf_ncols(y) : 1};
  SEXP w = spec["weights"];
  if (TYPEOF(w) != REALSXP || Rf_xlength(w) != m.n) throw std::invalid_argument("weights must be double, one per row");
  m.weights = REAL(w);
  Rcpp::List designs = spec["designs"];
  for (R_xlen_t d = 0; d < designs.size(); ++d) m.designs.push_back(read_design(designs[d], m.n));
  Rcpp::IntegerVector bd = spec["block_design"], bm = spec["block_m"];
  if (bd.size() != bm.size()) throw std::invalid_argument("block_design and block_m differ in length");
  for (R_xlen_t b = 0; b < bd.size(); ++b) m.blocks.push_back(std::make_pair(bd[b], bm[b]));
  m.lik = make_likelihood(spec["likelihood"]);
  Rcpp::List offsets = spec["offsets"];
  m.offsets.assign(m.lik->k(), nullptr);
  for (R_xlen_t k = 0; k < offsets.size() && k < m.lik->k(); ++k) {
    SEXP o = offsets[k];
    if (Rf_isNull(o)) continue;
    if (TYPEOF(o) != REALSXP || Rf_xlength(o) != m.n) throw std::invalid_argument("an offset must be double, one per row");
    m.offsets[k] = REAL(o);
  }
  return m;
}

}  // namespace gradglm
