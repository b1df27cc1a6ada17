#!/usr/bin/env bash
# Runs gradglm's compiled code under the checks CRAN runs on every package with compiled code.
#
#   bash tools/sanitize.sh [asan|valgrind|noomp|all]      (default: asan)
#
#   asan      builds the package with gcc's AddressSanitizer and UndefinedBehaviorSanitizer
#             (-fsanitize=address,undefined -fno-sanitize-recover=undefined, Eigen's own index
#             checks switched back on), preloads their runtimes into the system R, and runs the
#             whole test suite and every help page's examples. Any sanitizer report fails the run:
#             an error stops the process at once (halt_on_error); leaks are collected at the exit
#             of each R process and count when an allocation stack passes through gradglm's
#             library (R itself does not free everything at exit, so its own blocks are left out).
#   valgrind  a normal -O2 build with debugging information, and a representative subset of the
#             tests under valgrind's memcheck (--error-exitcode); SANITIZE_VALGRIND_TESTS chooses
#             the files (a regular expression on their names).
#   noomp     a build without OpenMP (the OpenMP flags emptied, as on a compiler without it) and
#             the whole test suite.
#   all       the three, one after the other.
#
# Nothing is written into the work tree: the sources are copied to a scratch directory
# (SANITIZE_DIR, default a fresh temporary one), built there and installed into a library there.
# The last line is "sanitize: N passed, N failed" (tests), preceded by one line per mode; the
# exit status is 0 only if no mode found anything.
#
# Times measured on the project's machines (2 cores, gcc 12, R 4.2.2; the last two while
# other jobs ran, so a little long):
#   asan      build 348 s, tests 415 s, examples 14 s (CI, a fresh machine)
#   valgrind  build 251 s, the default subset (12 files, 2,200 expectations) 542 s
#   noomp     build 253 s, tests 141 s
set -uo pipefail

mode="${1:-asan}"
case "$mode" in asan|valgrind|noomp|all) ;; *)
  echo "usage: bash tools/sanitize.sh [asan|valgrind|noomp|all]" >&2; exit 2 ;;
esac

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${SANITIZE_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/gradglm-sanitize.XXXXXX")}"
mkdir -p "$work" && work="$(cd "$work" && pwd)"
jobs="$(nproc 2>/dev/null || echo 2)"
valgrind_tests="${SANITIZE_VALGRIND_TESTS:-^test-(gradient|family|dist-family|dist-input|special|odd-input|predict|multinomial|influence|evaluate|newton|perceptron)[.]R$}"
total_passed=0; total_failed=0; summary=()

# The sources without git's data, so that builds never touch the work tree.
copy_sources() {  # copy_sources DEST
  rm -rf "$1"; mkdir -p "$1"
  tar -C "$repo" --exclude=.git --exclude='*.o' --exclude='*.so' -cf - . | tar -C "$1" -xf -
}

install_pkg() {  # install_pkg NAME MAKEVARS_CONTENT  -> installs into $work/NAME-lib
  local name="$1" src="$work/$1-src" lib="$work/$1-lib" mk="$work/$1.Makevars"
  copy_sources "$src"
  rm -rf "$lib"; mkdir -p "$lib"
  printf '%s\n' "$2" > "$mk"
  echo "==> [$name] building and installing (log: $work/$name-install.log)"
  local t0=$SECONDS
  if ! R_MAKEVARS_USER="$mk" GRADGLM_KEEP_DEBUG=1 MAKEFLAGS="-j$jobs" \
       R CMD INSTALL --preclean --no-test-load --no-multiarch -l "$lib" "$src" \
       > "$work/$name-install.log" 2>&1; then
    tail -n 30 "$work/$name-install.log"
    echo "==> [$name] the package did not install"
    return 1
  fi
  echo "==> [$name] installed in $((SECONDS - t0)) s"
}

# An R script that runs every test file of a directory and prints "RESULT passed failed skipped".
write_test_runner() {  # write_test_runner FILE
  cat > "$1" <<'EOF'
dir <- commandArgs(trailingOnly = TRUE)[[1]]
res <- testthat::test_dir(dir, package = "gradglm", load_package = "installed",
                          reporter = testthat::SummaryReporter$new(show_praise = FALSE),
                          stop_on_failure = FALSE, stop_on_warning = FALSE)
res <- as.data.frame(res)
cat(sprintf("RESULT %d %d %d\n", sum(res$passed), sum(res$failed) + sum(res$error),
            sum(res$skipped)))
EOF
}

# Runs every help page's examples (as R CMD check does, \dontrun left out) in one R process.
write_example_runner() {  # write_example_runner FILE
  cat > "$1" <<'EOF'
man <- commandArgs(trailingOnly = TRUE)[[1]]
suppressPackageStartupMessages(library(gradglm))
pdf(NULL)
bad <- character()
for (rd in sort(list.files(man, pattern = "[.]Rd$", full.names = TRUE))) {
  ex <- tempfile(fileext = ".R")
  tools::Rd2ex(rd, ex, commentDontrun = TRUE, commentDonttest = FALSE)
  if (!file.exists(ex)) next
  set.seed(1)
  ok <- tryCatch({ source(ex, local = new.env(), echo = FALSE); TRUE },
                 error = function(e) { message(basename(rd), ": ", conditionMessage(e)); FALSE })
  if (!ok) bad <- c(bad, basename(rd))
}
cat(sprintf("EXAMPLES %d\n", length(bad)))
EOF
}

# Runs the test files whose names match PATTERN ("all": every one) under Rscript or, with
# LAUNCHER "valgrind", under R -d valgrind.
run_tests() {  # run_tests NAME LIB PATTERN LAUNCHER  -> sets run_passed run_failed
  local name="$1" lib="$2" pattern="$3" launcher="$4"
  local tdir="$work/$name-tests"
  rm -rf "$tdir"; cp -r "$work/$name-src/tests/testthat" "$tdir"   # the tests of the built sources
  if [ "$pattern" != "all" ]; then
    for f in "$tdir"/test-*.R; do
      basename "$f" | grep -Eq "$pattern" || rm -f "$f"
    done
  fi
  write_test_runner "$work/run-tests.R"
  echo "==> [$name] tests (log: $work/$name-tests.log)"
  local t0=$SECONDS
  if [ "$launcher" = "valgrind" ]; then
    NOT_CRAN=true R_LIBS="$lib${R_LIBS:+:$R_LIBS}" R --vanilla --slave -d "$valgrind_cmd" \
      -f "$work/run-tests.R" --args "$tdir" > "$work/$name-tests.log" 2>&1
  else
    NOT_CRAN=true R_LIBS="$lib${R_LIBS:+:$R_LIBS}" Rscript --vanilla "$work/run-tests.R" "$tdir" \
      > "$work/$name-tests.log" 2>&1
  fi
  local rc=$?
  local line; line="$(grep -E '^RESULT [0-9]+ [0-9]+ [0-9]+$' "$work/$name-tests.log" | tail -n 1)"
  if [ -z "$line" ]; then
    tail -n 60 "$work/$name-tests.log"
    echo "==> [$name] the tests stopped without a result (exit code $rc)"
    run_passed=0; run_failed=1; return
  fi
  run_passed="$(echo "$line" | cut -d' ' -f2)"; run_failed="$(echo "$line" | cut -d' ' -f3)"
  echo "==> [$name] tests: $run_passed passed, $run_failed failed in $((SECONDS - t0)) s (exit code $rc)"
  if [ "$run_failed" -gt 0 ]; then
    awk '/^(══|==) Failed/ { on = 1 } /^(══|==) DONE/ { on = 0 } on { print }' \
      "$work/$name-tests.log" | head -n 100
  fi
}

# Counts sanitizer reports in the log files of one run; prints them.
asan_reports() {  # asan_reports LOGPREFIX  -> echo count
  local n=0 f
  for f in "$1".*; do
    [ -f "$f" ] || continue
    # An error report (anything but the leak summary) counts whole.
    if grep -qE 'ERROR: AddressSanitizer|runtime error:' "$f"; then
      echo "---- $f" >&2; head -n 60 "$f" >&2; n=$((n + 1)); continue
    fi
    # A leak counts when one of its allocation stacks passes through gradglm's library.
    if grep -q 'ERROR: LeakSanitizer' "$f"; then
      local ours
      ours="$(awk '/^(Direct|Indirect) leak/ { blk = $0; keep = 0; next }
                  /^$/ { if (keep) print blk; keep = 0; blk = ""; next }
                  blk != "" { blk = blk "\n" $0; if ($0 ~ /gradglm[.]so|\/src\/[A-Za-z_]+[.](cpp|h):/) keep = 1 }
                  END { if (keep) print blk }' "$f")"
      if [ -n "$ours" ]; then
        echo "---- $f (leaks through gradglm)" >&2; echo "$ours" | head -n 60 >&2; n=$((n + 1))
      fi
    fi
  done
  echo "$n"
}

mode_asan() {
  local flags="-g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -UEIGEN_NO_DEBUG -UNDEBUG"
  install_pkg asan "CFLAGS=$flags
CXXFLAGS=$flags
CXX11FLAGS=$flags
CXX14FLAGS=$flags
CXX17FLAGS=$flags
LDFLAGS=-fsanitize=address,undefined" || { summary+=("asan: the build failed"); total_failed=$((total_failed + 1)); return; }
  local pre; pre="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
  local logs="$work/asan-report"
  rm -f "$logs".*
  # R's own allocations make no difference to a leak check through gradglm's library; the
  # reports go to files (one per process) and are read after each step.
  export LD_PRELOAD="$pre"
  export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=0:log_path=$logs"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs"
  export GRADGLM_TEST_SLOW=1   # generous time limits in the tests (everything runs ~3x slower)
  run_tests asan "$work/asan-lib" all rscript
  local p=$run_passed f=$run_failed
  write_example_runner "$work/run-examples.R"
  echo "==> [asan] examples of every help page (log: $work/asan-examples.log)"
  local t0=$SECONDS
  R_LIBS="$work/asan-lib${R_LIBS:+:$R_LIBS}" Rscript --vanilla "$work/run-examples.R" "$repo/man" \
    > "$work/asan-examples.log" 2>&1
  local ex; ex="$(sed -nE 's/^EXAMPLES ([0-9]+)$/\1/p' "$work/asan-examples.log" | tail -n 1)"
  if [ -z "$ex" ]; then tail -n 40 "$work/asan-examples.log"; ex=1; fi
  echo "==> [asan] examples: $ex page(s) failed in $((SECONDS - t0)) s"
  unset LD_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS GRADGLM_TEST_SLOW
  local reports; reports="$(asan_reports "$logs")"
  echo "==> [asan] sanitizer reports: $reports"
  summary+=("asan: $p passed, $f failed, $ex example page(s) failed, $reports sanitizer report(s)")
  total_passed=$((total_passed + p)); total_failed=$((total_failed + f + ex + reports))
}

mode_valgrind() {
  if ! command -v valgrind >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
      $SUDO apt-get install -y -qq --no-install-recommends valgrind >/dev/null
  fi
  install_pkg valgrind "" || { summary+=("valgrind: the build failed"); total_failed=$((total_failed + 1)); return; }
  local vlog="$work/valgrind-report"
  rm -f "$vlog".*
  # --error-exitcode makes any memcheck error fail the process; the per-process logs are read too
  # (an error in a child process would not reach this exit code).
  valgrind_cmd="valgrind --error-exitcode=1 --track-origins=yes --leak-check=no --log-file=$vlog.%p"
  export GRADGLM_TEST_SLOW=1
  run_tests valgrind "$work/valgrind-lib" "$valgrind_tests" valgrind
  unset GRADGLM_TEST_SLOW
  local errs=0 f n
  for f in "$vlog".*; do
    [ -f "$f" ] || continue
    n="$(sed -nE 's/.*ERROR SUMMARY: ([0-9]+) errors.*/\1/p' "$f" | tail -n 1)"
    if [ "${n:-0}" -gt 0 ]; then echo "---- $f"; grep -A 30 -m 3 -E '^==[0-9]+== [A-Z]' "$f" | head -n 80; errs=$((errs + n)); fi
  done
  echo "==> [valgrind] memcheck errors: $errs"
  summary+=("valgrind ($valgrind_tests): $run_passed passed, $run_failed failed, $errs memcheck error(s)")
  total_passed=$((total_passed + run_passed)); total_failed=$((total_failed + run_failed + errs))
}

mode_noomp() {
  install_pkg noomp "SHLIB_OPENMP_CFLAGS=
SHLIB_OPENMP_CXXFLAGS=" || { summary+=("noomp: the build failed"); total_failed=$((total_failed + 1)); return; }
  # The library must really be built without OpenMP.
  if nm -D "$work/noomp-lib/gradglm/libs/gradglm.so" 2>/dev/null | grep -q 'GOMP_\|omp_'; then
    echo "==> [noomp] the library still refers to OpenMP"
    summary+=("noomp: the library was built with OpenMP"); total_failed=$((total_failed + 1)); return
  fi
  run_tests noomp "$work/noomp-lib" all rscript
  summary+=("noomp: $run_passed passed, $run_failed failed")
  total_passed=$((total_passed + run_passed)); total_failed=$((total_failed + run_failed))
}

echo "==> sanitize.sh $mode in $work"
case "$mode" in
  asan) mode_asan ;;
  valgrind) mode_valgrind ;;
  noomp) mode_noomp ;;
  all) mode_asan; mode_valgrind; mode_noomp ;;
esac
for s in "${summary[@]}"; do echo "sanitize $s"; done
echo "sanitize: $total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
