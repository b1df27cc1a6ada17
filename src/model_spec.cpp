#include "model_spec.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "categorical.h"
#include "deferred.h"
#include "family.h"
#include "location_scale.h"
#include "negbin.h"

namespace gradglm {

namespace {

int get_int(const Rcpp::List& l, const char* name, int fallback) {
  return l.containsElementNamed(name) && !Rf_isNull(l[name]) ? Rcpp::as<int>(l[name]) : fallback;
}

double get_double(const Rcpp::List& l, const char* name, double fallback) {
  return l.containsElementNamed(name) && !Rf_isNull(l[name]) ? Rcpp::as<double>(l[name]) : fallback;
}

// A link of the user's own: its R functions linkinv, mu.eta and linkfun
// called on blocks of eta (or one mu), errors and interrupts caught by
// R_tryEvalSilent and kept until the pass is over (the pass runs on the
// calling thread: Likelihood::calls_r()). d2 mu / d eta2, used only by the
// observed curvature, is the central difference of mu.eta.
class RCustomLink : public CustomLink {
 public:
  RCustomLink(SEXP linkinv, SEXP mu_eta, SEXP linkfun, SEXP valideta)
      : linkinv_(linkinv), mu_eta_(mu_eta), linkfun_(linkfun), valideta_(valideta) {
    if (!Rf_isFunction(linkinv) || !Rf_isFunction(mu_eta) || !Rf_isFunction(linkfun) ||
        !(Rf_isNull(valideta) || Rf_isFunction(valideta))) {
      throw std::invalid_argument("a link of one's own needs the functions linkinv, mu.eta and linkfun");
    }
  }

  void values(const double* eta, long len, LinkValues* out) const override {
    std::fill(out, out + len, LinkValues{NAN, NAN, NAN});
    // the functions are called only where valideta() accepts eta (as glm does)
    const std::vector<char> valid = validity(eta, len);
    std::vector<long> idx;
    std::vector<double> e;
    for (long i = 0; i < len; ++i) {
      if (valid[i]) {
        idx.push_back(i);
        e.push_back(eta[i]);
      }
    }
    const long m = (long)idx.size();
    if (m == 0) return;
    std::vector<double> mu(m), d1(m), h(m), side[2] = {std::vector<double>(m), std::vector<double>(m)};
    if (!call(linkinv_, "linkinv", e.data(), m, mu.data()) || !call(mu_eta_, "mu.eta", e.data(), m, d1.data())) return;
    // mu'' (for the observed curvature only) by differences of mu.eta at
    // eta +- h, a side left out where valideta() refuses it
    std::vector<char> side_ok[2] = {std::vector<char>(m, 1), std::vector<char>(m, 1)};
    for (int sd = 0; sd < 2; ++sd) {
      std::vector<double> x(m);
      for (long k = 0; k < m; ++k) {
        h[k] = 1e-4 * (1.0 + std::abs(e[k]));
        x[k] = e[k] + (sd == 0 ? h[k] : -h[k]);
      }
      const std::vector<char> vx = validity(x.data(), m);
      for (long k = 0; k < m; ++k) {
        if (!vx[k]) {
          side_ok[sd][k] = 0;
          x[k] = e[k];
        }
      }
      if (!call(mu_eta_, "mu.eta", x.data(), m, side[sd].data())) return;
    }
    for (long k = 0; k < m; ++k) {
      const bool up = side_ok[0][k] && std::isfinite(side[0][k]);
      const bool down = side_ok[1][k] && std::isfinite(side[1][k]);
      double d2 = 0.0;
      if (up && down) {
        d2 = (side[0][k] - side[1][k]) / (2.0 * h[k]);
      } else if (up) {
        d2 = (side[0][k] - d1[k]) / h[k];
      } else if (down) {
        d2 = (d1[k] - side[1][k]) / h[k];
      }
      out[idx[k]] = LinkValues{mu[k], d1[k], d2};
    }
  }

  void linkfun(const double* mu, long len, double* eta) const override {
    if (!call(linkfun_, "linkfun", mu, len, eta)) std::fill(eta, eta + len, NAN);
  }

  void throw_if_failed() const override {
    if (!failed_.empty()) {
      const std::string msg = failed_;
      failed_.clear();
      throw std::runtime_error(msg);
    }
  }

 private:
  Rcpp::Function linkinv_, mu_eta_, linkfun_;
  Rcpp::RObject valideta_;
  mutable std::string failed_;

  // which of x[0..len) valideta() accepts: all when it accepts the vector,
  // else row by row (all, without a valideta())
  std::vector<char> validity(const double* x, long len) const {
    std::vector<char> v(len, 1);
    if (Rf_isNull(valideta_) || valid_all(x, len)) return v;
    for (long i = 0; i < len; ++i) v[i] = valid_all(x + i, 1);
    return v;
  }

  // valideta(x[0..len)) is TRUE (FALSE also when it fails; kept as a failure)
  bool valid_all(const double* x, long len) const {
    SEXP res = eval_on(valideta_, "valideta", x, len);
    if (res == nullptr) return false;
    const bool ok = TYPEOF(res) == LGLSXP && Rf_xlength(res) == 1 && LOGICAL(res)[0] == TRUE;
    UNPROTECT(1);
    return ok;
  }

  // f(x[0..len)) with R's errors and interrupts caught: its value, protected
  // (the caller unprotects it), or nullptr with the failure kept
  SEXP eval_on(SEXP f, const char* name, const double* x, long len) const {
    if (!failed_.empty()) return nullptr;
    SEXP arg = PROTECT(Rf_allocVector(REALSXP, len));
    std::copy(x, x + len, REAL(arg));
    SEXP cl = PROTECT(Rf_lang2(f, arg));
    int err = 0;
    SEXP res = R_tryEvalSilent(cl, R_GlobalEnv, &err);
    UNPROTECT(2);
    if (err) {
      failed_ = std::string("the link's ") + name + "() stopped with an error or was interrupted: " + last_error();
      return nullptr;
    }
    return PROTECT(res);
  }

  // R's last error message, without its trailing newline
  static std::string last_error() {
    SEXP cl = PROTECT(Rf_lang1(Rf_install("geterrmessage")));
    int err = 0;
    SEXP m = R_tryEvalSilent(cl, R_BaseEnv, &err);
    std::string msg = (!err && TYPEOF(m) == STRSXP && Rf_xlength(m) == 1) ? CHAR(STRING_ELT(m, 0)) : "";
    UNPROTECT(1);
    // "Error in f(x) : what\nCalls: ..." -> "what"
    const size_t calls = msg.find("\nCalls:");
    if (calls != std::string::npos) msg.erase(calls);
    if (msg.compare(0, 5, "Error") == 0) {
      const size_t colon = msg.find(" : ");
      if (colon != std::string::npos) msg.erase(0, colon + 3);
    }
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return msg;
  }

  // f(x[0..len)) into out; false (and the failure kept) on an R error, an
  // interrupt or a result that is not `len` numbers
  bool call(SEXP f, const char* name, const double* x, long len, double* out) const {
    SEXP res = eval_on(f, name, x, len);
    if (res == nullptr) return false;
    bool ok = false;
    if ((TYPEOF(res) != REALSXP && TYPEOF(res) != INTSXP) || Rf_xlength(res) != len) {
      failed_ = std::string("the link's ") + name + "() must return a numeric vector as long as its argument";
    } else if (TYPEOF(res) == REALSXP) {
      std::copy(REAL(res), REAL(res) + len, out);
      ok = true;
    } else {
      for (long i = 0; i < len; ++i) out[i] = INTEGER(res)[i] == NA_INTEGER ? NAN : (double)INTEGER(res)[i];
      ok = true;
    }
    UNPROTECT(1);
    return ok;
  }

};

}  // namespace

// a design: a numeric matrix, NULL (an intercept-only block) or a list of
// columns (NULL for the intercept, double vectors and double matrices)
Design read_design(SEXP x, Index n) {
  if (Rf_isNull(x)) return Design::ones(n);
  if (TYPEOF(x) == REALSXP && Rf_isMatrix(x)) {
    if (Rf_nrows(x) != n) throw std::invalid_argument("a design has the wrong number of rows");
    return Design::dense(REAL(x), n, Rf_ncols(x));
  }
  if (TYPEOF(x) != VECSXP) throw std::invalid_argument("a design must be a double matrix or a list of columns");
  std::vector<const double*> cols;
  for (R_xlen_t k = 0; k < Rf_xlength(x); ++k) {
    SEXP c = VECTOR_ELT(x, k);
    if (Rf_isNull(c)) {
      cols.push_back(nullptr);
      continue;
    }
    if (TYPEOF(c) != REALSXP) throw std::invalid_argument("a design column must be double");
    const Index rows = Rf_isMatrix(c) ? Rf_nrows(c) : Rf_xlength(c);
    const Index ncol = Rf_isMatrix(c) ? Rf_ncols(c) : 1;
    if (rows != n) throw std::invalid_argument("a design column has the wrong number of rows");
    for (Index j = 0; j < ncol; ++j) cols.push_back(REAL(c) + j * n);
  }
  return Design::columns(n, cols);
}

std::unique_ptr<Likelihood> make_likelihood(const Rcpp::List& lik) {
  const std::string type = Rcpp::as<std::string>(lik["type"]);
  const int responses = get_int(lik, "responses", 1);
  std::unique_ptr<Likelihood> base;
  int columns = 1;  // response columns of one response
  if (type == "glm") {
    std::shared_ptr<const CustomLink> custom;
    if (get_int(lik, "link", 0) == 11) {
      if (!lik.containsElementNamed("linkinv") || !lik.containsElementNamed("mu.eta") ||
          !lik.containsElementNamed("linkfun")) {
        throw std::invalid_argument("a link of one's own needs the functions linkinv, mu.eta and linkfun");
      }
      custom = std::make_shared<RCustomLink>(lik["linkinv"], lik["mu.eta"], lik["linkfun"],
                                             lik.containsElementNamed("valideta") ? SEXP(lik["valideta"]) : R_NilValue);
    }
    base.reset(new Family(get_int(lik, "dist", 0), get_int(lik, "link", 0), true, get_double(lik, "theta", NAN),
                          get_double(lik, "power", 1.0), custom));
  } else if (type == "location_scale") {
    base.reset(new LocationScale(get_int(lik, "dist", 0), get_int(lik, "link", 0), get_double(lik, "df", NAN)));
  } else if (type == "negative_binomial") {
    base.reset(new NegBinomial(get_int(lik, "link", 0)));
  } else if (type == "multinomial") {
    base.reset(new Multinomial(get_int(lik, "classes", 0), get_int(lik, "symmetric", 0) != 0));
    columns = get_int(lik, "columns", 1);
  } else if (type == "ordinal") {
    base.reset(new Ordinal(get_int(lik, "classes", 0), get_int(lik, "link", 0)));
  } else {
    throw std::invalid_argument("unknown likelihood type '" + type + "'");
  }
  if (responses == 1) return base;
  return std::unique_ptr<Likelihood>(new ProductLikelihood(std::move(base), responses, columns));
}

ModelSpec parse_model_spec(const Rcpp::List& spec) {
  ModelSpec m;
  SEXP y = spec["y"];
  if (TYPEOF(y) != REALSXP) throw std::invalid_argument("y must be double");
  m.n = Rf_isMatrix(y) ? Rf_nrows(y) : Rf_xlength(y);
  m.lik = make_likelihood(spec["likelihood"]);
  // an integer response (integer_doubles(), deferred.h) is read as integers
  // by the binomial and poisson families' kernels; anywhere else its doubles
  // are written once, when they are first read
  const Family* fam = dynamic_cast<const Family*>(m.lik.get());
  const int* yi = fam && (fam->dist() == Dist::binomial || fam->dist() == Dist::poisson) && !Rf_isMatrix(y)
                       ? view_integers(y)
                       : nullptr;
  m.y = Response{yi ? nullptr : REAL(y), m.n, Rf_isMatrix(y) ? (Index)Rf_ncols(y) : 1, yi};
  SEXP w = spec["weights"];
  if (TYPEOF(w) != REALSXP || Rf_xlength(w) != m.n) throw std::invalid_argument("weights must be double, one per row");
  m.weights = read_doubles(w);  // (unit weights without their memory: deferred.h)
  m.y_r = y;
  m.weights_r = w;
  Rcpp::List designs = spec["designs"];
  for (R_xlen_t d = 0; d < designs.size(); ++d) m.designs.push_back(read_design(designs[d], m.n));
  Rcpp::IntegerVector bd = spec["block_design"], bm = spec["block_m"];
  if (bd.size() != bm.size()) throw std::invalid_argument("block_design and block_m differ in length");
  for (R_xlen_t b = 0; b < bd.size(); ++b) m.blocks.push_back(std::make_pair(bd[b], bm[b]));
  if (spec.containsElementNamed("constant_in_rank")) m.constant_in_rank = Rcpp::as<bool>(spec["constant_in_rank"]);
  Rcpp::List offsets = spec["offsets"];
  m.offsets.assign(m.lik->k(), nullptr);
  for (R_xlen_t k = 0; k < offsets.size() && k < m.lik->k(); ++k) {
    SEXP o = offsets[k];
    if (Rf_isNull(o)) continue;
    if (TYPEOF(o) != REALSXP || Rf_xlength(o) != m.n) throw std::invalid_argument("an offset must be double, one per row");
    m.offsets[k] = REAL(o);
  }
  return m;
}

}  // namespace gradglm
