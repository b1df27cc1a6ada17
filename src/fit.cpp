// The fitting entry point: R hands over plain numbers (X, y, weights, offset,
// family and link codes, optimizer name, control values) and gets back a list.
#include <RcppEigen.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "family.h"
#include "fit_utils.h"
#include "model.h"
#include "objective.h"
#include "optimizer.h"
#include "parallel.h"
#include "progress.h"

// [[Rcpp::depends(RcppEigen)]]

using namespace gradglm;
typedef Eigen::Map<const MatrixXd> MapMat;
typedef Eigen::Map<const VectorXd> MapVec;

namespace {

// A systematic sample of about m rows, used for a cheap first fit: runs of 256
// consecutive rows at evenly spaced places, so that only the sampled part of X
// is read from memory.
struct RowSample {
  MatrixXd X;
  VectorXd y, w, offset;
};

std::unique_ptr<RowSample> sample_rows(const MapMat& X, const MapVec& y, const MapVec& w, const MapVec& off,
                                       Index m) {
  const Index n = X.rows(), p = X.cols(), run = 256;
  const Index runs = std::max<Index>(1, m / run);
  m = runs * run;
  std::vector<Index> rows(m);
  for (Index r = 0; r < runs; ++r) {
    const Index first = (Index)((double)r * (n - run) / std::max<Index>(1, runs - 1));
    for (Index i = 0; i < run; ++i) rows[r * run + i] = std::min(first + i, n - 1);
  }
  std::unique_ptr<RowSample> s(new RowSample);
  s->X.resize(m, p);
  for (Index j = 0; j < p; ++j) {  // column by column: X is column-major
    const double* x = X.col(j).data();
    for (Index i = 0; i < m; ++i) s->X(i, j) = x[rows[i]];
  }
  s->y.resize(m);
  s->w.resize(m);
  s->offset.resize(m);
  for (Index i = 0; i < m; ++i) {
    s->y[i] = y[rows[i]];
    s->w[i] = w[rows[i]];
    s->offset[i] = off[rows[i]];
  }
  return s;
}

// True when every column of the sample keeps a part orthogonal to the earlier
// columns of at least `margin` of its norm. Rows only add information, so the
// full design is then of full rank as well (exact collinearity in X would show
// in any subset of its rows).
bool clearly_full_rank(const RowSample& s, double margin) {
  // Cholesky of the correlation-scaled Gram matrix: L_jj^2 is the share of
  // column j's squared norm left after projecting out the earlier columns
  const Index p = s.X.cols();
  MatrixXd G = MatrixXd::Zero(p, p), scratch;
  const LinearModel sample(s.X, s.offset);
  const Index B = sample.block_rows();
  for (Index start = 0; start < sample.n(); start += B) {
    const Index len = std::min(B, sample.n() - start);
    sample.add_xtwx_block(start, len, s.w.segment(start, len), G, scratch);
  }
  const VectorXd d = G.diagonal().cwiseSqrt();
  if (!(d.minCoeff() > 0.0)) return false;
  const MatrixXd Gs = G.selfadjointView<Eigen::Lower>();
  const MatrixXd C = d.cwiseInverse().asDiagonal() * Gs * d.cwiseInverse().asDiagonal();
  Eigen::LLT<MatrixXd> llt(C);
  if (llt.info() != Eigen::Success) return false;
  const MatrixXd L = llt.matrixL();
  return L.diagonal().minCoeff() > margin;
}

// Closed-form weighted least squares by a streaming Householder QR of
// [sqrt(w) X, sqrt(w) z]: blocks of rows are folded into a (p+1) x (p+1)
// triangle, so X is read once and never copied. Threads fold separate row
// ranges and their triangles are folded together at the end.
class StreamQR {
 public:
  explicit StreamQR(Index p) : p1_(p + 1), R_(MatrixXd::Zero(p + 1, p + 1)), sumsq_(VectorXd::Zero(p + 1)) {}

  void fold(const MapMat& X, const MapVec& w, const MapVec& y, const MapVec& off, Index start, Index len) {
    const Index p = p1_ - 1;
    work_.resize(p1_ + len, p1_);
    work_.topRows(p1_) = R_;
    sw_ = w.segment(start, len).cwiseSqrt();
    for (Index j = 0; j < p; ++j) {
      work_.col(j).tail(len) = sw_.cwiseProduct(X.col(j).segment(start, len));
    }
    work_.col(p).tail(len) = sw_.cwiseProduct(y.segment(start, len) - off.segment(start, len));
    sumsq_ += work_.bottomRows(len).colwise().squaredNorm().transpose();
    triangularise();
  }

  void fold(const StreamQR& other) {
    work_.resize(2 * p1_, p1_);
    work_.topRows(p1_) = R_;
    work_.bottomRows(p1_) = other.R_;
    sumsq_ += other.sumsq_;
    triangularise();
  }

  const MatrixXd& R() const { return R_; }
  VectorXd colnorm() const { return sumsq_.cwiseSqrt(); }

 private:
  void triangularise() {
    Eigen::HouseholderQR<Eigen::Ref<MatrixXd>> qr(work_);
    R_ = qr.matrixQR().topRows(p1_).triangularView<Eigen::Upper>();
  }
  Index p1_;
  MatrixXd R_, work_;
  VectorXd sumsq_, sw_;
};

// Solves for the kept columns from the triangle [R_X, Q^T z] of the full
// design: refactoring the kept columns of the triangle gives the triangle of
// the reduced design (Q is orthogonal), without another pass over X.
void exact_solve(const MatrixXd& Rfull, const std::vector<Index>& keep, VectorXd& beta, MatrixXd& cov) {
  const Index p1 = Rfull.rows(), k = (Index)keep.size();
  MatrixXd A(p1, k + 1);
  for (Index j = 0; j < k; ++j) A.col(j) = Rfull.col(keep[j]);
  A.col(k) = Rfull.col(p1 - 1);
  Eigen::HouseholderQR<Eigen::Ref<MatrixXd>> qr(A);
  const MatrixXd R = qr.matrixQR().topLeftCorner(k, k).triangularView<Eigen::Upper>();
  const VectorXd qtz = qr.matrixQR().col(k).head(k);
  const auto Rt = R.triangularView<Eigen::Upper>();
  beta = Rt.solve(qtz);
  const MatrixXd Rinv = Rt.solve(MatrixXd::Identity(k, k));
  cov = Rinv * Rinv.transpose();
}

// Least squares by the semi-normal equations with iterative refinement: the
// Gram matrix X^T W X in one blocked pass (half the arithmetic of a QR), its
// Cholesky factor, then refinement steps whose residuals are computed from X
// itself. Each step multiplies the error by about cond(X)^2 eps; the test on
// the Cholesky pivots keeps that below about 1e-9, so that a few steps reach
// the accuracy of a QR. Returns false (use the QR) for ill-conditioned or
// rank-deficient designs, or when the refinement does not settle.
bool seminormal_fit(const MapMat& X, const MapVec& W, const MapVec& Y, const MapVec& Off, int threads,
                    VectorXd& beta, MatrixXd& cov) {
  const Index n = X.rows(), p = X.cols();
  const LinearModel model(X, Off);
  const int T = threads_for((long)n, threads);
  std::vector<MatrixXd> G(T, MatrixXd::Zero(p, p)), scratch(T);
  std::vector<VectorXd> rhs(T, VectorXd::Zero(p));
  for_blocks((long)n, (long)model.block_rows(), T, [&](int t, long start, long len) {
    const VectorXd r = W.segment(start, len).cwiseProduct(Y.segment(start, len) - Off.segment(start, len));
    model.add_xt_block(start, len, r, rhs[t]);
    model.add_xtwx_block(start, len, W.segment(start, len), G[t], scratch[t]);
  });
  for (int t = 1; t < T; ++t) {
    G[0] += G[t];
    rhs[0] += rhs[t];
  }
  const MatrixXd Gs = G[0].selfadjointView<Eigen::Lower>();
  const VectorXd dg = Gs.diagonal();
  if (!(dg.minCoeff() > 0.0)) return false;
  const VectorXd D = dg.cwiseSqrt().cwiseInverse();
  const Eigen::LLT<MatrixXd> llt(D.asDiagonal() * Gs * D.asDiagonal());
  if (llt.info() != Eigen::Success) return false;
  const MatrixXd L = llt.matrixL();
  if (!(L.diagonal().cwiseAbs2().minCoeff() > 1e-6)) return false;
  auto solve = [&](const VectorXd& b) -> VectorXd { return D.asDiagonal() * llt.solve(D.asDiagonal() * b); };
  beta = solve(rhs[0]);
  const Family gaussian(1, 1);
  GlmObjective obj(model, Y, W, gaussian, threads);
  VectorXd g;
  bool settled = false;
  for (int it = 0; it < 8 && !settled; ++it) {
    obj.value_grad(beta, g);  // X^T W (X beta + offset - y) / sum(w)
    const VectorXd d = solve(g * obj.weight_sum());
    beta -= d;
    settled = d.cwiseAbs().maxCoeff() <= 4 * std::numeric_limits<double>::epsilon() * beta.cwiseAbs().maxCoeff();
  }
  if (!settled || !beta.allFinite()) return false;
  const MatrixXd Dm = D.asDiagonal();
  cov = Dm * llt.solve(Dm);
  return true;
}

// The closed form by the streaming QR, with glm's sequential rule for aliased
// columns; fills beta and cov for the kept columns and returns the aliased flags.
std::vector<bool> qr_fit(const MapMat& X, const MapVec& W, const MapVec& Y, const MapVec& Off, double rank_tol,
                         int threads, VectorXd& beta, MatrixXd& cov) {
  const Index n = X.rows(), p = X.cols();
  const int T = threads_for((long)n, threads);
  std::vector<StreamQR> parts(T, StreamQR(p));
  const Index B = std::max<Index>(256, 32768 / (p + 1));  // a block stays in L2 cache
  const Index round = B * 64 * T;                         // rows between interrupt checks
  for (Index r0 = 0; r0 < n; r0 += round) {
    const Index rlen = std::min(round, n - r0);
    for_blocks((long)rlen, (long)B, T, [&](int t, long start, long len) {
      parts[t].fold(X, W, Y, Off, r0 + start, len);
    });
    Rcpp::checkUserInterrupt();
  }
  for (int t = 1; t < T; ++t) parts[0].fold(parts[t]);
  const MatrixXd& Rfull = parts[0].R();
  std::vector<bool> aliased = aliased_from_qr(Rfull.topLeftCorner(p, p), parts[0].colnorm().head(p), rank_tol);
  std::vector<Index> kept;
  for (Index j = 0; j < p; ++j)
    if (!aliased[j]) kept.push_back(j);
  exact_solve(Rfull, kept, beta, cov);
  return aliased;
}

}  // namespace

// [[Rcpp::export]]
Rcpp::List fit_engine(const Rcpp::NumericMatrix& x, const Rcpp::NumericVector& y,
                      const Rcpp::NumericVector& weights, const Rcpp::NumericVector& offset,
                      int dist, int link, std::string optimizer, Rcpp::Nullable<Rcpp::NumericVector> start,
                      Rcpp::List control) {
  const Index n = x.nrow(), p = x.ncol();
  if (y.size() != n || weights.size() != n || offset.size() != n) {
    throw std::invalid_argument("x, y, weights and offset must have matching lengths");
  }
  const Family family(dist, link);
  const MapMat X(x.begin(), n, p);
  const MapVec Y(y.begin(), n), W(weights.begin(), n), Off(offset.begin(), n);

  Settings s = settings_from_control(control);
  const bool stochastic = optimizer == "sgd" || optimizer == "adam";
  s.adam = optimizer == "adam";
  Progress progress(s.verbose && optimizer != "exact", s.max_iter, stochastic ? "epoch" : "iteration");
  if (progress.enabled()) s.progress = &progress;
  const double rank_tol = Rcpp::as<double>(control["rank_tol"]);
  const Index subsample_min = Rcpp::as<int>(control["subsample_min"]);
  const int threads = Rcpp::as<int>(control["threads"]);

  // 1. which columns take part
  std::vector<bool> aliased(p, false);
  VectorXd beta_k;
  MatrixXd cov;
  Result res;
  std::unique_ptr<MatrixXd> Xcopy;  // only when columns are dropped
  std::unique_ptr<RowSample> sample;  // rows for a first, cheap Newton fit

  if (optimizer == "exact" && n >= 50000 && n >= 20 * p && seminormal_fit(X, W, Y, Off, threads, beta_k, cov)) {
    std::fill(aliased.begin(), aliased.end(), false);
  } else if (optimizer == "exact") {
    aliased = qr_fit(X, W, Y, Off, rank_tol, threads, beta_k, cov);
  } else {
    // cheap steps first: large Newton fits start from a subsample fit
    const Index m = std::max<Index>(subsample_min / 4, 50 * p);
    if ((optimizer == "newton" || optimizer == "lbfgs") && start.isNull() && n >= subsample_min &&
        4 * m <= n) {
      sample = sample_rows(X, Y, W, Off, m);
      if (!(sample->w.sum() > 0)) sample.reset();
    }
    if (sample && clearly_full_rank(*sample, 1e3 * rank_tol)) {
      std::fill(aliased.begin(), aliased.end(), false);
    } else {
      aliased = detect_aliased(X, W, rank_tol, threads);
    }
  }
  std::vector<Index> keep;
  for (Index j = 0; j < p; ++j)
    if (!aliased[j]) keep.push_back(j);
  const Index k = (Index)keep.size();
  if (!Xcopy && k < p) Xcopy.reset(new MatrixXd(select_columns(X, keep)));
  if (sample && k < p) {
    MatrixXd Xs(sample->X.rows(), k);
    for (Index j = 0; j < k; ++j) Xs.col(j) = sample->X.col(keep[j]);
    sample->X.swap(Xs);
  }
  const MatRef Xk = Xcopy ? MatRef(*Xcopy) : MatRef(X);

  const LinearModel model(Xk, Off);
  GlmObjective obj(model, Y, W, family, threads);
  s.loss_floor = 0.1 / (2.0 * obj.weight_sum());  // glm's |dev - dev_old| / (|dev| + 0.1)

  VectorXd start_k;
  if (start.isNotNull()) {
    Rcpp::NumericVector st(start);
    if (st.size() != p) throw std::invalid_argument("start has the wrong length");
    start_k.resize(k);
    for (Index j = 0; j < k; ++j) start_k[j] = st[keep[j]];
  }
  int extra_iter = 0;
  // (X^T W X)^{-1} in the units of the prior weights, W the Fisher weights at b
  auto fisher_cov = [&](const VectorXd& b) {
    VectorXd g;
    MatrixXd H;
    obj.fisher_curvature(b, g, H);
    return MatrixXd(spd_inverse(H) / obj.weight_sum());
  };
  MatrixXd sub_curvature;  // curvature of a subsample fit, per unit weight

  if (optimizer == "exact") {
    VectorXd g;
    res.coef = beta_k;
    res.loss = obj.value_grad(beta_k, g);
    res.grad_norm = g.norm();
    res.converged = true;
    res.iter = 1;
    res.trace.push_back(TraceRow{1, res.loss, res.grad_norm, NAN, res.seconds()});
  } else if (optimizer == "newton" || optimizer == "lbfgs") {
    if (start_k.size() == 0) {
      // glm's start: one Fisher-scoring step from the family's starting means
      auto start_eta = [&](const VecRef& y, const VecRef& w) {
        VectorXd e(y.size());
        for (Index i = 0; i < y.size(); ++i) e[i] = family.start_eta(y[i], w[i]);
        return e;
      };
      bool have = false;
      if (sample) {
        const LinearModel sub_model(sample->X, sample->offset);
        GlmObjective sub(sub_model, sample->y, sample->w, family, threads);
        VectorXd b0;
        if (sub.scoring_step_from_eta(start_eta(sample->y, sample->w), sample->offset, b0)) {
          Settings ss = s;
          ss.tol = 1e-10;  // its curvature at the subsample optimum preconditions the full fit
          ss.loss_floor = 0.1 / (2.0 * sub.weight_sum());
          ss.record_trace = false;
          ss.verbose = false;
          ss.progress = nullptr;
          Result r0 = newton(sub, b0, ss);
          if (r0.coef.allFinite() && r0.curvature.allFinite() && std::isfinite(obj.value(r0.coef))) {
            start_k = r0.coef;
            sub_curvature = r0.curvature;
            have = true;
          }
        }
        sample.reset();
      }
      if (!have) {
        VectorXd b0;
        if (!obj.scoring_step_from_eta(start_eta(Y, W), Off, b0) || !std::isfinite(obj.value(b0))) {
          throw std::runtime_error(
              "no valid set of coefficients has been found from the default start: please supply 'start'");
        }
        start_k = b0;
        extra_iter = 1;
      }
    }
    if (optimizer == "newton") {
      res = newton(obj, start_k, s, sub_curvature.size() ? &sub_curvature : nullptr);
      // standard errors from the expected information at the solution, as glm
      // reports them: for a canonical link that is Newton's final curvature
      if (family.canonical()) {
        cov = spd_inverse(res.curvature) / obj.weight_sum();
      } else {
        cov = fisher_cov(res.coef);
      }
    } else {
      // L-BFGS on standardised columns; a subsample fit's curvature, in the
      // same coordinates (A^T H A for b = A theta), is its first inverse Hessian
      VectorXd scale(k);
      std::vector<InterceptShift> shifts;
      standardise_columns(Xk, W, obj.weight_sum(), 0, scale, shifts);
      RescaledObjective std_obj(obj, scale, shifts);
      MatrixXd h0;
      if (sub_curvature.size()) {
        MatrixXd A(k, k);
        for (Index j = 0; j < k; ++j) A.col(j) = std_obj.to_beta(VectorXd::Unit(k, j));
        const MatrixXd Hs = sub_curvature.selfadjointView<Eigen::Lower>();
        h0 = A.transpose() * Hs * A;
      }
      res = lbfgs(std_obj, std_obj.to_theta(start_k), s, h0.size() ? &h0 : nullptr);
      res.coef = std_obj.to_beta(res.coef);
      cov = fisher_cov(res.coef);
    }
  } else if (optimizer == "gd" || stochastic) {
    if (start_k.size() == 0) throw std::invalid_argument(optimizer + " needs start");
    const double wsum = obj.weight_sum();
    VectorXd scale(k);
    std::vector<InterceptShift> shifts;
    standardise_columns(Xk, W, wsum, 0, scale, shifts);
    if (stochastic) {
      // minibatch steps are not line-searched: measure the coefficients in
      // units where the loss has about unit curvature per standardised column
      // (1 / sqrt of the mean Fisher weight at the start, over the dispersion
      // for a Gaussian model, whose loss is also divided by its dispersion)
      VectorXd eta(n), ww(n);
      model.eta(start_k, eta);
      obj.working_weights(eta, ww);
      const double phi = family.dist() == Dist::gaussian ? 2.0 * obj.value(start_k) : 1.0;
      const double unit = 1.0 / std::sqrt(ww.sum() / wsum / phi);
      if (std::isfinite(unit) && unit > 0.0 && phi > 0.0) {
        scale *= unit;
        for (InterceptShift& sh : shifts) sh.shift *= unit;
        s.grad_scale = 1.0 / phi;
      }
    }
    RescaledObjective std_obj(obj, scale, shifts);
    res = stochastic ? gradglm::stochastic(std_obj, std_obj.to_theta(start_k), s)
                     : gradient_descent(std_obj, std_obj.to_theta(start_k), s);
    res.coef = std_obj.to_beta(res.coef);
    if (res.coef.allFinite()) cov = fisher_cov(res.coef);
  } else {
    throw std::invalid_argument("unknown optimizer '" + optimizer + "'");
  }

  progress.finish(res.converged);
  // 2. results in the columns of the full design
  Rcpp::NumericVector coef(p, NA_REAL);
  Rcpp::LogicalVector alias(p);
  for (Index j = 0; j < p; ++j) alias[j] = aliased[j];
  for (Index j = 0; j < k; ++j) coef[keep[j]] = res.coef[j];
  // written straight into R's vectors (fresh memory is costly to touch twice);
  // n_boundary counts fitted means numerically at 0 (or 1 for binomial)
  int n_boundary = 0;
  Rcpp::NumericVector eta_r(n), ww_r(n), mu_r(n), mu_eta_r(n);
  {
    Eigen::Map<VectorXd> eta(eta_r.begin(), n), ww(ww_r.begin(), n);
    model.eta(res.coef, eta);
    if (!family.canonical()) obj.working_weights(eta, ww);
    const double eps = 10 * std::numeric_limits<double>::epsilon();
    for (Index i = 0; i < n; ++i) {
      mu_r[i] = family.reported_mu(eta[i]);
      const double d = family.mu_eta(eta[i]);
      // for a canonical link the Fisher weight mu.eta^2 / V(mu) is mu.eta itself
      if (family.canonical()) ww[i] = W[i] * d;
      mu_eta_r[i] = family.report_mu_eta(d);
      if (W[i] > 0.0 && ((family.dist() == Dist::binomial && (mu_r[i] < eps || mu_r[i] > 1.0 - eps)) ||
                         (family.dist() == Dist::poisson && mu_r[i] < eps))) {
        ++n_boundary;
      }
    }
  }

  return Rcpp::List::create(
      Rcpp::Named("coefficients") = coef, Rcpp::Named("aliased") = alias,
      Rcpp::Named("linear.predictors") = eta_r, Rcpp::Named("fitted.values") = mu_r,
      Rcpp::Named("mu.eta") = mu_eta_r, Rcpp::Named("weights") = ww_r,
      Rcpp::Named("deviance") = 2.0 * obj.weight_sum() * res.loss, Rcpp::Named("n_boundary") = n_boundary,
      Rcpp::Named("cov.unscaled") = Rcpp::wrap(cov), Rcpp::Named("loss") = res.loss,
      Rcpp::Named("grad_norm") = res.grad_norm, Rcpp::Named("converged") = res.converged,
      Rcpp::Named("iter") = res.iter + extra_iter, Rcpp::Named("message") = res.message,
      Rcpp::Named("rate_too_large") = res.rate_too_large,
      Rcpp::Named("best_epoch") = res.best_epoch >= 0 ? Rcpp::wrap(res.best_epoch) : R_NilValue,
      Rcpp::Named("trace") = trace_frame(res.trace, stochastic || optimizer == "gd", res.validated));
}

// Per-observation loss, gradient and Fisher weight of a family, with mu and
// mu.eta as stats' family objects report them (clamped), for tests.
// [[Rcpp::export]]
Rcpp::List family_eval(int dist, int link, const Rcpp::NumericVector& y, const Rcpp::NumericVector& eta) {
  const Family family(dist, link);
  const R_xlen_t n = eta.size();
  if (y.size() != n) throw std::invalid_argument("y and eta must have the same length");
  Rcpp::NumericVector loss(n), grad(n), weight(n), mu(n), mu_eta(n);
  for (R_xlen_t i = 0; i < n; ++i) {
    const UnitValues u = family.unit(y[i], eta[i]);
    loss[i] = u.loss;
    grad[i] = u.grad;
    weight[i] = u.weight;
    mu[i] = family.reported_mu(eta[i]);
    mu_eta[i] = family.reported_mu_eta(eta[i]);
  }
  return Rcpp::List::create(Rcpp::Named("loss") = loss, Rcpp::Named("grad") = grad,
                            Rcpp::Named("weight") = weight, Rcpp::Named("mu") = mu,
                            Rcpp::Named("mu_eta") = mu_eta);
}

// One evaluation of the mean loss and its gradient at beta: a single fused
// pass over X. Used by tests (against finite differences) and benchmarks.
// [[Rcpp::export]]
Rcpp::List loss_grad_eval(const Rcpp::NumericMatrix& x, const Rcpp::NumericVector& y,
                          const Rcpp::NumericVector& weights, const Rcpp::NumericVector& offset, int dist,
                          int link, const Rcpp::NumericVector& beta) {
  const Index n = x.nrow(), p = x.ncol();
  if (y.size() != n || weights.size() != n || offset.size() != n || beta.size() != p) {
    throw std::invalid_argument("x, y, weights, offset and beta do not conform");
  }
  const Family family(dist, link);
  const MapMat X(x.begin(), n, p);
  const LinearModel model(X, MapVec(offset.begin(), n));
  GlmObjective obj(model, MapVec(y.begin(), n), MapVec(weights.begin(), n), family);
  VectorXd g;
  const double f = obj.value_grad(MapVec(beta.begin(), p), g);
  return Rcpp::List::create(Rcpp::Named("loss") = f, Rcpp::Named("gradient") = Rcpp::wrap(g));
}

// Index (1-based) of the first column of x whose elements are all 1, or 0.
// [[Rcpp::export]]
int intercept_column(const Rcpp::NumericMatrix& x) {
  const MapMat X(x.begin(), x.nrow(), x.ncol());
  for (Index j = 0; j < X.cols(); ++j) {
    if (X.rows() > 0 && X(0, j) == 1.0 && (X.col(j).array() == 1.0).all()) return (int)j + 1;
  }
  return 0;
}

// max_i |w_i y_i - round(w_i y_i)|: how far the binomial successes are from
// whole numbers (one pass, no temporary vectors)
// [[Rcpp::export]]
double max_nonwhole(const Rcpp::NumericVector& w, const Rcpp::NumericVector& y) {
  double m = 0.0;
  for (R_xlen_t i = 0; i < y.size(); ++i) {
    const double s = w[i] * y[i];
    m = std::max(m, std::abs(s - std::nearbyint(s)));
  }
  return m;
}

// TRUE when no element of x is NA, NaN or infinite: one pass, no copy.
// [[Rcpp::export]]
bool all_finite(const Rcpp::NumericMatrix& x) {
  // x * 0 is 0 for finite x and NaN for NA, NaN or +-Inf; the sum is NaN
  // exactly when some element is not finite (a loop the compiler vectorises)
  // (eight independent sums, so that the additions do not wait on each other)
  const double* p = x.begin();
  const R_xlen_t n = Rf_xlength(x);
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  R_xlen_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) s[k] += p[i + k] * 0.0;
  }
  for (; i < n; ++i) s[0] += p[i] * 0.0;
  double total = 0.0;
  for (int k = 0; k < 8; ++k) total += s[k];
  return total == 0.0;
}
