// R's interface: the exported entry points, model specifications, checks, progress, test hooks.
// One translation unit for several source files (see Makevars.in): Rcpp's and
// Eigen's headers are read, and Eigen's templates compiled, once for them all.
// R's and Eigen's headers first, so that their macros are the same in every file
// below (see special.h).
#include "eigen.h"

#include "RcppExports.cpp"
#include "model_spec.cpp"
#include "checks.cpp"
#include "progress.cpp"
#include "special_hooks.cpp"
#include "test_hooks.cpp"
#include "sqlite_reader.cpp"
