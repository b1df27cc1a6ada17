#include "laplace.h"

#include <cmath>

#include "lad.h"
#include "progress.h"

namespace gradglm {

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

// The exact finish from theta: alternates the exact weighted LAD problem for
// the location (a simplex with a certificate of optimality) with Newton's
// method for the scale model, until the basis and the scale coefficients settle.
Result laplace_finish(ModelObjective& obj, VectorXd theta, const Settings& s, const LaplaceProblem& lp) {
  const Index n = lp.X.rows(), p = lp.p, q = lp.q;
  const LinearPredictor& pred = obj.predictor();
  const VecRef& W = obj.weights();
  Result out;
  std::vector<Index> gamma_idx(q);
  for (Index j = 0; j < q; ++j) gamma_idx[j] = p + j;
  std::vector<Index> basis, last_basis;
  MatrixXd eta(n, pred.k());
  VectorXd c(n);
  bool done = false, was_constant = false;
  int iter = 0;
  for (int round = 0; round < 100 && !done; ++round) {
    pred.eta_all(theta, eta.data());
    // A scale the same on every row (sigma = ~ 1), before and after the last
    // round's scale step: this round's LAD problem is that round's times a
    // constant, whose optimum it certified, and the scale is the best for it.
    const bool constant = n > 0 && eta.col(1).maxCoeff() == eta.col(1).minCoeff();
    if (round > 0 && constant && was_constant) {
      done = true;
      break;
    }
    for (Index i = 0; i < n; ++i) c[i] = W[i] * std::exp(-eta(i, 1));
    const LadResult lad =
        weighted_lad(lp.X, lp.yo, c, theta.head(p), basis, 50 * (int)std::min<Index>(n, 100000) + 1000);
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
    sg.progress = nullptr;
    const VectorXd g0 = theta.segment(p, q);
    Result rg = newton(part, g0, sg);
    theta.segment(p, q) = rg.coef;
    ++iter;
    VectorXd grad;
    const double f = obj.value_grad(theta, grad);
    if (s.record_trace) out.trace.push_back(TraceRow{iter, f, grad.segment(p, q).norm(), 1.0, out.seconds()});
    if (s.progress) s.progress->update(iter, f, NAN);
    if (rg.diverged) {
      out.diverged = true;
      out.message = rg.message;
      break;
    }
    const double change = (rg.coef - g0).cwiseAbs().maxCoeff();
    if (same_basis && change <= 1e-9 * (1.0 + g0.cwiseAbs().maxCoeff())) done = true;
    was_constant = constant && rg.converged;
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

}  // namespace

// With a sigma model the likelihood can have several local maxima; the
// finish also runs from the starting values and the better end is kept.
Result fit_laplace(ModelObjective& obj, Likelihood& lik, const LaplaceProblem& lp, const Runner& run,
                   bool stochastic, bool newton, const VectorXd& start, const Settings& s) {
  Result out;
  int iter = 0;
  VectorXd theta = start;
  const double smooth[] = {0.5, 0.1, 0.02};
  // (a constant scale on many rows: the start's smoothed fits cost more than
  // the reduced simplex saves with them; 2e5 x 11: 0.1 s of 0.45)
  bool skip = false;
  if (newton && lad_reduces(lp.X.rows(), lp.p)) {
    MatrixXd eta(lp.X.rows(), obj.predictor().k());
    obj.predictor().eta_all(theta, eta.data());
    skip = eta.col(1).maxCoeff() == eta.col(1).minCoeff();
  }
  for (double d : smooth) {
    if (skip) break;
    lik.set_smooth(d);
    Settings ss = s;
    ss.tol = std::max(s.tol, 1e-8);
    ss.final_step = false;
    const double t0 = out.seconds();
    Result r = run(theta, ss);
    if (r.coef.allFinite() && std::isfinite(r.loss)) theta = r.coef;
    append_trace(out, r, iter, t0, stochastic);
  }
  lik.set_smooth(0.0);
  const double t_finish = out.seconds();
  Result fin = laplace_finish(obj, theta, s, lp);
  if (lp.q > 1) {
    Result alt = laplace_finish(obj, start, s, lp);
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

}  // namespace gradglm
