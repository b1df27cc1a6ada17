// Location-scale likelihoods for distributional regression: the response has
// a location mu = linkinv(eta) and a scale sigma = exp(s), and for the
// Student-t a degrees-of-freedom parameter nu = exp(l). The loss of one
// observation is its full negative log-density; its first and second
// derivatives are taken with respect to (eta, s, l), the scales on the log
// scale as the design requires.
//
// Distribution codes extend those of src/family.h (gaussian = 1) and are
// mirrored in R/family-scale.R.
#ifndef GRADGLM_SCALE_FAMILY_H
#define GRADGLM_SCALE_FAMILY_H

#include <string>

namespace gradglm {

enum class ScaleDist { gaussian = 1, laplace = 4, student_t = 5 };

// Per-observation quantities at (eta, s, l). Second derivatives come twice:
// observed (h_*) and expected under the model (f_*, Fisher's information).
struct ScaleUnit {
  double loss = 0.0;
  double de = 0.0, ds = 0.0, dl = 0.0;
  double hee = 0.0, hes = 0.0, hss = 0.0, hel = 0.0, hsl = 0.0, hll = 0.0;
  double fee = 0.0, fes = 0.0, fss = 0.0, fel = 0.0, fsl = 0.0, fll = 0.0;
};

class ScaleFamily {
 public:
  // link: 1 = identity, 5 = log (the codes of src/family.h)
  ScaleFamily(int dist_code, int link_code);

  ScaleDist dist() const { return dist_; }
  bool has_df() const { return dist_ == ScaleDist::student_t; }
  std::string name() const;

  // Student-t: fix nu (computes the constants that depend on nu alone, with
  // R's special functions; call it outside threaded loops)
  void set_df(double nu);
  double df() const { return nu_; }

  // Laplace: replace |z| by sqrt(z^2 + smooth^2) (a smooth start); 0 = exact
  void set_smooth(double smooth) { smooth_ = smooth; }
  double smooth() const { return smooth_; }

  // loss and (when derivs) its derivatives for one observation
  ScaleUnit unit(double y, double eta, double s, bool derivs) const;
  double unit_loss(double y, double eta, double s) const { return unit(y, eta, s, false).loss; }

  double linkinv(double eta) const;
  double mu_eta(double eta) const;

 private:
  ScaleDist dist_;
  int link_;
  double smooth_ = 0.0;
  // Student-t constants at nu_: C(nu) = lgamma(nu/2) - lgamma((nu+1)/2) + log(nu pi)/2,
  // its first two derivatives, and the nu-nu Fisher information
  double nu_ = 1.0, c0_ = 0.0, c1_ = 0.0, c2_ = 0.0, inu_ = 0.0;
  void location_unit(double y, double mu, double s, bool derivs, ScaleUnit& u) const;
};

}  // namespace gradglm

#endif
