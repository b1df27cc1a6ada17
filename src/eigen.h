// Eigen (through RcppEigen) for every file of the package, included here
// only. GCC reports -Wignored-attributes hundreds of times inside Eigen's own
// headers (the alignment attributes of its SSE packet types used as template
// arguments, which Eigen relies on being ignored). They say nothing about this
// package's code; ../configure puts Eigen's directory on the system include
// path (-isystem) where the compiler allows it, so that they are not reported,
// and every warning about the package's own code stays on.
#ifndef GRADGLM_EIGEN_H
#define GRADGLM_EIGEN_H

#include <RcppEigen.h>

#include <type_traits>

#include "index.h"

static_assert(std::is_same<Eigen::Index, gradglm::Index>::value,
              "gradglm::Index (index.h) must be Eigen's index type");

#endif
