// The fitting entry point of distributional (location-scale) regression:
// y ~ D(mu = linkinv(X beta + offset), sigma = exp(Z gamma) [, df]), fitted
// jointly by maximum likelihood. R hands over the two designs, the response,
// weights, offset, family codes, a start and control values; it gets back a
// list of plain vectors.
#include <RcppEigen.h>

#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dist_objective.h"
#include "fit_utils.h"
#include "lad.h"
#include "model.h"
#include "objective.h"
#include "optimizer.h"
#include "progress.h"
#include "scale_family.h"

// [[Rcpp::depends(RcppEigen)]]

using namespace gradglm;
typedef Eigen::Map<const MatrixXd> MapMat;
typedef Eigen::Map<const VectorXd> MapVec;

namespace {

// appends the rows of one phase, its iterations and times counted on from
// those of the phases before it
void append_trace(Result& into, const Result& from, int& iter_offset, double time_offset, bool keep_start) {
  for (const TraceRow& r : from.trace) {
    // the steps and each phase's last row (and the minibatch optimizers' start row, once)
    const bool start_row = keep_start && r.iter == 0 && &r == &from.trace.front() && into.trace.empty();
    if (start_row || !std::isnan(r.step) || &r == &from.trace.back()) {
      TraceRow row = r;
      row.iter += iter_offset;
      row.time += time_offset;
      into.trace.push_back(row);
    }
  }
  iter_offset += from.iter;
}

// Runs the chosen optimizer on obj from theta (standardised designs for
// gradient descent).
Result run_optimizer(DistObjective& obj, const std::string& optimizer, const VectorXd& theta, const Settings& s,
                     const MatRef& X, const MatRef& Z, const VecRef& W) {
  if (optimizer == "newton") return newton(obj, theta, s);
  if (optimizer == "gd" || optimizer == "lbfgs" || optimizer == "sgd" || optimizer == "adam") {
    VectorXd scale = VectorXd::Ones(obj.dim());
    std::vector<InterceptShift> shifts;
    standardise_columns(X, W, obj.weight_sum(), 0, scale, shifts);
    const size_t first_sigma_shift = shifts.size();
    standardise_columns(Z, W, obj.weight_sum(), obj.p(), scale, shifts);
    // the location's curvature is about (mu.eta / sigma)^2 per unit of a
    // standardised column, the log-scale's about 1: measuring the location
    // in units of sigma / mu.eta at the start balances the two
    const Index n = X.rows(), p = obj.p();
    VectorXd eta(n), sl(n);
    obj.predictors(theta, eta, sl);
    double num = 0.0;
    for (Index i = 0; i < n; ++i) {
      const double me = obj.family().mu_eta(eta[i]);
      num += W[i] * me * me * std::exp(-2.0 * sl[i]);
    }
    const double unit = 1.0 / std::sqrt(num / obj.weight_sum());
    if (std::isfinite(unit) && unit > 0.0) {
      scale.head(p) *= unit;
      for (size_t k = 0; k < first_sigma_shift; ++k) shifts[k].shift.head(p) *= unit;
    }
    RescaledObjective std_obj(obj, scale, shifts);
    const VectorXd t0 = std_obj.to_theta(theta);
    Result res = optimizer == "gd"      ? gradient_descent(std_obj, t0, s)
                 : optimizer == "lbfgs" ? lbfgs(std_obj, t0, s)
                                        : stochastic(std_obj, t0, s);
    res.coef = std_obj.to_beta(res.coef);
    return res;
  }
  throw std::invalid_argument("unknown optimizer '" + optimizer + "'");
}

// The exact Laplace finish from theta: alternates the exact weighted LAD
// problem for the location (a simplex with a certificate of optimality) with
// Newton's method for the scale model, until the basis and the scale
// coefficients settle.
Result laplace_finish(DistObjective& obj, VectorXd theta, const Settings& s, const MatRef& X, const VecRef& Y,
                      const VecRef& W, const VecRef& Off) {
  const Index n = X.rows(), p = obj.p(), q = obj.q();
  Result out;
  std::vector<Index> gamma_idx(q);
  for (Index j = 0; j < q; ++j) gamma_idx[j] = p + j;
  const VectorXd yo = Y - Off;
  std::vector<Index> basis, last_basis;
  VectorXd s_lin(n), eta(n), c(n);
  bool done = false;
  int iter = 0;
  for (int round = 0; round < 100 && !done; ++round) {
    obj.predictors(theta, eta, s_lin);
    for (Index i = 0; i < n; ++i) c[i] = W[i] * std::exp(-s_lin[i]);
    const LadResult lad =
        weighted_lad(X, yo, c, theta.head(p), basis, 50 * (int)std::min<Index>(n, 100000) + 1000);
    if (!lad.beta.allFinite() || !lad.optimal) {
      out.message = "the exact Laplace location step failed (" + lad.message + ")";
      break;
    }
    const bool same_basis = lad.basis == last_basis;
    theta.head(p) = lad.beta;
    basis = lad.basis;
    last_basis = lad.basis;
    // the scale model given the location: smooth and convex
    PartialObjective part(obj, theta, gamma_idx);
    Settings sg = s;
    sg.tol = std::min(s.tol, 1e-10);
    sg.max_iter = std::max(s.max_iter, 50);
    sg.record_trace = false;
    sg.verbose = false;
    const VectorXd g0 = theta.segment(p, q);
    Result rg = newton(part, g0, sg);
    theta.segment(p, q) = rg.coef;
    ++iter;
    VectorXd grad;
    const double f = obj.value_grad(theta, grad);
    if (s.record_trace) out.trace.push_back(TraceRow{iter, f, grad.segment(p, q).norm(), 1.0, out.seconds()});
    if (s.verbose) Rcpp::Rcout << "exact Laplace round " << round + 1 << "  loss " << f << "\n";
    if (rg.diverged) {
      out.diverged = true;
      out.message = rg.message;
      break;
    }
    const double change = (rg.coef - g0).cwiseAbs().maxCoeff();
    if (same_basis && change <= 1e-9 * (1.0 + g0.cwiseAbs().maxCoeff())) done = true;
  }
  out.coef = theta;
  VectorXd grad;
  out.loss = obj.value_grad(theta, grad);
  out.grad_norm = grad.segment(p, q).norm();  // the location part is certified by the simplex
  out.converged = done;
  if (!done && out.message.empty()) out.message = "the exact Laplace finish did not settle";
  out.iter = iter;
  return out;
}

// The Laplace likelihood is not differentiable where a residual is zero. The
// fit runs in two stages: the chosen optimizer on a smoothed likelihood
// (|z| -> sqrt(z^2 + d^2), d decreasing) for a start, then the exact finish.
// With a sigma model the likelihood can have several local maxima; the
// finish also runs from the starting values and the better end is kept.
Result fit_laplace(DistObjective& obj, ScaleFamily& fam, const std::string& optimizer, const VectorXd& start,
                   const Settings& s, const MatRef& X, const MatRef& Z, const VecRef& Y, const VecRef& W,
                   const VecRef& Off) {
  Result out;
  int iter = 0;
  VectorXd theta = start;
  const double smooth[] = {0.5, 0.1, 0.02};
  for (double d : smooth) {
    fam.set_smooth(d);
    Settings ss = s;
    ss.tol = std::max(s.tol, 1e-8);
    ss.final_step = false;
    if (optimizer != "newton") ss.max_iter = std::min(s.max_iter, 2000);
    const double t0 = out.seconds();
    Result r = run_optimizer(obj, optimizer, theta, ss, X, Z, W);
    if (r.coef.allFinite() && std::isfinite(r.loss)) theta = r.coef;
    append_trace(out, r, iter, t0, optimizer == "sgd" || optimizer == "adam");
  }
  fam.set_smooth(0.0);
  const double t_finish = out.seconds();
  Result fin = laplace_finish(obj, theta, s, X, Y, W, Off);
  if (obj.q() > 1) {
    Result alt = laplace_finish(obj, start, s, X, Y, W, Off);
    const bool better = (alt.converged && !fin.converged) ||
                        (alt.converged == fin.converged && alt.loss < fin.loss - 1e-12 * std::abs(fin.loss));
    if (better) fin = alt;
  }
  for (const TraceRow& r : fin.trace) {
    out.trace.push_back(TraceRow{r.iter + iter, r.loss, r.grad_norm, r.step, r.time + t_finish});
  }
  out.coef = fin.coef;
  out.loss = fin.loss;
  out.grad_norm = fin.grad_norm;
  out.converged = fin.converged;
  out.diverged = fin.diverged;
  out.message = fin.message;
  out.iter = iter + fin.iter;
  if (s.record_trace) out.trace.push_back(TraceRow{out.iter, out.loss, out.grad_norm, NAN, out.seconds()});
  return out;
}

}  // namespace

// [[Rcpp::export]]
Rcpp::List fit_dist_engine(const Rcpp::NumericMatrix& x, const Rcpp::NumericMatrix& z,
                           const Rcpp::NumericVector& y, const Rcpp::NumericVector& weights,
                           const Rcpp::NumericVector& offset, int dist, int link, double df,
                           std::string optimizer, const Rcpp::NumericVector& start, Rcpp::List control) {
  const Index n = x.nrow(), p = x.ncol(), q = z.ncol();
  if (z.nrow() != n || y.size() != n || weights.size() != n || offset.size() != n) {
    throw std::invalid_argument("x, x_sigma, y, weights and offset must have matching lengths");
  }
  ScaleFamily fam(dist, link);
  const bool est_df = fam.has_df() && std::isnan(df);
  if (fam.has_df() && !est_df) fam.set_df(df);
  const Index extra = est_df ? 1 : 0;
  if (start.size() != p + q + extra) throw std::invalid_argument("start has the wrong length");
  const MapMat X(x.begin(), n, p), Z(z.begin(), n, q);
  const MapVec Y(y.begin(), n), W(weights.begin(), n), Off(offset.begin(), n);

  Settings s = settings_from_control(control);
  s.final_step = true;
  const bool stochastic_opt = optimizer == "sgd" || optimizer == "adam";
  s.adam = optimizer == "adam";
  Progress progress(s.verbose, s.max_iter, stochastic_opt ? "epoch" : "iteration");
  if (progress.enabled()) s.progress = &progress;
  const double rank_tol = Rcpp::as<double>(control["rank_tol"]);
  const int threads = Rcpp::as<int>(control["threads"]);

  // columns that take part, in each design
  const std::vector<bool> alias_x = detect_aliased(X, W, rank_tol, threads);
  const std::vector<bool> alias_z = detect_aliased(Z, W, rank_tol, threads);
  std::vector<Index> keep_x, keep_z;
  for (Index j = 0; j < p; ++j)
    if (!alias_x[j]) keep_x.push_back(j);
  for (Index j = 0; j < q; ++j)
    if (!alias_z[j]) keep_z.push_back(j);
  const Index kx = (Index)keep_x.size(), kz = (Index)keep_z.size();
  std::unique_ptr<MatrixXd> Xcopy, Zcopy;
  if (kx < p) Xcopy.reset(new MatrixXd(select_columns(X, keep_x)));
  if (kz < q) Zcopy.reset(new MatrixXd(select_columns(Z, keep_z)));
  const MatRef Xk = Xcopy ? MatRef(*Xcopy) : MatRef(X);
  const MatRef Zk = Zcopy ? MatRef(*Zcopy) : MatRef(Z);

  DistObjective obj(Xk, Zk, Y, W, Off, fam, est_df, threads);
  s.loss_floor = 0.1 / (2.0 * obj.weight_sum());  // glm's |dev - dev_old| / (|dev| + 0.1)
  const Index dim = kx + kz + extra;
  VectorXd theta0(dim);
  for (Index j = 0; j < kx; ++j) theta0[j] = start[keep_x[j]];
  for (Index j = 0; j < kz; ++j) theta0[kx + j] = start[p + keep_z[j]];
  if (est_df) theta0[kx + kz] = start[p + q];

  // an unbounded likelihood shows as a scale collapsing far below the start's
  // (a factor exp(-14), about 1e-6: residuals at the rounding level of y)
  {
    VectorXd eta0(n), s0(n);
    obj.predictors(theta0, eta0, s0);
    double ref = 0.0;
    for (Index i = 0; i < n; ++i) ref += W[i] * s0[i];
    obj.set_scale_floor(ref / obj.weight_sum() - 14.0);
  }

  Result res;
  if (fam.dist() == ScaleDist::laplace) {
    res = fit_laplace(obj, fam, optimizer, theta0, s, Xk, Zk, Y, W, Off);
  } else {
    res = run_optimizer(obj, optimizer, theta0, s, Xk, Zk, W);
    if (!res.coef.allFinite()) res.coef = theta0;
  }
  progress.finish(res.converged);
  if (est_df) obj.value(res.coef);  // leaves the family at the final df
  const double nu = fam.has_df() ? fam.df() : NA_REAL;

  // joint covariance: the inverse observed information (expected for the
  // Laplace, whose observed information in the location is singular)
  VectorXd grad;
  MatrixXd H;
  std::string cov_kind = "observed";
  double loss;
  if (fam.dist() == ScaleDist::laplace) {
    loss = obj.fisher_curvature(res.coef, grad, H);
    cov_kind = "expected";
  } else {
    loss = obj.value_grad_curv(res.coef, grad, H);
    if (Eigen::LLT<MatrixXd>(H).info() != Eigen::Success) {
      obj.fisher_curvature(res.coef, grad, H);
      cov_kind = "expected";
    }
  }
  const MatrixXd cov = spd_inverse(H) / obj.weight_sum();
  if (fam.dist() != ScaleDist::laplace) res.grad_norm = grad.norm();

  Rcpp::NumericVector coef(p + q + extra, NA_REAL);
  Rcpp::LogicalVector alias(p + q + extra);
  for (Index j = 0; j < p; ++j) alias[j] = alias_x[j];
  for (Index j = 0; j < q; ++j) alias[p + j] = alias_z[j];
  for (Index j = 0; j < kx; ++j) coef[keep_x[j]] = res.coef[j];
  for (Index j = 0; j < kz; ++j) coef[p + keep_z[j]] = res.coef[kx + j];
  if (est_df) coef[p + q] = res.coef[kx + kz];

  Rcpp::NumericVector eta_r(n), s_r(n), mu_r(n), mu_eta_r(n);
  {
    Eigen::Map<VectorXd> eta(eta_r.begin(), n), sl(s_r.begin(), n);
    obj.predictors(res.coef, eta, sl);
    for (Index i = 0; i < n; ++i) {
      mu_r[i] = fam.linkinv(eta[i]);
      mu_eta_r[i] = fam.mu_eta(eta[i]);
    }
  }
  return Rcpp::List::create(
      Rcpp::Named("coefficients") = coef, Rcpp::Named("aliased") = alias,
      Rcpp::Named("linear.predictors") = eta_r, Rcpp::Named("fitted.values") = mu_r,
      Rcpp::Named("mu.eta") = mu_eta_r, Rcpp::Named("log_sigma") = s_r, Rcpp::Named("df") = nu,
      Rcpp::Named("loss") = loss, Rcpp::Named("loglik") = -loss * obj.weight_sum(),
      Rcpp::Named("cov") = Rcpp::wrap(cov), Rcpp::Named("cov_kind") = cov_kind,
      Rcpp::Named("grad_norm") = res.grad_norm, Rcpp::Named("converged") = res.converged,
      Rcpp::Named("diverged") = res.diverged, Rcpp::Named("iter") = res.iter,
      Rcpp::Named("message") = res.message, Rcpp::Named("rate_too_large") = res.rate_too_large,
      Rcpp::Named("best_epoch") = res.best_epoch >= 0 ? Rcpp::wrap(res.best_epoch) : R_NilValue,
      Rcpp::Named("trace") = trace_frame(res.trace, stochastic_opt || optimizer == "gd", res.validated));
}

// Per-observation loss and derivatives of a location-scale family, for tests.
// [[Rcpp::export]]
Rcpp::List scale_family_eval(int dist, int link, const Rcpp::NumericVector& y, const Rcpp::NumericVector& eta,
                             const Rcpp::NumericVector& log_sigma, const Rcpp::NumericVector& log_df,
                             double smooth = 0.0) {
  const R_xlen_t n = y.size();
  if (eta.size() != n || log_sigma.size() != n || log_df.size() != n) {
    throw std::invalid_argument("y, eta, log_sigma and log_df must have the same length");
  }
  ScaleFamily fam(dist, link);
  fam.set_smooth(smooth);
  const char* names[] = {"loss", "d_eta", "d_s", "d_l", "h_ee", "h_es", "h_ss", "h_el", "h_sl",
                         "h_ll", "f_ee", "f_es", "f_ss", "f_el", "f_sl", "f_ll"};
  std::vector<Rcpp::NumericVector> cols(16);
  for (auto& c : cols) c = Rcpp::NumericVector(n);
  for (R_xlen_t i = 0; i < n; ++i) {
    if (fam.has_df()) fam.set_df(std::exp(log_df[i]));
    const ScaleUnit u = fam.unit(y[i], eta[i], log_sigma[i], true);
    const double v[] = {u.loss, u.de, u.ds, u.dl, u.hee, u.hes, u.hss, u.hel, u.hsl,
                        u.hll, u.fee, u.fes, u.fss, u.fel, u.fsl, u.fll};
    for (int k = 0; k < 16; ++k) cols[k][i] = v[k];
  }
  Rcpp::List out(16);
  Rcpp::CharacterVector nm(16);
  for (int k = 0; k < 16; ++k) {
    out[k] = cols[k];
    nm[k] = names[k];
  }
  out.attr("names") = nm;
  return out;
}
