// Test hook for the thread-safe special functions (special.h): evaluates one of
// them elementwise so that tests/testthat/test-special.R can compare it with R.
#include <Rcpp.h>

#include <stdexcept>
#include <string>

#include "special.h"

namespace {

namespace sp = gradglm::special;

using Fun1 = double (*)(double);
using Fun2 = double (*)(double, double);

Fun1 lookup1(const std::string& name) {
  if (name == "pnorm") return sp::pnorm;
  if (name == "pnorm_upper") return sp::pnorm_upper;
  if (name == "log_pnorm") return sp::log_pnorm;
  if (name == "log_pnorm_upper") return sp::log_pnorm_upper;
  if (name == "dnorm") return sp::dnorm;
  if (name == "log_dnorm") return sp::log_dnorm;
  if (name == "qnorm") return sp::qnorm;
  if (name == "lgamma_pos") return sp::lgamma_pos;
  if (name == "digamma") return sp::digamma;
  if (name == "trigamma") return sp::trigamma;
  if (name == "log1pexp") return sp::log1pexp;
  if (name == "log1mexp") return sp::log1mexp;
  if (name == "pcauchy") return sp::pcauchy;
  if (name == "qcauchy") return sp::qcauchy;
  if (name == "dcauchy") return sp::dcauchy;
  return nullptr;
}

Fun2 lookup2(const std::string& name) {
  if (name == "lbeta") return sp::lbeta;
  return nullptr;
}

}  // namespace

// special_eval(name, x, y): gradglm::special::<name> at each x (one-argument
// functions; y is ignored) or at each pair (x, y) (lbeta; y of length 1 or
// length(x)). For tests only.
// [[Rcpp::export]]
Rcpp::NumericVector special_eval(std::string name, Rcpp::NumericVector x, Rcpp::NumericVector y) {
  const R_xlen_t n = x.size();
  Rcpp::NumericVector out(n);
  if (Fun1 f = lookup1(name)) {
    for (R_xlen_t i = 0; i < n; ++i) out[i] = f(x[i]);
    return out;
  }
  if (Fun2 f = lookup2(name)) {
    if (y.size() != 1 && y.size() != n)
      throw std::invalid_argument("special_eval(\"" + name + "\"): y must have length 1 or length(x) = " +
                                  std::to_string(n) + ", not " + std::to_string(y.size()));
    for (R_xlen_t i = 0; i < n; ++i) out[i] = f(x[i], y[y.size() == 1 ? 0 : i]);
    return out;
  }
  throw std::invalid_argument("special_eval: unknown function \"" + name +
                              "\"; expected one of pnorm, pnorm_upper, log_pnorm, log_pnorm_upper, dnorm, "
                              "log_dnorm, qnorm, lgamma_pos, digamma, trigamma, lbeta, log1pexp, log1mexp, "
                              "pcauchy, qcauchy, dcauchy");
}
