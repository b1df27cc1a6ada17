// Included first by the generated RcppExports.cpp (Rcpp's convention for a
// package's types header), so that Eigen's headers reach it through eigen.h.
#ifndef GRADGLM_TYPES_H
#define GRADGLM_TYPES_H

#include "eigen.h"

#endif
