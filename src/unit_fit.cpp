// The fit's driver, its optimizers and exact routes, the chunked objective.
// One translation unit for several source files (see Makevars.in): Rcpp's and
// Eigen's headers are read, and Eigen's templates compiled, once for them all.
// R's and Eigen's headers first, so that their macros are the same in every file
// below (see special.h).
#include "eigen.h"

#include "fit.cpp"
#include "fit_utils.cpp"
#include "optimizer.cpp"
#include "objective.cpp"
#include "exact_qr.cpp"
#include "rank.cpp"
#include "chunked_objective.cpp"
