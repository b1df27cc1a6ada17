// Predictors (linear blocks, networks, their kernels), penalties, the perceptron.
// One translation unit for several source files (see Makevars.in): Rcpp's and
// Eigen's headers are read, and Eigen's templates compiled, once for them all.
// R's and Eigen's headers first, so that their macros are the same in every file
// below (see special.h).
#include "eigen.h"

#include "linear_predictor.cpp"
#include "mlp_predictor.cpp"
#include "network_objective.cpp"
#include "kernels.cpp"
#include "penalty.cpp"
#include "perceptron.cpp"
