#include "perceptron.h"

#include <Rcpp.h>

#include <algorithm>
#include <stdexcept>

#include "model_spec.h"
#include "optimizer.h"

namespace gradglm {

double PerceptronLoss::eval_block(const Response& y, const RowBlock& rb, double* grad, double* curv,
                                  Curv mode) const {
  (void)curv;
  (void)mode;
  double sum = 0.0;
  for (Index i = 0; i < rb.len; ++i) {
    const double w = rb.w[i];
    const double s = y.at(rb.start + i, 0) > 0.5 ? 1.0 : -1.0;
    const double m = s * rb.eta[i];
    if (w == 0.0) {
      if (grad) grad[i] = 0.0;
      continue;
    }
    if (m < 0.0) sum -= w * m;
    if (grad) grad[i] = m <= 0.0 ? -w * s : 0.0;
  }
  return sum;
}

PerceptronResult perceptron_rule(Objective& obj, const VectorXd& start, double learning_rate, int max_epochs,
                                 bool averaged, bool shuffle) {
  const Index n = obj.rows(), d = obj.dim();
  PerceptronResult res;
  VectorXd theta = start, sum = VectorXd::Zero(d), g(d);
  double visits = 0.0;
  std::vector<RowRun> run(1);
  std::vector<Index> order(n);
  for (Index i = 0; i < n; ++i) order[i] = i;
  Interrupter intr;
  for (int epoch = 1; epoch <= max_epochs; ++epoch) {
    if (shuffle) {
      // Fisher-Yates with R's generator
      for (Index i = n - 1; i > 0; --i) {
        const Index j = std::min<Index>(i, (Index)(unif_rand() * (double)(i + 1)));
        std::swap(order[i], order[j]);
      }
    }
    long mistakes = 0;
    for (Index k = 0; k < n; ++k) {
      run[0] = RowRun{order[k], 1};
      obj.rows_value_grad(theta, run, 1.0, &g);
      if (g.squaredNorm() > 0.0) {  // a mistake (rows of zero weight never are)
        theta.noalias() -= learning_rate * g;
        ++mistakes;
      }
      if (averaged) {
        sum += theta;
        visits += 1.0;
      }
      intr.tick((double)d);
    }
    res.mistakes.push_back(mistakes);
    res.epochs = epoch;
    if (mistakes == 0) {
      res.converged = true;
      break;
    }
  }
  res.coef = averaged && visits > 0.0 ? VectorXd(sum / visits) : theta;
  return res;
}

}  // namespace gradglm

using namespace gradglm;


// spec: as fit_model() takes it (one design, a 0 / 1 response, weights) plus
// learning_rate, max_epochs, averaged and shuffle
// [[Rcpp::export]]
Rcpp::List fit_perceptron(Rcpp::List spec) {
  ModelSpec m = parse_model_spec(spec);
  const LinearPredictor pred(m.designs, m.blocks, m.offsets);
  const PerceptronLoss loss;
  const MapVec w(m.weights, m.n);
  ModelObjective obj(pred, loss, m.y, w, 1);
  Rcpp::RNGScope rng;
  const Rcpp::NumericVector start = spec["start"];
  const PerceptronResult r =
      perceptron_rule(obj, Rcpp::as<VectorXd>(start), Rcpp::as<double>(spec["learning_rate"]),
                      Rcpp::as<int>(spec["max_epochs"]), Rcpp::as<bool>(spec["averaged"]),
                      Rcpp::as<bool>(spec["shuffle"]));
  const Rcpp::NumericVector coef(r.coef.data(), r.coef.data() + r.coef.size());
  const Rcpp::NumericVector mistakes(r.mistakes.begin(), r.mistakes.end());
  Rcpp::NumericVector scores(m.n);
  pred.eta_all(r.coef, scores.begin());
  return Rcpp::List::create(Rcpp::Named("coefficients") = coef, Rcpp::Named("mistakes") = mistakes,
                            Rcpp::Named("converged") = r.converged, Rcpp::Named("epochs") = r.epochs,
                            Rcpp::Named("scores") = scores, Rcpp::Named("criterion") = obj.value(r.coef));
}
