// A progress bar for long fits, drawn by the cli package's C API: the
// current loss (and validation loss), the share of the iteration or epoch
// budget used and an estimated time to the limit. Silent unless enabled;
// cli shows it only once a fit has run longer than its show_after delay.
#ifndef GRADGLM_PROGRESS_H
#define GRADGLM_PROGRESS_H

#include <Rinternals.h>

#include <string>

namespace gradglm {

class Progress {
 public:
  // total: the iteration (or epoch) limit; unit: "iteration" or "epoch"
  Progress(bool enabled, double total, const std::string& unit);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  // cheap when no redraw is due; val_loss is NaN when there is none
  void update(double done, double loss, double val_loss);
  // ends the bar (also done by the destructor, e.g. after an interrupt)
  void finish(bool ok);
  bool enabled() const { return bar_ != R_NilValue; }

 private:
  SEXP bar_ = R_NilValue;
  bool finished_ = false;
  // the latest values passed to update(), drawn when cli's timer is due
  double done_ = R_NaN;
  double loss_ = R_NaN;
  double val_loss_ = R_NaN;
  // when the bar was created (steady clock, seconds) and cli's show_after
  // delay: a fit that outlived the delay gets its final state drawn
  double start_ = 0;
  double show_after_ = 2;
  std::string unit_;
  double total_ = R_NaN;  // NA when there is no limit
  int width_ = 0;         // widest status so far
  void status(char* buf, std::size_t size);  // the text before the ETA
  void draw();   // pushes the latest values to cli
  void drop();   // abandons the bar after cli failed
};

}  // namespace gradglm

#endif
