// Likelihoods: families and links, location-scale, LAD, categorical, special functions, glm sums.
// One translation unit for several source files (see Makevars.in): Rcpp's and
// Eigen's headers are read, and Eigen's templates compiled, once for them all.
// R's and Eigen's headers first, so that their macros are the same in every file
// below (see special.h).
#include "eigen.h"

#include "family.cpp"
#include "links.cpp"
#include "likelihood.cpp"
#include "location_scale.cpp"
#include "laplace.cpp"
#include "lad.cpp"
#include "negbin.cpp"
#include "categorical.cpp"
#include "special.cpp"
#include "glm_sums.cpp"
#include "deferred.cpp"
