#include "penalty.h"

#include <Rcpp.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "lad.h"
#include "optimizer.h"
#include "parallel.h"

namespace gradglm {

VectorXd ridge_curvature(const PenaltySpec& spec, const VectorXd& scale, double lambda) {
  return (lambda * (1.0 - spec.alpha) * spec.ridge_scale) * spec.factor.cwiseProduct(scale.cwiseAbs2());
}

VectorXd standardising_scales(const LinearPredictor& pred, const VecRef& w, bool standardize) {
  VectorXd scale = VectorXd::Ones(pred.dim());
  if (!standardize) return scale;
  const Index n = pred.n();
  const double wsum = w.sum();
  for (int b = 0; b < pred.nblocks(); ++b) {
    const PredBlock& pb = pred.block(b);
    const Design& X = pred.design(pb.design);
    const Index p = X.cols();
    std::vector<int> ones(p, 0);
    std::vector<double> mean(p, 0.0), msq(p, 0.0);
    for (Index j = 0; j < p; ++j) {
      const double* x = X.col(j);
      if (!x) {
        ones[j] = 1;
        continue;
      }
      double a = 0.0, q = 0.0;
      bool one = true;
      for (Index i = 0; i < n; ++i) {
        const double wx = w[i] * x[i];
        a += wx;
        q += wx * x[i];
        one = one && x[i] == 1.0;
      }
      ones[j] = one;
      mean[j] = a / wsum;
      msq[j] = q / wsum;
    }
    bool has_ones = false;
    for (Index j = 0; j < p; ++j) has_ones = has_ones || ones[j];
    for (int c = 0; c < pb.m; ++c)
      for (Index j = 0; j < p; ++j) {
        // the weighted standard deviation, with or without an intercept (as
        // glmnet's); without one, a constant column (which glmnet leaves
        // out) takes its root mean square
        const double var = msq[j] - mean[j] * mean[j];
        double s = std::sqrt(std::max(0.0, var));
        if (!has_ones && !(var > 1e-10 * msq[j])) s = std::sqrt(msq[j]);
        scale[pb.offset + c * p + j] = ones[j] ? 1.0 : s;
      }
  }
  return scale;
}

namespace {

inline double soft(double z, double g) {
  if (z > g) return z - g;
  if (z < -g) return z + g;
  return 0.0;
}

// Loops over the rows of one column, on up to T threads in chunks that
// Eigen vectorises: x'r, r += delta c (x - xbar), and sum c x, sum c x^2.
typedef Eigen::Map<const VectorXd> CVec;
constexpr Index kChunk = 8192;

double col_dot(const double* x, const double* r, Index n, int T) {
  return sum_blocks((long)n, (long)kChunk, T, [&](long a, long len) { return CVec(x + a, len).dot(CVec(r + a, len)); });
}

void col_axpy(double* r, const double* c, const double* x, double xbar, double delta, Index n, int T) {
  const Index chunks = (n + kChunk - 1) / kChunk;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(T) if (T > 1)
#endif
  for (Index b = 0; b < chunks; ++b) {
    const Index a = b * kChunk, len = std::min(kChunk, n - a);
    Eigen::Map<VectorXd> rr(r + a, len);
    if (x) {
      rr.array() += (CVec(c + a, len).array() * (CVec(x + a, len).array() - xbar)) * delta;
    } else {
      rr.noalias() += delta * CVec(c + a, len);
    }
  }
  (void)T;
}

// r += delta c (x - xbar), returning the sum of the change, in blocks small
// enough for Eigen to vectorise both without a temporary on the heap
double col_axpy_sum(double* r, const double* c, const double* x, double xbar, double delta, Index n) {
  constexpr Index kSub = 256;
  Eigen::Array<double, Eigen::Dynamic, 1, 0, kSub, 1> d;
  double s = 0.0;
  for (Index a = 0; a < n; a += kSub) {
    const Index len = std::min(kSub, n - a);
    const Eigen::Map<const Eigen::ArrayXd> cv(c + a, len);
    if (x) {
      d = cv * (Eigen::Map<const Eigen::ArrayXd>(x + a, len) - xbar) * delta;
    } else {
      d = cv * ((1.0 - xbar) * delta);
    }
    Eigen::Map<Eigen::ArrayXd>(r + a, len) += d;
    s += d.sum();
  }
  return s;
}

void col_moments(const double* x, const double* c, Index n, int T, double& sx, double& sxx) {
  const Index chunks = (n + kChunk - 1) / kChunk;
  double a = 0.0, q = 0.0;
#ifdef _OPENMP
#pragma omp parallel for reduction(+ : a, q) schedule(static) num_threads(T) if (T > 1)
#endif
  for (Index b = 0; b < chunks; ++b) {
    const Index o = b * kChunk, len = std::min(kChunk, n - o);
    const CVec xv(x + o, len), cv(c + o, len);
    a += cv.dot(xv);
    q += (cv.array() * xv.array().square()).sum();
  }
  (void)T;
  sx = a;
  sxx = q;
}

// One coefficient as coordinate descent sees it.
struct Coord {
  Index pos;        // position in theta
  int k;            // the predictor it enters
  const double* x;  // its column; nullptr for a column of ones
  double f, s;      // penalty factor and standardising scale
  bool intercept;   // the intercept of predictor k
  bool skip;        // a constant column next to an intercept: stays 0
};

class PathSolver {
 public:
  PathSolver(ModelObjective& obj, const PenaltySpec& spec, Likelihood* smoothable)
      : smoothable_(smoothable),
        T_(threads_for((long)obj.predictor().n(), obj.threads())),
        obj_(obj),
        spec_(spec),
        pred_(obj.predictor()),
        lik_(obj.likelihood()),
        n_(obj.predictor().n()),
        K_(obj.predictor().k()),
        wsum_(obj.weight_sum()) {
    const auto& pairs = lik_.pairs();
    P_ = (int)pairs.size();
    diag_.assign(K_, -1);
    touching_.assign(K_, std::vector<std::pair<int, int>>());
    for (int q = 0; q < P_; ++q) {
      const int a = pairs[q].first, b = pairs[q].second;
      if (a == b) diag_[a] = q;
      touching_[a].push_back(std::make_pair(b, q));
      if (a != b) touching_[b].push_back(std::make_pair(a, q));
    }
    // the observed curvature converges fastest (a penalised optimum is not
    // the likelihood's, where Fisher's and the observed curvature agree);
    // Fisher's is the fall-back when the observed one is not positive or
    // its step needs halving
    fisher_fallback_ = !lik_.canonical() && lik_.has_fisher();
    mode_ = Curv::observed;
    make_coords();
    gram_ = spec_.quadratic && K_ == 1 && pred_.dim() <= 3000;
  }

  PenaltyPath run(const VectorXd& start, const std::vector<double>& intercept_start);

 private:
  Likelihood* smoothable_;  // a likelihood solved by smoothing continuation, or null
  int T_;  // threads for the loops over rows
  ModelObjective& obj_;
  const PenaltySpec& spec_;
  const LinearPredictor& pred_;
  const Likelihood& lik_;
  Index n_;
  int K_, P_ = 0;
  double wsum_;
  Curv mode_, eval_mode_ = Curv::none;
  // g_ and C_ hold the rows' gradient and curvature (of eval_mode_) at eta_
  bool have_eval_ = false;
  VectorXd g2_, C2_;  // the same at a trial point
  bool fisher_fallback_ = false, bad_curv_ = false;
  bool gram_ = false;
  std::vector<int> diag_;
  std::vector<std::vector<std::pair<int, int>>> touching_;  // (other predictor, pair) of each predictor
  std::vector<Coord> coords_;
  std::vector<Index> icpt_;  // coordinate of each predictor's intercept, -1 if none
  VectorXd scale_;           // the standardising scale of each coefficient
  std::vector<Index> penalised_, free_;  // coordinates (not intercepts, not skipped)
  // Units of coordinate descent: each unpenalised coordinate, and each group
  // of penalised coordinates (a single one for the lasso) whose penalty is
  // lambda f [alpha w ||u|| + (1 - alpha) r ||u||^2 / 2] in the standardised
  // coefficients u = s b, w the square root of its number of columns
  struct Unit {
    std::vector<Index> coords;
    double f = 0.0, w = 1.0;
    bool penalised = false;
  };
  std::vector<Unit> units_;
  std::vector<Index> free_units_, pen_units_;
  std::vector<std::vector<int>> pair_of_;  // pair_of_[k][l]: the curvature pair of predictors k and l, -1 if none
  // state
  VectorXd theta_, eta_, g_, C_, r_, de_, rsum_, swk_;
  std::vector<long> stamp_;
  VectorXd xw_, xxw_;
  long irls_ = 0;
  long sweeps_ = 0;
  double thr_ = 0.0, loss_ = 0.0;
  // the quadratic model of a Gaussian fit
  MatrixXd S_;          // curvature of the non-intercept coordinates, the intercept eliminated
  VectorXd gref_, gq_;  // gradient at the reference point and now (per coordinate)
  VectorXd theta_ref_;
  VectorXd h0_;         // curvature of the intercept against each coordinate / its own
  double loss_ref_ = 0.0;

  void make_coords() {
    icpt_.assign(K_, -1);
    scale_ = standardising_scales(pred_, obj_.weights(), spec_.standardize);
    for (int b = 0; b < pred_.nblocks(); ++b) {
      const PredBlock& pb = pred_.block(b);
      const Design& X = pred_.design(pb.design);
      const Index p = X.cols();
      std::vector<int> constant(p, 0), ones(p, 0);
      for (Index j = 0; j < p; ++j) {
        const double* x = X.col(j);
        if (!x) {
          constant[j] = ones[j] = 1;
          continue;
        }
        bool c = true;
        for (Index i = 1; i < n_ && c; ++i) c = x[i] == x[0];
        constant[j] = c;
        ones[j] = c && x[0] == 1.0;
      }
      for (int c = 0; c < pb.m; ++c) {
        const int k = pb.first + c;
        Index first_coord = (Index)coords_.size();
        for (Index j = 0; j < p; ++j) {
          Coord cd;
          cd.pos = pb.offset + c * p + j;
          cd.k = k;
          cd.x = X.col(j);
          cd.f = spec_.factor[cd.pos];
          cd.s = scale_[cd.pos];
          cd.intercept = ones[j] && icpt_[k] < 0;
          if (cd.intercept) icpt_[k] = (Index)coords_.size();
          cd.skip = false;
          coords_.push_back(cd);
        }
        // constant columns beside an intercept carry no information
        if (icpt_[k] >= 0) {
          for (Index j = 0; j < p; ++j) {
            Coord& cd = coords_[first_coord + j];
            if (constant[j] && !cd.intercept) cd.skip = true;
          }
        }
      }
    }
    for (Index j = 0; j < (Index)coords_.size(); ++j) {
      const Coord& cd = coords_[j];
      if (cd.intercept || cd.skip) continue;
      if (cd.f > 0.0 && cd.s > 0.0) {
        penalised_.push_back(j);
      } else {
        free_.push_back(j);
      }
    }
    for (Index j : free_) {
      Unit u;
      u.coords.push_back(j);
      free_units_.push_back((Index)units_.size());
      units_.push_back(u);
    }
    std::vector<std::pair<int, Index>> keyed;  // (group id, coordinate)
    for (Index j : penalised_) {
      const int gid = spec_.group.empty() ? 0 : spec_.group[coords_[j].pos];
      if (gid <= 0) {
        Unit u;
        u.coords.push_back(j);
        u.f = coords_[j].f;
        u.penalised = true;
        pen_units_.push_back((Index)units_.size());
        units_.push_back(u);
      } else {
        keyed.push_back(std::make_pair(gid, j));
      }
    }
    std::stable_sort(keyed.begin(), keyed.end(),
                     [](const std::pair<int, Index>& a, const std::pair<int, Index>& b) { return a.first < b.first; });
    for (size_t a = 0; a < keyed.size();) {
      size_t b = a;
      Unit u;
      u.penalised = true;
      u.f = coords_[keyed[a].second].f;
      std::vector<const double*> cols;
      while (b < keyed.size() && keyed[b].first == keyed[a].first) {
        const Index j = keyed[b].second;
        u.coords.push_back(j);
        if (std::find(cols.begin(), cols.end(), coords_[j].x) == cols.end()) cols.push_back(coords_[j].x);
        ++b;
      }
      u.w = std::sqrt((double)cols.size());
      pen_units_.push_back((Index)units_.size());
      units_.push_back(u);
      a = b;
    }
    pair_of_.assign(K_, std::vector<int>(K_, -1));
    const auto& pairs = lik_.pairs();
    for (int q = 0; q < (int)pairs.size(); ++q) {
      pair_of_[pairs[q].first][pairs[q].second] = q;
      pair_of_[pairs[q].second][pairs[q].first] = q;
    }
  }

  // a unit's standardised coefficients and their norm
  double unit_norm(const Unit& u, const VectorXd& theta) const {
    double s = 0.0;
    for (Index j : u.coords) {
      const double v = coords_[j].s * theta[coords_[j].pos];
      s += v * v;
    }
    return std::sqrt(s);
  }
  // the norm of a unit's gradient in the standardised coefficients
  double unit_grad_norm(const Unit& u, const VectorXd& G) const {
    double s = 0.0;
    for (Index j : u.coords) {
      const double v = G[coords_[j].pos] / coords_[j].s;
      s += v * v;
    }
    return std::sqrt(s);
  }
  bool unit_nonzero(const Unit& u) const {
    for (Index j : u.coords)
      if (theta_[coords_[j].pos] != 0.0) return true;
    return false;
  }

  double l1(const Coord& cd, double lambda) const { return lambda * spec_.alpha * cd.f * cd.s; }
  double l2(const Coord& cd, double lambda) const {
    return lambda * (1.0 - spec_.alpha) * spec_.ridge_scale * cd.f * cd.s * cd.s;
  }
  double penalty(const VectorXd& theta, double lambda) const {
    double out = 0.0;
    for (Index ui : pen_units_) {
      const Unit& u = units_[ui];
      const double nu = unit_norm(u, theta);
      out += lambda * u.f * (spec_.alpha * u.w * nu + 0.5 * (1.0 - spec_.alpha) * spec_.ridge_scale * nu * nu);
    }
    return out;
  }

  // ---- the proximal Newton route (any likelihood) ----

  // loss, gradient and curvature of every row at eta_
  void evaluate() {
    if (!(have_eval_ && eval_mode_ == mode_)) {
      g_.resize(n_ * K_);
      C_.resize(n_ * P_);
      loss_ = eval_rows(eta_, g_.data(), C_.data(), mode_);
      have_eval_ = true;
      eval_mode_ = mode_;
    }
    ++irls_;
    r_ = g_;
    rsum_.resize(K_);
    swk_.resize(K_);
    for (int k = 0; k < K_; ++k) {
      rsum_[k] = g_.segment(k * n_, n_).sum();
      swk_[k] = diag_[k] >= 0 ? C_.segment(diag_[k] * n_, n_).sum() : 0.0;
    }
  }
  double loss_at(const VectorXd& eta) const { return eval_rows(eta, nullptr, nullptr, Curv::none); }

  // the mean loss at eta (n x K), and the rows' gradient and curvature when
  // asked; one predictor's rows are evaluated in threaded blocks
  double eval_rows(const VectorXd& eta, double* grad, double* curv, Curv mode) const {
    const double* w = obj_.weights().data();
    if (K_ > 1 || T_ == 1) {
      const RowBlock rb{0, n_, eta.data(), w};
      return lik_.eval_block(obj_.response(), rb, grad, curv, mode) / wsum_;
    }
    const double total = sum_blocks((long)n_, 16384L, T_, [&](long a, long len) {
      const RowBlock rb{(Index)a, (Index)len, eta.data() + a, w + a};
      return lik_.eval_block(obj_.response(), rb, grad ? grad + a : nullptr, curv ? curv + a : nullptr, mode);
    });
    return total / wsum_;
  }

  // x'C_kk x and x'C_kk 1 of a coordinate, once per Newton step
  void stats(Index j) {
    if (stamp_[j] == irls_) return;
    stamp_[j] = irls_;
    const Coord& cd = coords_[j];
    const int q = diag_[cd.k];
    if (q < 0) {
      xw_[j] = xxw_[j] = 0.0;
      return;
    }
    const double* c = C_.data() + (Index)q * n_;
    if (!cd.x) {
      xw_[j] = xxw_[j] = swk_[cd.k];
      return;
    }
    double a, b;
    col_moments(cd.x, c, n_, T_, a, b);
    xw_[j] = a;
    xxw_[j] = b;
  }

  // moves theta along coordinate j by delta (centred on its predictor's
  // intercept by xbar) and updates the quadratic model's gradient r; xw is
  // the column's sum against the curvature (so that the sum of r is updated
  // without a pass). The predictors' change is built after the sweeps.
  void move(const Coord& cd, double delta, double xbar, double xw) {
    theta_[cd.pos] += delta;
    if (xbar != 0.0) theta_[coords_[icpt_[cd.k]].pos] -= xbar * delta;
    const Index n = n_;
    if (K_ == 1) {
      col_axpy(r_.data(), C_.data(), cd.x, xbar, delta, n, T_);
      rsum_[0] += delta * (xw - xbar * swk_[0]);
      return;
    }
    for (const auto& lq : touching_[cd.k]) {
      const double* c = C_.data() + (Index)lq.second * n;
      rsum_[lq.first] += col_axpy_sum(r_.data() + (Index)lq.first * n, c, cd.x, xbar, delta, n);
    }
  }

  // the change of the predictors from theta_old to theta_
  void build_de(const VectorXd& theta_old) {
    de_.setZero(n_ * K_);
    for (const Coord& cd : coords_) {
      const double d = theta_[cd.pos] - theta_old[cd.pos];
      if (d == 0.0) continue;
      Eigen::Map<VectorXd> de(de_.data() + (Index)cd.k * n_, n_);
      if (cd.x) {
        de.noalias() += d * Eigen::Map<const VectorXd>(cd.x, n_);
      } else {
        de.array() += d;
      }
    }
  }

  // one coordinate step; returns its curvature times the squared change
  double update(Index j, double lambda) {
    const Coord& cd = coords_[j];
    stats(j);
    const double* r = r_.data() + (Index)cd.k * n_;
    double h, G, xbar = 0.0;
    if (cd.intercept) {
      h = swk_[cd.k];
      G = rsum_[cd.k];
    } else {
      const double xr = cd.x ? col_dot(cd.x, r, n_, T_) : rsum_[cd.k];
      h = xxw_[j];
      G = xr;
      if (icpt_[cd.k] >= 0 && swk_[cd.k] > 0.0) {
        xbar = xw_[j] / swk_[cd.k];
        h -= xw_[j] * xbar;
        G -= xbar * rsum_[cd.k];
      }
    }
    h /= wsum_;
    G /= wsum_;
    const double a = l1(cd, lambda), b = l2(cd, lambda);
    if (!(h > 0.0) && mode_ == Curv::observed && fisher_fallback_) bad_curv_ = true;
    if (!(h + b > 1e-300) || (h <= 1e-14 * std::max(1.0, swk_[cd.k] / wsum_) && b == 0.0)) return 0.0;
    const double old = theta_[cd.pos];
    const double nb = cd.intercept ? old - G / h : soft(h * old - G, a) / (h + b);
    const double delta = nb - old;
    if (delta == 0.0) return 0.0;
    move(cd, delta, xbar, cd.intercept ? swk_[cd.k] : xw_[j]);
    return (h + b) * delta * delta;
  }

  double sweep(const std::vector<Index>& list, double lambda) {
    double change = 0.0;
    for (Index ui : list) {
      const Unit& u = units_[ui];
      double c;
      if (u.coords.size() == 1) {
        c = gram_ ? gram_update(u.coords[0], lambda) : update(u.coords[0], lambda);
      } else {
        c = group_update(u, lambda);
      }
      change = std::max(change, c);
    }
    if (!gram_) {
      for (int k = 0; k < K_; ++k)
        if (icpt_[k] >= 0) change = std::max(change, update(icpt_[k], lambda));
    }
    ++sweeps_;
    return change;
  }

  // coordinate descent on the current quadratic model, over `work` and then
  // over its non-zero coordinates, until a full sweep changes nothing
  void inner(const std::vector<Index>& work, double lambda) {
    std::vector<Index> active;
    // with the observed curvature the quadratic need not be convex: a long
    // inner loop hands over to Fisher's
    const long limit = (mode_ == Curv::observed && fisher_fallback_) ? std::min(spec_.max_sweeps, sweeps_ + 500)
                                                                      : spec_.max_sweeps;
    while (sweeps_ < limit) {
      if (bad_curv_) break;
      if (sweep(work, lambda) < thr_) break;
      active.clear();
      for (Index ui : work)
        if (!units_[ui].penalised || unit_nonzero(units_[ui])) active.push_back(ui);
      while (sweeps_ < limit && sweep(active, lambda) >= thr_) {
      }
      if (sweeps_ % 64 == 0) Rcpp::checkUserInterrupt();
    }
    if (sweeps_ >= limit && limit < spec_.max_sweeps) bad_curv_ = true;
  }

  // Newton steps at one lambda: the quadratic model, coordinate descent on
  // it, step-halving on F
  bool newton(const std::vector<Index>& work, double lambda) {
    bool fisher_next = false;
    for (int it = 0; it < 100; ++it) {
      if (sweeps_ >= spec_.max_sweeps) return false;
      mode_ = fisher_next ? Curv::fisher : Curv::observed;
      fisher_next = false;
      bad_curv_ = false;
      evaluate();
      for (int k = 0; k < K_ && fisher_fallback_ && mode_ == Curv::observed; ++k) {
        if (!(swk_[k] > 0.0)) {
          mode_ = Curv::fisher;
          evaluate();
        }
      }
      const VectorXd theta_old = theta_;
      const double f_old = loss_ + penalty(theta_, lambda);
      inner(work, lambda);
      build_de(theta_old);
      VectorXd eta_new = eta_ + de_;
      // the full step's loss with its rows' gradient and curvature: the next
      // step's quadratic model when the step is taken
      g2_.resize(n_ * K_);
      C2_.resize(n_ * P_);
      double loss_new = eval_rows(eta_new, g2_.data(), C2_.data(), mode_), t = 1.0;
      const VectorXd step = theta_ - theta_old;
      int halvings = 0;
      while (!(loss_new + penalty(theta_, lambda) <= f_old + 1e-12 * std::abs(f_old)) && halvings < 40) {
        t *= 0.5;
        ++halvings;
        theta_ = theta_old + t * step;
        eta_new = eta_ + t * de_;
        loss_new = loss_at(eta_new);
      }
      if (halvings == 40) {
        theta_ = theta_old;
        if (mode_ == Curv::observed && fisher_fallback_) {
          fisher_next = true;
          continue;
        }
        return true;  // no descent left at this precision
      }
      // a step of the observed curvature that needed halving: one step of Fisher's next
      if (mode_ == Curv::observed && (halvings > 0 || bad_curv_) && fisher_fallback_) fisher_next = true;
      // the step's size in the curvature's metric
      double dec = 0.0;
      for (int k = 0; k < K_; ++k) {
        if (diag_[k] < 0) continue;
        const double* c = C_.data() + (Index)diag_[k] * n_;
        const double* d = de_.data() + (Index)k * n_;
        // (a curvature that is not finite, e.g. of a Student-t's log df running
        // to infinity, the Gaussian limit, does not count)
        for (Index i = 0; i < n_; ++i)
          if (std::isfinite(c[i])) dec += c[i] * d[i] * d[i];
      }
      dec *= t * t / wsum_;
      eta_.swap(eta_new);
      loss_ = loss_new;
      have_eval_ = halvings == 0;
      if (have_eval_) {
        g_.swap(g2_);
        C_.swap(C2_);
        eval_mode_ = mode_;
      }
      if (spec_.quadratic || dec < thr_) return true;
      if (sweeps_ >= spec_.max_sweeps) return false;
      Rcpp::checkUserInterrupt();
    }
    return false;
  }

  // ---- the Laplace's exact finish ----

  // The elastic net of a Laplace location given its scale is a weighted least
  // absolute deviations problem with a row |0 - b_j| of weight
  // W lambda alpha f_j s_j per penalised column, plus a ridge term
  // W l2_j b_j^2 / 2. Without the ridge (the lasso) the simplex of src/lad.h
  // solves it exactly; with it, the active-set solver there, started from
  // the rows a smoothed fit put at (nearly) zero residual. Both end with a
  // certificate. Alternates that with Newton's method for an unpenalised
  // scale model until both settle. False when not applicable or not
  // certified (theta_ is then as it was).
  MatrixXd Xa_;
  VectorXd ya_;
  std::vector<Index> pen_rows_, basis_;
  bool exact_ = false;
  bool laplace_exact(double lambda, double zero_tol) {
    const PredBlock& b0 = pred_.block(0);
    if (K_ != 2 || pred_.nblocks() != 2 || b0.m != 1 || b0.offset != 0) return false;
    for (Index ui : pen_units_) {
      const Unit& u = units_[ui];
      if (u.coords.size() != 1 || coords_[u.coords[0]].k != 0) return false;
    }
    const Design& X = pred_.design(b0.design);
    const Index p = X.cols(), q = pred_.dim() - p;
    if (Xa_.rows() == 0) {
      pen_rows_.clear();
      for (Index ui : pen_units_) pen_rows_.push_back(units_[ui].coords[0]);
      Xa_ = MatrixXd::Zero(n_ + (Index)pen_rows_.size(), p);
      Xa_.topRows(n_) = X.materialise();
      ya_ = VectorXd::Zero(Xa_.rows());
      const double* off = pred_.offset(0);
      for (Index i = 0; i < n_; ++i) ya_[i] = obj_.response().at(i, 0) - (off ? off[i] : 0.0);
      for (size_t r = 0; r < pen_rows_.size(); ++r) Xa_(n_ + (Index)r, coords_[pen_rows_[r]].pos) = 1.0;
    }
    const bool lasso = spec_.alpha == 1.0;
    std::vector<Index> scale_idx(q);
    for (Index j = 0; j < q; ++j) scale_idx[j] = p + j;
    VectorXd c(Xa_.rows()), ridge = VectorXd::Zero(p);
    for (size_t r = 0; r < pen_rows_.size(); ++r) {
      const Coord& cd = coords_[pen_rows_[r]];
      c[n_ + (Index)r] = wsum_ * l1(cd, lambda);
      ridge[cd.pos] = wsum_ * l2(cd, lambda);
    }
    const VectorXd theta0 = theta_;
    auto give_up = [&]() {  // back to the smoothed solution
      theta_ = theta0;
      basis_.clear();
      return false;
    };
    std::vector<Index> last;
    MatrixXd eta(n_, K_);
    bool settled = false;
    for (int round = 0; round < 200 && !settled; ++round) {
      pred_.eta_all(theta_, eta.data());
      for (Index i = 0; i < n_; ++i) c[i] = obj_.weights()[i] * std::exp(-eta(i, 1));
      LadResult lad;
      if (lasso) {
        lad = weighted_lad(Xa_, ya_, c, theta_.head(p), basis_, 50 * (int)std::min<Index>(Xa_.rows(), 100000) + 1000);
      } else {
        // the rows a smoothed fit (or the last round) left near zero
        VectorXd close(Xa_.rows());
        for (Index i = 0; i < Xa_.rows(); ++i) {
          const double ri = std::abs(ya_[i] - Xa_.row(i).dot(theta_.head(p)));
          close[i] = i < n_ ? ri * std::exp(-eta(i, 1)) : (ri == 0.0 ? 0.0 : INFINITY);
        }
        lad = weighted_lad_ridge(Xa_, ya_, c, ridge, theta_.head(p), close, round == 0 ? zero_tol : 1e-3,
                                 20 * (int)p + 50);
      }
      if (!lad.beta.allFinite() || !lad.optimal) return give_up();
      const bool same = lad.basis == last;
      const double move = (lad.beta - theta_.head(p)).cwiseAbs().maxCoeff();
      theta_.head(p) = lad.beta;
      basis_ = last = lad.basis;
      PartialObjective part(obj_, theta_, scale_idx);
      Settings sg;
      sg.tol = 1e-12;
      sg.max_iter = 100;
      sg.record_trace = false;
      const VectorXd g0 = theta_.segment(p, q);
      const Result rg = gradglm::newton(part, g0, sg, nullptr);
      if (!rg.coef.allFinite()) return give_up();
      theta_.segment(p, q) = rg.coef;
      const double tol = 1e-10 * (1.0 + theta_.cwiseAbs().maxCoeff());
      settled = same && (rg.coef - g0).cwiseAbs().maxCoeff() <= tol && (lasso || move <= tol);
    }
    if (!settled && !lasso) return give_up();
    pred_.eta_all(theta_, eta_.data());
    have_eval_ = false;
    loss_ = loss_at(eta_);
    return true;
  }

  // ---- the quadratic (Gaussian) route: covariance updates ----

  void gram_setup() {
    VectorXd g;
    MatrixXd H;
    loss_ref_ = obj_.value_grad_curv(theta_, g, H);
    theta_ref_ = theta_;
    const Index m = (Index)coords_.size();
    gref_.setZero(m);
    for (Index j = 0; j < m; ++j) gref_[j] = g[coords_[j].pos];
    S_.setZero(m, m);
    for (Index a = 0; a < m; ++a)
      for (Index b = 0; b < m; ++b) S_(a, b) = H(coords_[a].pos, coords_[b].pos);
    h0_.setZero(m);
    if (icpt_[0] >= 0) {
      const Index c0 = icpt_[0];
      const double h00 = S_(c0, c0);
      h0_ = S_.col(c0) / h00;
      // eliminate the intercept: the Schur complement
      S_ -= S_.col(c0) * S_.row(c0) / h00;
      gref_ -= h0_ * gref_[c0];
      S_.row(c0).setZero();
      S_.col(c0).setZero();
    }
    gq_ = gref_;
  }

  double gram_update(Index j, double lambda) {
    const Coord& cd = coords_[j];
    const double h = S_(j, j), a = l1(cd, lambda), b = l2(cd, lambda);
    if (!(h + b > 1e-300) || (h <= 1e-14 * std::abs(S_.diagonal().maxCoeff()) && b == 0.0)) return 0.0;
    const double old = theta_[cd.pos];
    const double nb = soft(h * old - gq_[j], a) / (h + b);
    const double delta = nb - old;
    if (delta == 0.0) return 0.0;
    theta_[cd.pos] = nb;
    gq_.noalias() += delta * S_.col(j);
    return (h + b) * delta * delta;
  }

  // One block step of a group (majorised: the group's curvature replaced by
  // its largest eigenvalue L in the standardised coefficients u = s b):
  //   u <- v (1 - a / ||v||)_+ / (L + b),   v = L u - grad_u,
  // with a = lambda alpha f w and b the ridge part. Returns the curvature
  // weighted squared change.
  double group_update(const Unit& u, double lambda) {
    const Index m = (Index)u.coords.size();
    VectorXd gu(m), xbar = VectorXd::Zero(m), xw(m);
    MatrixXd H(m, m);
    for (Index a = 0; a < m; ++a) {
      const Index j = u.coords[a];
      const Coord& cd = coords_[j];
      if (gram_) {
        gu[a] = gq_[j] / cd.s;
        continue;
      }
      stats(j);
      const double* r = r_.data() + (Index)cd.k * n_;
      double G = col_dot(cd.x, r, n_, T_);
      if (icpt_[cd.k] >= 0 && swk_[cd.k] > 0.0) {
        xbar[a] = xw_[j] / swk_[cd.k];
        G -= xbar[a] * rsum_[cd.k];
      }
      xw[a] = xw_[j];
      gu[a] = G / wsum_ / cd.s;
    }
    // the group's curvature in u
    for (Index a = 0; a < m; ++a) {
      const Coord& ca = coords_[u.coords[a]];
      for (Index b = 0; b <= a; ++b) {
        const Coord& cb = coords_[u.coords[b]];
        double h;
        if (gram_) {
          h = S_(u.coords[a], u.coords[b]);
        } else {
          const int q = pair_of_[ca.k][cb.k];
          h = 0.0;
          if (q >= 0) {
            const double* c = C_.data() + (Index)q * n_;
            double sxy = 0.0, sx = 0.0, sy = 0.0, s1 = 0.0;
            for (Index i = 0; i < n_; ++i) {
              sxy += c[i] * ca.x[i] * cb.x[i];
              sx += c[i] * ca.x[i];
              sy += c[i] * cb.x[i];
              s1 += c[i];
            }
            h = (sxy - xbar[a] * sy - xbar[b] * sx + xbar[a] * xbar[b] * s1) / wsum_;
          }
        }
        H(a, b) = H(b, a) = h / (ca.s * cb.s);
      }
    }
    const double L = Eigen::SelfAdjointEigenSolver<MatrixXd>(H, Eigen::EigenvaluesOnly).eigenvalues().maxCoeff();
    if (!(L > 0.0)) {
      if (mode_ == Curv::observed && fisher_fallback_) bad_curv_ = true;
      return 0.0;
    }
    const double a = lambda * spec_.alpha * u.f * u.w;
    const double b = lambda * (1.0 - spec_.alpha) * spec_.ridge_scale * u.f;
    VectorXd uu(m);
    for (Index k = 0; k < m; ++k) uu[k] = coords_[u.coords[k]].s * theta_[coords_[u.coords[k]].pos];
    const VectorXd v = L * uu - gu;
    const double nv = v.norm();
    const VectorXd un = nv > a ? VectorXd(v * ((1.0 - a / nv) / (L + b))) : VectorXd(VectorXd::Zero(m));
    double change = 0.0;
    for (Index k = 0; k < m; ++k) {
      const Index j = u.coords[k];
      const Coord& cd = coords_[j];
      const double delta = un[k] / cd.s - theta_[cd.pos];
      if (delta == 0.0) continue;
      change += (L + b) * (un[k] - uu[k]) * (un[k] - uu[k]);
      if (gram_) {
        theta_[cd.pos] += delta;
        gq_.noalias() += delta * S_.col(j);
      } else {
        move(cd, delta, xbar[k], xw[k]);
      }
    }
    return change;
  }

  // theta's intercept and the loss from the quadratic model
  void gram_finish() {
    VectorXd d = VectorXd::Zero(coords_.size());
    for (Index j = 0; j < (Index)coords_.size(); ++j) d[j] = theta_[coords_[j].pos] - theta_ref_[coords_[j].pos];
    if (icpt_[0] >= 0) {
      const Index c0 = icpt_[0];
      d[c0] = 0.0;
      theta_[coords_[c0].pos] = theta_ref_[coords_[c0].pos] - h0_.dot(d);
    }
    loss_ = loss_ref_ + d.dot(gref_) + 0.5 * d.dot(gq_ - gref_);
  }

  // ---- the path ----

  // the gradient of the loss in every coefficient at theta_
  VectorXd full_gradient() {
    if (gram_) {
      VectorXd G = VectorXd::Zero(theta_.size());
      for (Index j = 0; j < (Index)coords_.size(); ++j) G[coords_[j].pos] = gq_[j];
      return G;
    }
    // the rows' gradient at eta_, pulled back through the designs
    if (!have_eval_) {
      g_.resize(n_ * K_);
      C_.resize(n_ * P_);
      loss_ = eval_rows(eta_, g_.data(), C_.data(), mode_);
      have_eval_ = true;
      eval_mode_ = mode_;
    }
    const Index B = pred_.block_rows(), blocks = (n_ + B - 1) / B;
    std::vector<VectorXd> part(T_, VectorXd::Zero(pred_.dim()));
    std::vector<LinearPredictor::Work> work(T_);
    std::vector<VectorXd> buf(T_);
    for_blocks((long)n_, (long)B, T_, [&](int t, long start, long len) {
      pred_.load(start, len, work[t]);
      const double* R = g_.data() + start;
      if (K_ > 1) {
        buf[t].resize(len * K_);
        for (int k = 0; k < K_; ++k) buf[t].segment(k * len, len) = g_.segment(k * n_ + start, len);
        R = buf[t].data();
      }
      pred_.add_grad(R, work[t], part[t]);
    });
    (void)blocks;
    for (int t = 1; t < T_; ++t) part[0] += part[t];
    return part[0] / wsum_;
  }

  // max over coefficients of the violation of the KKT conditions, in the
  // units of the standardised columns
  double kkt(const VectorXd& G, double lambda) const {
    double worst = 0.0;
    for (Index j : free_) {
      const Coord& cd = coords_[j];
      worst = std::max(worst, std::abs(G[cd.pos]) / (cd.s > 0.0 ? cd.s : 1.0));
    }
    for (int k = 0; k < K_; ++k)
      if (icpt_[k] >= 0) worst = std::max(worst, std::abs(G[coords_[icpt_[k]].pos]));
    for (Index ui : pen_units_) {
      const Unit& u = units_[ui];
      const double nu = unit_norm(u, theta_), a = lambda * spec_.alpha * u.f * u.w;
      const double b = lambda * (1.0 - spec_.alpha) * spec_.ridge_scale * u.f;
      double v2 = 0.0;
      for (Index j : u.coords) {
        const Coord& cd = coords_[j];
        const double uj = cd.s * theta_[cd.pos];
        const double g = G[cd.pos] / cd.s + b * uj + (nu > 0.0 ? a * uj / nu : 0.0);
        v2 += g * g;
      }
      const double v = nu > 0.0 ? std::sqrt(v2) : std::max(0.0, std::sqrt(v2) - a);
      worst = std::max(worst, v);
    }
    return worst;
  }

  // fits at lambda from theta_, screening by the strong rule from the
  // gradient G at the previous solution (lambda_prev); G becomes the
  // gradient at the new solution
  bool solve(double lambda, double lambda_prev, VectorXd& G) {
    std::vector<char> in(units_.size(), 0);
    std::vector<Index> work = free_units_;
    for (Index ui : pen_units_) {
      const Unit& u = units_[ui];
      const double cut = spec_.alpha * u.f * u.w * (2.0 * lambda - lambda_prev);
      if (unit_nonzero(u) || unit_grad_norm(u, G) >= cut) {
        in[ui] = 1;
        work.push_back(ui);
      }
    }
    for (;;) {
      bool ok = true;
      if (gram_) {
        inner(work, lambda);
        gram_finish();
      } else if (smoothable_) {
        // a loss that is not smooth (the Laplace's |z|): its smooth version
        // sqrt(z^2 + d^2) at d = 1e-2 for a start, then the exact finish
        // (with continuation to d = 1e-4 and 1e-6 where it does not certify)
        // (smaller d make coordinate descent crawl: the curvature of the rows
        // at a zero residual grows as 1 / d)
        smoothable_->set_smooth(1e-2);
        have_eval_ = false;
        ok = newton(work, lambda);
        // the exact finish from there: the lasso's simplex needs only a
        // start; the active set of an elastic net or ridge is read off the
        // smoothed residuals (those below 10 d), and where it fails to
        // certify, after two more levels of smoothing. Without an exact
        // finish, those levels alone.
        smoothable_->set_smooth(0.0);
        exact_ = laplace_exact(lambda, 0.1);
        for (double d : {1e-4, 1e-6}) {
          if (exact_) break;
          smoothable_->set_smooth(d);
          have_eval_ = false;
          ok = newton(work, lambda);
          if (spec_.alpha < 1.0) {
            smoothable_->set_smooth(0.0);
            exact_ = laplace_exact(lambda, 10.0 * d);
          }
        }
        if (exact_) ok = true;  // certified: the smooth start's convergence does not matter
        smoothable_->set_smooth(exact_ ? 1e-4 : 1e-6);  // (the screening below needs a gradient)
      } else {
        ok = newton(work, lambda);
      }
      G = full_gradient();
      bool added = false;
      for (Index ui : pen_units_) {
        if (in[ui]) continue;
        const Unit& u = units_[ui];
        if (unit_grad_norm(u, G) > lambda * spec_.alpha * u.f * u.w * (1.0 + 1e-10)) {
          in[ui] = 1;
          work.push_back(ui);
          added = true;
        }
      }
      if (!added || sweeps_ >= spec_.max_sweeps) {
        if (smoothable_) {  // the loss reported is the exact one
          smoothable_->set_smooth(0.0);
          loss_ = loss_at(eta_);
          have_eval_ = false;
        }
        return ok && sweeps_ < spec_.max_sweeps;
      }
    }
  }
};

PenaltyPath PathSolver::run(const VectorXd& start, const std::vector<double>& intercept_start) {
  const Index m = (Index)coords_.size();
  stamp_.assign(m, -1);
  xw_.setZero(m);
  xxw_.setZero(m);
  theta_ = start;
  for (const Coord& cd : coords_)
    if ((cd.f > 0.0 && cd.s > 0.0) || cd.skip) theta_[cd.pos] = 0.0;
  for (int k = 0; k < K_ && k < (int)intercept_start.size(); ++k) {
    if (icpt_[k] >= 0 && std::isfinite(intercept_start[k])) theta_[coords_[icpt_[k]].pos] = intercept_start[k];
  }
  eta_.resize(n_ * K_);
  pred_.eta_all(theta_, eta_.data());
  have_eval_ = false;
  if (!eta_.allFinite() || !std::isfinite(loss_at(eta_))) {
    throw std::invalid_argument("the penalised fit's start gives a non-finite loss");
  }
  // the unpenalised part alone (intercepts and coefficients with factor 0)
  const bool gram = gram_;
  gram_ = false;
  thr_ = spec_.tol * std::max(1.0, std::abs(loss_at(eta_)));
  // glmnet's null deviance, by which a default path of a deviance ends: of
  // the intercepts (and offset) alone, the unpenalised coefficients at 0
  double null0 = NAN;
  if (spec_.saturated && !free_units_.empty()) {
    const VectorXd theta_keep = theta_;
    for (Index ui : free_units_)
      for (Index j : units_[ui].coords) theta_[coords_[j].pos] = 0.0;
    pred_.eta_all(theta_, eta_.data());
    have_eval_ = false;
    newton(std::vector<Index>(), 0.0);
    null0 = std::isfinite(loss_) ? loss_ : NAN;
    theta_ = theta_keep;
    pred_.eta_all(theta_, eta_.data());
    have_eval_ = false;
  }
  newton(free_units_, 0.0);
  PenaltyPath out;
  out.scale = scale_;
  out.constant.assign(theta_.size(), 0);
  for (const Coord& cd : coords_) out.constant[cd.pos] = cd.skip;
  if (spec_.saturated) thr_ = spec_.tol * std::max(1e-10, 2.0 * loss_);
  VectorXd G = full_gradient();
  out.null_loss = std::isnan(null0) ? loss_ : null0;
  gram_ = gram;
  if (gram_) gram_setup();
  double lmax = 0.0;
  const double amax = std::max(spec_.alpha, 1e-3);
  for (Index ui : pen_units_) {
    const Unit& u = units_[ui];
    lmax = std::max(lmax, unit_grad_norm(u, G) / (amax * u.f * u.w));
  }
  out.lambda_max = lmax;
  std::vector<double> lambdas = spec_.lambda;
  const bool given = !lambdas.empty() && !spec_.single;
  std::vector<double> seq;
  for (int i = 0; i < spec_.nlambda; ++i) {
    seq.push_back(lmax * std::pow(spec_.lambda_min_ratio, spec_.nlambda > 1 ? (double)i / (spec_.nlambda - 1) : 0.0));
  }
  if (spec_.single) {
    const double target = lambdas.at(0);
    lambdas.clear();
    for (double l : seq)
      if (l > target) lambdas.push_back(l);
    lambdas.push_back(target);
  } else if (!given) {
    lambdas = seq;
  }
  const Index L = (Index)lambdas.size();
  out.coef.resize(theta_.size(), L);
  double prev = lmax;
  // the fraction of the null deviance explained at the i-th kept lambda
  auto explained = [&](Index i) { return out.null_loss > 0.0 ? 1.0 - out.loss[i] / out.null_loss : 0.0; };
  Index kept = 0;
  for (Index l = 0; l < L; ++l) {
    const double lambda = lambdas[l];
    const long sweeps0 = sweeps_;
    // a default path starts at the null model (for a ridge, lambda_max is
    // that of alpha = 0.001 and zeroes no coefficient: glmnet's convention)
    const bool ok = (!given && !spec_.single && l == 0) ? true : solve(lambda, std::max(prev, lambda), G);
    prev = lambda;
    // a single fit reports its lambda (or, if the sweeps ran out on the way,
    // where they did, as not converged)
    if (spec_.single && l + 1 < L && ok) continue;
    int df = 0;
    for (Index j : penalised_) df += theta_[coords_[j].pos] != 0.0;
    out.lambda.push_back(lambda);
    out.loss.push_back(loss_);
    out.objective.push_back(loss_ + penalty(theta_, lambda));
    // the first point of a default path is the null model: for alpha < 1 its
    // lambda (that of alpha = max(alpha, 0.001)) does not make it a solution
    const bool null_point = !given && !spec_.single && l == 0 && spec_.alpha < 1.0;
    // (an exact Laplace solution is certified by its simplex instead: the
    // gradient of |r| does not exist at the rows it fits exactly)
    out.kkt.push_back(null_point || exact_ ? NAN : kkt(G, lambda));
    out.df.push_back(df);
    out.sweeps.push_back((int)(sweeps_ - sweeps0));
    out.converged.push_back(ok);
    out.coef.col(kept++) = theta_;
    if (!ok) {
      out.message = "coordinate descent reached its limit of sweeps";
      break;
    }
    Rcpp::checkUserInterrupt();
    // glmnet's early end of a default path: the deviance explained stops
    // growing (by the family's rule, see PenaltySpec::stop_rule) or passes 0.999
    if (!given && !spec_.single && kept >= 5) {
      if (spec_.saturated) {
        const double ratio = explained(kept - 1);
        if (ratio > 0.999) break;
        if (spec_.stop_rule == 0 && ratio - explained(kept - 2) < 1e-5 * ratio) break;
        if (spec_.stop_rule == 2 && ratio - explained(kept - 5) < 1e-4 * ratio) break;
        if (spec_.stop_rule == 1 && ratio - explained(kept - 2) < 1e-5) break;
      } else if (!smoothable_) {  // (a Laplace path's exact solutions can stay put over a range of lambdas)
        const double gain = out.loss[kept - 2] - loss_, total = out.null_loss - loss_;
        if (gain < 1e-5 * std::abs(total)) break;
      }
    }
  }
  out.coef.conservativeResize(Eigen::NoChange, kept);
  return out;
}

}  // namespace

PenaltyPath penalized_path(ModelObjective& obj, const PenaltySpec& spec, const VectorXd& start,
                           const std::vector<double>& intercept_start, Likelihood* smoothable) {
  if (spec.factor.size() != obj.dim() || start.size() != obj.dim()) {
    throw std::invalid_argument("the penalty's factors or scales do not match the coefficients");
  }
  PathSolver solver(obj, spec, smoothable);
  PenaltyPath out = solver.run(start, intercept_start);
  if (smoothable) smoothable->set_smooth(0.0);
  return out;
}

}  // namespace gradglm
