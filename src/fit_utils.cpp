#include "fit_utils.h"

#include <cmath>

#include "parallel.h"

namespace gradglm {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Column j is aliased when the part of it orthogonal to the earlier kept
// columns has a norm below tol times its own norm (glm's sequential rule).
std::vector<bool> aliased_from_qr(const MatrixXd& R, const VectorXd& colnorm, double tol) {
  const Index p = colnorm.size();
  std::vector<bool> aliased(p, false);
  for (Index j = 0; j < p; ++j) {
    aliased[j] = !(std::abs(R(j, j)) > tol * colnorm[j]) || colnorm[j] == 0.0;
  }
  return aliased;
}

// Rank detection for the iterative optimizers. Small problems: a QR of
// sqrt(w) X. Large ones: a QR of a count sketch S sqrt(w) X with m rows,
// built in one column-wise pass over X; S X c = 0 whenever X c = 0, and a
// random sketch keeps independent columns independent.
std::vector<bool> detect_aliased(const MatRef& X, const VecRef& w, double tol, int threads) {
  const Index n = X.rows(), p = X.cols();
  const Index m = std::max<Index>(20000, 4 * p * p);
  MatrixXd A;
  if (n <= m) {
    A = w.cwiseSqrt().asDiagonal() * X;
  } else {
    std::vector<int32_t> bucket(n);
    VectorXd sw(n);
    for (Index i = 0; i < n; ++i) {
      const uint64_t h = splitmix64((uint64_t)i);
      bucket[i] = (int32_t)(h % (uint64_t)m);
      sw[i] = ((h >> 63) ? -1.0 : 1.0) * std::sqrt(w[i]);
    }
    A = MatrixXd::Zero(m, p);
    // columns are independent: one thread per column at a time
    for_blocks((long)p, 1L, threads_for((long)n, threads), [&](int, long j, long) {
      double* a = A.col(j).data();
      const double* x = X.col(j).data();
      for (Index i = 0; i < n; ++i) a[bucket[i]] += sw[i] * x[i];
    });
  }
  const VectorXd colnorm = A.colwise().norm();
  Eigen::HouseholderQR<Eigen::Ref<MatrixXd>> qr(A);
  return aliased_from_qr(qr.matrixQR(), colnorm, tol);
}

MatrixXd select_columns(const MatRef& X, const std::vector<Index>& keep) {
  MatrixXd out(X.rows(), (Index)keep.size());
  for (size_t k = 0; k < keep.size(); ++k) out.col(k) = X.col(keep[k]);
  return out;
}

Settings settings_from_control(const Rcpp::List& control) {
  Settings s;
  s.tol = Rcpp::as<double>(control["tol"]);
  s.max_iter = Rcpp::as<int>(control["max_iter"]);
  s.learning_rate = Rcpp::as<double>(control["learning_rate"]);
  s.decay = Rcpp::as<double>(control["decay"]);
  s.record_trace = Rcpp::as<bool>(control["trace"]);
  s.verbose = Rcpp::as<bool>(control["verbose"]);
  if (control.containsElementNamed("schedule")) s.schedule = static_cast<Schedule>(Rcpp::as<int>(control["schedule"]));
  if (control.containsElementNamed("memory")) s.memory = Rcpp::as<int>(control["memory"]);
  auto num = [&](const char* name, double& out) {
    if (control.containsElementNamed(name)) out = Rcpp::as<double>(control[name]);
  };
  auto whole = [&](const char* name, int& out) {
    if (control.containsElementNamed(name)) out = Rcpp::as<int>(control[name]);
  };
  whole("batch_size", s.batch_size);
  num("momentum", s.momentum);
  if (control.containsElementNamed("nesterov")) s.nesterov = Rcpp::as<bool>(control["nesterov"]);
  num("beta1", s.beta1);
  num("beta2", s.beta2);
  num("epsilon", s.epsilon);
  num("validation", s.validation);
  whole("patience", s.patience);
  return s;
}

Rcpp::DataFrame trace_frame(const std::vector<TraceRow>& tr, bool with_rate, bool validated) {
  const size_t k = tr.size();
  Rcpp::IntegerVector iter(k);
  Rcpp::NumericVector loss(k), gn(k), step(k), time(k), rate(k), val(k);
  auto na = [](double v) { return std::isnan(v) ? NA_REAL : v; };
  for (size_t i = 0; i < k; ++i) {
    iter[i] = tr[i].iter;
    loss[i] = na(tr[i].loss);
    gn[i] = na(tr[i].grad_norm);
    step[i] = na(tr[i].step);
    time[i] = tr[i].time;
    rate[i] = na(tr[i].learning_rate);
    val[i] = na(tr[i].val_loss);
  }
  Rcpp::List cols = Rcpp::List::create(Rcpp::Named("iter") = iter, Rcpp::Named("loss") = loss,
                                       Rcpp::Named("grad_norm") = gn, Rcpp::Named("step") = step,
                                       Rcpp::Named("time") = time);
  if (with_rate) cols["learning_rate"] = rate;
  if (validated) cols["val_loss"] = val;
  return Rcpp::DataFrame(cols);
}

// Symmetric inverse of a positive (semi-)definite matrix; a pseudo-inverse
// through the eigen-decomposition when Cholesky fails.
MatrixXd spd_inverse(const MatrixXd& H) {
  const Index p = H.rows();
  MatrixXd Hs = H.selfadjointView<Eigen::Lower>();
  Eigen::LLT<MatrixXd> llt(Hs);
  if (llt.info() == Eigen::Success) return llt.solve(MatrixXd::Identity(p, p));
  Eigen::SelfAdjointEigenSolver<MatrixXd> es(Hs);
  VectorXd ev = es.eigenvalues();
  const double cut = 1e-14 * std::max(ev.maxCoeff(), 0.0);
  for (Index i = 0; i < p; ++i) ev[i] = ev[i] > cut ? 1.0 / ev[i] : 0.0;
  return es.eigenvectors() * ev.asDiagonal() * es.eigenvectors().transpose();
}

void standardise_columns(const MatRef& X, const VecRef& W, double wsum, Index first, VectorXd& scale,
                         std::vector<InterceptShift>& shifts) {
  const Index k = X.cols(), dim = scale.size();
  VectorXd shift = VectorXd::Zero(dim), mean(k), spread(k);
  Index icpt = -1;
  for (Index j = 0; j < k; ++j) {
    const auto col = X.col(j);
    mean[j] = W.dot(col) / wsum;
    spread[j] = std::sqrt(W.dot((col.array() - mean[j]).square().matrix()) / wsum);
    if (icpt < 0 && spread[j] <= 1e-12 * std::abs(mean[j]) && mean[j] != 0.0) icpt = j;
  }
  for (Index j = 0; j < k; ++j) {
    if (j == icpt) {
      scale[first + j] = 1.0 / mean[j];
    } else if (icpt >= 0) {
      scale[first + j] = spread[j] > 0 ? 1.0 / spread[j] : 1.0;
      shift[first + j] = -mean[j] * scale[first + j] / mean[icpt];
    } else {
      const double rms = std::sqrt(W.dot(X.col(j).cwiseAbs2()) / wsum);
      scale[first + j] = rms > 0 ? 1.0 / rms : 1.0;
    }
  }
  if (icpt >= 0) shifts.push_back(InterceptShift{first + icpt, shift});
}

}  // namespace gradglm
