#include "fit_utils.h"

#include <cmath>


namespace gradglm {

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

void standardise_columns(const Design& X, const VecRef& W, double wsum, Index first, VectorXd& scale,
                         std::vector<InterceptShift>& shifts) {
  const Index k = X.cols(), dim = scale.size(), n = X.rows();
  VectorXd shift = VectorXd::Zero(dim), mean(k), spread(k), rms(k);
  Index icpt = -1;
  for (Index j = 0; j < k; ++j) {
    if (X.is_ones(j)) {
      mean[j] = 1.0;
      spread[j] = 0.0;
      rms[j] = 1.0;
    } else {
      const Eigen::Map<const VectorXd> col(X.col(j), n);
      mean[j] = W.dot(col) / wsum;
      spread[j] = std::sqrt(W.dot((col.array() - mean[j]).square().matrix()) / wsum);
      rms[j] = std::sqrt(W.dot(col.cwiseAbs2()) / wsum);
    }
    if (icpt < 0 && spread[j] <= 1e-12 * std::abs(mean[j]) && mean[j] != 0.0) icpt = j;
  }
  for (Index j = 0; j < k; ++j) {
    if (j == icpt) {
      scale[first + j] = 1.0 / mean[j];
    } else if (icpt >= 0) {
      scale[first + j] = spread[j] > 0 ? 1.0 / spread[j] : 1.0;
      shift[first + j] = -mean[j] * scale[first + j] / mean[icpt];
    } else {
      scale[first + j] = rms[j] > 0 ? 1.0 / rms[j] : 1.0;
    }
  }
  if (icpt >= 0) shifts.push_back(InterceptShift{first + icpt, shift});
}

}  // namespace gradglm
