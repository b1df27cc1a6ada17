// The progress bar of verbose fits, drawn through cli's C API.
//
// Every call into R (cli's C functions evaluate R code) can longjmp: on an
// R error, or on an interrupt noticed while that R code runs. Two layers
// keep such jumps from tearing through C++ frames:
//   * R_tryCatchError turns an R error inside cli into a quiet "drawing
//     failed": the bar is dropped and the fit carries on without it;
//   * Rcpp::unwindProtect turns any other jump (an interrupt) into a C++
//     exception, so the optimizer's stack unwinds normally and Rcpp resumes
//     the jump once it is back at the R boundary.
// The destructor must neither throw nor jump; it ends a bar that was not
// finished (an interrupt, an exception) inside R_ToplevelExec, which
// absorbs any jump, and then releases the bar.
#include <Rcpp.h>
#include <cli/progress.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <functional>

#include "progress.h"

namespace gradglm {

namespace {

// --- running R code safely ---------------------------------------------

struct Guarded {
  const std::function<void()>* body;
  bool failed;
  std::string limit;  // a time-limit error (setTimeLimit), which must not be swallowed
};

SEXP guarded_body(void* data) {
  Guarded* g = static_cast<Guarded*>(data);
  (*g->body)();
  return R_NilValue;
}

SEXP guarded_on_error(SEXP cond, void* data) {
  Guarded* g = static_cast<Guarded*>(data);
  g->failed = true;
  // R resets a time limit once it has fired: swallowing that error would let
  // the fit run on unbounded, so it is passed on
  if (TYPEOF(cond) == VECSXP && XLENGTH(cond) > 0 && TYPEOF(VECTOR_ELT(cond, 0)) == STRSXP &&
      XLENGTH(VECTOR_ELT(cond, 0)) > 0) {
    const char* msg = CHAR(STRING_ELT(VECTOR_ELT(cond, 0), 0));
    if (std::strstr(msg, "time limit") != nullptr) g->limit = msg;
  }
  return R_NilValue;
}

SEXP guarded_try(void* data) {
  return R_tryCatchError(guarded_body, data, guarded_on_error, data);
}

// Runs body; returns false if it raised an R error (which is swallowed).
// Interrupts and other jumps surface as C++ exceptions (Rcpp's
// LongjumpException), which Rcpp turns back into the jump at the R boundary.
bool run_guarded(const std::function<void()>& body) {
  Guarded g{&body, false, std::string()};
  Rcpp::unwindProtect(guarded_try, &g);
  if (!g.limit.empty()) throw Rcpp::exception(g.limit.c_str(), false);
  return !g.failed;
}

SEXP done_body(void* bar) {
  cli_progress_done(static_cast<SEXP>(bar));
  return R_NilValue;
}

SEXP ignore_error(SEXP, void*) { return R_NilValue; }

void done_quietly(void* bar) {
  R_tryCatchError(done_body, bar, ignore_error, nullptr);
}

// Ends a bar with no way out but returning, for destructors and clean-up:
// an R error is ignored without a message, and R_ToplevelExec absorbs any
// other jump (an interrupt arriving just then).
void end_bar_noexcept(SEXP bar) noexcept {
  R_ToplevelExec(done_quietly, bar);
}

double now_seconds() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// --- what the bar shows --------------------------------------------------
//
// The line reads "epoch  12/100 | loss 0.12346 val 0.13 | ETA  3s ■■■■   ".
// The count and losses are formatted here, into cli's status field, so
// that their widths can be held steady; the bar comes last, where cli's
// trimming to the console width costs the least.

bool known_total(double total) { return std::isfinite(total) && total > 0; }

SEXP make_config(double total) {
  const char* format = known_total(total)
                           ? "{cli::pb_status}| ETA {cli::pb_eta} {cli::pb_bar}"
                           : "{cli::pb_status}| {cli::pb_elapsed}";
  const char* names[] = {"format", "clear", "auto_terminate"};
  const int n = 3;
  SEXP config = PROTECT(Rf_allocVector(VECSXP, n));
  SEXP nms = PROTECT(Rf_allocVector(STRSXP, n));
  for (int i = 0; i < n; ++i) SET_STRING_ELT(nms, i, Rf_mkChar(names[i]));
  Rf_setAttrib(config, R_NamesSymbol, nms);
  SET_VECTOR_ELT(config, 0, Rf_mkString(format));
  // a finished bar is cleared: the fitted model is the result worth
  // keeping on screen, and cli's "done" state would claim the whole
  // budget was used even when the fit converged early
  SET_VECTOR_ELT(config, 1, Rf_ScalarLogical(TRUE));
  // the bar is ended explicitly by finish() or the destructor
  SET_VECTOR_ELT(config, 2, Rf_ScalarLogical(FALSE));
  UNPROTECT(2);
  return config;
}

int digits(double x) {
  int d = 1;
  while (x >= 10 && d < 20) {
    x /= 10;
    ++d;
  }
  return d;
}

}  // namespace

Progress::Progress(bool enabled, double total, const std::string& unit) {
  if (!enabled) return;
  unit_ = unit;
  total_ = known_total(total) ? total : NA_REAL;
  SEXP bar = R_NilValue;
  const bool ok = run_guarded([&]() {
    // A rendered document cannot show a live bar: cli would print each
    // redraw and the final state as lines of chunk output. Stay silent
    // while knitr runs.
    if (Rf_asLogical(Rf_GetOption1(Rf_install("knitr.in.progress"))) == TRUE) {
      return;
    }
    SEXP delay = Rf_GetOption1(Rf_install("cli.progress_show_after"));
    if ((Rf_isReal(delay) || Rf_isInteger(delay)) && Rf_length(delay) == 1) {
      const double d = Rf_asReal(delay);
      if (!std::isnan(d)) show_after_ = d;
    }
    SEXP config = PROTECT(make_config(total_));
    SEXP b = PROTECT(cli_progress_bar(total_, config));
    R_PreserveObject(b);
    bar = b;  // set only once preserved
    UNPROTECT(2);
  });
  if (!ok) {
    // cli failed to set up (e.g. a broken installation): fit silently
    if (bar != R_NilValue) R_ReleaseObject(bar);
    return;
  }
  bar_ = bar;
  start_ = now_seconds();
}

Progress::~Progress() {
  if (bar_ == R_NilValue) return;
  if (!finished_) end_bar_noexcept(bar_);
  R_ReleaseObject(bar_);
  bar_ = R_NilValue;
}

void Progress::update(double done, double loss, double val_loss) {
  if (bar_ == R_NilValue || finished_) return;
  done_ = done;
  loss_ = loss;
  val_loss_ = val_loss;
  if (!CLI_SHOULD_TICK) return;
  draw();
}

// "epoch  12/100 | loss 0.12346 val 0.13", padded to the widest so far
void Progress::status(char* buf, std::size_t size) {
  int n;
  if (std::isnan(total_)) {
    n = std::snprintf(buf, size, "%s %.0f | loss %.5g", unit_.c_str(), done_,
                      loss_);
  } else {
    n = std::snprintf(buf, size, "%s %*.0f/%.0f | loss %.5g", unit_.c_str(),
                      digits(total_), done_, total_, loss_);
  }
  if (n < 0 || static_cast<std::size_t>(n) >= size) n = static_cast<int>(size) - 1;
  if (std::isfinite(val_loss_)) {
    const int m = std::snprintf(buf + n, size - n, " val %.5g", val_loss_);
    if (m > 0) n = std::min(n + m, static_cast<int>(size) - 1);
  }
  // pad so that the ETA and bar do not jump about as the digits change
  while (n < width_ && static_cast<std::size_t>(n) + 1 < size) buf[n++] = ' ';
  buf[n] = '\0';
  width_ = std::max(width_, n);
}

void Progress::draw() {
  char text[256];
  status(text, sizeof text);
  SEXP bar = bar_;
  const double done = done_;
  const bool ok = run_guarded([&]() {
    cli_progress_set_status(bar, text);
    cli_progress_set(bar, done);
  });
  if (!ok) drop();
}

void Progress::drop() {
  // drawing failed with an R error: stop showing the bar, keep fitting
  if (bar_ == R_NilValue) return;
  SEXP bar = bar_;
  bar_ = R_NilValue;
  end_bar_noexcept(bar);
  R_ReleaseObject(bar);
}

void Progress::finish(bool ok) {
  if (bar_ == R_NilValue || finished_) return;
  SEXP bar = bar_;
  const double done = done_;
  char text[256];
  status(text, sizeof text);
  // Draw the final count and loss if the fit ran longer than cli's
  // show_after delay (cli's timer may not have fired yet, notably in a log
  // where it fires only every few seconds): a terminal without cursor
  // control then keeps the final state as its last line; a dynamic one
  // clears it at once. A fit that stopped at its limit without converging
  // (ok false) ends the same way: its last loss is as worth seeing.
  (void)ok;
  const bool long_fit = now_seconds() - start_ >= show_after_;
  const bool drew = run_guarded([&]() {
    if (!std::isnan(done)) {
      cli_progress_set_status(bar, text);
      cli_progress_update(bar, done, 0, long_fit ? 1 : 0);
    }
    cli_progress_done(bar);
  });
  if (!drew) {
    drop();
    return;
  }
  finished_ = true;
}

}  // namespace gradglm

// A demonstration and test hook (internal): counts `total` epochs, each
// taking `seconds_per_step`, with a made-up loss of 1 / epoch and a
// validation loss on every other epoch.
// [[Rcpp::export]]
int progress_demo(int total, bool enabled, double seconds_per_step) {
  gradglm::Progress bar(enabled, total, "epoch");
  const auto step = std::chrono::duration<double>(seconds_per_step);
  for (int i = 0; i < total; ++i) {
    const auto until = std::chrono::steady_clock::now() + step;
    while (std::chrono::steady_clock::now() < until) {
    }
    Rcpp::checkUserInterrupt();
    bar.update(i + 1, 1.0 / (i + 1), i % 2 ? 0.5 : NAN);
  }
  bar.finish(true);
  return total;
}
