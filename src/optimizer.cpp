#include "optimizer.h"

#include <R_ext/Random.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "profile.h"
#include "progress.h"

namespace gradglm {

namespace {

void record(Result& res, const Settings& s, int iter, double loss, double gnorm, double step,
            double rate = NAN) {
  if (s.record_trace) {
    res.trace.push_back(TraceRow{iter, loss, gnorm, step, res.seconds()});
    res.trace.back().learning_rate = rate;
  }
  if (s.progress) s.progress->update(iter, loss, NAN);
}

// Newton's relative change of the loss, |f_new - f| / (|f_new| + floor): no
// change when the loss stayed the same (also at an exact zero of a loss
// without a floor, where 0 / 0 would never converge)
double relative_change(double f_new, double f, double floor) {
  if (f_new == f) return 0.0;
  return std::abs(f_new - f) / (std::abs(f_new) + floor);
}

// No step lowers the loss: a minimum to machine precision when the gradient
// (in the stopping rule's units) is small, as Newton's step-halving judges it;
// else, on a smooth loss, it is flat along a gradient that the optimizer's
// coordinates scale badly, and on a kinked one (`kink` says why) the stop is
// at a kink, where the gradient overstates how much a step lowers the loss;
// either way the fit has not converged. Sets converged, stop and message.
void stop_flat(Result& res, const Settings& s, double gnorm_scaled, const char* kink) {
  res.converged = gnorm_scaled <= std::sqrt(s.tol);
  if (res.converged) {
    res.stop = "precision";
    res.message = "the loss cannot be decreased further at machine precision";
  } else {
    res.stop = kink ? "kink" : "flat";
    const std::string why = kink ? std::string(kink) + ", and at a kink the gradient overstates how much a step "
                                                      "lowers it"
                                 : "the loss is flat to machine precision along a badly scaled gradient";
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "no step lowers the loss although the gradient norm is %.3g (above sqrt(tol) = %.3g)",
                  gnorm_scaled, std::sqrt(s.tol));
    res.message = std::string(buf) + ": " + why;
  }
}

// The stopping rules of the first-order methods: the gradient norm below tol
// (converged) or the iteration limit; either records the final trace row.
bool first_order_stop(Result& res, const Settings& s, int it, double f, double gnorm) {
  if (gnorm < s.tol) {
    res.converged = true;
  } else if (it >= s.max_iter) {
    res.message = "the iteration limit was reached";
  } else {
    return false;
  }
  record(res, s, it, f, gnorm, NAN);
  return true;
}

// The memory of a limited-memory BFGS matrix: the last m steps s and
// changes of the gradient y. times_inverse(g) applies the matrix's inverse to
// g by the two-loop recursion, from an initial inverse: a factored curvature
// when given, else the scaling s'y / y'y of the last pair.
class QuasiNewtonMemory {
 public:
  explicit QuasiNewtonMemory(int m) : m_(std::max(1, m)) {}
  // a pair whose s'y is not positive enough would not keep the matrix
  // positive definite: it is left out
  void add(const VectorXd& s, VectorXd y, double threshold) {
    const double sy = s.dot(y);
    if (!(sy > threshold * s.norm() * y.norm())) return;
    if ((int)S_.size() == m_) {
      S_.erase(S_.begin());
      Y_.erase(Y_.begin());
      rho_.erase(rho_.begin());
    }
    S_.push_back(s);
    Y_.push_back(std::move(y));
    rho_.push_back(1.0 / sy);
  }
  void clear() {
    S_.clear();
    Y_.clear();
    rho_.clear();
  }
  bool empty() const { return S_.empty(); }
  VectorXd times_inverse(const VectorXd& g, const Eigen::LLT<MatrixXd>* initial) const {
    VectorXd q = g;
    const int k = (int)S_.size();
    std::vector<double> alpha(k);
    for (int i = k - 1; i >= 0; --i) {
      alpha[i] = rho_[i] * S_[i].dot(q);
      q -= alpha[i] * Y_[i];
    }
    if (initial != nullptr) {
      q = initial->solve(q);
    } else if (k > 0) {
      q *= S_[k - 1].dot(Y_[k - 1]) / Y_[k - 1].squaredNorm();
    }
    for (int i = 0; i < k; ++i) {
      const double b = rho_[i] * Y_[i].dot(q);
      q += S_[i] * (alpha[i] - b);
    }
    return q;
  }

 private:
  int m_;
  std::vector<VectorXd> S_, Y_;
  std::vector<double> rho_;
};

// Solve H d = -g for a positive semi-definite H; a small ridge rescues a
// numerically singular H (for example under separation, where weights vanish).
VectorXd newton_direction(const MatrixXd& H, const VectorXd& g) {
  PhaseTimer timer("solve: Newton direction");
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
                  Interrupter& intr, VectorXd& trial, double& f_new, double& t, int first = 0) {
  t = std::ldexp(1.0, -first);
  for (int halvings = first; halvings < 40; ++halvings) {
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
  int it = 0, chord_steps = 0;
  // the result at beta, with its gradient g, after `it` iterations
  auto finish = [&]() {
    res.coef = beta;
    res.grad_norm = g.norm();
    res.gradient = g;
    res.iter = it;
    record(res, s, it, res.loss, res.grad_norm, NAN);
    return res;
  };
  if (approx_curvature != nullptr) {
    // Chord steps: the approximate curvature, a fresh gradient each step (a
    // pass for the loss and gradient, about 4 / p of a pass with the
    // curvature on a wide design). Where they converge fast, they go on past
    // the tolerance until the next step's predicted decrease of the loss (g'd,
    // relative to the loss) is below the tolerance's square: the coefficients
    // are then at the optimum to the digits the loss can tell, and one pass at
    // them gives the exact curvature for the standard errors, with no exact
    // step. Where they converge slowly, exact Newton steps take over.
    //
    // The steps are quasi-Newton ones: the approximate curvature corrected by
    // BFGS updates from the steps taken (the two-loop recursion of L-BFGS with
    // the approximate curvature's inverse as its initial matrix), which
    // converge faster than the plain chord steps.
    VectorXd g_trial;
    double f = obj.value_grad(beta, g);
    double change = NAN, prev_change = NAN;
    double predicted = NAN;  // the last step's predicted decrease
    bool chord_converged = false;
    Eigen::LLT<MatrixXd> approx_llt;
    {
      PhaseTimer timer("solve: Newton direction");
      approx_llt.compute(approx_curvature->selfadjointView<Eigen::Lower>());
    }
    const bool factored = approx_llt.info() == Eigen::Success;
    QuasiNewtonMemory memory(10);
    auto direction = [&]() -> VectorXd {
      if (!factored) return newton_direction(*approx_curvature, g);
      PhaseTimer timer("solve: Newton direction");
      return -memory.times_inverse(g, &approx_llt);
    };
    // (at most the iterations' limit less the exact steps that may end the fit)
    while (std::isfinite(f) && it < s.max_iter - 3) {
      d = direction();
      const double prev_predicted = predicted;
      predicted = -g.dot(d) / (std::abs(f) + s.loss_floor);
      if (change < s.tol) {
        // (at the floor of the rounding the predicted decrease stops shrinking)
        const bool floor = prev_predicted > 0.0 && predicted > 0.5 * prev_predicted;
        if (predicted < s.tol * s.tol || (floor && predicted < 1e-3 * s.tol)) {
          chord_converged = obj.check(beta).empty();
          break;
        }
        if (floor) break;  // exact Newton ends the fit
      }
      const double slack = 1e-12 * (std::abs(f) + s.loss_floor);
      trial = beta + d;
      const double f_new = obj.value_grad(trial, g_trial);
      intr.tick(obj.work());
      if (!(std::isfinite(f_new) && f_new <= f + slack)) break;  // leave it to exact Newton
      record(res, s, it, f, g.norm(), 1.0);
      ++it;
      ++chord_steps;
      if (factored) memory.add(d, g_trial - g, 1e-12);
      beta = trial;
      g = g_trial;
      prev_change = change;
      change = relative_change(f_new, f, s.loss_floor);
      f = f_new;
      // (converging slowly: the approximate curvature is far from the exact one)
      if (!(change < s.tol) && prev_change > 0.0 && change > 0.5 * prev_change) break;
    }
    if (chord_converged) {
      // the last predicted step is taken too (its pass with the curvature
      // tells whether the loss stayed put, as it nearly always does)
      trial = beta + d;
      VectorXd g_end;
      MatrixXd H_end;
      const double f_end = obj.value_grad_curv(trial, g_end, H_end);
      intr.tick(obj.work() * (1.0 + obj.dim()));
      if (std::isfinite(f_end) && f_end <= f + 1e-12 * (std::abs(f) + s.loss_floor) && obj.check(trial).empty()) {
        record(res, s, it, f, g.norm(), 1.0);
        ++it;
        beta = trial;
        g.swap(g_end);
        res.curvature.swap(H_end);
        res.loss = f_end;
      } else {
        res.loss = obj.value_grad_curv(beta, g, res.curvature);
        intr.tick(obj.work() * (1.0 + obj.dim()));
      }
      res.converged = true;
      return finish();
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
  if (beta.size() == 0) {
    // nothing to estimate (y ~ 0 with an offset): the loss at the offset, no
    // iteration (glm.fit's empty model)
    res.loss = f;
    res.converged = true;
    return finish();
  }
  // Where a pass costs a read of the data (chunks from a database or files),
  // or where the full step is nearly always accepted (near the optimum after
  // chord steps, or as the settings say), the full step's loss, gradient and
  // curvature come from one pass, and an accepted step needs no second pass
  // for its gradient and curvature.
  const bool fused = obj.costly_pass() || s.fuse_full_step || chord_steps > 0;
  bool at_beta = true;  // g and H are those at beta
  VectorXd g_next;
  MatrixXd H_next;
  while (true) {
    const double gnorm = g.norm();
    if (it >= s.max_iter) {
      // (no step allowed: glm's maxit = 1, whose one iteration is the start)
      res.message = "the iteration limit was reached";
      break;
    }
    // an indefinite exact curvature (possible away from the optimum, e.g. for
    // gaussian(log)) is replaced by the objective's safe one for this step
    // (one factorization serves the test and the direction)
    bool definite = false, direct = false;
    const VectorXd exact_diag = H.diagonal();
    {
      PhaseTimer timer("solve: Newton direction");
      const Eigen::LLT<MatrixXd> llt(H.selfadjointView<Eigen::Lower>());
      definite = llt.info() == Eigen::Success;
      if (definite) {
        d = llt.solve(-g);
        direct = d.allFinite();
      }
    }
    if (!definite) {
      MatrixXd Hs;
      VectorXd gs;
      if (obj.safe_curvature(beta, gs, Hs)) H = Hs;
    }
    if (!direct) d = newton_direction(H, g);  // (with a ridge where it is needed)
    intr.tick((double)obj.dim() * obj.dim() * obj.dim() / 3.0);
    // step-halving: accept the first step that does not increase the loss
    double t, f_new;
    // (an objective read in passes knows its weight sum after its first)
    const double floor = s.loss_floor > 0.0 ? s.loss_floor : obj.loss_floor();
    const double slack = 1e-12 * (std::abs(f) + floor);
    bool ok, fused_ok = false;
    if (fused) {
      trial = beta + d;
      t = 1.0;
      f_new = obj.value_grad_curv(trial, g_next, H_next);
      intr.tick(obj.work() * (1.0 + obj.dim()));
      fused_ok = std::isfinite(f_new) && f_new <= f + slack;
      ok = fused_ok || halving_step(obj, beta, d, f, slack, intr, trial, f_new, t, 1);
    } else {
      ok = halving_step(obj, beta, d, f, slack, intr, trial, f_new, t);
    }
    // The safe curvature can be far below the exact one along some
    // coefficients (a row far in a tail, whose scale's exact curvature grows
    // with its squared residual where Fisher's stays 2): its step runs out of
    // reach of the halvings, or nearly. Then the step of the safe curvature
    // with the exact diagonal where that is larger (still positive definite)
    // is tried too, and the lower loss kept. Such a curvature, exp(-2 s) r^2
    // of a scale s far below its residual, halves the distance to the
    // maximum at each step: its step is doubled while the loss keeps falling
    // (at most 3 times: further, the step's other coefficients can carry the
    // fit far off, all scales far above their residuals, where scoring
    // steps crawl).
    auto exact_diagonal_step = [&](MatrixXd Hb) {
      for (Index j = 0; j < Hb.rows(); ++j) Hb(j, j) = std::max(Hb(j, j), exact_diag[j]);
      const VectorXd de = newton_direction(Hb, g);
      VectorXd te;
      double fe, tt;
      if (!halving_step(obj, beta, de, f, slack, intr, te, fe, tt)) return;
      for (int k = 0; tt == 1.0 && k < 3; ++k) {
        const VectorXd longer = beta + std::ldexp(1.0, k + 1) * de;
        const double f_longer = obj.value(longer);
        intr.tick(obj.work());
        if (!(std::isfinite(f_longer) && f_longer < fe)) break;
        te = longer;
        fe = f_longer;
      }
      if (!ok || fe < f_new) {
        ok = true;
        fused_ok = false;
        d = de;
        trial = te;
        f_new = fe;
        t = tt;
      }
    };
    if (!ok) {
      // a nearly singular exact curvature can give a useless direction:
      // try once more along the safe curvature's
      MatrixXd Hs;
      VectorXd gs;
      if (obj.safe_curvature(beta, gs, Hs)) {
        d = newton_direction(Hs, g);
        ok = halving_step(obj, beta, d, f, slack, intr, trial, f_new, t);
        if (!ok || t < 0x1.0p-10) exact_diagonal_step(Hs);
      }
    } else if (!definite && t < 0x1.0p-10) {
      exact_diagonal_step(H);  // (H: the safe curvature)
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
    const double change = relative_change(f_new, f, floor);
    f = f_new;
    at_beta = fused_ok;
    if (fused_ok) {
      g.swap(g_next);
      H.swap(H_next);
    }
    if (change < s.tol) {
      res.converged = true;
      break;
    }
    if (it >= s.max_iter) {
      res.message = "the iteration limit was reached";
      break;
    }
    if (!at_beta) {
      f = obj.value_grad_curv(beta, g, H);
      intr.tick(obj.work() * (1.0 + obj.dim()));
      at_beta = true;
    }
  }
  // gradient and curvature at the returned coefficients (for standard errors)
  if (fused && at_beta) {
    res.loss = f;
    res.curvature = H;
  } else {
    res.loss = obj.value_grad_curv(beta, g, res.curvature);
  }
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
  return finish();
}

double scheduled_rate(const Settings& s, int t) {
  switch (s.schedule) {
    case Schedule::constant:
    case Schedule::plateau:  // its halvings are counted by the stochastic optimizers
      return s.learning_rate;
    case Schedule::inverse:
      return s.learning_rate / (1.0 + s.decay * t);
    case Schedule::exponential:
      return s.learning_rate * std::exp(-s.decay * t);
    case Schedule::step:
      return s.learning_rate * std::pow(0.5, std::floor(s.decay * t));
    case Schedule::cosine:
      return s.learning_rate * 0.5 * (1.0 + std::cos(3.14159265358979323846 * std::min(1.0, (double)t / std::max(1, s.max_iter))));
  }
  return s.learning_rate;
}

namespace {

// phi(a) = f(x + a d) and its derivative, from one value_grad pass
struct LinePoint {
  double a, f, df;
  VectorXd g;
};

LinePoint evaluate_at(Objective& obj, const VectorXd& x, const VectorXd& d, double a, Interrupter& intr) {
  LinePoint p;
  p.a = a;
  p.f = obj.value_grad(x + a * d, p.g);
  intr.tick(obj.work());
  p.df = std::isfinite(p.f) ? p.g.dot(d) : NAN;
  if (!std::isfinite(p.f)) p.f = INFINITY;
  return p;
}

// minimiser of the cubic through (a, fa, da) and (b, fb, db), kept inside the
// middle 80% of [a, b]; bisection when the cubic is of no use
double cubic_step(const LinePoint& lo, const LinePoint& hi) {
  const double a = lo.a, b = hi.a, left = std::min(a, b), right = std::max(a, b);
  const double w = right - left;
  double t = 0.5 * (a + b);
  if (std::isfinite(hi.f) && std::isfinite(hi.df)) {
    const double d1 = lo.df + hi.df - 3.0 * (lo.f - hi.f) / (a - b);
    const double disc = d1 * d1 - lo.df * hi.df;
    if (disc >= 0.0) {
      const double d2 = (b > a ? 1.0 : -1.0) * std::sqrt(disc);
      const double c = b - (b - a) * (hi.df + d2 - d1) / (hi.df - lo.df + 2.0 * d2);
      if (std::isfinite(c)) t = c;
    }
  }
  return std::min(std::max(t, left + 0.1 * w), right - 0.1 * w);
}

// A step length satisfying the strong Wolfe conditions (c1 = 1e-4, c2 = 0.9)
// along the descent direction d, by bracketing and zooming (Nocedal and
// Wright, algorithms 3.5 and 3.6). Returns false when none is found; `best`
// then holds the lowest point seen.
bool wolfe_search(Objective& obj, const VectorXd& x, const VectorXd& d, const LinePoint& p0, double a1,
                  Interrupter& intr, LinePoint& out) {
  const double c1 = 1e-4, c2 = 0.9;
  // near the optimum the decrease along d falls to the rounding level of the
  // loss; a rise within that level does not reject a step whose derivative
  // shows progress (the "approximate Wolfe" idea)
  const double noise = 1e-12 * std::abs(p0.f);
  LinePoint prev = p0, cur;
  LinePoint best = p0;
  auto zoom = [&](LinePoint lo, LinePoint hi) -> bool {
    for (int k = 0; k < 30; ++k) {
      const double a = cubic_step(lo, hi);
      LinePoint p = evaluate_at(obj, x, d, a, intr);
      if (p.f < best.f) best = p;
      if (p.f > p0.f + c1 * a * p0.df + noise || p.f > lo.f + noise) {
        hi = p;
      } else {
        if (std::abs(p.df) <= -c2 * p0.df) {
          out = p;
          return true;
        }
        if (p.df * (hi.a - lo.a) >= 0.0) hi = lo;
        lo = p;
      }
      if (std::abs(hi.a - lo.a) <= 1e-16 * std::max(1.0, std::abs(lo.a))) break;
    }
    return false;
  };
  double a = a1;
  for (int i = 0; i < 30; ++i) {
    cur = evaluate_at(obj, x, d, a, intr);
    if (cur.f < best.f) best = cur;
    if (cur.f > p0.f + c1 * a * p0.df + noise || (i > 0 && cur.f > prev.f + noise)) {
      if (zoom(prev, cur)) return true;
      break;
    }
    if (std::abs(cur.df) <= -c2 * p0.df) {
      out = cur;
      return true;
    }
    if (cur.df >= 0.0) {
      if (zoom(cur, prev)) return true;
      break;
    }
    prev = cur;
    a *= 2.0;
  }
  out = best;
  return false;
}

}  // namespace

Result lbfgs(Objective& obj, const VectorXd& start, const Settings& s, const MatrixXd* h0) {
  Result res;
  Interrupter intr;
  VectorXd x = start, g;
  double f = obj.value_grad(x, g);
  intr.tick(obj.work());
  if (!std::isfinite(f)) {
    res.coef = x;
    res.loss = f;
    res.message = "the loss is not finite at the starting values";
    return res;
  }
  std::unique_ptr<Eigen::LLT<MatrixXd>> h0_llt;
  if (h0 != nullptr) {
    h0_llt.reset(new Eigen::LLT<MatrixXd>(h0->selfadjointView<Eigen::Lower>()));
    if (h0_llt->info() != Eigen::Success) h0_llt.reset();
  }
  QuasiNewtonMemory memory(s.memory);
  VectorXd d;
  int it = 0;
  for (;; ++it) {
    const double gnorm = g.norm();
    if (first_order_stop(res, s, it, f, gnorm * s.stop_scale)) break;
    // two-loop recursion: d = -H g
    const bool fresh = memory.empty();
    d = -memory.times_inverse(g, h0_llt.get());
    double dg = d.dot(g);
    if (!(dg < 0.0)) {  // not a descent direction: restart from the gradient
      memory.clear();
      d = -g;
      dg = -gnorm * gnorm;
    }
    // the first step of a fresh memory without a curvature: unit length
    const double a1 = (fresh && !h0_llt) ? std::min(1.0, 1.0 / gnorm) : 1.0;
    LinePoint p0{0.0, f, dg, g}, next;
    const bool ok = wolfe_search(obj, x, d, p0, a1, intr, next);
    const bool progress = next.f < f || (ok && next.f <= f + 1e-12 * std::abs(f) && next.g.norm() < gnorm);
    if (!progress) {
      // no step lowers the loss: at a minimum to machine precision, if the gradient is small
      stop_flat(res, s, gnorm * s.stop_scale, obj.kink());
      record(res, s, it, f, gnorm * s.stop_scale, 0.0);
      break;
    }
    record(res, s, it, f, gnorm * s.stop_scale, next.a);
    const VectorXd xn = x + next.a * d;
    const std::string why = obj.check(xn);
    if (!why.empty()) {
      res.message = why;
      res.diverged = true;
      break;
    }
    memory.add(xn - x, next.g - g, 1e-10);
    x = xn;
    f = next.f;
    g = next.g;
  }
  res.coef = x;
  res.loss = f;
  res.grad_norm = g.norm() * s.stop_scale;
  res.iter = it;
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
  const Prox* prox = s.prox;
  // the learning rate in the units of grad_scale (1 but for a network of a
  // Gaussian-type GLM, whose loss is in units of its dispersion), as sgd's
  const double gs = s.grad_scale;
  // with a penalty: proximal gradient descent on f + P; its stationarity
  // measure is the norm of the gradient mapping (theta - prox(theta - t g)) / t
  double pen = prox ? prox->value(theta) : 0.0;
  int it = 0;
  for (;; ++it) {
    double gnorm = g.norm();
    if (prox) {
      const double t = std::min(scheduled_rate(s, it), 2.0 * last_step) * gs;
      VectorXd z = theta - t * g;
      prox->apply(z, t);
      gnorm = (theta - z).norm() / t;
    }
    if (first_order_stop(res, s, it, f, gnorm * s.stop_scale)) break;
    const double scheduled = scheduled_rate(s, it);
    double step = std::min(scheduled, 2.0 * last_step);
    double f_new = NAN, pen_new = 0.0;
    int tries = 0;
    for (; tries < 60; ++tries) {
      trial = theta - (step * gs) * g;
      if (prox) prox->apply(trial, step * gs);
      f_new = obj.value_grad(trial, g_trial);
      intr.tick(obj.work());
      if (prox) {
        // the quadratic upper bound of proximal gradient descent, and a strict decrease of f + P
        pen_new = prox->value(trial);
        const VectorXd d = trial - theta;
        if (std::isfinite(f_new) && f_new + pen_new < f + pen &&
            f_new <= f + g.dot(d) + d.squaredNorm() / (2.0 * step * gs))
          break;
      } else if (std::isfinite(f_new) && f_new < f && f_new <= f - 1e-4 * step * gs * gnorm * gnorm) {
        // Armijo: sufficient decrease along the negative gradient
        // (strictly lower, so that steps lost in the rounding of f do not count)
        break;
      }
      step *= 0.5;
    }
    if (tries == 60 && 2.0 * step * gs * gnorm > 1e-6 * (1.0 + theta.norm())) {
      // the last step tried still moved the coefficients far: the learning
      // rate is many orders of magnitude too large, not the fit at a minimum
      res.rate_too_large = true;
      res.message = "no step of the learning rate halved 60 times lowers the loss";
      record(res, s, it, f, gnorm * s.stop_scale, 0.0, scheduled);
      break;
    }
    if (tries == 60) {
      // no step, however small, decreases the loss: the gradient is at the
      // rounding level of the loss, which is as close to a minimum as it gets
      // -- unless the schedule has shrunk the rate to nothing first
      if (scheduled > 1e-6 * s.learning_rate) {
        stop_flat(res, s, gnorm * s.stop_scale, obj.kink());
      } else {
        res.converged = false;
        res.message = "the scheduled learning rate decayed to about 0 before the gradient norm reached tol; "
                      "use a smaller decay or another schedule";
      }
      record(res, s, it, f, gnorm * s.stop_scale, 0.0, scheduled);
      break;
    }
    record(res, s, it, f, gnorm * s.stop_scale, step, scheduled);
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
    pen = pen_new;
  }
  res.coef = theta;
  res.loss = f;
  res.grad_norm = g.norm() * s.stop_scale;
  res.iter = it;
  return res;
}

// Fisher-Yates shuffle with R's generator (set.seed() makes it reproducible)
void shuffle(std::vector<Index>& v) {
  for (Index i = (Index)v.size() - 1; i > 0; --i) {
    const Index j = (Index)R_unif_index((double)(i + 1));
    std::swap(v[i], v[j]);
  }
}

static Index run_length(Index n, Index d, Index batch_size) {
  const double bytes = 8.0 * (double)n * (double)d;
  return bytes <= 4e6 ? 1 : std::max<Index>(1, std::min<Index>(16, batch_size / 2));
}

std::vector<RowRun> shuffled_runs(Index n, Index d, Index batch_size) {
  const Index c = run_length(n, d, batch_size);
  std::vector<Index> order((n + c - 1) / c);
  for (Index k = 0; k < (Index)order.size(); ++k) order[k] = k;
  shuffle(order);
  std::vector<RowRun> runs;
  runs.reserve(order.size());
  for (Index k : order) runs.push_back(RowRun{k * c, std::min(c, n - k * c)});
  return runs;
}

RowMinibatches::RowMinibatches(Objective& obj, Index batch_size, double validation) : obj_(obj) {
  const Index n = obj.rows(), d = obj.dim();
  if (n <= 0) throw std::invalid_argument("this model cannot be fitted by minibatches");
  c_ = run_length(n, d, batch_size);
  n_ = n;
  const Index nchunks = (n + c_ - 1) / c_;
  order_.resize(nchunks);
  for (Index k = 0; k < nchunks; ++k) order_[k] = k;
  // the validation rows: a random share of the runs, held out for good
  Index nval = 0;
  if (validation > 0.0) {
    nval = std::max<Index>(1, (Index)std::llround(validation * (double)nchunks));
    if (nval >= nchunks) throw std::invalid_argument("'validation' leaves no rows to train on");
    shuffle(order_);
    std::vector<Index> vidx(order_.begin(), order_.begin() + nval);
    std::sort(vidx.begin(), vidx.end());
    for (Index k : vidx) val_runs_.push_back(run(k));
    order_.erase(order_.begin(), order_.begin() + nval);
    std::sort(order_.begin(), order_.end());
  }
  for (Index k : order_) {
    train_all_.push_back(run(k));
    ntrain_ += train_all_.back().len;
  }
  wtrain_ = obj.rows_weight(train_all_);
  wval_ = nval > 0 ? obj.rows_weight(val_runs_) : 0.0;
  if (!(wtrain_ > 0.0)) throw std::invalid_argument("the training rows all have zero weight");
  if (nval > 0 && !(wval_ > 0.0)) throw std::invalid_argument("the validation rows all have zero weight");
  batch_ = std::max<Index>(1, std::min<Index>(batch_size, ntrain_));
}

void RowMinibatches::epoch(const Step& step) {
  shuffle(order_);
  // batches of exactly batch_ rows (the last one of the epoch smaller): a
  // run that would overfill a batch is split, its rest opening the next one
  RowRun rest{0, 0};
  for (Index k = 0; k < (Index)order_.size() || rest.len > 0;) {
    runs_.clear();
    Index rows = 0;
    if (rest.len > 0) {
      runs_.push_back(rest);
      rows = rest.len;
      rest.len = 0;
    }
    while (k < (Index)order_.size() && rows < batch_) {
      RowRun r = run(order_[k++]);
      if (rows + r.len > batch_) {
        const Index take = batch_ - rows;
        rest = RowRun{r.start + take, r.len - take};
        r.len = take;
      }
      runs_.push_back(r);
      rows += r.len;
    }
    const double share = (double)rows / (double)ntrain_;
    const double denom = wtrain_ * share;
    const Batch batch = [&](const VectorXd& at, VectorXd* grad) {
      return obj_.batch_value_grad(at, runs_, denom, grad);
    };
    if (!step(batch, rows, share)) return;
  }
}

Result stochastic(Objective& obj, const VectorXd& start, const Settings& s) {
  RowMinibatches data(obj, s.batch_size, s.validation);
  return stochastic(data, start, s);
}

Result stochastic(Minibatches& data, const VectorXd& start, const Settings& s) {
  Result res;
  Interrupter intr;
  const Index d = data.dim();
  const bool validated = data.validated();
  res.validated = validated;

  VectorXd theta = start, g(d), egrad(d), vel = VectorXd::Zero(d), m1 = VectorXd::Zero(d),
           m2 = VectorXd::Zero(d), eval_at(d);
  VectorXd g0;
  const double f0 = data.train_loss(theta, &g0);
  // the start's loss as the training steps see it (a network's dropout),
  // which the epochs' training losses are compared with
  const double f0_train = data.trains_differently() ? data.train_loss_as_trained(theta) : f0;
  // Losses within 1% above the start's are the minibatches' noise around a
  // start that is already about as good as the model gets (a GLM's intercept
  // only, a multinomial's class shares, a sigma model's start, on data its
  // inputs do not explain; at sgd's default rate a multinomial ends about
  // 0.3% above such a start): a learning rate too large shows as more.
  // (1 / grad_scale is the loss's unit: a Gaussian GLM's dispersion)
  const double unit = 1.0 / s.grad_scale;
  auto within_noise = [unit](double loss, double start_loss) {
    return loss <= start_loss + 1e-2 * (std::abs(start_loss) + 1e-3 * unit);
  };
  if (!std::isfinite(f0)) {
    res.coef = theta;
    res.loss = f0;
    res.message = "the loss is not finite at the starting values";
    return res;
  }
  auto push = [&](int epoch, double loss, double gnorm, double step, double rate, double val) {
    if (s.record_trace) {
      TraceRow row{epoch, loss, gnorm, step, res.seconds()};
      row.learning_rate = rate;
      row.val_loss = val;
      res.trace.push_back(row);
    }
    if (s.progress) s.progress->update(epoch, loss, val);
  };
  double val = validated ? data.validation_loss(theta) : NAN;
  push(0, f0, s.grad_scale * g0.norm(), NAN, NAN, val);

  const double b1 = s.beta1, b2 = s.beta2;
  double p1 = 1.0, p2 = 1.0;  // beta1^t, beta2^t
  VectorXd best = theta;
  double best_monitor = validated ? val : f0, best_train = f0;
  int best_epoch = 0, since_best = 0, above_start = 0, epoch = 0, since_train = 0, halvings = 0;
  const bool plateau = s.schedule == Schedule::plateau;
  const int plateau_wait = std::max(1, s.patience / 2);
  // a real improvement: beyond the rounding of the epoch's sums
  auto improves = [unit](double now, double best) { return now < best - 1e-7 * (std::abs(best) + 1e-3 * unit); };
  // steps that made a batch's loss non-finite are undone, each halving the
  // rate for the rest of the fit (`cut`); more than 30 stop it
  VectorXd theta_prev = theta;
  double cut = 1.0, rate = 0.0, eloss = 0.0;
  int cuts = 0;
  bool stepped = false, bad = false;
  // one minibatch's step: its sums (divided by `denom`) estimate the mean
  // over the training rows; `share` is its part of them
  const Minibatches::Step step = [&](const Minibatches::Batch& batch, Index rows, double share) -> bool {
    if (!s.adam && s.nesterov) {
      eval_at = theta + s.momentum * vel;
    } else {
      eval_at = theta;
    }
    double fb = batch(eval_at, &g);
    if ((!std::isfinite(fb) || !g.allFinite()) && stepped) {
      // the last step left the likelihood's domain (a mean of 0 under an
      // identity link, say): undo it, drop the momentum and halve the rate
      theta = theta_prev;
      vel.setZero();
      cut *= 0.5;
      ++cuts;
      fb = batch(theta, &g);
    }
    if (!std::isfinite(fb) || !g.allFinite() || cuts > 30) {
      bad = true;
      return false;
    }
    theta_prev = theta;
    stepped = true;
    eloss += share * fb;
    egrad += share * g;
    g *= s.grad_scale;
    if (s.adam) {
      p1 *= b1;
      p2 *= b2;
      m1 = b1 * m1 + (1.0 - b1) * g;
      m2 = b2 * m2 + (1.0 - b2) * g.cwiseAbs2();
      theta.array() -= rate * cut * (m1.array() / (1.0 - p1)) / ((m2.array() / (1.0 - p2)).sqrt() + s.epsilon);
      // proximal Adam: the penalty's step in Adam's per-coordinate metric
      // (the gradient is in units of grad_scale, the penalty's step with it)
      if (s.prox) {
        s.prox->apply(theta,
                      VectorXd((rate * cut * s.grad_scale) / ((m2.array() / (1.0 - p2)).sqrt() + s.epsilon)));
      }
    } else {
      vel = s.momentum * vel - rate * cut * g;
      theta += vel;
      if (s.prox) s.prox->apply(theta, rate * cut * s.grad_scale);
    }
    intr.tick((double)rows * (double)d);
    return true;
  };
  const int max_epochs = std::max(1, s.max_iter);
  for (epoch = 1; epoch <= max_epochs; ++epoch) {
    rate = plateau ? std::ldexp(s.learning_rate, -halvings) : scheduled_rate(s, epoch - 1);
    const VectorXd theta_start = theta;
    eloss = 0.0;
    egrad.setZero();
    data.epoch(step);
    const double gnorm = s.grad_scale * egrad.norm();
    if (bad || !std::isfinite(eloss) || !theta.allFinite()) {
      res.rate_too_large = true;
      res.message = "the loss became non-finite in epoch " + std::to_string(epoch);
      push(epoch, NAN, NAN, NAN, rate * cut, NAN);
      break;
    }
    val = validated ? data.validation_loss(theta) : NAN;
    push(epoch, eloss, gnorm, (theta - theta_start).norm(), rate * cut, val);
    if (validated && !std::isfinite(val)) {
      res.rate_too_large = true;
      res.message = "the validation loss became non-finite in epoch " + std::to_string(epoch);
      break;
    }
    // a training loss above its starting value (beyond the noise) for 10
    // epochs: the rate is too large
    if (!within_noise(eloss, f0_train) && ++above_start >= 10) {
      res.rate_too_large = true;
      res.message = "the training loss was above its starting value in 10 epochs";
      break;
    }
    const std::string why = data.check(theta);
    if (!why.empty()) {
      // a scale collapsing while the loss rose above its start is a step too
      // long, not an unbounded likelihood; either way the epoch is undone
      theta = theta_start;
      if (eloss > f0_train) {
        res.rate_too_large = true;
        res.message = "the loss rose above its starting value";
      } else {
        res.message = why;
        res.diverged = true;
      }
      break;
    }
    const double monitor = validated ? val : eloss;
    if (improves(eloss, best_train)) {
      best_train = eloss;
      since_train = 0;
    } else if (++since_train >= plateau_wait && plateau && halvings < 10) {
      // halve the rate (at most 10 times); without validation rows, give the
      // new rate a full patience to improve the training loss
      since_train = 0;
      ++halvings;
      if (!validated) since_best = -1;
    }
    if (improves(monitor, best_monitor)) {
      best_monitor = monitor;
      best_epoch = epoch;
      since_best = 0;
      if (validated) best = theta;
    } else {
      ++since_best;
    }
    if (gnorm < s.tol) {
      res.converged = true;
      break;
    }
    if (since_best >= s.patience) {
      res.converged = true;
      res.message = validated ? "early stopping: the validation loss did not improve for " +
                                    std::to_string(s.patience) + " epochs"
                              : "the training loss did not improve for " + std::to_string(s.patience) + " epochs";
      break;
    }
  }
  if (epoch > max_epochs) {
    epoch = max_epochs;
    res.message = "the epoch limit was reached";
  }
  // with a validation share, the parameters of the best validation epoch
  if (validated && !res.diverged) {
    theta = best;
    res.best_epoch = best_epoch;
  }
  VectorXd gfull;
  res.coef = theta;
  res.loss = data.loss(theta, gfull);
  res.grad_norm = s.grad_scale * gfull.norm();
  res.iter = epoch;
  // ending worse than the start: the steps were too long to make progress
  // (without validation rows f0 is the loss over all rows, as res.loss is)
  if (!res.rate_too_large && !res.diverged && !validated &&
      !(res.loss <= f0 + 1e-7 * (std::abs(f0) + 1e-3 * unit))) {
    res.converged = false;
    if (s.keep_start_if_worse || within_noise(res.loss, f0)) {
      // (a start already as good as the inputs allow: a network's, the model
      // without inputs, or a GLM's ending within the noise above its start)
      res.coef = start;
      res.loss = data.loss(start, gfull);
      res.grad_norm = s.grad_scale * gfull.norm();
      res.message = "the loss ended above its starting value, so the starting values are returned";
    } else {
      res.rate_too_large = true;
      res.message = "the loss ended above its starting value";
    }
  }
  return res;
}

namespace {

typedef Result (*OptimizerFn)(Objective&, const VectorXd&, const Settings&, const MatrixXd*);

Result run_newton(Objective& o, const VectorXd& x, const Settings& s, const MatrixXd* c) { return newton(o, x, s, c); }
Result run_lbfgs(Objective& o, const VectorXd& x, const Settings& s, const MatrixXd* c) { return lbfgs(o, x, s, c); }
Result run_gd(Objective& o, const VectorXd& x, const Settings& s, const MatrixXd*) {
  return gradient_descent(o, x, s);
}
Result run_sgd(Objective& o, const VectorXd& x, const Settings& s, const MatrixXd*) {
  Settings ss = s;
  ss.adam = false;
  return stochastic(o, x, ss);
}
Result run_adam(Objective& o, const VectorXd& x, const Settings& s, const MatrixXd*) {
  Settings ss = s;
  ss.adam = true;
  return stochastic(o, x, ss);
}

struct OptimizerEntry {
  const char* name;
  OptimizerFn fn;
  bool first_order;
  bool stochastic;
};

const OptimizerEntry optimizer_table[] = {{"newton", run_newton, false, false},
                                          {"lbfgs", run_lbfgs, true, false},
                                          {"gd", run_gd, true, false},
                                          {"sgd", run_sgd, true, true},
                                          {"adam", run_adam, true, true}};

const OptimizerEntry* find_optimizer(const std::string& name) {
  for (const OptimizerEntry& e : optimizer_table)
    if (name == e.name) return &e;
  return nullptr;
}

}  // namespace

Result optimize(const std::string& name, Objective& obj, const VectorXd& start, const Settings& s,
                const MatrixXd* curvature) {
  const OptimizerEntry* e = find_optimizer(name);
  if (!e) throw std::invalid_argument("unknown optimizer '" + name + "'");
  return e->fn(obj, start, s, curvature);
}

bool is_first_order(const std::string& name) {
  const OptimizerEntry* e = find_optimizer(name);
  return e && e->first_order;
}

bool is_stochastic(const std::string& name) {
  const OptimizerEntry* e = find_optimizer(name);
  return e && e->stochastic;
}

}  // namespace gradglm
