#include "dist_objective.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "parallel.h"

namespace gradglm {

DistObjective::DistObjective(const MatRef& X, const MatRef& Z, const VecRef& y, const VecRef& w,
                             const VecRef& offset, ScaleFamily& family, bool estimate_df, int threads)
    : X_(X), Z_(Z), y_(y), w_(w), off_(offset), family_(family), est_df_(estimate_df) {
  n_ = X.rows();
  p_ = X.cols();
  q_ = Z.cols();
  if (Z.rows() != n_ || y.size() != n_ || w.size() != n_ || offset.size() != n_) {
    throw std::invalid_argument("x, x_sigma, y, weights and offset have different numbers of rows");
  }
  if (estimate_df && !family.has_df()) throw std::invalid_argument("only the Student-t has a df");
  wsum_ = w.sum();
  if (!(wsum_ > 0.0)) throw std::invalid_argument("the weights sum to zero");
  threads_ = threads_for((long)n_, threads);
}

void DistObjective::predictors(const VectorXd& theta, Eigen::Ref<VectorXd> eta, Eigen::Ref<VectorXd> s) const {
  eta.noalias() = X_ * theta.head(p_);
  eta += off_;
  s.noalias() = Z_ * theta.segment(p_, q_);
}

std::string DistObjective::check(const VectorXd& theta) {
  if (!std::isfinite(s_floor_)) return std::string();
  const VectorXd g = theta.segment(p_, q_);
  Index low = 0;
  const Index B = 4096;
  for (Index start = 0; start < n_; start += B) {
    const Index len = std::min(B, n_ - start);
    const VectorXd s = Z_.middleRows(start, len) * g;
    for (Index k = 0; k < len; ++k)
      if (w_[start + k] > 0.0 && s[k] < s_floor_) ++low;
  }
  if (low == 0) return std::string();
  return "the likelihood is unbounded: the fitted scale of " + std::to_string((long long)low) +
         " observation(s) runs to 0 (the mean model fits them exactly); simplify the sigma model";
}

// One pass over blocks of rows: the predictors, the per-row derivatives, and
// their products with the blocks of X and Z while the blocks are in cache.
// theta = (beta [p], gamma [q], l [0 or 1]); H is laid out the same way.
double DistObjective::pass(const VectorXd& theta, VectorXd* grad, MatrixXd* H, bool fisher,
                           const std::vector<RowRun>* runs, double denom) {
  const Index p = p_, q = q_, d = dim();
  if (est_df_) {
    const double nu = std::exp(theta[p + q]);
    if (!(nu > 0.0) || !std::isfinite(nu)) return std::numeric_limits<double>::infinity();
    family_.set_df(nu);
  }
  const VectorXd beta = theta.head(p), gamma = theta.segment(p, q);
  const Index B = std::max<Index>(64, 32768 / std::max<Index>(1, p + q));
  const int T = runs ? 1 : threads_;
  const bool derivs = grad != nullptr;
  std::vector<double> loss(T, 0.0), gl(T, 0.0), hll(T, 0.0);
  std::vector<VectorXd> gb(T, VectorXd::Zero(p)), gg(T, VectorXd::Zero(q)), hlb(T, VectorXd::Zero(p)),
      hlg(T, VectorXd::Zero(q));
  std::vector<MatrixXd> hbb(T, MatrixXd::Zero(H ? p : 0, H ? p : 0)), hgb(T, MatrixXd::Zero(H ? q : 0, H ? p : 0)),
      hgg(T, MatrixXd::Zero(H ? q : 0, H ? q : 0)), scratch(T);
  struct Buf {
    VectorXd eta, s, ae, as, vee, ves, vss, vel, vsl;
  };
  std::vector<Buf> buf(T);
  const ScaleFamily& fam = family_;
  auto body = [&](int t, long start, long len) {
    Buf& b = buf[t];
    b.eta.resize(len);
    b.s.resize(len);
    b.eta.noalias() = X_.middleRows(start, len) * beta;
    b.eta += off_.segment(start, len);
    b.s.noalias() = Z_.middleRows(start, len) * gamma;
    if (derivs) {
      b.ae.setZero(len);
      b.as.setZero(len);
    }
    if (H) {
      b.vee.setZero(len);
      b.ves.setZero(len);
      b.vss.setZero(len);
      b.vel.setZero(len);
      b.vsl.setZero(len);
    }
    double sl = 0.0, sdl = 0.0, sll = 0.0;
    for (Index k = 0; k < len; ++k) {
      const Index i = start + k;
      const double w = w_[i];
      if (w == 0.0) continue;
      const ScaleUnit u = fam.unit(y_[i], b.eta[k], b.s[k], derivs);
      sl += w * u.loss;
      if (!derivs) continue;
      b.ae[k] = w * u.de;
      b.as[k] = w * u.ds;
      sdl += w * u.dl;
      if (H) {
        b.vee[k] = w * (fisher ? u.fee : u.hee);
        b.ves[k] = w * (fisher ? u.fes : u.hes);
        b.vss[k] = w * (fisher ? u.fss : u.hss);
        b.vel[k] = w * (fisher ? u.fel : u.hel);
        b.vsl[k] = w * (fisher ? u.fsl : u.hsl);
        sll += w * (fisher ? u.fll : u.hll);
      }
    }
    loss[t] += sl;
    if (!derivs) return;
    const auto Xb = X_.middleRows(start, len);
    const auto Zb = Z_.middleRows(start, len);
    gb[t].noalias() += Xb.transpose() * b.ae;
    gg[t].noalias() += Zb.transpose() * b.as;
    gl[t] += sdl;
    if (!H) return;
    scratch[t].resize(len, p);
    scratch[t].noalias() = b.vee.asDiagonal() * Xb;
    hbb[t].noalias() += Xb.transpose() * scratch[t];
    scratch[t].noalias() = b.ves.asDiagonal() * Xb;
    hgb[t].noalias() += Zb.transpose() * scratch[t];
    scratch[t].resize(len, q);
    scratch[t].noalias() = b.vss.asDiagonal() * Zb;
    hgg[t].noalias() += Zb.transpose() * scratch[t];
    hlb[t].noalias() += Xb.transpose() * b.vel;
    hlg[t].noalias() += Zb.transpose() * b.vsl;
    hll[t] += sll;
  };
  for_runs_or_blocks(runs, (long)n_, (long)B, T, body);
  if (!(denom > 0.0)) denom = wsum_;
  double total = 0.0;
  for (int t = 0; t < T; ++t) total += loss[t];
  if (grad) {
    grad->resize(d);
    for (int t = 1; t < T; ++t) {
      gb[0] += gb[t];
      gg[0] += gg[t];
      gl[0] += gl[t];
    }
    grad->head(p) = gb[0];
    grad->segment(p, q) = gg[0];
    if (est_df_) (*grad)[p + q] = gl[0];
    *grad /= denom;
  }
  if (H) {
    for (int t = 1; t < T; ++t) {
      hbb[0] += hbb[t];
      hgb[0] += hgb[t];
      hgg[0] += hgg[t];
      hlb[0] += hlb[t];
      hlg[0] += hlg[t];
      hll[0] += hll[t];
    }
    H->setZero(d, d);
    H->topLeftCorner(p, p) = hbb[0];
    H->block(p, 0, q, p) = hgb[0];
    H->block(0, p, p, q) = hgb[0].transpose();
    H->block(p, p, q, q) = hgg[0];
    if (est_df_) {
      H->block(p + q, 0, 1, p) = hlb[0].transpose();
      H->block(0, p + q, p, 1) = hlb[0];
      H->block(p + q, p, 1, q) = hlg[0].transpose();
      H->block(p, p + q, q, 1) = hlg[0];
      (*H)(p + q, p + q) = hll[0];
    }
    *H /= denom;
  }
  return total / denom;
}

}  // namespace gradglm
