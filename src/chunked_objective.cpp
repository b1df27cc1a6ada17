#include "chunked_objective.h"

#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "fit_utils.h"
#include "model_spec.h"
#include "optimizer.h"

namespace gradglm {

namespace {

// the rows of positive weight whose fitted mean at eta is numerically at the
// family's boundary (as glm.fit() says "fitted probabilities numerically 0 or
// 1 occurred")
double count_at_boundary(const Family& fam, const double* eta, const double* w, Index n) {
  double count = 0.0;
  if (fam.calls_r()) {
    // a link of one's own: its means a block of rows at a time
    const Index B = 4096;
    std::vector<LinkValues> lv(B);
    for (Index s = 0; s < n; s += B) {
      const Index len = std::min(B, n - s);
      fam.link_block(eta + s, len, lv.data());
      for (Index k = 0; k < len; ++k)
        if (w[s + k] > 0.0 && fam.at_boundary(lv[k].mu)) ++count;
    }
    fam.check_r_calls();
    return count;
  }
  for (Index i = 0; i < n; ++i)
    if (w[i] > 0.0 && fam.at_boundary(fam.reported_mu(eta[i]))) ++count;
  return count;
}

}  // namespace

double ChunkedObjective::pass(const VectorXd& b, VectorXd* grad, MatrixXd* H, Curv mode) {
  open_();
  double total = 0.0, wsum = 0.0;
  Index rows = 0, chunks = 0;
  double n_boundary = 0.0;
  std::vector<double> eta;
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
    // (a GLM whose means have a boundary: the pass writes the chunk's eta)
    const Family* fam = H ? dynamic_cast<const Family*>(m.lik.get()) : nullptr;
    if (fam && !(fam->dist() == Dist::binomial || fam->dist() == Dist::poisson)) fam = nullptr;
    if (fam) {
      eta.resize(m.n);
      obj.write_eta_to(eta.data());
    }
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
    if (fam && obj.eta_written_at(b)) n_boundary += count_at_boundary(*fam, eta.data(), m.weights, m.n);
  }
  if (!(wsum > 0.0)) throw std::invalid_argument("the chunks hold no observation with positive weight");
  rows_ = rows;
  chunks_ = chunks;
  wsum_ = wsum;
  if (H) n_boundary_ = n_boundary;
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
  if (H && r.containsElementNamed("n_boundary")) n_boundary_ = Rcpp::as<double>(r["n_boundary"]);
  return f;
}

// SGD and Adam over the chunks: an epoch visits the chunks in the order
// that `open_epoch()` starts (random where the source allows it) and the rows
// of each chunk in a random order, in minibatches of `batch_size` rows; a
// chunk's last rows share a minibatch with the next chunk's first rows (a
// step from a few leftover rows would be as long as any other, from a much
// noisier gradient). The optimizer works on coefficients standardised by the
// first chunk's columns (`st`, a fixed change of coordinates, as the rows in
// memory give it).
class ChunkMinibatches : public Minibatches {
 public:
  ChunkMinibatches(ChunkedObjective& all, const Standardised& st, double grad_scale, Rcpp::Function open_epoch,
                   Rcpp::Function next, Index batch_size, int threads)
      : all_(all), scaled_(all, st.scale, st.shifts), st_(st), grad_scale_(grad_scale), open_epoch_(open_epoch),
        next_(next), batch_(std::max<Index>(1, batch_size)), threads_(threads) {}
  Index dim() const override { return all_.dim(); }
  double grad_scale() const { return grad_scale_; }
  RescaledObjective& scaled() { return scaled_; }
  double train_loss(const VectorXd& b, VectorXd* grad) override {
    const double f = grad ? scaled_.value_grad(b, *grad) : scaled_.value(b);
    rows_ = all_.rows_read();
    wsum_ = all_.weight_sum();
    return f;
  }
  void epoch(const Step& step) override {
    if (!(wsum_ > 0.0) || rows_ <= 0) throw std::logic_error("an epoch before the first pass");
    open_epoch_();
    // the minibatch being filled: runs of rows of one chunk or, where a
    // chunk's last rows do not fill it, of the next chunks too (each kept
    // until the batch's step)
    std::vector<std::pair<std::shared_ptr<Chunk>, std::vector<RowRun>>> pieces;
    Index rows = 0;
    auto take_step = [&]() {
      const double share = (double)rows / (double)rows_, denom = wsum_ * share;
      const Batch batch = [&](const VectorXd& at, VectorXd* grad) {
        double f = 0.0;
        if (grad) grad->setZero(dim());
        VectorXd g;
        for (auto& piece : pieces) {
          f += piece.first->scaled->batch_value_grad(at, piece.second, denom, grad ? &g : nullptr);
          if (grad) *grad += g;
        }
        return f;
      };
      const bool go_on = step(batch, rows, share);
      pieces.clear();
      rows = 0;
      return go_on;
    };
    for (;;) {
      Rcpp::RObject spec = next_();
      if (spec.isNULL()) break;
      std::shared_ptr<Chunk> chunk(new Chunk(spec, st_, threads_));
      if (chunk->pred->dim() != dim()) throw std::invalid_argument("a chunk's design does not match the model's columns");
      for (const RowRun& run : shuffled_runs(chunk->m.n, dim(), batch_)) {
        if (pieces.empty() || pieces.back().first != chunk) pieces.emplace_back(chunk, std::vector<RowRun>());
        pieces.back().second.push_back(run);
        rows += run.len;
        if (rows >= batch_ && !take_step()) return;
      }
    }
    if (rows > 0) take_step();
  }
  std::string check(const VectorXd& b) override { return scaled_.check(b); }
  double loss(const VectorXd& b, VectorXd& grad) override { return scaled_.value_grad(b, grad); }

 private:
  // a chunk's model and objective, in the optimizer's coordinates
  struct Chunk {
    Rcpp::RObject spec;
    ModelSpec m;
    std::unique_ptr<LinearPredictor> pred;
    std::unique_ptr<MapVec> w;
    std::unique_ptr<ModelObjective> obj;
    std::unique_ptr<RescaledObjective> scaled;
    Chunk(Rcpp::RObject s, const Standardised& st, int threads) : spec(s), m(parse_model_spec(Rcpp::List(s))) {
      pred.reset(new LinearPredictor(m.designs, m.blocks, m.offsets));
      w.reset(new MapVec(m.weights, m.n));
      obj.reset(new ModelObjective(*pred, *m.lik, m.y, *w, threads));
      scaled.reset(new RescaledObjective(*obj, st.scale, st.shifts));
    }
  };
  ChunkedObjective& all_;
  RescaledObjective scaled_;
  const Standardised st_;
  double grad_scale_;
  Rcpp::Function open_epoch_, next_;
  Index batch_;
  int threads_;
  Index rows_ = 0;
  double wsum_ = 0.0;
};

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
                            Rcpp::Named("fisher_differs") = obj.fisher_differs(),
                            Rcpp::Named("n_boundary") = obj.n_boundary());
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
                         const std::string& optimizer, const std::string& cov,
                         gradglm::ChunkMinibatches* chunks = nullptr) {
  gradglm::Settings s = gradglm::settings_from_control(control);
  const Eigen::VectorXd b0 = Rcpp::as<Eigen::VectorXd>(start);
  gradglm::Result r;
  if (gradglm::is_stochastic(optimizer)) {
    if (!chunks) Rcpp::stop(optimizer + " needs the chunks of a source");
    s.adam = optimizer == "adam";
    s.grad_scale = chunks->grad_scale();
    r = gradglm::stochastic(*chunks, chunks->scaled().to_theta(b0), s);
    r.coef = chunks->scaled().to_beta(r.coef);
  } else if (optimizer == "newton") {
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
      Rcpp::Named("message") = r.message, Rcpp::Named("stop") = r.stop, Rcpp::Named("diverged") = r.diverged,
      Rcpp::Named("rate_too_large") = r.rate_too_large, Rcpp::Named("n_boundary") = obj.n_boundary(),
      Rcpp::Named("trace") = gradglm::trace_frame(r.trace, optimizer == "gd" || gradglm::is_stochastic(optimizer), false));
}

}  // namespace

// A fit over a chunked model (see fit_by_passes()). sgd and adam need
// `first`, the model spec of the first chunk (whose columns standardise the
// coefficients), and `open_epoch`, which starts a pass in a random order of
// the chunks.
// [[Rcpp::export]]
Rcpp::List fit_chunked(Rcpp::Function open_pass, Rcpp::Function next_spec, Rcpp::NumericVector start,
                       Rcpp::List control, std::string optimizer = "newton", std::string cov = "fisher",
                       Rcpp::Nullable<Rcpp::List> first = R_NilValue,
                       Rcpp::Nullable<Rcpp::Function> open_epoch = R_NilValue) {
  const int threads = control.containsElementNamed("threads") ? Rcpp::as<int>(control["threads"]) : 1;
  gradglm::ChunkedObjective obj(open_pass, next_spec, start.size(), threads);
  if (!gradglm::is_stochastic(optimizer)) return fit_by_passes(obj, start, control, optimizer, cov);
  if (first.isNull() || open_epoch.isNull()) Rcpp::stop(optimizer + " over chunks needs the first chunk and open_epoch");
  // the standardisation (and units) of the first chunk's columns at the start
  const gradglm::ModelSpec m = gradglm::parse_model_spec(Rcpp::List(first.get()));
  const gradglm::LinearPredictor pred(m.designs, m.blocks, m.offsets);
  if (pred.dim() != start.size()) Rcpp::stop("the first chunk's design does not match the start");
  const gradglm::MapVec w(m.weights, m.n);
  gradglm::ModelObjective obj1(pred, *m.lik, m.y, w, threads);
  const Eigen::VectorXd b0 = Rcpp::as<Eigen::VectorXd>(start);
  double grad_scale = 1.0;
  const Eigen::VectorXd units = gradglm::first_order_units(obj1, b0, grad_scale);
  const gradglm::Standardised st = gradglm::standardise(pred, w, obj1.weight_sum(), units);
  gradglm::ChunkMinibatches chunks(obj, st, grad_scale, Rcpp::Function(open_epoch.get()), next_spec,
                                   Rcpp::as<int>(control["batch_size"]), threads);
  return fit_by_passes(obj, start, control, optimizer, cov, &chunks);
}

// A fit over partitions: pass(theta, curvature) returns the sums of the
// workers' passes (see PartitionedObjective).
// [[Rcpp::export]]
Rcpp::List fit_partitioned(Rcpp::Function pass, Rcpp::NumericVector start, Rcpp::List control,
                           std::string optimizer = "newton", std::string cov = "fisher") {
  gradglm::PartitionedObjective obj(pass, start.size());
  return fit_by_passes(obj, start, control, optimizer, cov);
}
