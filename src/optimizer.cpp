#include "optimizer.h"

#include <cmath>
#include <limits>

namespace gradglm {

namespace {

void record(Result& res, const Settings& s, int iter, double loss, double gnorm, double step) {
  if (s.record_trace) res.trace.push_back(TraceRow{iter, loss, gnorm, step});
  if (s.verbose) {
    Rcpp::Rcout << "iter " << iter << "  loss " << loss << "  |grad| " << gnorm << "  step " << step
                << "\n";
  }
}

// Solve H d = -g for a positive semi-definite H; a small ridge rescues a
// numerically singular H (for example under separation, where weights vanish).
VectorXd newton_direction(const MatrixXd& H, const VectorXd& g) {
  Eigen::LLT<MatrixXd> llt(H.selfadjointView<Eigen::Lower>());
  if (llt.info() == Eigen::Success) {
    VectorXd d = llt.solve(-g);
    if (d.allFinite()) return d;
  }
  const double scale = std::max(H.diagonal().cwiseAbs().maxCoeff(), 1e-300);
  MatrixXd Hr = H.selfadjointView<Eigen::Lower>();
  for (double ridge = 1e-10; ridge < 1e3; ridge *= 100.0) {
    Hr.diagonal() = H.diagonal().array() + ridge * scale;
    Eigen::LLT<MatrixXd> llt2(Hr);
    if (llt2.info() == Eigen::Success) {
      VectorXd d = llt2.solve(-g);
      if (d.allFinite()) return d;
    }
  }
  return -g;  // fall back to steepest descent
}

}  // namespace

// Step-halving along d from beta: the first t in 1, 1/2, 1/4, ... whose loss
// does not exceed f (up to rounding). Returns false when none does.
bool halving_step(Objective& obj, const VectorXd& beta, const VectorXd& d, double f, double slack,
                  Interrupter& intr, VectorXd& trial, double& f_new, double& t) {
  t = 1.0;
  for (int halvings = 0; halvings < 40; ++halvings) {
    trial = beta + t * d;
    f_new = obj.value(trial);
    intr.tick(obj.work());
    if (std::isfinite(f_new) && f_new <= f + slack) return true;
    t *= 0.5;
  }
  return false;
}

Result newton(Objective& obj, const VectorXd& start, const Settings& s, const MatrixXd* approx_curvature) {
  Result res;
  Interrupter intr;
  VectorXd beta = start, g, d, trial;
  MatrixXd H;
  int it = 0;
  if (approx_curvature != nullptr) {
    // chord steps: the approximate curvature, a fresh gradient each step; the
    // full step is tried with its gradient in the same pass
    VectorXd g_trial;
    double f = obj.value_grad(beta, g);
    while (std::isfinite(f) && it < s.max_iter) {
      d = newton_direction(*approx_curvature, g);
      const double slack = 1e-12 * (std::abs(f) + s.loss_floor);
      trial = beta + d;
      double t = 1.0, f_new = obj.value_grad(trial, g_trial);
      intr.tick(obj.work());
      if (!(std::isfinite(f_new) && f_new <= f + slack)) break;  // leave it to exact Newton
      record(res, s, it, f, g.norm(), t);
      ++it;
      beta = trial;
      g = g_trial;
      const double change = std::abs(f_new - f) / (std::abs(f_new) + s.loss_floor);
      f = f_new;
      if (change < s.tol) break;
    }
  }
  // stop when the objective reports that the fit is running away
  auto stop_here = [&](const VectorXd& b) {
    const std::string why = obj.check(b);
    if (why.empty()) return false;
    res.message = why;
    res.diverged = true;
    return true;
  };
  double f = obj.value_grad_curv(beta, g, H);
  if (!std::isfinite(f)) {
    res.coef = beta;
    res.loss = f;
    res.message = "the loss is not finite at the starting values";
    return res;
  }
  intr.tick(obj.work() * (1.0 + obj.dim()));
  while (true) {
    const double gnorm = g.norm();
    // an indefinite exact curvature (possible away from the optimum, e.g. for
    // gaussian(log)) is replaced by the objective's safe one for this step
    if (Eigen::LLT<MatrixXd>(H.selfadjointView<Eigen::Lower>()).info() != Eigen::Success) {
      MatrixXd Hs;
      VectorXd gs;
      if (obj.safe_curvature(beta, gs, Hs)) H = Hs;
    }
    d = newton_direction(H, g);
    // step-halving: accept the first step that does not increase the loss
    double t, f_new;
    const double slack = 1e-12 * (std::abs(f) + s.loss_floor);
    bool ok = halving_step(obj, beta, d, f, slack, intr, trial, f_new, t);
    if (!ok) {
      // a nearly singular exact curvature can give a useless direction:
      // try once more along the safe curvature's
      MatrixXd Hs;
      VectorXd gs;
      if (obj.safe_curvature(beta, gs, Hs)) {
        d = newton_direction(Hs, g);
        ok = halving_step(obj, beta, d, f, slack, intr, trial, f_new, t);
      }
    }
    record(res, s, it, f, gnorm, ok ? t : 0.0);
    if (!ok) {
      // no step decreases the loss: we are at a minimum to machine precision
      res.converged = gnorm < std::sqrt(s.tol);
      if (!res.converged) res.message = "step-halving failed to decrease the loss";
      break;
    }
    if (stop_here(trial)) break;  // the fit stays at the last point before it
    ++it;
    beta = trial;
    const double change = std::abs(f_new - f) / (std::abs(f_new) + s.loss_floor);
    f = f_new;
    if (change < s.tol) {
      res.converged = true;
      break;
    }
    if (it >= s.max_iter) {
      res.message = "the iteration limit was reached";
      break;
    }
    f = obj.value_grad_curv(beta, g, H);
    intr.tick(obj.work() * (1.0 + obj.dim()));
  }
  // gradient and curvature at the returned coefficients (for standard errors)
  res.loss = obj.value_grad_curv(beta, g, res.curvature);
  if (s.final_step && res.converged) {
    // one more Newton step, kept when it does not increase the loss: the
    // change in the loss can be tiny while a flat direction still moves
    MatrixXd Hf = res.curvature;
    if (Eigen::LLT<MatrixXd>(Hf.selfadjointView<Eigen::Lower>()).info() != Eigen::Success) {
      VectorXd gs;
      obj.safe_curvature(beta, gs, Hf);
    }
    d = newton_direction(Hf, g);
    trial = beta + d;
    const double f_new = obj.value(trial);
    if (std::isfinite(f_new) && f_new <= res.loss && obj.check(trial).empty()) {
      beta = trial;
      ++it;
      res.loss = obj.value_grad_curv(beta, g, res.curvature);
    }
  }
  res.coef = beta;
  res.grad_norm = g.norm();
  res.iter = it;
  record(res, s, it, res.loss, res.grad_norm, NAN);
  return res;
}

Result gradient_descent(Objective& obj, const VectorXd& start, const Settings& s) {
  Result res;
  Interrupter intr;
  VectorXd theta = start, g, trial, g_trial;
  double f = obj.value_grad(theta, g);
  if (!std::isfinite(f)) {
    res.coef = theta;
    res.loss = f;
    res.message = "the loss is not finite at the starting values";
    return res;
  }
  double last_step = s.learning_rate;
  int it = 0;
  for (;; ++it) {
    const double gnorm = g.norm();
    if (gnorm < s.tol) {
      res.converged = true;
      record(res, s, it, f, gnorm, NAN);
      break;
    }
    if (it >= s.max_iter) {
      res.message = "the iteration limit was reached";
      record(res, s, it, f, gnorm, NAN);
      break;
    }
    const double scheduled = s.learning_rate / (1.0 + s.decay * it);
    double step = std::min(scheduled, 2.0 * last_step);
    double f_new = NAN;
    int tries = 0;
    for (; tries < 60; ++tries) {
      trial = theta - step * g;
      f_new = obj.value_grad(trial, g_trial);
      intr.tick(obj.work());
      // Armijo: sufficient decrease along the negative gradient
      // (strictly lower, so that steps lost in the rounding of f do not count)
      if (std::isfinite(f_new) && f_new < f && f_new <= f - 1e-4 * step * gnorm * gnorm) break;
      step *= 0.5;
    }
    if (tries == 60) {
      // no step, however small, decreases the loss: the gradient is at the
      // rounding level of the loss, which is as close to a minimum as it gets
      res.converged = true;
      res.message = "the loss cannot be decreased further at machine precision";
      record(res, s, it, f, gnorm, 0.0);
      break;
    }
    record(res, s, it, f, gnorm, step);
    const std::string why = obj.check(trial);
    if (!why.empty()) {  // the fit stays at the last point before it
      res.message = why;
      res.diverged = true;
      break;
    }
    last_step = step;
    theta = trial;
    g = g_trial;
    f = f_new;
  }
  res.coef = theta;
  res.loss = f;
  res.grad_norm = g.norm();
  res.iter = it;
  return res;
}

}  // namespace gradglm
