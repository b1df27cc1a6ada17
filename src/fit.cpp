// The fitting entry point. R hands over a model specification of plain
// numbers (designs, blocks, response, weights, offsets, the likelihood's
// codes, the optimizer's name, a start and control values) and gets back a
// list of plain vectors. One path serves every likelihood: rank detection
// per design, the linear predictor and the objective, a start, the
// optimizer (or the closed form, or the Laplace finish), the covariance.
#include "eigen.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "deferred.h"
#include "exact_qr.h"
#include "family.h"
#include "fit_utils.h"
#include "huge_pages.h"
#include "laplace.h"
#include "location_scale.h"
#include "mlp_predictor.h"
#include "model_spec.h"
#include "network_objective.h"
#include "objective.h"
#include "optimizer.h"
#include "parallel.h"
#include "penalty.h"
#include "profile.h"
#include "progress.h"
#include "rank.h"


using namespace gradglm;

namespace {

// A systematic sample of about m rows of a one-design model, used for a cheap
// first fit: runs of 256 consecutive rows at evenly spaced places, so that
// only the sampled part of X is read from memory. The passes read the runs
// where they lie (no copy of the rows).
struct RowSample {
  std::vector<RowRun> runs;
  double wsum = 0.0;  // the prior weight of the sampled rows
};

std::unique_ptr<RowSample> sample_rows(Index n, const VecRef& w, Index m) {
  const Index run = std::min<Index>(256, n);
  const Index runs = std::max<Index>(1, m / run);
  std::unique_ptr<RowSample> s(new RowSample);
  s->runs.resize(runs);
  for (Index r = 0; r < runs; ++r) {
    // (each run lies inside [0, n))
    s->runs[r].start = (Index)((double)r * (n - run) / std::max<Index>(1, runs - 1));
    s->runs[r].len = run;
    s->wsum += w.segment(s->runs[r].start, run).sum();
  }
  return s;
}

// glm's start: one Fisher-scoring step from the linear predictor eta0 (the
// family's starting means), which need not be of the form X beta:
//   (X' W X) beta = X' W z,   z = eta0 - offset - l'(eta0) / l''(eta0).
// Over the rows of `runs` when given (a row sample, read where it lies), else
// over all rows. Returns false when the weighted least-squares problem is
// singular.
// The rows of a pass (all n, or those of runs), the rows its buffers hold at
// a time (a block of the predictor's, or the longest run) and its threads.
struct PassShape {
  Index rows, block;
  int threads;
};
PassShape pass_shape(const LinearPredictor& pred, const std::vector<RowRun>* runs, int threads) {
  PassShape s{pred.n(), pred.block_rows(), 1};
  if (runs) {
    s.rows = 0;
    for (const RowRun& r : *runs) {
      s.block = std::max(s.block, r.len);
      s.rows += r.len;
    }
  }
  s.threads = std::min<int>(threads_for((long)s.rows, threads), runs ? (int)runs->size() : threads);
  return s;
}

bool scoring_start(const LinearPredictor& pred, const Family& fam, const Response& y, const VecRef& w,
                   int threads, VectorXd& beta, MatrixXd* gram = nullptr, const std::vector<RowRun>* runs = nullptr) {
  const Index n = pred.n(), p = pred.dim();
  const PassShape ps = pass_shape(pred, runs, threads);
  const Index B = ps.block;
  const double* off = pred.offset(0);
  const int T = ps.threads;
  std::vector<VectorXd> rhs(T, VectorXd::Zero(p)), r(T, VectorXd(B)), ww(T, VectorXd(B));
  std::vector<MatrixXd> h(T, MatrixXd::Zero(p, p));
  std::vector<LinearPredictor::Work> work(T);
  const std::vector<std::pair<int, int>> pairs(1, std::make_pair(0, 0));
  std::vector<std::vector<double>> e0(T, std::vector<double>(B)), yb(T, std::vector<double>(y.y ? 0 : B));
  std::vector<std::vector<UnitValues>> us(T, std::vector<UnitValues>(B));
  auto block = [&](int t, long start, long len) {
    const double* yy = y.rows(start, len, yb[t].data());
    fam.start_eta_block(yy, w.data() + start, len, e0[t].data());
    fam.unit_block(yy, e0[t].data(), len, us[t].data());
    for (Index k = 0; k < len; ++k) {
      const Index i = start + k;
      if (w[i] == 0.0) {
        r[t][k] = ww[t][k] = 0.0;
        continue;
      }
      const double eta0 = e0[t][k];
      const UnitValues& u = us[t][k];
      ww[t][k] = w[i] * u.weight;
      // W z = W (eta0 - offset) - w l'(eta0)
      r[t][k] = ww[t][k] * (eta0 - (off ? off[i] : 0.0)) - w[i] * u.grad;
    }
    pred.load(start, len, work[t]);
    pred.add_grad(r[t].data(), work[t], rhs[t]);
    pred.add_curv(ww[t].data(), pairs, work[t], h[t]);
  };
  // (a wide design's Gram matrix in rounds of rows, R's interrupt looked at between them)
  if (!runs && !fam.calls_r()) {
    for_blocks_checked((long)n, (long)B, T, (double)p * (double)p, [] { Rcpp::checkUserInterrupt(); }, block);
  } else {
    for_runs_or_blocks(runs, (long)n, (long)B, T, block);
  }
  fam.check_r_calls();
  for (int t = 1; t < T; ++t) {
    rhs[0] += rhs[t];
    h[0] += h[t];
  }
  if (gram) *gram = h[0];  // (its lower triangle)
  Rcpp::checkUserInterrupt();
  Eigen::LDLT<MatrixXd> ldlt(h[0].selfadjointView<Eigen::Lower>());
  if (ldlt.info() != Eigen::Success) return false;
  beta = ldlt.solve(rhs[0]);
  return beta.allFinite();
}

// X' W X (its lower triangle) over the rows of runs, W their prior weights
MatrixXd runs_gram(const LinearPredictor& pred, const VecRef& w, const std::vector<RowRun>& runs, int threads) {
  const Index p = pred.dim();
  const PassShape ps = pass_shape(pred, &runs, threads);
  const Index B = ps.block;
  const int T = ps.threads;
  std::vector<MatrixXd> h(T, MatrixXd::Zero(p, p));
  std::vector<LinearPredictor::Work> work(T);
  const std::vector<std::pair<int, int>> pairs(1, std::make_pair(0, 0));
  for_runs_or_blocks(&runs, (long)pred.n(), (long)B, T, [&](int t, long start, long len) {
    pred.load(start, len, work[t]);
    pred.add_curv(w.data() + start, pairs, work[t], h[t]);
  });
  for (int t = 1; t < T; ++t) h[0] += h[t];
  return h[0];
}

// A network's inputs: the columns `input_columns` (0-based) of the design `inputs`
Design network_inputs(const Rcpp::List& net, Index n) {
  const Design all = read_design(net["inputs"], n);
  const Rcpp::IntegerVector cols = net["input_columns"];
  std::vector<Index> keep;
  for (int j : cols) {
    if (j < 0 || j >= all.cols()) throw std::invalid_argument("an input column does not exist");
    keep.push_back(j);
  }
  return all.select(keep);
}

// the network of a specification: list(units, activation, connected, bias)
MlpPredictor network_predictor(const Rcpp::List& net, const Design& X, const VectorXd& center,
                               const VectorXd& scale, const std::vector<const double*>& offsets) {
  const Rcpp::LogicalVector connected = net["connected"], bias = net["bias"];
  std::vector<MlpOutput> outputs;
  for (R_xlen_t k = 0; k < connected.size(); ++k) outputs.push_back(MlpOutput{connected[k] != 0, bias[k] != 0});
  return MlpPredictor(X, center, scale, Rcpp::as<std::vector<int>>(net["units"]),
                      (Activation)Rcpp::as<int>(net["activation"]), outputs, offsets);
}

// the weight decay of each parameter: `decay` for the weights (and, with
// decay_biases, the biases too), 0 elsewhere
VectorXd network_decays(const Rcpp::List& net, const MlpPredictor& pred) {
  const std::vector<bool> is_weight = pred.weight_mask();
  const double decay = Rcpp::as<double>(net["decay"]);
  const bool all = net.containsElementNamed("decay_biases") && Rcpp::as<bool>(net["decay_biases"]);
  VectorXd d(pred.dim());
  for (Index j = 0; j < pred.dim(); ++j) d[j] = all || is_weight[j] ? decay : 0.0;
  return d;
}

// weighted mean and standard deviation of value(i) over the rows i < n of
// positive weight where it is finite, and the largest |value| among them; the
// squares are those of the deviations divided by the largest deviation, so
// that a spread of 1e-170 or 1e160 is measured without underflow or overflow.
// All three are 0 when no row counts.
struct Moments {
  double mean = 0.0, sd = 0.0, largest = 0.0;
};
template <class Value>
Moments weighted_moments(Index n, const VecRef& w, Value value) {
  Moments out;
  double ws = 0.0, m = 0.0, big = 0.0, v = 0.0;
  for (Index i = 0; i < n; ++i) {
    const double r = value(i);
    if (w[i] > 0.0 && std::isfinite(r)) {
      ws += w[i];
      m += w[i] * r;
      out.largest = std::max(out.largest, std::abs(r));
    }
  }
  if (!(ws > 0.0)) return out;
  out.mean = m / ws;
  for (Index i = 0; i < n; ++i) {
    const double r = value(i);
    if (w[i] > 0.0 && std::isfinite(r)) big = std::max(big, std::abs(r - out.mean));
  }
  if (!(big > 0.0) || !std::isfinite(big)) return out;
  for (Index i = 0; i < n; ++i) {
    const double r = value(i);
    if (w[i] > 0.0 && std::isfinite(r)) {
      const double d = (r - out.mean) / big;
      v += w[i] * d * d;
    }
  }
  out.sd = big * std::sqrt(v / ws);
  return out;
}

// weighted mean and standard deviation of each input column over the rows
// of positive weight. A column whose spread is within rounding of its size
// (sd at most 1e-12 times its largest |value|, or not finite) is constant:
// it gets scale 1 and counts in `constant`. The rule is relative, so that a
// column measured in units of 1e-150 is standardised, not taken as constant.
void input_moments(const Design& X, const VecRef& w, VectorXd& center, VectorXd& scale, int& constant) {
  const Index n = X.rows(), p = X.cols();
  center.resize(p);
  scale.resize(p);
  constant = 0;
  for (Index j = 0; j < p; ++j) {
    const Moments mo = weighted_moments(n, w, [&](Index i) { return X.value(i, j); });
    center[j] = mo.mean;
    const bool varies = std::isfinite(mo.sd) && mo.sd > 1e-12 * mo.largest;
    scale[j] = varies ? mo.sd : 1.0;
    if (!varies) ++constant;
  }
}

// weighted standard deviation of the response's first column less the
// offset over the rows of positive weight where it is finite (an integer
// NA is not); 1 when it is 0, not finite or there are no such rows. A
// spread whose squares underflow (sd below sqrt(DBL_MIN), 1.5e-154) is an
// error: the Gaussian loss, and the dispersion its units are measured in,
// would be 0 or subnormal.
double response_sd(const Response& y, const VecRef& w, const double* offset) {
  const Moments mo = weighted_moments(y.n, w, [&](Index i) {
    if (!y.y && y.yi[i] == NA_INTEGER) return (double)NAN;
    return y.at(i, 0) - (offset ? offset[i] : 0.0);
  });
  const double sd = mo.sd;
  if (!std::isfinite(sd) || !(sd > 0.0)) return 1.0;
  if (sd < std::sqrt(std::numeric_limits<double>::min())) {
    char buf[240];
    std::snprintf(buf, sizeof buf,
                  "the response (less its offset) has a standard deviation of %.3g: the squares of its "
                  "deviations underflow a double; rescale it first (multiply by a power of 10)", sd);
    throw std::invalid_argument(buf);
  }
  return sd;
}

// A network to train or evaluate on the rows of a specification: its inputs,
// their weighted moments (the standardisation), the predictor with its
// dropout and output scales, and the weight decay of each parameter. The
// output scales are `output_scale` if given (a fitted network's), else, for
// training with `scale_output`, the first output's is the response's
// standard deviation (less its offset: what that output fits; the others 1).
// Weights given and returned are those of eta itself (raw); the predictor's
// theta is in the output scales' units (raw = units .* theta), and the decay
// is scaled to match, so that the objective as a function of the raw weights
// does not depend on the scales.
struct NetworkParts {
  Design X;
  VectorXd center, scale, decays, units;
  int constant_inputs = 0;
  std::unique_ptr<MlpPredictor> pred;
  NetworkParts(const Rcpp::List& net, Index n, const VecRef& w, const std::vector<const double*>& offsets,
               const Response* y = nullptr)
      : X(network_inputs(net, n)) {
    input_moments(X, w, center, scale, constant_inputs);
    pred.reset(new MlpPredictor(network_predictor(net, X, center, scale, offsets)));
    pred->set_dropout(Rcpp::as<double>(net["dropout"]));
    if (net.containsElementNamed("output_scale") && !Rf_isNull(net["output_scale"])) {
      pred->set_output_scale(Rcpp::as<VectorXd>(net["output_scale"]));
    } else if (y && y->m == 1 && net.containsElementNamed("scale_output") && Rcpp::as<bool>(net["scale_output"])) {
      VectorXd s = VectorXd::Ones(pred->k());
      s[0] = response_sd(*y, w, offsets.empty() ? nullptr : offsets[0]);
      pred->set_output_scale(s);
    }
    units = pred->param_scale();
    decays = network_decays(net, *pred).cwiseProduct(units.cwiseAbs2());
  }
  VectorXd to_units(const VectorXd& raw) const { return raw.cwiseQuotient(units); }
  VectorXd to_raw(const VectorXd& theta) const { return theta.cwiseProduct(units); }
  // a start in the optimizer's units: raw weights, or (`drawn`) initial
  // weights whose output-layer weights were drawn in the units already
  // (their biases raw, as the model without inputs gives them)
  VectorXd start_units(const VectorXd& start, bool drawn) const {
    VectorXd th = to_units(start);
    if (drawn) {
      const std::pair<Index, Index> ow = pred->output_weights();
      th.segment(ow.first, ow.second - ow.first) = start.segment(ow.first, ow.second - ow.first);
    }
    return th;
  }
};

// The fit of one model specification, phase by phase.
class FitDriver {
 public:
  FitDriver(const Rcpp::List& spec)
      : m_(parse_model_spec(spec)),
        optimizer_(Rcpp::as<std::string>(spec["optimizer"])),
        W_(m_.weights, m_.n) {
    const Rcpp::List control = spec["control"];
    glm_ = dynamic_cast<Family*>(m_.lik.get());
    ls_ = dynamic_cast<const LocationScale*>(m_.lik.get());
    const ProductLikelihood* product = dynamic_cast<const ProductLikelihood*>(m_.lik.get());
    // several responses of a GLM family (a product of them) are GLMs as well
    glm_like_ = glm_ ? glm_ : product ? dynamic_cast<const Family*>(&product->base()) : nullptr;
    laplace_ = ls_ && ls_->dist() == ScaleDist::laplace;
    s_ = settings_from_control(control);
    s_.final_step = glm_ == nullptr;
    s_.fuse_full_step = glm_like_ != nullptr && glm_like_->canonical();
    stochastic_ = is_stochastic(optimizer_);
    exact_ = optimizer_ == "exact";
    progress_.reset(new Progress(s_.verbose && !exact_, s_.max_iter, stochastic_ ? "epoch" : "iteration"));
    if (progress_->enabled()) s_.progress = progress_.get();
    rank_tol_ = Rcpp::as<double>(control["rank_tol"]);
    subsample_min_ = control.containsElementNamed("subsample_min") ? (Index)Rcpp::as<int>(control["subsample_min"])
                                                                   : std::numeric_limits<int>::max();
    newton_finish_ = control.containsElementNamed("newton_finish") && Rcpp::as<bool>(control["newton_finish"]);
    threads_ = m_.lik->calls_r() ? 1 : Rcpp::as<int>(control["threads"]);
    if (spec.containsElementNamed("penalty") && !Rf_isNull(spec["penalty"])) read_penalty(spec["penalty"]);
    have_start_ = !Rf_isNull(spec["start"]);
    // (R's starts want the coefficients alone: no n-vectors of outputs)
    coef_only_ = spec.containsElementNamed("coefficients_only") && Rcpp::as<bool>(spec["coefficients_only"]);
    if (have_start_) start_full_ = Rcpp::as<Rcpp::NumericVector>(spec["start"]);
    if (spec.containsElementNamed("network") && !Rf_isNull(spec["network"])) network_ = spec["network"];
    // the ranges of the designs' columns, for R's checks of them after the fit
    if (spec.containsElementNamed("check_columns") && Rcpp::as<bool>(spec["check_columns"])) {
      if (network_.size() || penalised_) throw std::invalid_argument("check_columns is for a fit of a linear model");
      scan_.reset(new ColumnScan(m_.designs));
    }
  }

  Rcpp::List run() {
    if (network_.size()) return run_network();
    if (penalised_) return run_penalised();
    PhaseTimer all("fit");
    {
      PhaseTimer t("columns (rank checks; the closed form)");
      columns();
    }
    {
      PhaseTimer t("build");
      build();
    }
    // the passes write the predictors straight into the vector R gets
    if (!coef_only_) {
      PhaseTimer t("predictors: allocated");
      eta_r_ = Rcpp::NumericMatrix(huge_double_matrix(m_.n, m_.lik->k()));
      obj_->write_eta_to(eta_r_.begin());
    }
    if (exact_) {
      exact_result();
    } else {
      {
        PhaseTimer t("start");
        starting_values();
      }
      PhaseTimer t("optimizer");
      iterate();
    }
    progress_->finish(res_.converged);
    {
      PhaseTimer t("covariance");
      covariance();
    }
    if (scan_ && !scan_->done()) scan_->run(m_.n, threads_);  // (no pass over all rows read them)
    PhaseTimer t("outputs");
    Rcpp::List out = results();
    if (scan_) {
      Rcpp::NumericMatrix rng(2, (int)(scan_->ranges().size() / 2));
      std::copy(scan_->ranges().begin(), scan_->ranges().end(), rng.begin());
      out["column_ranges"] = rng;
    }
    return out;
  }

 private:
  ModelSpec m_;
  std::string optimizer_;
  MapVec W_;
  std::unique_ptr<Progress> progress_;
  Family* glm_ = nullptr;
  const Family* glm_like_ = nullptr;
  const LocationScale* ls_ = nullptr;
  bool laplace_ = false, stochastic_ = false, exact_ = false, have_start_ = false, coef_only_ = false;
  Settings s_;
  double rank_tol_ = 1e-7;
  Index subsample_min_ = 0;
  int threads_ = 1;
  Rcpp::NumericVector start_full_;
  // phase results
  std::vector<std::vector<bool>> aliased_;
  std::vector<std::vector<Index>> keep_;
  std::vector<Design> kept_designs_;
  std::unique_ptr<RowSample> sample_;  // rows for a first, cheap Newton fit
  MatrixXd B_exact_, cov_, sub_curvature_;
  std::unique_ptr<LinearPredictor> pred_, full_pred_;
  std::unique_ptr<ModelObjective> obj_;
  std::vector<Index> kept_pos_;  // positions of the kept coefficients in the full layout
  Rcpp::NumericMatrix eta_r_{0, 0};  // the fit's predictors (n x K), written by its passes
  VectorXd theta0_;
  VectorXd step_;  // remaining_step()
  bool newton_finish_ = false;  // remaining_step() takes the step (see there)
  Result res_;
  int extra_iter_ = 0;
  double loss_ = NAN;
  std::string cov_kind_ = "expected";
  bool penalised_ = false, saturated_ = false;
  bool start_from_sample_ = false;  // theta0_ is a row sample's fit
  bool rank_deferred_ = false;       // columns() left the rank check to the start
  // 1-based positions of coefficients along which the likelihood is flat
  // (a symmetric multinomial's intercepts): fixed to sum to zero
  std::vector<int> gauge_, gauge_group_;
  PenaltySpec pen_;
  std::vector<int> support_;
  Rcpp::List network_;
  // the designs' columns read by the first pass over all rows (R checks their ranges)
  std::unique_ptr<ColumnScan> scan_;

  // A network (model = mlp()): the inputs' design, the network predictor of
  // the likelihood's K predictors, its objective with weight decay, and a
  // first-order optimizer from R's start (the initial weights).
  Rcpp::List run_network() {
    if (!is_first_order(optimizer_)) throw std::invalid_argument("a network is trained by a first-order optimizer");
    if (!have_start_) throw std::invalid_argument("a network needs its initial weights");
    const Rcpp::List& net = network_;
    const NetworkParts nw(net, m_.n, W_, m_.offsets, &m_.y);
    const MlpPredictor& pred = *nw.pred;
    if (start_full_.size() != pred.dim()) throw std::invalid_argument("the initial weights have the wrong length");
    NetworkObjective obj(pred, *m_.lik, m_.y, W_, nw.decays, threads_, (std::uint64_t)Rcpp::as<double>(net["seed"]));
    s_.keep_start_if_worse = true;
    const bool drawn = net.containsElementNamed("start_drawn") && Rcpp::as<bool>(net["start_drawn"]);
    const VectorXd start = nw.start_units(Rcpp::as<VectorXd>(start_full_), drawn);
    if (glm_ && free_dispersion(glm_->dist())) {
      // a family whose dispersion is free by nature: the gradient and the
      // loss in units of it (twice the start's mean loss), as for a linear
      // model's first-order fit, so that the steps and the stopping rules do
      // not depend on the units of y (with the output scales, the weights'
      // gradient is of the order of the dispersion)
      const double phi = 2.0 * obj.loss(start);
      if (std::isfinite(phi) && phi > 0.0) s_.grad_scale = s_.stop_scale = 1.0 / phi;
    }
    res_ = optimize(optimizer_, obj, start, s_);
    progress_->finish(res_.converged);
    loss_ = res_.coef.allFinite() ? obj.loss(res_.coef) : NAN;
    const VectorXd raw = nw.to_raw(res_.coef);
    const Rcpp::NumericVector coef(raw.data(), raw.data() + raw.size());
    const Rcpp::LogicalVector alias(pred.dim(), false);
    Rcpp::List out = common_results(coef, alias, obj.weight_sum());
    out["objective"] = res_.loss;
    out["center"] = Rcpp::wrap(nw.center);
    out["scale"] = Rcpp::wrap(nw.scale);
    out["constant_inputs"] = nw.constant_inputs;
    out["output_scale"] = Rcpp::wrap(pred.output_scale());
    Rcpp::NumericMatrix eta_r(m_.n, m_.lik->k());
    if (res_.coef.allFinite()) {
      // (and the hidden units constant over the rows: a network stuck at the model without inputs)
      out["constant_units"] = Rcpp::wrap(pred.eta_all_constant_units(res_.coef, W_.data(), eta_r.begin()));
    } else {
      std::fill(eta_r.begin(), eta_r.end(), NA_REAL);
    }
    add_predictors(out, eta_r, obj.weight_sum());
    return out;
  }

  void read_penalty(const Rcpp::List& p) {
    penalised_ = true;
    pen_.alpha = Rcpp::as<double>(p["alpha"]);
    if (!Rf_isNull(p["lambda"])) pen_.lambda = Rcpp::as<std::vector<double>>(p["lambda"]);
    pen_.nlambda = Rcpp::as<int>(p["nlambda"]);
    pen_.lambda_min_ratio = Rcpp::as<double>(p["lambda_min_ratio"]);
    pen_.factor = Rcpp::as<VectorXd>(p["factor"]);
    pen_.standardize = Rcpp::as<bool>(p["standardize"]);
    if (p.containsElementNamed("group") && !Rf_isNull(p["group"])) pen_.group = Rcpp::as<std::vector<int>>(p["group"]);
    pen_.ridge_scale = Rcpp::as<double>(p["ridge_scale"]);
    pen_.tol = Rcpp::as<double>(p["tol"]);
    pen_.max_sweeps = (long)Rcpp::as<double>(p["max_sweeps"]);
    pen_.single = Rcpp::as<bool>(p["single"]);
    saturated_ = p.containsElementNamed("saturated") && Rcpp::as<bool>(p["saturated"]);
    if (p.containsElementNamed("stop_rule")) pen_.stop_rule = Rcpp::as<int>(p["stop_rule"]);
    if (p.containsElementNamed("gauge") && !Rf_isNull(p["gauge"])) gauge_ = Rcpp::as<std::vector<int>>(p["gauge"]);
    if (p.containsElementNamed("gauge_group") && !Rf_isNull(p["gauge_group"]))
      gauge_group_ = Rcpp::as<std::vector<int>>(p["gauge_group"]);
    gauge_group_.resize(gauge_.size(), 1);
  }

  // A penalised fit: every column takes part (the penalty, not the rank,
  // decides); a path returns its coefficients over lambda, one lambda a
  // fit with a covariance on its support.
  Rcpp::List run_penalised() {
    aliased_.clear();
    for (const Design& d : m_.designs) aliased_.push_back(std::vector<bool>(d.cols(), false));
    build();
    if (optimizer_ != "newton") return run_penalised_first_order();
    pen_.saturated = saturated_ || glm_like_ != nullptr;
    pen_.quadratic = glm_like_ && glm_like_->dist() == Dist::gaussian && glm_like_->link() == Link::identity;
    VectorXd start = have_start_ ? theta0_ : VectorXd::Zero(pred_->dim());
    std::vector<double> icpt;
    if (glm_ && !have_start_) {
      // the intercept starts at the mean of glm's starting linear predictor
      // (a block of rows at a time: no vector of n)
      double s = 0.0;
      const Index B = 4096;
      std::vector<double> eta0((size_t)std::min(B, m_.n)), yb(m_.y.y ? 0 : eta0.size());
      for (Index s0 = 0; s0 < m_.n; s0 += B) {
        const Index len = std::min(B, m_.n - s0);
        glm_->start_eta_block(m_.y.rows(s0, len, yb.data()), m_.weights + s0, len, eta0.data());
        for (Index k = 0; k < len; ++k) {
          const Index i = s0 + k;
          if (W_[i] > 0.0) s += W_[i] * (eta0[k] - (m_.offsets[0] ? m_.offsets[0][i] : 0.0));
        }
      }
      glm_->check_r_calls();
      icpt.push_back(s / obj_->weight_sum());
    }
    PenaltyPath path = penalized_path(*obj_, pen_, start, icpt, laplace_ ? m_.lik.get() : nullptr);
    if (path.coef.cols() == 0) throw std::runtime_error("the penalised fit returned no solution");
    if (!pen_.single) return path_list(path);
    const Index last = path.coef.cols() - 1;
    res_.coef = path.coef.col(last);
    res_.loss = path.loss[last];
    res_.grad_norm = path.kkt[last];
    res_.converged = path.converged[last] != 0;
    res_.iter = path.sweeps[last];
    res_.message = path.message;
    res_.trace.push_back(TraceRow{res_.iter, res_.loss, res_.grad_norm, NAN, res_.seconds()});
    return penalised_results(path.constant, path.scale, path.lambda[last], path.objective[last], path.kkt[last],
                             path.df[last], path.null_loss, path.lambda_max);
  }

  // A single penalised fit's results: the covariance on its support, the
  // unselected coefficients reported as not estimated, and its penalty's summary.
  Rcpp::List penalised_results(const std::vector<int>& constant, const VectorXd& scale, double lambda,
                               double objective, double kkt, int df, double null_loss, double lambda_max) {
    penalised_covariance(constant, scale, lambda);
    loss_ = res_.loss;
    Rcpp::List out = results();
    Rcpp::LogicalVector alias(full_pred_->dim());
    for (Index j = 0; j < full_pred_->dim(); ++j) alias[j] = !support_[j];
    out["aliased"] = alias;
    out["penalty_fit"] = Rcpp::List::create(
        Rcpp::Named("lambda") = lambda, Rcpp::Named("objective") = objective, Rcpp::Named("kkt") = kkt,
        Rcpp::Named("df") = df, Rcpp::Named("null_loss") = null_loss, Rcpp::Named("lambda_max") = lambda_max,
        Rcpp::Named("scale") = Rcpp::wrap(scale));
    return out;
  }

  // One lambda by a proximal first-order optimizer (gd: proximal gradient
  // descent; sgd, adam: a proximal step after each update), on standardised
  // coordinates as their unpenalised fits.
  VectorXd prox_l1_, prox_l2_;
  Rcpp::List run_penalised_first_order() {
    if (!is_first_order(optimizer_) || optimizer_ == "lbfgs" || !pen_.single || !pen_.group.empty() || laplace_) {
      throw std::invalid_argument("the " + optimizer_ +
                                  " optimizer does not take this penalty: use coordinate descent (optimizer = \"auto\")");
    }
    const double lambda = pen_.lambda.at(0);
    const VectorXd sc = standardising_scales(*pred_, W_, pen_.standardize);
    prox_l1_ = (lambda * pen_.alpha) * pen_.factor.cwiseProduct(sc);
    prox_l2_ = ridge_curvature(pen_, sc, lambda);
    starting_values();
    iterate();
    progress_->finish(res_.converged);
    // the loss's gradient at the solution, for the KKT conditions
    VectorXd G;
    res_.loss = obj_->value_grad(res_.coef, G);
    double kkt = 0.0, pen_value = 0.0;
    for (Index j = 0; j < res_.coef.size(); ++j) {
      const double b = res_.coef[j], a = prox_l1_[j], g = G[j] + prox_l2_[j] * b, s = sc[j] > 0.0 ? sc[j] : 1.0;
      pen_value += a * std::abs(b) + 0.5 * prox_l2_[j] * b * b;
      if (pen_.factor[j] > 0.0 && sc[j] > 0.0) {
        kkt = std::max(kkt, (b == 0.0 ? std::max(0.0, std::abs(g) - a) : std::abs(g + (b > 0 ? a : -a))) / s);
      } else {
        kkt = std::max(kkt, std::abs(G[j]) / s);
      }
    }
    res_.grad_norm = kkt;
    return penalised_results(std::vector<int>(res_.coef.size(), 0), sc, lambda, res_.loss + pen_value, kkt,
                             NA_INTEGER, NA_REAL, NA_REAL);
  }

  Rcpp::List path_list(const PenaltyPath& path) {
    return Rcpp::List::create(
        Rcpp::Named("lambda") = path.lambda, Rcpp::Named("coefficients") = Rcpp::wrap(path.coef),
        Rcpp::Named("loss") = path.loss, Rcpp::Named("objective") = path.objective,
        Rcpp::Named("kkt") = path.kkt, Rcpp::Named("df") = path.df, Rcpp::Named("sweeps") = path.sweeps,
        Rcpp::Named("converged") = Rcpp::wrap(path.converged), Rcpp::Named("null_loss") = path.null_loss,
        Rcpp::Named("lambda_max") = path.lambda_max, Rcpp::Named("message") = path.message,
        Rcpp::Named("scale") = Rcpp::wrap(path.scale),
        Rcpp::Named("wsum") = obj_->weight_sum());
  }

  // The covariance of a single penalised fit on its support S (non-zero or
  // unpenalised coefficients): the sandwich (H + P)^-1 H (H + P)^-1 / sum w
  // with H the loss's curvature and P the ridge part's, computed on the
  // columns that carry the support. It ignores the selection.
  void penalised_covariance(const std::vector<int>& constant, const VectorXd& scale, double lambda) {
    const Index dim = full_pred_->dim();
    support_.assign(dim, 0);
    for (Index j = 0; j < dim; ++j) support_[j] = !constant[j] && (res_.coef[j] != 0.0 || pen_.factor[j] == 0.0);
    const int D = (int)m_.designs.size();
    std::vector<std::vector<char>> used(D);
    for (int d = 0; d < D; ++d) used[d].assign(m_.designs[d].cols(), 0);
    for (int b = 0; b < full_pred_->nblocks(); ++b) {
      const PredBlock& pb = full_pred_->block(b);
      const Index p = m_.designs[pb.design].cols();
      for (int c = 0; c < pb.m; ++c)
        for (Index j = 0; j < p; ++j)
          if (support_[pb.offset + c * p + j]) used[pb.design][j] = 1;
    }
    std::vector<Design> sub;
    for (int d = 0; d < D; ++d) {
      std::vector<Index> cols;
      for (Index j = 0; j < (Index)used[d].size(); ++j)
        if (used[d][j]) cols.push_back(j);
      sub.push_back(m_.designs[d].select(cols));
    }
    const LinearPredictor sub_pred(sub, m_.blocks, m_.offsets);
    std::vector<Index> pos;  // full position of each coefficient of the sub-layout
    for (int b = 0; b < full_pred_->nblocks(); ++b) {
      const PredBlock& pb = full_pred_->block(b);
      const Index p = m_.designs[pb.design].cols();
      for (int c = 0; c < pb.m; ++c)
        for (Index j = 0; j < p; ++j)
          if (used[pb.design][j]) pos.push_back(pb.offset + c * p + j);
    }
    VectorXd th(pos.size());
    for (size_t j = 0; j < pos.size(); ++j) th[j] = res_.coef[pos[j]];
    ModelObjective sub_obj(sub_pred, *m_.lik, m_.y, W_, threads_);
    VectorXd g;
    MatrixXd H;
    if (glm_like_ || laplace_ || m_.lik->expected_cov()) {
      sub_obj.fisher_curvature(th, g, H);
    } else {
      sub_obj.value_grad_curv(th, g, H);
      cov_kind_ = "observed";
      if (Eigen::LLT<MatrixXd>(H).info() != Eigen::Success && m_.lik->has_fisher()) {
        sub_obj.fisher_curvature(th, g, H);
        cov_kind_ = "expected";
      }
    }
    std::vector<Index> keep;
    for (size_t j = 0; j < pos.size(); ++j)
      if (support_[pos[j]]) keep.push_back((Index)j);
    const Index s = (Index)keep.size();
    MatrixXd Hs(s, s);
    for (Index a = 0; a < s; ++a)
      for (Index b = 0; b < s; ++b) Hs(a, b) = H(keep[a], keep[b]);
    const VectorXd ridge = ridge_curvature(pen_, scale, lambda);
    MatrixXd Hp = Hs;
    for (Index a = 0; a < s; ++a) Hp(a, a) += ridge[pos[keep[a]]];
    if (!gauge_.empty()) {
      // H v = 0 along each flat direction v (the intercepts; an unpenalised
      // column across the classes), P v = 0 too, the v disjoint:
      // (H + P + c sum v v')^-1 H (H + P + c sum v v')^-1 is the sandwich in
      // the gauge v'theta = 0 of each
      const double c0 = Hp.diagonal().mean();
      const int groups = *std::max_element(gauge_group_.begin(), gauge_group_.end());
      // the kept index of each parameter position (-1 where it is not kept),
      // then each group's direction in one pass over the gauge's entries
      Index top = 0;
      for (Index a = 0; a < s; ++a) top = std::max<Index>(top, (Index)pos[keep[a]]);
      std::vector<Index> at((size_t)top + 1, -1);
      for (Index a = 0; a < s; ++a) at[(size_t)pos[keep[a]]] = a;
      MatrixXd V = MatrixXd::Zero(s, std::max(groups, 0));
      for (size_t q = 0; q < gauge_.size(); ++q) {
        const long j = (long)gauge_[q] - 1;
        if (gauge_group_[q] >= 1 && j >= 0 && j <= (long)top && at[(size_t)j] >= 0) {
          V(at[(size_t)j], gauge_group_[q] - 1) = 1.0;
        }
      }
      for (int grp = 0; grp < groups; ++grp) {
        const VectorXd v = V.col(grp);
        if (v.sum() > 0.0) Hp += (c0 / v.squaredNorm()) * v * v.transpose();
      }
    }
    const MatrixXd A = spd_inverse(Hp);
    cov_ = A * Hs * A / obj_->weight_sum();
  }

  // 1. Which columns of each design take part: the closed form finds them
  // in its QR; the iterative routes detect them (a large GLM fitted by Newton
  // or L-BFGS checks a sample of rows first, which it also uses for its start).
  void columns() {
    const int D = (int)m_.designs.size();
    const Index n = m_.n;
    aliased_.assign(D, std::vector<bool>());
    if (exact_) {
      // one Gaussian response or several (a product of them) sharing one design
      if (!glm_like_ || glm_like_->dist() != Dist::gaussian || glm_like_->link() != Link::identity || D != 1) {
        throw std::invalid_argument("the closed form is for the Gaussian likelihood with the identity link");
      }
      const Design& X = m_.designs[0];
      const MapMat Y(m_.y.y, n, m_.y.m);
      MatrixXd Zc;
      bool any_offset = false;
      for (Index r = 0; r < m_.y.m; ++r) any_offset = any_offset || m_.offsets[r] != nullptr;
      if (any_offset) {
        Zc = Y;
        for (Index r = 0; r < m_.y.m; ++r)
          if (m_.offsets[r]) Zc.col(r) -= MapVec(m_.offsets[r], n);
      }
      const MatRef Z = any_offset ? MatRef(Zc) : MatRef(Y);
      // (the semi-normal equations from 5e4 rows: below, the QR's cost is small)
      aliased_[0] = least_squares(X, W_, Z, rank_tol_, threads_, 50000, B_exact_, cov_);
      return;
    }
    // cheap steps first: large Newton fits of a GLM start from a subsample fit
    const Index ms = std::max<Index>(subsample_min_ / 4, 50 * m_.designs[0].cols());
    if (glm_ && (optimizer_ == "newton" || optimizer_ == "lbfgs") && !have_start_ && n >= subsample_min_ &&
        4 * ms <= n) {
      PhaseTimer t("row sample: drawn");
      sample_ = sample_rows(n, W_, ms);
      if (!(sample_->wsum > 0)) sample_.reset();
    }
    // (a sample of full column rank makes the whole design of full rank:
    // exact collinearity would show in any subset of the rows)
    const bool sample_full_rank =
        sample_ && gram_clearly_full_rank(runs_gram(LinearPredictor(m_.designs, m_.blocks, m_.offsets), W_,
                                                    sample_->runs, threads_),
                                          1e3 * rank_tol_);
    for (int d = 0; d < D; ++d) {
      if (d == 0 && sample_full_rank) {
        aliased_[d].assign(m_.designs[d].cols(), false);
      } else if (d == 0 && D == 1 && defer_rank_check()) {
        // a wide design's QR would cost more than the fit: the start's
        // weighted Gram matrix tells first (see full_scoring_start())
        aliased_[d].assign(m_.designs[d].cols(), false);
        rank_deferred_ = true;
      } else {
        PhaseTimer t("rank check of all rows");
        aliased_[d] = detect_aliased(m_.designs[d], W_, rank_tol_, threads_, d == 0 && m_.constant_in_rank);
      }
    }
  }

  // Whether a GLM's rank check waits for its start: when there is no row
  // sample and the QR of detect_aliased() would take more than about 2e9
  // operations (a wide design), the weighted Gram matrix that glm's start
  // builds anyway shows most designs clearly of full rank.
  // Not when the design has at least as many columns as rows: it cannot be
  // of full rank, and its QR (about n^2 p operations) costs far less than
  // the p x p Gram matrix and its factorisation.
  bool defer_rank_check() const {
    if (!glm_ || have_start_ || sample_ || !(optimizer_ == "newton" || optimizer_ == "lbfgs")) return false;
    const double p = (double)m_.designs[0].cols(), n = (double)m_.n;
    if (p >= n) return false;
    const double m = std::max(20000.0, 4.0 * p * p);
    return 2.0 * std::min(n, m) * p * p > 2e9;
  }

  // The linear predictor of the kept columns, the objective and the start
  // in the kept coefficients.
  void build() {
    const int D = (int)m_.designs.size();
    kept_designs_.clear();
    kept_pos_.clear();
    keep_.assign(D, std::vector<Index>());
    for (int d = 0; d < D; ++d) {
      keep_[d] = kept_columns(aliased_[d]);
      kept_designs_.push_back((Index)keep_[d].size() < m_.designs[d].cols() ? m_.designs[d].select(keep_[d])
                                                                             : m_.designs[d]);
    }
    pred_.reset(new LinearPredictor(kept_designs_, m_.blocks, m_.offsets));
    full_pred_.reset(new LinearPredictor(m_.designs, m_.blocks, m_.offsets));  // the coefficients' layout
    obj_.reset(new ModelObjective(*pred_, *m_.lik, m_.y, W_, threads_));
    if (scan_ && !scan_->done()) obj_->scan_columns(scan_.get());
    s_.loss_floor = 0.1 / (2.0 * obj_->weight_sum());  // glm's |dev - dev_old| / (|dev| + 0.1)
    for (int b = 0; b < pred_->nblocks(); ++b) {
      const PredBlock& fb = full_pred_->block(b);
      const Index pf = m_.designs[fb.design].cols();
      for (int c = 0; c < fb.m; ++c)
        for (Index j : keep_[fb.design]) kept_pos_.push_back(fb.offset + c * pf + j);
    }
    if (have_start_) {
      if (start_full_.size() != full_pred_->dim()) throw std::invalid_argument("start has the wrong length");
      theta0_.resize(pred_->dim());
      for (Index j = 0; j < pred_->dim(); ++j) theta0_[j] = start_full_[kept_pos_[j]];
    }
  }

  void exact_result() {
    VectorXd g;
    res_.coef = Eigen::Map<const VectorXd>(B_exact_.data(), B_exact_.size());
    if (B_exact_.cols() > 1) {
      // independent responses: the covariance is block diagonal, one block each
      const Index k = cov_.rows(), R = B_exact_.cols();
      MatrixXd full = MatrixXd::Zero(k * R, k * R);
      for (Index r = 0; r < R; ++r) full.block(r * k, r * k, k, k) = cov_;
      cov_.swap(full);
    }
    res_.loss = obj_->value_grad(res_.coef, g);
    res_.grad_norm = g.norm();
    res_.converged = true;
    res_.iter = res_.coef.size() > 0 ? 1 : 0;  // (nothing to solve for y ~ 0)
    res_.trace.push_back(TraceRow{res_.iter, res_.loss, res_.grad_norm, NAN, res_.seconds()});
  }

  // glm's start (one Fisher-scoring step from the family's starting means),
  // from a fit to a sample of rows when there is one; other models bring
  // theirs from R.
  void starting_values() {
    if (have_start_) return;
    if (!glm_ || stochastic_ || optimizer_ == "gd") throw std::invalid_argument(optimizer_ + " needs start");
    // (glm's maxit = 1 stops at its start, the scoring step on all rows)
    if (sample_ && s_.max_iter > 1) {
      const SampleScope in_sample;
      ModelObjective sub(*pred_, *glm_, m_.y, W_, threads_, &sample_->runs);
      VectorXd b0;
      if (scoring_start(*pred_, *glm_, m_.y, W_, threads_, b0, nullptr, &sample_->runs)) {
        Settings ss = s_;
        ss.tol = 1e-10;  // its curvature at the subsample optimum preconditions the full fit
        ss.loss_floor = 0.1 / (2.0 * sub.weight_sum());
        ss.record_trace = false;
        ss.verbose = false;
        ss.progress = nullptr;
        Result r0 = newton(sub, b0, ss);
        // (whether its loss is finite on all rows, the optimizer's first pass tells: see iterate())
        if (r0.coef.allFinite() && r0.curvature.allFinite()) {
          theta0_ = r0.coef;
          sub_curvature_ = r0.curvature;
          sample_.reset();
          start_from_sample_ = true;
          return;
        }
      }
      sample_.reset();
    }
    sample_.reset();
    if (wide_sample_start()) return;
    full_scoring_start();
  }

  // A wide design's start from a sample of its rows (a quarter, at least 40
  // rows a coefficient): glm's scoring step and the Fisher information there,
  // which the chord steps use, at a quarter of the cost on all rows. A sample
  // of full column rank makes the whole design of full rank, so its Gram
  // matrix also settles a deferred rank check. False, with nothing changed,
  // where it does not apply or the sample cannot decide (all rows then do).
  bool wide_sample_start() {
    if (!chord_from_start() || kept_designs_.size() != 1 || s_.max_iter <= 1) return false;
    const Index p = pred_->dim(), ms = m_.n / 4;
    if (ms < 40 * p) return false;
    std::unique_ptr<RowSample> rs;
    {
      PhaseTimer t("row sample: drawn");
      rs = sample_rows(m_.n, W_, ms);
    }
    const double wsum = rs->wsum;
    if (!(wsum > 0)) return false;
    PhaseTimer t("start: scoring step on a row sample");
    const SampleScope in_sample;
    VectorXd b0;
    MatrixXd gram;
    if (!scoring_start(*pred_, *glm_, m_.y, W_, threads_, b0, &gram, &rs->runs)) return false;
    if (!gram_clearly_full_rank(gram, 1e3 * rank_tol_)) return false;
    rank_deferred_ = false;
    theta0_ = b0;
    // (per unit weight, as the objective's; a start not valid on all rows
    // gives way to glm's start on all rows: see iterate())
    sub_curvature_ = gram / wsum;
    extra_iter_ = 1;
    start_from_sample_ = true;
    return true;
  }

  // A wide design's Newton fit takes chord steps with the start's curvature:
  // a pass with the curvature costs about p / 4 passes for the loss and
  // gradient, so several cheap steps replace exact ones until the last.
  bool chord_from_start() const { return glm_ && optimizer_ == "newton" && pred_->dim() >= 200; }

  void full_scoring_start() {
    VectorXd b0;
    PhaseTimer t("start: scoring step on all rows");
    MatrixXd gram;
    const bool ok = scoring_start(*pred_, *glm_, m_.y, W_, threads_, b0,
                                  rank_deferred_ || chord_from_start() ? &gram : nullptr);
    if (rank_deferred_) {
      rank_deferred_ = false;
      if (!gram_clearly_full_rank(gram, 1e3 * rank_tol_)) {
        // not clearly of full rank: the QR decides, and the start is made again
        PhaseTimer t2("rank check of all rows");
        aliased_[0] = detect_aliased(m_.designs[0], W_, rank_tol_, threads_, m_.constant_in_rank);
        if (std::find(aliased_[0].begin(), aliased_[0].end(), true) != aliased_[0].end()) {
          build();
          if (!coef_only_) obj_->write_eta_to(eta_r_.begin());
        }
        full_scoring_start();
        return;
      }
    }
    if (!ok || !std::isfinite(obj_->value(b0))) {
      throw std::runtime_error(
          "no valid set of coefficients has been found from the default start: please supply 'start'");
    }
    theta0_ = b0;
    extra_iter_ = 1;
    start_from_sample_ = false;
    // (the Fisher information at glm's starting means, per unit weight as the objective's)
    if (chord_from_start() && gram.rows() == pred_->dim()) sub_curvature_ = gram / obj_->weight_sum();
  }

  // The first-order optimizers' units: a GLM fitted by minibatches (the
  // steps are not line-searched), or any other likelihood, measures a
  // predictor's coefficients in units of about unit curvature; a
  // location-scale model only its location predictors (those before its
  // log-scales), a Gaussian GLM in units of its dispersion.
  VectorXd first_order_units() {
    if (!is_first_order(optimizer_) || !(stochastic_ || !glm_)) return VectorXd::Ones(m_.lik->k());
    return gradglm::first_order_units(*obj_, theta0_, s_.grad_scale);
  }

  // The optimizer (on standardised coefficients for the first-order ones),
  // or the Laplace fit with its exact finish.
  void iterate() {
    if (!m_.lik->log_scale_predictors().empty()) {
      // an unbounded likelihood shows as a scale collapsing far below the
      // start's (a factor exp(-14), about 1e-6) for rows the mean model fits
      // exactly (residuals at the rounding level of y)
      obj_->set_scale_floors(theta0_, 14.0);
    }
    const VectorXd units = first_order_units();
    if (is_first_order(optimizer_) && !stochastic_ && glm_ && pred_->k() == 1 && free_dispersion(glm_->dist())) {
      // gd and L-BFGS measure the gradient in the units of sgd's and adam's
      // steps for the stopping rule only (their steps stay in the
      // standardised columns): the rule then does not depend on the units of y
      double gs = 1.0;
      const VectorXd u = gradglm::first_order_units(*obj_, theta0_, gs);
      s_.stop_scale = u[0] * gs;
    }
    const Index dim = pred_->dim();
    const Runner run = [&](const VectorXd& start, const Settings& ss) -> Result {
      if (!is_first_order(optimizer_)) {
        return optimize(optimizer_, *obj_, start, ss, sub_curvature_.size() ? &sub_curvature_ : nullptr);
      }
      const Standardised st = standardise(*pred_, W_, obj_->weight_sum(), units);
      RescaledObjective std_obj(*obj_, st.scale, st.shifts);
      // a penalty in the optimizer's coordinates (b_j = scale_j theta_j off the intercepts)
      Prox prox;
      Settings sp = ss;
      if (prox_l1_.size()) {
        prox.l1 = prox_l1_.cwiseProduct(st.scale.cwiseAbs());
        prox.l2 = prox_l2_.cwiseProduct(st.scale.cwiseAbs2());
        sp.prox = &prox;
      }
      // a subsample fit's curvature, in the same coordinates (A' H A for b = A theta),
      // is L-BFGS's first inverse Hessian
      MatrixXd h0;
      if (sub_curvature_.size() && optimizer_ == "lbfgs") {
        MatrixXd A(dim, dim);
        for (Index j = 0; j < dim; ++j) A.col(j) = std_obj.to_beta(VectorXd::Unit(dim, j));
        const MatrixXd Hs = sub_curvature_.selfadjointView<Eigen::Lower>();
        h0 = A.transpose() * Hs * A;
      }
      Result r = optimize(optimizer_, std_obj, std_obj.to_theta(start), sp, h0.size() ? &h0 : nullptr);
      r.coef = std_obj.to_beta(r.coef);
      return r;
    };
    if (laplace_) {
      LaplaceProblem lp;
      lp.X = kept_designs_[0].materialise();
      lp.yo = Eigen::Map<const VectorXd>(m_.y.y, m_.n);
      if (m_.offsets[0]) lp.yo -= Eigen::Map<const VectorXd>(m_.offsets[0], m_.n);
      lp.p = kept_designs_[0].cols();
      lp.q = dim - lp.p;
      res_ = fit_laplace(*obj_, *m_.lik, lp, run, stochastic_, optimizer_ == "newton", theta0_, s_);
    } else {
      // (glm's maxit counts its start, one scoring step, among the iterations;
      // so does the limit of an optimizer that starts from it, L-BFGS's)
      Settings s_run = s_;
      if (extra_iter_ > 0) s_run.max_iter = std::max(0, s_.max_iter - extra_iter_);
      res_ = run(theta0_, s_run);
      if (start_from_sample_ && res_.iter == 0 && !std::isfinite(res_.loss)) {
        // the row sample's fit is no valid start on all rows (a log-binomial
        // mean above 1 on a row it did not see): glm's start instead
        sub_curvature_.resize(0, 0);
        full_scoring_start();
        res_ = run(theta0_, s_run);
      }
      if (!glm_ && !res_.coef.allFinite()) res_.coef = theta0_;
    }
  }

  // 2. The covariance: glm's (the expected information) for a GLM family;
  // else the inverse observed information, the expected one where that is
  // not positive definite (and always for the Laplace, whose observed
  // information in the location is singular).
  void covariance() {
    loss_ = res_.loss;
    const double wsum = obj_->weight_sum();
    if (glm_like_) {
      if (exact_) return;  // (X' W X)^-1 from the closed form, block diagonal for several responses
      if (optimizer_ == "newton" && glm_like_->canonical()) {
        cov_ = spd_inverse(res_.curvature) / wsum;
      } else if (res_.coef.allFinite()) {
        VectorXd g;
        MatrixXd H;
        obj_->fisher_curvature(res_.coef, g, H);
        cov_ = spd_inverse(H) / wsum;
        remaining_step(g, H);
      }
      return;
    }
    VectorXd grad;
    MatrixXd H;
    if (laplace_ || m_.lik->expected_cov()) {
      loss_ = obj_->fisher_curvature(res_.coef, grad, H);
    } else {
      loss_ = obj_->value_grad_curv(res_.coef, grad, H);
      cov_kind_ = "observed";
      if (Eigen::LLT<MatrixXd>(H).info() != Eigen::Success && m_.lik->has_fisher()) {
        obj_->fisher_curvature(res_.coef, grad, H);
        cov_kind_ = "expected";
      }
    }
    cov_ = spd_inverse(H) / wsum;
    if (!laplace_) {
      res_.grad_norm = grad.norm();
      remaining_step(grad, H);
    }
  }

  // A full-batch first-order fit (gd, L-BFGS) stops on the gradient of the
  // weight-averaged loss, which rows of small weight barely move when the
  // weights span many orders of magnitude, nor does a flat direction of an
  // ill-conditioned curvature: the Newton step H^-1 g left at its estimates
  // (returned for R to judge against the coefficients' scale).
  // With newton_finish (L-BFGS chosen by optimizer = "auto" in Newton's
  // place) the step is taken: L-BFGS stops with the coefficients about 1e-6
  // of a standard error from the optimum, and one Newton step from the
  // curvature the covariance needs anyway brings them to Newton's accuracy
  // for a pass of the loss and gradient. It is kept when the loss does not
  // rise; the step left after it is estimated with the same factor (the
  // covariance stays that of the curvature before the step, which differs
  // from the one after it by about the step's relative size).
  void remaining_step(const VectorXd& g, const MatrixXd& H) {
    if (!is_first_order(optimizer_) || stochastic_ || penalised_ || !res_.converged) return;
    Eigen::LLT<MatrixXd> llt(H.selfadjointView<Eigen::Lower>());
    if (llt.info() != Eigen::Success) return;
    step_ = llt.solve(g);
    if (!newton_finish_ || !step_.allFinite()) return;
    const VectorXd b = res_.coef - step_;
    VectorXd g1;
    const double f = obj_->value_grad(b, g1);
    if (!(std::isfinite(f) && f <= loss_)) return;
    res_.coef = b;
    res_.loss = loss_ = f;
    res_.grad_norm = g1.norm();
    step_ = llt.solve(g1);
  }

  // 3. Results in the layout of the full designs, the predictors written
  // straight into R's memory (fresh memory is costly to touch twice) and, for
  // a GLM, its fitted means, mu.eta and working weights as glm reports them.
  Rcpp::List results() {
    const Index dim = pred_->dim();
    Rcpp::NumericVector coef(full_pred_->dim(), NA_REAL);
    Rcpp::LogicalVector alias(full_pred_->dim(), true);
    for (Index j = 0; j < dim; ++j) {
      coef[kept_pos_[j]] = res_.coef[j];
      alias[kept_pos_[j]] = false;
    }
    const double wsum = obj_->weight_sum();
    Rcpp::List out = common_results(coef, alias, wsum);
    if (step_.size() == dim) {
      Rcpp::NumericVector step(full_pred_->dim(), NA_REAL);
      for (Index j = 0; j < dim; ++j) step[kept_pos_[j]] = step_[j];
      out["newton_step"] = step;
    }
    if (coef_only_) return out;
    PhaseTimer t("outputs: predictors");
    Rcpp::NumericMatrix eta_r = eta_r_.size() ? eta_r_ : Rcpp::NumericMatrix(m_.n, m_.lik->k());
    if (res_.coef.allFinite()) {
      if (!obj_->eta_written_at(res_.coef)) pred_->eta_all(res_.coef, eta_r.begin());
    } else {
      std::fill(eta_r.begin(), eta_r.end(), NA_REAL);
    }
    PhaseTimer t2("outputs: fitted means, weights, residuals");
    add_predictors(out, eta_r, wsum);
    return out;
  }

  Rcpp::List common_results(const Rcpp::NumericVector& coef, const Rcpp::LogicalVector& alias, double wsum) {
    return Rcpp::List::create(
        Rcpp::Named("coefficients") = coef, Rcpp::Named("aliased") = alias, Rcpp::Named("loss") = loss_,
        Rcpp::Named("loglik") = -loss_ * wsum, Rcpp::Named("cov") = Rcpp::wrap(cov_),
        Rcpp::Named("cov_kind") = cov_kind_, Rcpp::Named("grad_norm") = res_.grad_norm,
        Rcpp::Named("converged") = res_.converged, Rcpp::Named("diverged") = res_.diverged,
        // (a model with nothing to estimate takes no iteration, glm's start included)
        Rcpp::Named("iter") = res_.iter + (coef.size() > 0 ? extra_iter_ : 0), Rcpp::Named("message") = res_.message,
        Rcpp::Named("stop") = res_.stop, Rcpp::Named("rate_too_large") = res_.rate_too_large,
        Rcpp::Named("best_epoch") = res_.best_epoch >= 0 ? Rcpp::wrap(res_.best_epoch) : R_NilValue,
        Rcpp::Named("trace") = trace_frame(res_.trace, stochastic_ || optimizer_ == "gd", res_.validated));
  }

  // the predictors, and for a GLM its fitted means, working residuals
  // (y - mu) / mu.eta and working weights as glm reports them (the residuals
  // here rather than mu.eta: one vector of n fewer in R for a large fit)
  void add_predictors(Rcpp::List& out, Rcpp::NumericMatrix& eta_r, double wsum) {
    const Index n = m_.n;
    if (!glm_) {
      out["linear.predictors"] = eta_r;
      return;
    }
    // n_boundary counts fitted means numerically at 0 (or 1 for binomial)
    int n_boundary = 0;
    eta_r.attr("dim") = R_NilValue;
    if (glm_->calls_r()) {
      Rcpp::NumericVector ww_r(huge_doubles(n)), mu_r(huge_doubles(n)), res_r(huge_doubles(n));
      // a link of one's own: its values a block of rows at a time
      const Index B = 4096;
      std::vector<LinkValues> lv(B);
      std::vector<UnitValues> u(B);
      std::vector<double> yb(m_.y.y ? 0 : B);
      for (Index s = 0; s < n; s += B) {
        const Index len = std::min(B, n - s);
        glm_->link_block(&eta_r[s], len, lv.data());
        glm_->unit_block(m_.y.rows(s, len, yb.data()), &eta_r[s], len, u.data());
        for (Index k = 0; k < len; ++k) {
          const Index i = s + k;
          mu_r[i] = lv[k].mu;
          ww_r[i] = W_[i] == 0.0 ? 0.0 : W_[i] * u[k].weight;
          res_r[i] = (m_.y.at(i, 0) - mu_r[i]) / lv[k].d1;
          if (W_[i] > 0.0 && glm_->at_boundary(mu_r[i])) ++n_boundary;
        }
      }
      glm_->check_r_calls();
      out["fitted.values"] = mu_r;
      out["residuals"] = res_r;
      out["weights"] = ww_r;
    } else {
      // (the outputs are deferred: computed from the predictors when read)
      const double *eta = eta_r.begin(), *W = m_.weights;
      const Family& fam = *glm_;
      const int T = threads_for((long)n, threads_);
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(T) if (T > 1) reduction(+ : n_boundary)
#endif
      for (Index i = 0; i < n; ++i) {
        if (W[i] > 0.0 && fam.at_boundary(fam.reported_mu(eta[i]))) ++n_boundary;
      }
      (void)T;
      // (held by RObjects: a List grows as names are added; no NumericVector,
      // whose construction would ask for the memory and compute them)
      const Rcpp::RObject mu_r(deferred_glm_output(kFittedMeans, eta_r, m_.y_r, m_.weights_r, fam, threads_));
      const Rcpp::RObject res_r(deferred_glm_output(kWorkingResiduals, eta_r, m_.y_r, m_.weights_r, fam, threads_));
      const Rcpp::RObject ww_r(deferred_glm_output(kWorkingWeights, eta_r, m_.y_r, m_.weights_r, fam, threads_));
      out["fitted.values"] = mu_r;
      out["residuals"] = res_r;
      out["weights"] = ww_r;
    }
    out["linear.predictors"] = eta_r;
    out["n_boundary"] = n_boundary;
    out["deviance"] = 2.0 * wsum * loss_;
  }
};

}  // namespace

// The predictors (n x K) of a network at theta on the inputs of `net`
// (its `inputs` and `input_columns`) with its stored center and scale, and
// the offsets (a list of one per predictor, NULL for none).
// [[Rcpp::export]]
Rcpp::NumericMatrix network_eta(Rcpp::List net, Rcpp::NumericVector theta, Rcpp::List offsets, int n) {
  const Design X = network_inputs(net, n);
  const Rcpp::LogicalVector connected = net["connected"];
  std::vector<const double*> off(connected.size(), nullptr);
  for (R_xlen_t k = 0; k < offsets.size() && k < connected.size(); ++k) {
    SEXP o = offsets[k];
    if (Rf_isNull(o)) continue;
    if (TYPEOF(o) != REALSXP || Rf_xlength(o) != n) throw std::invalid_argument("an offset has the wrong length");
    off[k] = REAL(o);
  }
  // (raw weights: the output scales, if any, are left at 1)
  const MlpPredictor pred = network_predictor(net, X, Rcpp::as<VectorXd>(net["center"]),
                                              Rcpp::as<VectorXd>(net["scale"]), off);
  if (theta.size() != pred.dim()) throw std::invalid_argument("the weights do not fit the network");
  Rcpp::NumericMatrix out(n, pred.k());
  pred.eta_all(Rcpp::as<VectorXd>(theta), out.begin());
  return out;
}

// The objective of a network model specification (as fit_model() takes it)
// and its gradient at theta, for checks against finite differences; `reps`
// passes, timed (seconds per pass), for the benchmarks.
// [[Rcpp::export]]
Rcpp::List network_value_grad(Rcpp::List spec, Rcpp::NumericVector theta, bool training, double seed,
                              int reps = 1, int threads = 1) {
  const ModelSpec m = parse_model_spec(spec);
  const Rcpp::List net = spec["network"];
  const MapVec w(m.weights, m.n);
  const NetworkParts nw(net, m.n, w, m.offsets);
  const MlpPredictor& pred = *nw.pred;
  if (theta.size() != pred.dim()) throw std::invalid_argument("the weights do not fit the network");
  NetworkObjective obj(pred, *m.lik, m.y, w, nw.decays, threads, (std::uint64_t)seed);
  // (theta raw; evaluated in the output scales' units, the gradient mapped back)
  const VectorXd th = nw.to_units(Rcpp::as<VectorXd>(theta));
  VectorXd g;
  double f = NAN;
  const std::vector<RowRun> all(1, RowRun{0, m.n});
  const auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < std::max(1, reps); ++r) f = training ? obj.batch_value_grad(th, all, 0.0, &g) : obj.value_grad(th, g);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / std::max(1, reps);
  if (g.size() == nw.units.size()) g = g.cwiseQuotient(nw.units);
  return Rcpp::List::create(Rcpp::Named("value") = f, Rcpp::Named("gradient") = Rcpp::wrap(g),
                            Rcpp::Named("seconds") = secs);
}

// [[Rcpp::export]]
Rcpp::List fit_model(Rcpp::List spec) {
  FitDriver fit(spec);
  return fit.run();
}

// The engine's test that a Gram matrix G (a cross-product, full and
// symmetric) is clearly of full rank, for R: NULL when it is not, else the
// upper Cholesky factor R (R'R = S G S) and the scales s of S = diag(s), so
// that G^-1 = S (R'R)^-1 S (the influence measures' leverages and inverse).
// [[Rcpp::export]]
SEXP full_rank_cholesky(const Eigen::Map<Eigen::MatrixXd>& G, double margin) {
  if (G.rows() != G.cols()) Rcpp::stop("full_rank_cholesky: the matrix is not square");
  MatrixXd L;
  VectorXd s;
  if (!gradglm::scaled_gram_cholesky(G, margin, &L, &s)) return R_NilValue;
  return Rcpp::List::create(Rcpp::Named("R") = Rcpp::wrap(MatrixXd(L.transpose())), Rcpp::Named("s") = Rcpp::wrap(s));
}

namespace {
// Weighted least squares of z on X with weights w, as the exact fit computes
// it (FitDriver::columns(), by least_squares()), but with the semi-normal
// equations from any number of rows (20 a column), as the reweighting
// repeats them (at 1e4 x 11, 0.3 ms against the QR's 0.8). The
// coefficients, 0 for aliased columns (NA in R).
VectorXd exact_wls(const Design& X, const VecRef& w, const MatRef& z, double rank_tol, int threads) {
  const Index p = X.cols();
  MatrixXd B, cov;
  const std::vector<bool> aliased = least_squares(X, w, z, rank_tol, threads, 0, B, cov);
  VectorXd b = VectorXd::Zero(p);
  Index k = 0;
  for (Index j = 0; j < p; ++j)
    if (!aliased[j]) b[j] = B(k++, 0);
  return b;
}

// sum(w[ok] * y[ok]) / sum(w[ok]) over the rows of positive weight, summed in
// long double as R's sum(); NaN when they weigh nothing
double weighted_mean(const double* y, const double* w, Index n) {
  long double s = 0.0L, W = 0.0L;
  for (Index i = 0; i < n; ++i)
    if (w[i] > 0.0) {
      s += (long double)(w[i] * y[i]);
      W += (long double)w[i];
    }
  const double Wd = (double)W;
  return Wd > 0.0 ? (double)s / Wd : NAN;
}
}  // namespace

// The heavy-tailed starts' reweighting (robust_start() in R/model-scale.R):
// from the coefficients b (NA for aliased columns), up to max_iter steps of
// least squares with the weights w / (1 + (r / s)^2), r the residuals y - X b
// and s = 1.4826 median(|r|) over the rows of positive weight, until the
// coefficients move by at most tol (max|b| + s). Each step's weighted least
// squares is wls_coefficients()'s to the rounding (the weighted mean for an
// intercept alone), without R's work between the steps. Aliased coefficients come back as 0;
// b unchanged when the scale is not positive and finite, the previous step's
// when one is not finite.
// [[Rcpp::export]]
Rcpp::NumericVector robust_reweight(SEXP x, Rcpp::NumericVector y, Rcpp::NumericVector w, Rcpp::NumericVector b,
                                    double tol, bool intercept_only, double rank_tol, int threads,
                                    int max_iter = 20) {
  const Index n = y.size();
  if (w.size() != n) throw std::invalid_argument("robust_reweight: y and w differ in length");
  const Design X = read_design(x, n);
  const Index p = X.cols();
  if (b.size() != p) throw std::invalid_argument("robust_reweight: b has the wrong length");
  if (intercept_only && !(p == 1 && X.is_ones(0))) {
    // (a dense column of ones, as R's design_intercept() found it)
    for (Index i = 0; i < n && intercept_only; ++i) intercept_only = p == 1 && X.value(i, 0) == 1.0;
    if (!intercept_only) throw std::invalid_argument("robust_reweight: the design is not an intercept alone");
  }
  VectorXd cur(p);
  for (Index j = 0; j < p; ++j) cur[j] = b[j];
  bool touched = false;  // (b returned as given, NA and all, when no step is taken)
  std::vector<double> r((size_t)n), eta((size_t)n);
  VectorXd wr(n);
  // (raw pointers: Rcpp's element access checks the index against the length)
  const double *yp = y.begin(), *wp = w.begin();
  const MapVec Y(yp, n);
  for (int it = 0; it < max_iter; ++it) {
    VectorXd b0 = cur;
    for (Index j = 0; j < p; ++j)
      if (std::isnan(b0[j])) b0[j] = 0.0;
    // r = y - X b0, summed over the columns in order (as R's x %*% b0)
    std::fill(eta.begin(), eta.end(), 0.0);
    for (Index j = 0; j < p; ++j) {
      const double bj = b0[j];
      if (X.is_ones(j)) {
        for (Index i = 0; i < n; ++i) eta[i] += bj;
      } else {
        const double* c = X.col(j);
        for (Index i = 0; i < n; ++i) eta[i] += c[i] * bj;
      }
    }
    for (Index i = 0; i < n; ++i) r[i] = yp[i] - eta[i];
    const double s = 1.4826 * abs_median(r.data(), wp, n);
    if (!std::isfinite(s) || !(s > 0.0)) break;
    for (Index i = 0; i < n; ++i) {
      const double q = r[i] / s;
      wr[i] = wp[i] / (1.0 + q * q);
    }
    VectorXd nb(p);
    if (intercept_only) {
      nb[0] = weighted_mean(yp, wr.data(), n);
      if (std::isnan(nb[0])) nb[0] = 0.0;
    } else {
      nb = exact_wls(X, wr, Y, rank_tol, threads);
    }
    touched = true;
    if (!nb.allFinite()) {
      cur = b0;
      break;
    }
    cur = nb;
    double step = 0.0, size = 0.0;
    for (Index j = 0; j < p; ++j) {
      step = std::max(step, std::abs(nb[j] - b0[j]));
      size = std::max(size, std::abs(b0[j]));
    }
    if (step <= tol * (size + s)) break;
  }
  if (!touched) return Rcpp::clone(b);
  Rcpp::NumericVector out(cur.data(), cur.data() + p);
  return out;
}

// The draws of hyperplane_search() (R/model-scale.R): up to m subsets of p
// distinct rows (1-based draws 1 + floor(state / M * n) of the Park-Miller
// generator from state 12345), each giving the plane y = x b through its rows
// (skipped when their p x p system is singular to the working precision, as
// R's solve() refuses it: reciprocal condition below the machine epsilon);
// the first plane holding more than `need` of the weights w (rows with
// |y - x b| <= 1e-9 (|y| + |x b|)) as list(count, weight, coef), else NULL. A
// plane is dropped as soon as the weight off it exceeds the total less
// `need` (by a margin above the sums' rounding), mostly after a fraction of
// the rows.
// [[Rcpp::export]]
SEXP hyperplane_scan(const Rcpp::NumericMatrix& x, const Rcpp::NumericVector& y, const Rcpp::NumericVector& w,
                     double need, int m) {
  const Index n = x.nrow(), p = x.ncol();
  if (y.size() != n || w.size() != n) throw std::invalid_argument("hyperplane_scan: x, y and w differ in rows");
  if (p == 0 || n <= p) return R_NilValue;
  // (raw pointers: Rcpp's element access checks the index against the length)
  const double *X = x.begin(), *Y = y.begin(), *Wt = w.begin();
  long double Wl = 0.0L;
  for (Index i = 0; i < n; ++i) Wl += Wt[i];
  const double W = (double)Wl;
  const double off_limit = (W - need) + 1e-9 * W;
  const double M = 2147483647.0;
  double state = 12345.0;
  std::vector<char> drawn((size_t)n, 0);
  std::vector<Index> idx;
  MatrixXd A(p, p);
  VectorXd rhs(p);
  const double eps = std::numeric_limits<double>::epsilon();
  for (int k = 0; k < m; ++k) {
    for (Index i : idx) drawn[i] = 0;
    idx.clear();
    while ((Index)idx.size() < p) {
      state = std::fmod(16807.0 * state, M);
      const Index i = (Index)std::floor(state / M * (double)n);  // (0-based)
      if (!drawn[i]) {
        drawn[i] = 1;
        idx.push_back(i);
      }
    }
    for (Index a = 0; a < p; ++a) {
      for (Index j = 0; j < p; ++j) A(a, j) = X[idx[a] + j * n];
      rhs[a] = Y[idx[a]];
    }
    const Eigen::PartialPivLU<MatrixXd> lu(A);
    // (a zero pivot: R's "exactly singular", which the estimate of the
    // reciprocal condition may miss)
    if ((lu.matrixLU().diagonal().array() == 0.0).any()) continue;
    const double rc = lu.rcond();
    if (!(rc >= eps)) continue;
    const VectorXd b = lu.solve(rhs);
    if (!b.allFinite()) continue;
    double off = 0.0;
    long double on_w = 0.0L;
    Index on_n = 0;
    bool dropped = false;
    for (Index i = 0; i < n; ++i) {
      double f = 0.0;
      for (Index j = 0; j < p; ++j) f += X[i + j * n] * b[j];
      if (std::abs(Y[i] - f) <= 1e-9 * (std::abs(Y[i]) + std::abs(f))) {
        on_w += Wt[i];
        ++on_n;
      } else {
        off += Wt[i];
        if (off > off_limit) {
          dropped = true;
          break;
        }
      }
    }
    if (dropped || !((double)on_w > need)) continue;
    return Rcpp::List::create(Rcpp::Named("count") = (int)on_n, Rcpp::Named("weight") = (double)on_w,
                              Rcpp::Named("coef") = Rcpp::NumericVector(b.data(), b.data() + p));
  }
  return R_NilValue;
}
