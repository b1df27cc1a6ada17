// The package's index type, the one Eigen uses (Eigen::Index is
// std::ptrdiff_t unless EIGEN_DEFAULT_DENSE_INDEX_TYPE says otherwise;
// eigen.h checks that they agree). The likelihoods, which need no Eigen, see
// this header only, so that their files compile without Eigen's and Rcpp's
// headers.
#ifndef GRADGLM_INDEX_H
#define GRADGLM_INDEX_H

#include <cstddef>

namespace gradglm {
using Index = std::ptrdiff_t;
}  // namespace gradglm

#endif
