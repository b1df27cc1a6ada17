#include "chunked_objective.h"

#include <stdexcept>

#include "fit_utils.h"
#include "model_spec.h"
#include "optimizer.h"

namespace gradglm {

double ChunkedObjective::pass(const VectorXd& b, VectorXd* grad, MatrixXd* H, Curv mode) {
  open_();
  double total = 0.0, wsum = 0.0;
  Index rows = 0, chunks = 0;
  if (grad) grad->setZero(dim_);
  if (H) H->setZero(dim_, dim_);
  VectorXd g;
  MatrixXd Hk;
  for (;;) {
    Rcpp::RObject spec = next_();
    if (spec.isNULL()) break;
    const ModelSpec m = parse_model_spec(Rcpp::List(spec));
    const LinearPredictor pred(m.designs, m.blocks, m.offsets);
    if (pred.dim() != dim_) throw std::invalid_argument("a chunk's design does not match the model's columns");
    const MapVec w(m.weights, m.n);
    ModelObjective obj(pred, *m.lik, m.y, w, threads_);
    fisher_differs_ = !m.lik->canonical() && m.lik->has_fisher();
    const double wk = obj.weight_sum();
    rows += m.n;
    ++chunks;
    if (!(wk > 0.0)) continue;
    double f;
    if (H) {
      f = mode == Curv::fisher ? obj.fisher_curvature(b, g, Hk) : obj.value_grad_curv(b, g, Hk);
      *H += wk * Hk;
    } else if (grad) {
      f = obj.value_grad(b, g);
    } else {
      f = obj.value(b);
    }
    if (grad) *grad += wk * g;
    total += wk * f;
    wsum += wk;
  }
  if (!(wsum > 0.0)) throw std::invalid_argument("the chunks hold no observation with positive weight");
  rows_ = rows;
  chunks_ = chunks;
  wsum_ = wsum;
  if (grad) *grad /= wsum;
  if (H) *H /= wsum;
  return total / wsum;
}

double PartitionedObjective::pass(const VectorXd& b, VectorXd* grad, MatrixXd* H, Curv mode) {
  const char* name = H ? (mode == Curv::fisher ? "fisher" : "observed") : (grad ? "gradient" : "none");
  const Rcpp::List r = pass_(Rcpp::wrap(b), std::string(name));
  const double f = Rcpp::as<double>(r["value"]);
  if (grad) *grad = Rcpp::as<VectorXd>(r["gradient"]);
  if (H) *H = Rcpp::as<MatrixXd>(r["hessian"]);
  if ((grad && grad->size() != dim_) || (H && H->rows() != dim_)) {
    throw std::invalid_argument("a partition's pass does not match the model's coefficients");
  }
  wsum_ = Rcpp::as<double>(r["weight_sum"]);
  rows_ = (Index)Rcpp::as<double>(r["rows"]);
  chunks_ = (Index)Rcpp::as<double>(r["chunks"]);
  fisher_differs_ = Rcpp::as<bool>(r["fisher_differs"]);
  return f;
}

}  // namespace gradglm

// One pass over a chunked model at theta: its loss (the mean over the rows'
// weights, as for data in memory), gradient and curvature ("observed",
// "fisher" or "none"), the rows' weight, the rows and chunks read, and whether
// Fisher's curvature differs from the observed one.
// [[Rcpp::export]]
Rcpp::List chunked_pass(Rcpp::Function open_pass, Rcpp::Function next_spec, Rcpp::NumericVector theta, std::string curvature,
                        int threads) {
  const Eigen::Map<const Eigen::VectorXd> b(theta.begin(), theta.size());
  gradglm::ChunkedObjective obj(open_pass, next_spec, theta.size(), threads);
  Eigen::VectorXd g;
  Eigen::MatrixXd H;
  const double f = gradglm::eval_by_name(obj, b, curvature, g, H);
  return Rcpp::List::create(Rcpp::Named("value") = f, Rcpp::Named("gradient") = Rcpp::wrap(g),
                            Rcpp::Named("hessian") = Rcpp::wrap(H), Rcpp::Named("weight_sum") = obj.weight_sum(),
                            Rcpp::Named("rows") = (double)obj.rows_read(), Rcpp::Named("chunks") = (double)obj.chunks(),
                            Rcpp::Named("fisher_differs") = obj.fisher_differs());
}

namespace {

// A fit by passes: "newton" (one pass per iteration: the full step's loss,
// gradient and curvature together), "lbfgs" or "gd" (one pass per loss and
// gradient). `cov` names the curvature of the covariance at the solution:
// "fisher" (glm's expected information), "observed" (falling back to
// Fisher's where the observed one is not positive definite) or "none";
// Newton's own curvature is reused where it is that one, else one more pass
// computes it. `control` as for data in memory.
Rcpp::List fit_by_passes(gradglm::PassObjective& obj, Rcpp::NumericVector start, Rcpp::List control,
                         const std::string& optimizer, const std::string& cov) {
  const gradglm::Settings s = gradglm::settings_from_control(control);
  const Eigen::VectorXd b0 = Rcpp::as<Eigen::VectorXd>(start);
  gradglm::Result r;
  if (optimizer == "newton") {
    r = gradglm::newton(obj, b0, s);
  } else if (optimizer == "lbfgs") {
    r = gradglm::lbfgs(obj, b0, s);
  } else if (optimizer == "gd") {
    r = gradglm::gradient_descent(obj, b0, s);
  } else {
    Rcpp::stop("unknown optimizer for a model fitted by passes: " + optimizer);
  }
  Eigen::VectorXd g;
  Eigen::MatrixXd H;
  double f = r.loss;
  std::string kind = cov == "fisher" ? "expected" : "observed";
  const bool newton_has_it = optimizer == "newton" && r.curvature.rows() == b0.size() &&
                             (cov == "observed" || !obj.fisher_differs());
  if (cov == "none") {
    kind = "none";
  } else if (r.coef.allFinite()) {
    if (newton_has_it) {
      H = r.curvature.selfadjointView<Eigen::Lower>();
      g = r.gradient;
    } else if (cov == "fisher") {
      f = obj.fisher_curvature(r.coef, g, H);
    } else {
      f = obj.value_grad_curv(r.coef, g, H);
    }
    if (cov == "observed" && Eigen::LLT<Eigen::MatrixXd>(H).info() != Eigen::Success) {
      f = obj.fisher_curvature(r.coef, g, H);
      kind = "expected";
    }
  }
  return Rcpp::List::create(
      Rcpp::Named("coefficients") = Rcpp::wrap(r.coef), Rcpp::Named("loss") = f,
      Rcpp::Named("gradient") = Rcpp::wrap(g), Rcpp::Named("curvature") = Rcpp::wrap(H),
      Rcpp::Named("cov_kind") = kind, Rcpp::Named("converged") = r.converged,
      Rcpp::Named("iterations") = r.iter, Rcpp::Named("passes") = (double)obj.passes(),
      Rcpp::Named("weight_sum") = obj.weight_sum(), Rcpp::Named("chunks") = (double)obj.chunks(),
      Rcpp::Named("message") = r.message, Rcpp::Named("diverged") = r.diverged,
      Rcpp::Named("trace") = gradglm::trace_frame(r.trace, optimizer == "gd", false));
}

}  // namespace

// A fit over a chunked model (see fit_by_passes()).
// [[Rcpp::export]]
Rcpp::List fit_chunked(Rcpp::Function open_pass, Rcpp::Function next_spec, Rcpp::NumericVector start,
                       Rcpp::List control, std::string optimizer = "newton", std::string cov = "fisher") {
  const int threads = control.containsElementNamed("threads") ? Rcpp::as<int>(control["threads"]) : 1;
  gradglm::ChunkedObjective obj(open_pass, next_spec, start.size(), threads);
  return fit_by_passes(obj, start, control, optimizer, cov);
}

// A fit over partitions: pass(theta, curvature) returns the sums of the
// workers' passes (see PartitionedObjective).
// [[Rcpp::export]]
Rcpp::List fit_partitioned(Rcpp::Function pass, Rcpp::NumericVector start, Rcpp::List control,
                           std::string optimizer = "newton", std::string cov = "fisher") {
  gradglm::PartitionedObjective obj(pass, start.size());
  return fit_by_passes(obj, start, control, optimizer, cov);
}
