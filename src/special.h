// Thread-safe special functions for the threaded (OpenMP) loops, which must
// not call R's API (R::pnorm, R::lbeta, ...). Pure C++ standard library: no R
// headers, no global mutable state, no exceptions; NaN in gives NaN out.
// The accuracy quoted for each function is the worst relative error measured
// (x86_64, glibc libm) over dense grids against 60-digit values; the tests in
// tests/testthat/test-special.R compare the functions with R's own.
//
// R's Rmath.h, which Rcpp.h includes, #defines pnorm, dnorm and qnorm (as
// pnorm5, dnorm4, qnorm5) and log1pexp and log1mexp (as Rf_...), and without
// Rcpp also lbeta, digamma, ... (as Rf_...). So that gradglm::special::pnorm(x)
// means the same function in every file, whatever it included before, the
// functions are defined out of line under names no macro touches
// (detail::pnorm_impl, ...) and called through inline functions: where the
// macro is active, the inline function and the call are renamed alike.
#ifndef GRADGLM_SPECIAL_H
#define GRADGLM_SPECIAL_H

#include <cmath>
#include <limits>

namespace gradglm {

const double INF = std::numeric_limits<double>::infinity();
const double PI = 3.14159265358979323846;

// x log x, with its limit 0 at x = 0 (and no log at x = 1, where it is 0).
inline double xlogx(double x) { return x > 0.0 && x != 1.0 ? x * std::log(x) : 0.0; }

// r - 1 - log(r), r = y / mu > 0 (half the Gamma's unit deviance): as
// t - log1p(t), t = (y - mu) / mu, near r = 1, where log(r) would lose the
// digits of t; from log(r) away from it, where 1 + t would lose those of a
// small r (at y / mu = 1e-13 all but three).
inline double gamma_unit_dev(double y, double mu) {
  const double r = y / mu;
  if (r > 0.5 && r < 2.0) {
    const double t = (y - mu) / mu;
    return t - std::log1p(t);
  }
  return r - 1.0 - std::log(r);
}

namespace special {

namespace detail {  // defined in special.cpp
double pnorm_impl(double x);
double pnorm_upper_impl(double x);
double log_pnorm_impl(double x);
double log_pnorm_upper_impl(double x);
double dnorm_impl(double x);
double log_dnorm_impl(double x);
double qnorm_impl(double p);
double lgamma_pos_impl(double x);
double digamma_impl(double x);
double trigamma_impl(double x);
double lbeta_impl(double a, double b);
double log1pexp_impl(double x);
double log1mexp_impl(double x);
double pcauchy_impl(double x);
double qcauchy_impl(double p);
double dcauchy_impl(double x);
}  // namespace detail

// Standard normal distribution function Phi(x) and its upper tail 1 - Phi(x),
// relative error 4e-16 down to x = -37.5 (up to 37.5), then subnormal down to
// the underflow at -38.47 (up from 38.47); R's pnorm returns 0 there.
inline double pnorm(double x) { return detail::pnorm_impl(x); }
inline double pnorm_upper(double x) { return detail::pnorm_upper_impl(x); }

// log Phi(x) and log(1 - Phi(x)), relative error 4e-16 for all x. log Phi(x)
// is finite for x >= -1.8958e154; below, the true value is less than -DBL_MAX
// and -Inf is returned (likewise log(1 - Phi(x)) for x > 1.8958e154).
inline double log_pnorm(double x) { return detail::log_pnorm_impl(x); }
inline double log_pnorm_upper(double x) { return detail::log_pnorm_upper_impl(x); }

// Standard normal density and its log, relative error 4e-16 (x^2/2 is split
// exactly, so also in the tails).
inline double dnorm(double x) { return detail::dnorm_impl(x); }
inline double log_dnorm(double x) { return detail::log_dnorm_impl(x); }

// Standard normal quantile (Wichura's AS 241) for p in [0, 1], relative error
// 7e-16: -Inf at 0, Inf at 1, NaN outside.
inline double qnorm(double p) { return detail::qnorm_impl(p); }

// log Gamma(x) for x > 0, relative error 6e-16 also at the zeros x = 1, 2
// (+Inf at 0, NaN for x < 0). Unlike std::lgamma it writes no global state
// (glibc's signgam).
inline double lgamma_pos(double x) { return detail::lgamma_pos_impl(x); }

// Digamma psi(x) and trigamma psi'(x) for x > 0, relative error 5e-16 and
// 6e-16 (digamma's also around its root 1.4616); NaN for x <= 0, except
// trigamma(0) = Inf.
inline double digamma(double x) { return detail::digamma_impl(x); }
inline double trigamma(double x) { return detail::trigamma_impl(x); }

// log Beta(a, b) for a, b > 0, accurate also when one argument is huge
// (lbeta(nu/2, 1/2) for nu up to 1e15 and beyond): relative error 1e-15 away
// from the curve where B(a, b) = 1, absolute error 8e-16 |lgamma(min(a, b))|
// near it.
inline double lbeta(double a, double b) { return detail::lbeta_impl(a, b); }

// log(1 + exp(x)) for all x; log(1 - exp(-x)) for x >= 0 (NaN for x < 0).
// Relative error 2.2e-16.
inline double log1pexp(double x) { return detail::log1pexp_impl(x); }
inline double log1mexp(double x) { return detail::log1mexp_impl(x); }

// Standard Cauchy distribution function, quantile and density, relative
// error 3e-16, 3e-16 and 4e-16 (the distribution function also in the tails).
inline double pcauchy(double x) { return detail::pcauchy_impl(x); }
inline double qcauchy(double p) { return detail::qcauchy_impl(p); }
inline double dcauchy(double x) { return detail::dcauchy_impl(x); }

}  // namespace special
}  // namespace gradglm

#endif  // GRADGLM_SPECIAL_H
