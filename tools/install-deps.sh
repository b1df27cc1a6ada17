#!/usr/bin/env bash
# Installs everything gradglm needs to build, check, test and benchmark on a fresh
# Debian machine with R: system tools through apt-get, R packages through install.packages().
# Usage: bash tools/install-deps.sh [--dev]   (--dev adds roxygen2 for regenerating docs)
set -euo pipefail
need_apt=()
command -v pandoc >/dev/null 2>&1 || need_apt+=(pandoc)
command -v tidy   >/dev/null 2>&1 || need_apt+=(tidy)
command -v qpdf   >/dev/null 2>&1 || need_apt+=(qpdf)
# R CMD check reads configure and cleanup with checkbashisms (Debian's devscripts)
command -v checkbashisms >/dev/null 2>&1 || need_apt+=(devscripts)
# SQLite's library and header: the package then reads SQLite sources itself (optional for the build)
dpkg -s libsqlite3-dev >/dev/null 2>&1 || need_apt+=(libsqlite3-dev)
if [ "${1:-}" = "--dev" ]; then
  dpkg -s libxml2-dev >/dev/null 2>&1 || need_apt+=(libxml2-dev)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
pkgs="c('cli', 'generics', 'Rcpp', 'RcppEigen', 'testthat', 'knitr', 'rmarkdown', 'glmnet', 'future', 'future.apply', 'DBI', 'RSQLite', 'dplyr', 'dbplyr', 'broom', 'tibble', 'parsnip', 'tune', 'rsample', 'workflows', 'hardhat', 'ggplot2', 'sandwich', 'lmtest', 'emmeans')"
[ "${1:-}" = "--dev" ] && pkgs="c($pkgs, 'roxygen2')"
Rscript -e "
pkgs <- $pkgs
missing <- setdiff(pkgs, rownames(installed.packages()))
if (length(missing)) {
  repos <- getOption('repos')
  if (is.null(repos) || !length(repos) || any(repos == '@CRAN@')) {
    stop('no package repository is configured: set options(repos = ...) in R first')
  }
  message('installing: ', paste(missing, collapse = ', '))
  install.packages(missing, repos = repos, Ncpus = 2L, quiet = TRUE)
}
still <- setdiff(pkgs, rownames(installed.packages()))
if (length(still)) stop('could not install: ', paste(still, collapse = ', '))
"
