#include "chunked_objective.h"

#include <stdexcept>

#include "fit_utils.h"
#include "model_spec.h"
#include "optimizer.h"

namespace gradglm {

double ChunkedObjective::pass(const VectorXd& b, VectorXd* grad, MatrixXd* H, Curv mode) {
  if (b.size() != dim_) throw std::invalid_argument("the coefficients do not match the chunked model");
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
  ++passes_;
  if (grad) *grad /= wsum;
  if (H) *H /= wsum;
  return total / wsum;
}

}  // namespace gradglm

// One pass over a chunked model at theta: its loss (the mean over the rows'
// weights, as for data in memory), gradient and curvature ("observed",
// "fisher" or "none"), the rows' weight and the chunks read.
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
                            Rcpp::Named("chunks") = (double)obj.chunks());
}

// Newton's method over a chunked model: one pass (loss, gradient, curvature)
// per iteration, plus the passes of its step halvings; at the solution one
// more pass gives Fisher's curvature (the observed one where they agree) for
// the covariance. `control` as for data in memory.
// [[Rcpp::export]]
Rcpp::List fit_chunked(Rcpp::Function open_pass, Rcpp::Function next_spec, Rcpp::NumericVector start,
                       Rcpp::List control) {
  const gradglm::Settings s = gradglm::settings_from_control(control);
  const int threads = control.containsElementNamed("threads") ? Rcpp::as<int>(control["threads"]) : 1;
  gradglm::ChunkedObjective obj(open_pass, next_spec, start.size(), threads);
  const Eigen::VectorXd b0 = Rcpp::as<Eigen::VectorXd>(start);
  const gradglm::Result r = gradglm::newton(obj, b0, s);
  Eigen::VectorXd g;
  Eigen::MatrixXd H;
  const double f = obj.fisher_curvature(r.coef, g, H);
  return Rcpp::List::create(
      Rcpp::Named("coefficients") = Rcpp::wrap(r.coef), Rcpp::Named("loss") = f,
      Rcpp::Named("gradient") = Rcpp::wrap(g), Rcpp::Named("curvature") = Rcpp::wrap(H),
      Rcpp::Named("converged") = r.converged, Rcpp::Named("iterations") = r.iter,
      Rcpp::Named("passes") = (double)obj.passes(), Rcpp::Named("weight_sum") = obj.weight_sum(),
      Rcpp::Named("chunks") = (double)obj.chunks(), Rcpp::Named("message") = r.message);
}
