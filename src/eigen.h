// Eigen (through RcppEigen) for every file of the package, included here
// only. GCC reports -Wignored-attributes hundreds of times inside Eigen's own
// headers (the alignment attributes of its SSE packet types used as template
// arguments, which Eigen relies on being ignored); they say nothing about
// this package's code, so they are silenced for Eigen's headers alone: the
// diagnostic state is restored after them, and every other warning stays on.
#ifndef GRADGLM_EIGEN_H
#define GRADGLM_EIGEN_H

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
#endif
#include <RcppEigen.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <type_traits>

#include "index.h"

static_assert(std::is_same<Eigen::Index, gradglm::Index>::value,
              "gradglm::Index (index.h) must be Eigen's index type");

#endif
