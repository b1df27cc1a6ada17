#!/usr/bin/env bash
# Builds gradglm's documentation website with pkgdown into docs/ (git-ignored; not part of CI):
# the README as home page, the reference grouped by topic and the vignettes as articles (both as
# laid out in _pkgdown.yml), NEWS.md as the changelog.
#
# Usage (from anywhere; the script finds the repository root itself; run as root or with sudo):
#   bash tools/site.sh                 install what is missing, build the site into docs/
#   bash tools/site.sh --shots [DIR]   the same, then screenshots of the home page, a reference
#                                      page and an article in headless Chromium, as PNG files in
#                                      DIR (default: a new temporary directory; printed at the end)
#   bash tools/site.sh --no-install    build only: apt-get and install.packages() are not called
#                                      (the package itself is still installed, see below)
# Open docs/index.html in a browser to read the site: its pages link to each other by relative
# paths, so file:// works (the formulas of the reference need the network, for KaTeX).
#
# What it does:
#   1. apt-get (after apt-get update, and only if something is missing): pandoc, npm and the
#      system libraries that pkgdown's dependencies compile against (curl, openssl, xml2, ragg's
#      and textshaping's font and image libraries); with --shots also Debian's chromium.
#   2. install.packages() from getOption("repos") into the first library of .libPaths() (set
#      R_LIBS to choose it): pkgdown and every package DESCRIPTION names (Imports, LinkingTo,
#      Suggests), so that every example and every vignette chunk runs. It stops with a message
#      when no repository is configured.
#   3. pkgdown's JavaScript libraries (headroom, clipboard.js, fuse.js, ...), which pkgdown
#      itself downloads once into its cache from content delivery networks that the project's
#      machines cannot reach: tools/site-assets/fill-pkgdown-cache.R takes what is not cached yet
#      from the npm registry (`npm pack`) or, for the one library not published there, from
#      tools/site-assets/, and checks each file against the hash pkgdown records for it.
#   4. R CMD INSTALL of the work tree into a temporary library (removed at the end), which comes
#      first in the library path while the site is built. Compiled objects stay in src/ (they are
#      git-ignored), so a second run only relinks what changed.
#   5. pkgdown::check_pkgdown() (every topic is in the reference index, every vignette in the
#      articles), then pkgdown::build_site() into docs/: it runs every example and knits every
#      vignette against that installed copy.
#
# Time on the project's machine (2 cores, shared with other builds): a first run took 11 minutes
# where the system libraries were already there (5 of them for pkgdown's 11 missing R packages,
# built from source; 4 compiling the package from scratch; 2 building the site), and 21 minutes
# with the apt-get step (chromium and 5 libraries) while another compile loaded the machine. A
# second run takes about 2 minutes (nothing to install, the package relinked, the site rebuilt).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shots=""
install=1
while [ $# -gt 0 ]; do
  case "$1" in
    --shots)
      shots="auto"
      if [ $# -gt 1 ] && [ "${2#--}" = "$2" ]; then shots="$2"; shift; fi ;;
    --shots=*) shots="${1#--shots=}" ;;
    --no-install) install=0 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "site.sh: unknown argument: $1 (see bash tools/site.sh --help)" >&2; exit 2 ;;
  esac
  shift
done
start=$SECONDS
# R asks systemd for the time zone when TZ is unset, and warns in containers without it.
export TZ="${TZ:-UTC}"
work="$(mktemp -d "${TMPDIR:-/tmp}/gradglm-site.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# --- 1. system packages ----------------------------------------------------------------------
if [ "$install" -eq 1 ]; then
  apt_want=(pandoc libcurl4-openssl-dev libssl-dev libxml2-dev libfontconfig1-dev
            libfreetype-dev libharfbuzz-dev libfribidi-dev libpng-dev libtiff-dev libjpeg-dev
            libwebp-dev)
  [ -n "$shots" ] && apt_want+=(chromium)
  command -v npm >/dev/null 2>&1 || apt_want+=(npm)
  apt_need=()
  for p in "${apt_want[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || apt_need+=("$p")
  done
  if [ ${#apt_need[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "==> apt-get install ${apt_need[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      "${apt_need[@]}" >/dev/null
  fi
fi

# --- 2. R packages ---------------------------------------------------------------------------
if [ "$install" -eq 1 ]; then
  echo "==> R packages"
  Rscript -e '
    repo_dir <- commandArgs(TRUE)[1]
    d <- read.dcf(file.path(repo_dir, "DESCRIPTION"))
    fields <- intersect(c("Depends", "Imports", "LinkingTo", "Suggests"), colnames(d))
    deps <- unlist(strsplit(d[1, fields], ","))
    deps <- trimws(sub("\\(.*", "", deps))
    base <- rownames(installed.packages(priority = "base"))
    want <- setdiff(unique(c("pkgdown", deps[nzchar(deps)])), c("R", base))
    # Versions that the site needs but no DESCRIPTION asks for: downlit, which highlights the
    # examples, works with evaluate 1.0 or later only (Debian 12 ships 0.20).
    at_least <- c(evaluate = "1.0.0")
    too_old <- function() names(at_least)[vapply(names(at_least), function(p) {
      v <- suppressWarnings(utils::packageDescription(p, fields = "Version"))
      is.na(v) || package_version(v) < at_least[[p]]
    }, logical(1))]
    missing <- union(setdiff(want, rownames(installed.packages())), too_old())
    if (length(missing)) {
      repos <- getOption("repos")
      if (is.null(repos) || !length(repos) || any(repos == "@CRAN@")) {
        stop("site.sh: no package repository is configured; set options(repos = ...) in ",
             "R (e.g. in ~/.Rprofile or R_HOME/etc/Rprofile.site) and run again", call. = FALSE)
      }
      message("installing into ", .libPaths()[1], ": ", paste(missing, collapse = ", "))
      install.packages(missing, lib = .libPaths()[1], repos = repos, Ncpus = 2L, quiet = TRUE)
    }
    still <- union(setdiff(want, rownames(installed.packages())), too_old())
    if (length(still)) stop("site.sh: could not install: ", paste(still, collapse = ", "),
                            call. = FALSE)
  ' "$repo"
fi
Rscript -e 'if (!requireNamespace("pkgdown", quietly = TRUE)) stop("site.sh: pkgdown is not installed; run without --no-install", call. = FALSE)'

# --- 3. pkgdown's JavaScript libraries ------------------------------------------------------
echo "==> pkgdown's JavaScript libraries"
Rscript "$repo/tools/site-assets/fill-pkgdown-cache.R" "$repo/tools/site-assets" "$work"

# --- 4. the package, into a temporary library ------------------------------------------------
lib="$work/lib"
mkdir -p "$lib"
echo "==> R CMD INSTALL into a temporary library"
MAKEFLAGS="${MAKEFLAGS:--j$(nproc 2>/dev/null || echo 2)}" \
  R CMD INSTALL --no-multiarch -l "$lib" "$repo" >"$work/install.log" 2>&1 || {
    cat "$work/install.log" >&2; echo "site.sh: R CMD INSTALL failed" >&2; exit 1; }
export R_LIBS="$lib${R_LIBS:+:$R_LIBS}"

# --- 5. the site -----------------------------------------------------------------------------
echo "==> pkgdown::build_site() into $repo/docs"
cd "$repo"
# install = FALSE: pkgdown would otherwise compile the package once more; it uses the copy
# installed above, which is first in R_LIBS. The site is built in this R process (Rscript is
# already a fresh one, and the change below must be made in it); each article is still knitted in
# a process of its own.
# The home page's "Links" look the package up in two package archives to link to its page there;
# where one of them cannot be reached, pkgdown stops. The lookup is made to give no link instead.
Rscript -e '
  pkgdown::check_pkgdown()
  ns <- asNamespace("pkgdown")
  if (is.function(ns$cran_link)) {
    lookup <- ns$cran_link
    utils::assignInNamespace("cran_link", ns = "pkgdown", function(pkg)
      tryCatch(lookup(pkg), error = function(e) NULL))
  }
  pkgdown::build_site(preview = FALSE, install = FALSE, new_process = FALSE)
'

# --- 6. screenshots --------------------------------------------------------------------------
if [ -n "$shots" ]; then
  command -v chromium >/dev/null 2>&1 ||
    { echo "site.sh: chromium is not installed (apt-get install chromium)" >&2; exit 1; }
  [ "$shots" = "auto" ] && shots="$(mktemp -d "${TMPDIR:-/tmp}/gradglm-site-shots.XXXXXX")"
  mkdir -p "$shots" && shots="$(cd "$shots" && pwd)"
  # page of the site -> screenshot file
  for page in index.html:home.png reference/gradglm.html:reference-gradglm.png \
              articles/getting-started.html:article-getting-started.png; do
    src="$repo/docs/${page%%:*}"; png="$shots/${page##*:}"
    [ -f "$src" ] || { echo "site.sh: $src was not built" >&2; exit 1; }
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
      --virtual-time-budget=5000 --window-size=1280,2000 --screenshot="$png" \
      "file://$src" >/dev/null 2>&1 ||
      { echo "site.sh: chromium failed on $src" >&2; exit 1; }
    echo "    $png"
  done
  echo "==> screenshots in $shots"
fi

echo "==> site built in $repo/docs ($((SECONDS - start)) s); open docs/index.html"
