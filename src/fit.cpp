// The fitting entry point. R hands over a model specification of plain
// numbers (designs, blocks, response, weights, offsets, the likelihood's
// codes, the optimizer's name, a start and control values) and gets back a
// list of plain vectors. One path serves every likelihood: rank detection
// per design, the linear predictor and the objective, a start, the
// optimizer (or the closed form, or the Laplace finish), the covariance.
#include <RcppEigen.h>

#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "exact_qr.h"
#include "family.h"
#include "fit_utils.h"
#include "laplace.h"
#include "location_scale.h"
#include "model_spec.h"
#include "objective.h"
#include "optimizer.h"
#include "parallel.h"
#include "progress.h"
#include "rank.h"

// [[Rcpp::depends(RcppEigen)]]

using namespace gradglm;

namespace {

// A systematic sample of about m rows of a one-design model, used for a cheap
// first fit: runs of 256 consecutive rows at evenly spaced places, so that
// only the sampled part of X is read from memory.
struct RowSample {
  MatrixXd X;
  VectorXd y, w, offset;
};

std::unique_ptr<RowSample> sample_rows(const Design& X, const Response& y, const VecRef& w, const double* off,
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
    for (Index i = 0; i < m; ++i) s->X(i, j) = X.value(rows[i], j);
  }
  s->y.resize(m);
  s->w.resize(m);
  s->offset.resize(m);
  for (Index i = 0; i < m; ++i) {
    s->y[i] = y.y[rows[i]];
    s->w[i] = w[rows[i]];
    s->offset[i] = off ? off[rows[i]] : 0.0;
  }
  return s;
}

// glm's start: one Fisher-scoring step from the linear predictor eta0 (the
// family's starting means), which need not be of the form X beta:
//   (X' W X) beta = X' W z,   z = eta0 - offset - l'(eta0) / l''(eta0).
// Returns false when the weighted least-squares problem is singular.
bool scoring_start(const LinearPredictor& pred, const Family& fam, const Response& y, const VecRef& w,
                   int threads, VectorXd& beta) {
  const Index n = pred.n(), p = pred.dim(), B = pred.block_rows();
  const double* off = pred.offset(0);
  const int T = threads_for((long)n, threads);
  std::vector<VectorXd> rhs(T, VectorXd::Zero(p)), r(T, VectorXd(B)), ww(T, VectorXd(B));
  std::vector<MatrixXd> h(T, MatrixXd::Zero(p, p));
  std::vector<LinearPredictor::Work> work(T);
  const std::vector<std::pair<int, int>> pairs(1, std::make_pair(0, 0));
  for_blocks((long)n, (long)B, T, [&](int t, long start, long len) {
    for (Index k = 0; k < len; ++k) {
      const Index i = start + k;
      if (w[i] == 0.0) {
        r[t][k] = ww[t][k] = 0.0;
        continue;
      }
      const double eta0 = fam.start_eta(y.y[i], w[i]);
      const UnitValues u = fam.unit(y.y[i], eta0);
      ww[t][k] = w[i] * u.weight;
      // W z = W (eta0 - offset) - w l'(eta0)
      r[t][k] = ww[t][k] * (eta0 - (off ? off[i] : 0.0)) - w[i] * u.grad;
    }
    pred.load(start, len, work[t]);
    pred.add_grad(r[t].data(), work[t], rhs[t]);
    pred.add_curv(ww[t].data(), pairs, work[t], h[t]);
  });
  for (int t = 1; t < T; ++t) {
    rhs[0] += rhs[t];
    h[0] += h[t];
  }
  Eigen::LDLT<MatrixXd> ldlt(h[0].selfadjointView<Eigen::Lower>());
  if (ldlt.info() != Eigen::Success) return false;
  beta = ldlt.solve(rhs[0]);
  return beta.allFinite();
}

// Mean Fisher curvature of each predictor over the rows at theta:
// sum_i w_i F_kk,i / sum_i w_i
VectorXd mean_fisher_diagonal(ModelObjective& obj, const VectorXd& theta) {
  const LinearPredictor& pred = obj.predictor();
  const Likelihood& lik = obj.likelihood();
  const Index n = pred.n(), B = pred.block_rows(), K = pred.k();
  const auto& pairs = lik.pairs();
  LinearPredictor::Work w;
  pred.init(w);
  VectorXd eta, R, C, out = VectorXd::Zero(K);
  for (Index start = 0; start < n; start += B) {
    const Index len = std::min(B, n - start);
    pred.load(start, len, w);
    eta.resize(len * K);
    R.resize(len * K);
    C.resize(len * (Index)pairs.size());
    pred.eta(theta, w, eta.data());
    const RowBlock rb{start, len, eta.data(), obj.weights().data() + start};
    lik.eval_block(obj.response(), rb, R.data(), C.data(), lik.has_fisher() ? Curv::fisher : Curv::observed);
    for (size_t q = 0; q < pairs.size(); ++q) {
      if (pairs[q].first != pairs[q].second) continue;
      for (Index i = 0; i < len; ++i) out[pairs[q].first] += C[q * len + i];
    }
  }
  return out / obj.weight_sum();
}

// The first-order optimizers work on b = A theta: standardised columns (one
// intercept shift per predictor) and, where `units` differ from 1, each
// predictor's coefficients measured in units in which its mean curvature is
// about 1 per standardised column.
struct Standardised {
  VectorXd scale;
  std::vector<InterceptShift> shifts;
};

Standardised standardise(const LinearPredictor& pred, const VecRef& w, double wsum, const VectorXd& units) {
  Standardised st;
  st.scale = VectorXd::Ones(pred.dim());
  for (int b = 0; b < pred.nblocks(); ++b) {
    const PredBlock& pb = pred.block(b);
    const Design& X = pred.design(pb.design);
    for (int c = 0; c < pb.m; ++c) {
      const Index first = pb.offset + c * X.cols();
      const size_t before = st.shifts.size();
      standardise_columns(X, w, wsum, first, st.scale, st.shifts);
      const double u = units[pb.first + c];
      if (u == 1.0) continue;
      st.scale.segment(first, X.cols()) *= u;
      for (size_t k = before; k < st.shifts.size(); ++k) st.shifts[k].shift.segment(first, X.cols()) *= u;
    }
  }
  return st;
}

}  // namespace

// [[Rcpp::export]]
Rcpp::List fit_model(Rcpp::List spec) {
  ModelSpec m = parse_model_spec(spec);
  const std::string optimizer = Rcpp::as<std::string>(spec["optimizer"]);
  Rcpp::List control = spec["control"];
  const Index n = m.n;
  const int K = m.lik->k();
  const MapVec W(m.weights, n);
  Family* glm = dynamic_cast<Family*>(m.lik.get());
  const LocationScale* ls = dynamic_cast<const LocationScale*>(m.lik.get());
  const bool laplace = ls && ls->dist() == ScaleDist::laplace;

  Settings s = settings_from_control(control);
  s.final_step = glm == nullptr;
  const bool stochastic = is_stochastic(optimizer);
  const bool exact = optimizer == "exact";
  Progress progress(s.verbose && !exact, s.max_iter, stochastic ? "epoch" : "iteration");
  if (progress.enabled()) s.progress = &progress;
  const double rank_tol = Rcpp::as<double>(control["rank_tol"]);
  const Index subsample_min = control.containsElementNamed("subsample_min")
                                  ? (Index)Rcpp::as<int>(control["subsample_min"])
                                  : std::numeric_limits<int>::max();
  const int threads = Rcpp::as<int>(control["threads"]);
  const bool have_start = !Rf_isNull(spec["start"]);

  // 1. which columns of each design take part
  const int D = (int)m.designs.size();
  std::vector<std::vector<bool>> aliased(D);
  MatrixXd B_exact, cov;
  Result res;
  std::unique_ptr<RowSample> sample;  // rows for a first, cheap Newton fit
  if (exact) {
    // one Gaussian response or several (a product of them) sharing one design
    const ProductLikelihood* prod = dynamic_cast<const ProductLikelihood*>(m.lik.get());
    const Family* gauss = glm ? glm : prod ? dynamic_cast<const Family*>(&prod->base()) : nullptr;
    if (!gauss || gauss->dist() != Dist::gaussian || gauss->link() != Link::identity || D != 1) {
      throw std::invalid_argument("the closed form is for the Gaussian likelihood with the identity link");
    }
    const Design& X = m.designs[0];
    const MapMat Y(m.y.y, n, m.y.m);
    MatrixXd Zc;
    bool any_offset = false;
    for (Index r = 0; r < m.y.m; ++r) any_offset = any_offset || m.offsets[r] != nullptr;
    if (any_offset) {
      Zc = Y;
      for (Index r = 0; r < m.y.m; ++r)
        if (m.offsets[r]) Zc.col(r) -= MapVec(m.offsets[r], n);
    }
    const MatRef Z = any_offset ? MatRef(Zc) : MatRef(Y);
    if (n >= 50000 && n >= 20 * X.cols() && seminormal_fit(X, W, Z, threads, B_exact, cov)) {
      aliased[0].assign(X.cols(), false);
    } else {
      aliased[0] = qr_fit(X, W, Z, rank_tol, threads, B_exact, cov);
    }
  } else {
    // cheap steps first: large Newton fits of a GLM start from a subsample fit
    const Index ms = std::max<Index>(subsample_min / 4, 50 * m.designs[0].cols());
    if (glm && (optimizer == "newton" || optimizer == "lbfgs") && !have_start && n >= subsample_min &&
        4 * ms <= n) {
      sample = sample_rows(m.designs[0], m.y, W, m.offsets[0], ms);
      if (!(sample->w.sum() > 0)) sample.reset();
    }
    for (int d = 0; d < D; ++d) {
      if (d == 0 && sample && clearly_full_rank(sample->X, sample->w, 1e3 * rank_tol)) {
        aliased[d].assign(m.designs[d].cols(), false);
      } else {
        aliased[d] = detect_aliased(m.designs[d], W, rank_tol, threads);
      }
    }
  }
  std::vector<Design> kept_designs;
  std::vector<std::vector<Index>> keep(D);
  for (int d = 0; d < D; ++d) {
    keep[d] = kept_columns(aliased[d]);
    kept_designs.push_back((Index)keep[d].size() < m.designs[d].cols() ? m.designs[d].select(keep[d])
                                                                        : m.designs[d]);
  }
  if (sample && (Index)keep[0].size() < sample->X.cols()) {
    MatrixXd Xs(sample->X.rows(), keep[0].size());
    for (size_t j = 0; j < keep[0].size(); ++j) Xs.col(j) = sample->X.col(keep[0][j]);
    sample->X.swap(Xs);
  }
  const LinearPredictor pred(kept_designs, m.blocks, m.offsets);
  const LinearPredictor full_pred(m.designs, m.blocks, m.offsets);  // the layout of the coefficients
  ModelObjective obj(pred, *m.lik, m.y, W, threads);
  s.loss_floor = 0.1 / (2.0 * obj.weight_sum());  // glm's |dev - dev_old| / (|dev| + 0.1)
  const Index dim = pred.dim();

  // positions of the kept coefficients in the full layout
  std::vector<Index> kept_pos;
  for (int b = 0; b < pred.nblocks(); ++b) {
    const PredBlock& fb = full_pred.block(b);
    const Index pf = m.designs[fb.design].cols();
    for (int c = 0; c < fb.m; ++c)
      for (Index j : keep[fb.design]) kept_pos.push_back(fb.offset + c * pf + j);
  }

  VectorXd theta0;
  if (have_start) {
    const Rcpp::NumericVector st = Rcpp::as<Rcpp::NumericVector>(spec["start"]);
    if (st.size() != full_pred.dim()) throw std::invalid_argument("start has the wrong length");
    theta0.resize(dim);
    for (Index j = 0; j < dim; ++j) theta0[j] = st[kept_pos[j]];
  }
  int extra_iter = 0;
  MatrixXd sub_curvature;  // curvature of a subsample fit, per unit weight
  std::string cov_kind = "expected";

  // (X' W X)^-1 in the units of the prior weights, W the Fisher weights at b
  auto fisher_cov = [&](const VectorXd& b) {
    VectorXd g;
    MatrixXd H;
    obj.fisher_curvature(b, g, H);
    return MatrixXd(spd_inverse(H) / obj.weight_sum());
  };

  if (exact) {
    VectorXd g;
    res.coef = Eigen::Map<const VectorXd>(B_exact.data(), B_exact.size());
    if (B_exact.cols() > 1) {
      // independent responses: the covariance is block diagonal, one block each
      const Index k = cov.rows(), R = B_exact.cols();
      MatrixXd full = MatrixXd::Zero(k * R, k * R);
      for (Index r = 0; r < R; ++r) full.block(r * k, r * k, k, k) = cov;
      cov.swap(full);
    }
    res.loss = obj.value_grad(res.coef, g);
    res.grad_norm = g.norm();
    res.converged = true;
    res.iter = 1;
    res.trace.push_back(TraceRow{1, res.loss, res.grad_norm, NAN, res.seconds()});
  } else {
    if (!have_start) {
      if (!glm || stochastic || optimizer == "gd") throw std::invalid_argument(optimizer + " needs start");
      bool ok = false;
      if (sample) {
        const std::vector<Design> sd(1, Design::dense(sample->X.data(), sample->X.rows(), sample->X.cols()));
        const std::vector<const double*> so(1, sample->offset.data());
        const LinearPredictor sub_pred(sd, m.blocks, so);
        const Response sy{sample->y.data(), sample->y.size(), 1};
        ModelObjective sub(sub_pred, *glm, sy, sample->w, threads);
        VectorXd b0;
        if (scoring_start(sub_pred, *glm, sy, sample->w, threads, b0)) {
          Settings ss = s;
          ss.tol = 1e-10;  // its curvature at the subsample optimum preconditions the full fit
          ss.loss_floor = 0.1 / (2.0 * sub.weight_sum());
          ss.record_trace = false;
          ss.verbose = false;
          ss.progress = nullptr;
          Result r0 = newton(sub, b0, ss);
          if (r0.coef.allFinite() && r0.curvature.allFinite() && std::isfinite(obj.value(r0.coef))) {
            theta0 = r0.coef;
            sub_curvature = r0.curvature;
            ok = true;
          }
        }
        sample.reset();
      }
      if (!ok) {
        VectorXd b0;
        if (!scoring_start(pred, *glm, m.y, W, threads, b0) || !std::isfinite(obj.value(b0))) {
          throw std::runtime_error(
              "no valid set of coefficients has been found from the default start: please supply 'start'");
        }
        theta0 = b0;
        extra_iter = 1;
      }
    }
    if (!m.lik->log_scale_predictors().empty()) {
      // an unbounded likelihood shows as a scale collapsing far below the
      // start's (a factor exp(-14), about 1e-6: residuals at the rounding level of y)
      obj.set_scale_floors(theta0, 14.0);
    }
    // the first-order optimizers' units: a GLM fitted by minibatches (the
    // steps are not line-searched), or any location-scale model, measures a
    // predictor's coefficients in units of about unit curvature
    VectorXd units = VectorXd::Ones(K);
    bool unit_scaled = false;
    if (is_first_order(optimizer) && (stochastic || !glm)) {
      VectorXd f = mean_fisher_diagonal(obj, theta0);
      if (ls) {
        // a location-scale model: the location's curvature is about (mu.eta / sigma)^2
        // per unit of a standardised column, the log-scale's about 1
        MatrixXd eta(n, K);
        pred.eta_all(theta0, eta.data());
        double num = 0.0;
        for (Index i = 0; i < n; ++i) {
          const double me = mu_eta(ls->link(), eta(i, 0));
          num += W[i] * me * me * std::exp(-2.0 * eta(i, 1));
        }
        f[0] = num / obj.weight_sum();
      }
      // a location-scale model measures only its location predictors (those
      // before its log-scales) in such units
      int n_units = K;
      for (int k : m.lik->log_scale_predictors()) n_units = std::min(n_units, k);
      double phi = 1.0;
      if (glm && glm->dist() == Dist::gaussian) phi = 2.0 * obj.value(theta0);
      for (int k = 0; k < n_units; ++k) {
        const double u = 1.0 / std::sqrt(f[k] / phi);
        if (std::isfinite(u) && u > 0.0 && phi > 0.0) {
          units[k] = u;
          unit_scaled = true;
        }
      }
      if (glm && unit_scaled) s.grad_scale = 1.0 / phi;
    }
    const Runner run = [&](const VectorXd& start, const Settings& ss) -> Result {
      if (!is_first_order(optimizer)) {
        return optimize(optimizer, obj, start, ss, sub_curvature.size() ? &sub_curvature : nullptr);
      }
      const Standardised st = standardise(pred, W, obj.weight_sum(), units);
      RescaledObjective std_obj(obj, st.scale, st.shifts);
      // a subsample fit's curvature, in the same coordinates (A' H A for b = A theta),
      // is L-BFGS's first inverse Hessian
      MatrixXd h0;
      if (sub_curvature.size() && optimizer == "lbfgs") {
        MatrixXd A(dim, dim);
        for (Index j = 0; j < dim; ++j) A.col(j) = std_obj.to_beta(VectorXd::Unit(dim, j));
        const MatrixXd Hs = sub_curvature.selfadjointView<Eigen::Lower>();
        h0 = A.transpose() * Hs * A;
      }
      Result r = optimize(optimizer, std_obj, std_obj.to_theta(start), ss, h0.size() ? &h0 : nullptr);
      r.coef = std_obj.to_beta(r.coef);
      return r;
    };
    if (laplace) {
      LaplaceProblem lp;
      lp.X = kept_designs[0].materialise();
      lp.yo = Eigen::Map<const VectorXd>(m.y.y, n);
      if (m.offsets[0]) lp.yo -= Eigen::Map<const VectorXd>(m.offsets[0], n);
      lp.p = kept_designs[0].cols();
      lp.q = dim - lp.p;
      res = fit_laplace(obj, *m.lik, lp, run, stochastic, theta0, s);
    } else {
      res = run(theta0, s);
      if (!glm && !res.coef.allFinite()) res.coef = theta0;
    }
  }
  progress.finish(res.converged);

  // 2. covariance: glm's (the expected information) for a GLM; else the
  // inverse observed information, the expected one where that is not
  // positive definite (and always for the Laplace, whose observed
  // information in the location is singular)
  double loss = res.loss;
  // several responses of a GLM family (a product of them) are GLMs as well
  const ProductLikelihood* product = dynamic_cast<const ProductLikelihood*>(m.lik.get());
  const Family* glm_like = glm ? glm : product ? dynamic_cast<const Family*>(&product->base()) : nullptr;
  if (glm_like) {
    if (exact) {
      // cov holds (X' W X)^-1 from the closed form (block diagonal for several responses)
    } else if (optimizer == "newton" && glm_like->canonical()) {
      cov = spd_inverse(res.curvature) / obj.weight_sum();
    } else if (res.coef.allFinite()) {
      cov = fisher_cov(res.coef);
    }
  } else {
    VectorXd grad;
    MatrixXd H;
    if (laplace) {
      loss = obj.fisher_curvature(res.coef, grad, H);
    } else {
      loss = obj.value_grad_curv(res.coef, grad, H);
      cov_kind = "observed";
      if (Eigen::LLT<MatrixXd>(H).info() != Eigen::Success && m.lik->has_fisher()) {
        obj.fisher_curvature(res.coef, grad, H);
        cov_kind = "expected";
      }
    }
    cov = spd_inverse(H) / obj.weight_sum();
    if (!laplace) res.grad_norm = grad.norm();
  }

  // 3. results in the layout of the full designs
  Rcpp::NumericVector coef(full_pred.dim(), NA_REAL);
  Rcpp::LogicalVector alias(full_pred.dim(), true);
  for (Index j = 0; j < dim; ++j) {
    coef[kept_pos[j]] = res.coef[j];
    alias[kept_pos[j]] = false;
  }
  Rcpp::List out = Rcpp::List::create(
      Rcpp::Named("coefficients") = coef, Rcpp::Named("aliased") = alias, Rcpp::Named("loss") = loss,
      Rcpp::Named("loglik") = -loss * obj.weight_sum(), Rcpp::Named("cov") = Rcpp::wrap(cov),
      Rcpp::Named("cov_kind") = cov_kind, Rcpp::Named("grad_norm") = res.grad_norm,
      Rcpp::Named("converged") = res.converged, Rcpp::Named("diverged") = res.diverged,
      Rcpp::Named("iter") = res.iter + extra_iter, Rcpp::Named("message") = res.message,
      Rcpp::Named("rate_too_large") = res.rate_too_large,
      Rcpp::Named("best_epoch") = res.best_epoch >= 0 ? Rcpp::wrap(res.best_epoch) : R_NilValue,
      Rcpp::Named("trace") = trace_frame(res.trace, stochastic || optimizer == "gd", res.validated));
  // the predictors, written straight into R's memory (fresh memory is costly to touch twice)
  Rcpp::NumericMatrix eta_r(n, K);
  if (res.coef.allFinite()) {
    pred.eta_all(res.coef, eta_r.begin());
  } else {
    std::fill(eta_r.begin(), eta_r.end(), NA_REAL);
  }
  if (glm) {
    // a GLM's fitted means, mu.eta and working weights, as glm reports them;
    // n_boundary counts fitted means numerically at 0 (or 1 for binomial)
    int n_boundary = 0;
    Rcpp::NumericVector ww_r(n), mu_r(n), mu_eta_r(n);
    const bool canonical = glm->canonical();
    for (Index i = 0; i < n; ++i) {
      const double e = eta_r[i];
      mu_r[i] = glm->reported_mu(e);
      const double d = glm->mu_eta(e);
      // for a canonical link the Fisher weight mu.eta^2 / V(mu) is mu.eta itself
      ww_r[i] = W[i] == 0.0 ? 0.0 : (canonical ? W[i] * d : W[i] * glm->unit(m.y.y[i], e).weight);
      mu_eta_r[i] = glm->report_mu_eta(d);
      if (W[i] > 0.0 && glm->at_boundary(mu_r[i])) ++n_boundary;
    }
    eta_r.attr("dim") = R_NilValue;
    out["linear.predictors"] = eta_r;
    out["fitted.values"] = mu_r;
    out["mu.eta"] = mu_eta_r;
    out["weights"] = ww_r;
    out["n_boundary"] = n_boundary;
    out["deviance"] = 2.0 * obj.weight_sum() * res.loss;
  } else {
    out["linear.predictors"] = eta_r;
  }
  return out;
}
