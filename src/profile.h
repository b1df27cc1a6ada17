// A per-phase profile of the engine, for the benchmarks (bench/bench-profile.R):
// wall-clock seconds, calls and page faults of named phases, accumulated while profiling is
// switched on (gradglm:::engine_profile(TRUE)) and read back from R. Phases
// are recorded on the calling thread only (never inside the row-block
// threads); nested phases each count their own time, so the phases of one fit
// need not add up. Switched off, a phase costs one test of a flag.
#ifndef GRADGLM_PROFILE_H
#define GRADGLM_PROFILE_H

#include <chrono>
#include <map>
#include <string>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/resource.h>
#endif

namespace gradglm {

struct ProfileEntry {
  double seconds = 0.0;
  long calls = 0;
  long faults = 0;  // the process's minor page faults (fresh memory mapped) during the phase
};

// the process's minor page faults so far (Unix; 0 elsewhere)
inline long minor_faults() {
#if defined(__unix__) || defined(__APPLE__)
  struct rusage u;
  if (getrusage(RUSAGE_SELF, &u) == 0) return (long)u.ru_minflt;
#endif
  return 0;
}

struct Profile {
  bool on = false;
  bool sample = false;  // inside a fit to a sample of rows (its passes are named apart)
  std::map<std::string, ProfileEntry> phases;
};

Profile& engine_profile();

// times the scope it lives in under `name` while profiling is on
class PhaseTimer {
 public:
  explicit PhaseTimer(const char* name) : name_(engine_profile().on ? name : nullptr) {
    if (name_) {
      t0_ = std::chrono::steady_clock::now();
      f0_ = minor_faults();
    }
  }
  ~PhaseTimer() {
    if (!name_) return;
    ProfileEntry& e = engine_profile().phases[name_];
    e.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    ++e.calls;
    e.faults += minor_faults() - f0_;
  }
  PhaseTimer(const PhaseTimer&) = delete;
  PhaseTimer& operator=(const PhaseTimer&) = delete;

 private:
  const char* name_;
  std::chrono::steady_clock::time_point t0_;
  long f0_ = 0;
};

// the name of a pass's phase: its kind, and whether it runs over a row sample
inline const char* pass_phase(bool minibatch, bool curv, bool grad) {
  if (engine_profile().sample) return curv ? "sample pass: curvature" : grad ? "sample pass: gradient" : "sample pass: loss";
  if (minibatch) return "pass: minibatch";
  return curv ? "pass: loss, gradient, curvature" : grad ? "pass: loss, gradient" : "pass: loss";
}

// marks the passes in its scope as passes over a row sample
class SampleScope {
 public:
  SampleScope() : was_(engine_profile().sample) { engine_profile().sample = true; }
  ~SampleScope() { engine_profile().sample = was_; }
  SampleScope(const SampleScope&) = delete;
  SampleScope& operator=(const SampleScope&) = delete;

 private:
  bool was_;
};

}  // namespace gradglm

#endif
