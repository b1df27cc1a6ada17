#!/usr/bin/env bash
# Runs the whole gradglm test suite the way CRAN would see the package:
#   1. R CMD build  (this also installs the package in a scratch library and builds the vignette)
#   2. R CMD check --as-cran --no-manual on the tarball (examples, tests, vignettes, code checks)
#   3. counts testthat's results and prints them as the very last line:
#        N passed, N failed            (or  N passed, N failed, N skipped)
#
# Exit status: 0 only if R CMD check reports no ERROR and no WARNING, the install log has no
# compiler warning, *and* no test failed (a compiler warning counts as one failure).
# NOTEs are printed but do not fail the run.
#
# Usage (from anywhere; the script finds the repository root itself):
#   bash tools/check.sh
# Environment:
#   CHECK_DIR   where to build and check (default: a fresh temporary directory). The tarball and
#               <pkg>.Rcheck/ (with 00check.log and tests/testthat.Rout*) are left there for
#               inspection; the directory is printed at the end.
#   GRADGLM_EXTRA_FAILED  failures found by an earlier step (.ci/run's sanitizer run), added to
#               the count line
#   NOT_CRAN    default "true", so tests guarded by testthat::skip_on_cran() run too: this script
#               is the project's complete test suite, not a CRAN submission.
set -uo pipefail   # no -e: every failure below is handled so that the count line is always printed

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pkg="$(sed -n 's/^Package:[[:space:]]*//p' "$repo/DESCRIPTION" | tr -d '[:space:]')"
ver="$(sed -n 's/^Version:[[:space:]]*//p' "$repo/DESCRIPTION" | tr -d '[:space:]')"

# Build outside the work tree: the repository stays clean, and two checks of different copies
# never write to the same place.
out="${CHECK_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/${pkg}-check.XXXXXX")}"
mkdir -p "$out" && out="$(cd "$out" && pwd)"

# --- environment for R CMD check -----------------------------------------------------------
# --as-cran turns on CRAN's incoming checks. The "CRAN incoming feasibility" step asks CRAN's
# servers about the package name and flags every first release as "New submission"; neither says
# anything about the code and the remote part needs a network, so skip it.
export _R_CHECK_CRAN_INCOMING_=FALSE
export _R_CHECK_CRAN_INCOMING_REMOTE_=FALSE
# "checking for future file timestamps" asks a web time service for the current time; without a
# network it only produces a NOTE after a timeout. The files come from a fresh clone anyway.
export _R_CHECK_SYSTEM_CLOCK_=FALSE
export _R_CHECK_FUTURE_FILE_TIMESTAMPS_=FALSE
# The library is built without debugging information (src/Makevars strips it after linking,
# keeping the symbol table), so the installed package stays small.
# Run every test (see header).
export NOT_CRAN="${NOT_CRAN:-true}"
# Compile with both cores (the machines have 2); R CMD check itself still limits the package's
# own parallelism through _R_CHECK_LIMIT_CORES_, which --as-cran sets.
export MAKEFLAGS="${MAKEFLAGS:--j$(nproc 2>/dev/null || echo 2)}"

count_line() {  # count_line PASSED FAILED SKIPPED
  local line="$1 passed, $2 failed"
  [ "$3" -gt 0 ] && line="$line, $3 skipped"
  echo "$line"
}

finish_without_tests() {  # the tests could not run at all: report that as one failure
  echo "check.sh: $1" >&2
  echo "check.sh: build/check directory: $out"
  count_line 0 1 0
  exit 1
}

cd "$out" || finish_without_tests "cannot enter $out"
rm -rf "${pkg}_${ver}.tar.gz" "${pkg}.Rcheck"

echo "==> R CMD build $repo   (in $out)"
# Building from the repository path (not '.') puts the tarball here. R CMD build copies the
# sources to a temporary directory first, so nothing is written into the work tree.
if ! R CMD build "$repo" 2>&1; then
  finish_without_tests "R CMD build failed (see above)"
fi
tarball="${pkg}_${ver}.tar.gz"
[ -f "$tarball" ] || finish_without_tests "R CMD build produced no $tarball"

echo "==> R CMD check --as-cran --no-manual $tarball"
# --no-manual: the PDF manual needs a full LaTeX installation, which the machines do not have;
# the Rd files are still checked (and rendered to HTML, checked with tidy).
R CMD check --as-cran --no-manual "$tarball" 2>&1
check_rc=$?

log="$out/${pkg}.Rcheck/00check.log"

# The compiler must print no warning while the package is installed (R CMD check only flags
# some kinds; any "warning:" line in its install log fails the run here).
install_log="$out/${pkg}.Rcheck/00install.out"
install_warnings=0
if [ -f "$install_log" ]; then
  install_warnings="$(grep -c 'warning:' "$install_log" || true)"
  if [ "$install_warnings" -gt 0 ]; then
    echo "==> compiler warnings in $install_log ($install_warnings lines; the first 20):"
    grep 'warning:' "$install_log" | head -n 20
  else
    echo "==> the install log has no compiler warning"
  fi
fi
status=""
[ -f "$log" ] && status="$(grep -E '^Status:' "$log" | tail -n 1)"
check_ok=1
if [ -z "$status" ]; then
  echo "check.sh: R CMD check wrote no Status line (exit code $check_rc)" >&2
  check_ok=0
elif echo "$status" | grep -qE 'ERROR|WARNING'; then
  check_ok=0
fi
[ "$check_rc" -ne 0 ] && check_ok=0

# Show every non-OK item of the log together, so problems are easy to find in a long CI log.
if [ -f "$log" ]; then
  echo "==> R CMD check problems (from $log):"
  awk '/^\* / { show = ($0 ~ /\.\.\. *(NOTE|WARNING|ERROR)/); if (show) n++ }
       show { print }
       END { if (!n) print "(none)" }' "$log"
  echo "==> R CMD check $status"
fi

# --- count testthat's results ----------------------------------------------------------------
# testthat's check reporter ends its output with "[ FAIL f | WARN w | SKIP s | PASS p ]".
# tests/testthat.Rout is kept on success, tests/testthat.Rout.fail on failure.
rout=""
for f in "$out/${pkg}.Rcheck/tests/testthat.Rout.fail" "$out/${pkg}.Rcheck/tests/testthat.Rout"; do
  if [ -f "$f" ]; then rout="$f"; break; fi
done

summary=""
[ -n "$rout" ] && summary="$(grep -E '\[ *FAIL [0-9]+ *\| *WARN [0-9]+ *\| *SKIP [0-9]+ *\| *PASS [0-9]+ *\]' "$rout" | tail -n 1)"

if [ -z "$summary" ]; then
  if [ -n "$rout" ]; then
    echo "==> last lines of $rout:"
    tail -n 40 "$rout"
    why="the tests started but testthat printed no result line (crash?)"
  else
    why="the tests never ran (R CMD check stopped before them?)"
  fi
  finish_without_tests "$why"
fi

field() { echo "$summary" | sed -nE "s/.*$1 ([0-9]+).*/\1/p"; }
failed="$(field FAIL)"; skipped="$(field SKIP)"; passed="$(field PASS)"; warned="$(field WARN)"

if [ "$failed" -gt 0 ] || [ "$skipped" -gt 0 ]; then
  # testthat lists failures and skips (with their reasons) just before the summary line.
  echo "==> testthat failures/skips (from $rout):"
  awk '/^(══|==) (Skipped|Failed)/ { on = 1 } /^\[ *FAIL [0-9]/ { on = 0 } on { print }' "$rout" | head -n 200
fi
[ "$warned" -gt 0 ] && echo "check.sh: note: the tests raised $warned warning(s); see $rout"

echo "check.sh: build/check directory: $out"
rc=0
if [ "$check_ok" -ne 1 ]; then
  echo "check.sh: R CMD check did not pass: ${status:-no status} (exit code $check_rc)"
  rc=1
fi
if [ "$install_warnings" -gt 0 ]; then
  echo "check.sh: the package compiled with $install_warnings warning line(s), counted as one failure"
  failed=$((failed + 1))
fi
if [ "${GRADGLM_EXTRA_FAILED:-0}" -gt 0 ]; then
  echo "check.sh: ${GRADGLM_EXTRA_FAILED} failure(s) reported by the caller (see above) added to the count"
  failed=$((failed + GRADGLM_EXTRA_FAILED))
fi
[ "$failed" -gt 0 ] && rc=1
count_line "$passed" "$failed" "$skipped"
exit "$rc"
