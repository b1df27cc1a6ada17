// The perceptron (Rosenblatt): not a likelihood but a loss behind the same
// interface, the perceptron criterion
//   l(y, eta) = max(0, -y eta),   y in {-1, +1},
// whose (sub)gradient in eta is -y where the row is misclassified
// (y eta <= 0: a score of exactly 0 counts as a mistake) and 0 elsewhere.
// It has no curvature and no inference.
//
// Rosenblatt's mistake-driven rule is stochastic gradient descent with batch
// size one on this loss: visiting the rows in turn, each mistake moves the
// coefficients by learning_rate * y_i x_i. The averaged perceptron reports
// the mean of the coefficients over every row visited.
#ifndef GRADGLM_PERCEPTRON_H
#define GRADGLM_PERCEPTRON_H

#include <string>
#include <vector>

#include "likelihood.h"
#include "objective.h"

namespace gradglm {

class PerceptronLoss : public Likelihood {
 public:
  PerceptronLoss() : Likelihood(1) { dense_pairs(); }
  // y is coded 0 / 1 (the engine's binary response) and used as -1 / +1
  double eval_block(const Response& y, const RowBlock& rb, double* grad, double* curv,
                    Curv mode) const override;
  bool has_fisher() const override { return false; }
  std::string name() const override { return "perceptron"; }
};

struct PerceptronResult {
  VectorXd coef;           // the last coefficients (or their average)
  std::vector<long> mistakes;  // per epoch
  bool converged = false;  // an epoch without a mistake
  int epochs = 0;
};

// Epochs over the rows in their own order, or with `shuffle` in a new
// random order each epoch, drawn from R's random number generator.
PerceptronResult perceptron_rule(Objective& obj, const VectorXd& start, double learning_rate, int max_epochs,
                                 bool averaged, bool shuffle);

}  // namespace gradglm

#endif
