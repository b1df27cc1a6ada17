# Puts the JavaScript libraries that pkgdown's Bootstrap 5 template loads into pkgdown's cache,
# each checked against the hash pkgdown records for it. Called by tools/site.sh:
#   Rscript tools/site-assets/fill-pkgdown-cache.R ASSETS_DIR WORK_DIR
# pkgdown downloads these files itself from content delivery networks, which the project's
# machines cannot reach. For each file not cached yet this tries, in order: that network (where it
# is reachable), the npm package that publishes the same file (`npm pack`), and ASSETS_DIR.
args <- commandArgs(TRUE)
assets <- args[1]
work <- args[2]
cache <- tools::R_user_dir("pkgdown", "cache")

# What pkgdown wants: its external_dependencies() calls cached_dependency(name, version, files)
# once per library; run it with a cached_dependency() that only records its arguments.
ext <- get0("external_dependencies", envir = asNamespace("pkgdown"), inherits = FALSE)
if (!is.function(ext)) {
  message("site.sh: this version of pkgdown has no external_dependencies(); it downloads what it needs")
  quit(save = "no")
}
wanted <- list()
env <- new.env(parent = environment(ext))
env$cached_dependency <- function(name, version, files) {
  for (f in files) wanted[[length(wanted) + 1L]] <<- c(name = name, version = version, unlist(f))
  NULL
}
environment(ext) <- env
invisible(ext(pkg = NULL))

hash_ok <- function(path, integrity) {
  fun <- switch(sub("-.*", "", integrity),
                sha256 = openssl::sha256, sha384 = openssl::sha384, sha512 = openssl::sha512)
  if (is.null(fun) || !file.exists(path)) return(FALSE)
  con <- file(path, "rb")
  on.exit(close(con))
  identical(openssl::base64_encode(unclass(fun(con))), sub("^[^-]+-", "", integrity))
}

# A network address -> the npm package and version that publish the same file:
# .../ajax/libs/<library>/<version>/<file> or .../npm/<package>@<version>/<file>.
npm_names <- c(headroom = "headroom.js", clipboard.js = "clipboard")
npm_spec <- function(url) {
  m <- regmatches(url, regexec("/ajax/libs/([^/]+)/([^/]+)/", url))[[1]]
  if (length(m)) {
    lib <- if (m[2] %in% names(npm_names)) npm_names[[m[2]]] else m[2]
    return(paste0(lib, "@", m[3]))
  }
  m <- regmatches(url, regexec("/npm/(@?[^@/]+(/[^@/]+)?)@([^/]+)/", url))[[1]]
  if (length(m)) return(paste0(m[2], "@", m[4]))
  NA_character_
}
from_npm <- function(spec, file, dest) {
  if (!nzchar(Sys.which("npm"))) return(FALSE)
  dir <- tempfile("npm", tmpdir = work)
  dir.create(dir)
  out <- suppressWarnings(system2("npm", c("pack", "--silent", "--pack-destination", dir, spec),
                                  stdout = TRUE, stderr = TRUE))
  tgz <- list.files(dir, "\\.tgz$", full.names = TRUE)
  if (!length(tgz)) {
    message("  npm pack ", spec, ": ", paste(out, collapse = " "))
    return(FALSE)
  }
  utils::untar(tgz[1], exdir = dir)
  hits <- list.files(file.path(dir, "package"), recursive = TRUE, full.names = TRUE)
  hits <- hits[basename(hits) == file]
  hits <- hits[order(!grepl("/dist/", hits))]          # the built file first
  length(hits) > 0 && file.copy(hits[1], dest, overwrite = TRUE)
}

options(timeout = 20)
failed <- character()
for (w in wanted) {
  file <- basename(w[["url"]])
  dir <- file.path(cache, w[["name"]], w[["version"]])
  dest <- file.path(dir, file)
  if (hash_ok(dest, w[["integrity"]])) next
  tmp <- file.path(work, file)
  got <- isTRUE(tryCatch(utils::download.file(w[["url"]], tmp, quiet = TRUE, mode = "wb") == 0,
                         error = function(e) FALSE, warning = function(e) FALSE)) &&
    hash_ok(tmp, w[["integrity"]])
  how <- "the network"
  if (!got) {
    spec <- npm_spec(w[["url"]])
    got <- !is.na(spec) && from_npm(spec, file, tmp) && hash_ok(tmp, w[["integrity"]])
    how <- paste("npm package", spec)
  }
  if (!got) {
    got <- file.exists(file.path(assets, file)) &&
      file.copy(file.path(assets, file), tmp, overwrite = TRUE) && hash_ok(tmp, w[["integrity"]])
    how <- "tools/site-assets"
  }
  if (got) {
    dir.create(dir, recursive = TRUE, showWarnings = FALSE)
    file.copy(tmp, dest, overwrite = TRUE)
    message("  ", w[["name"]], " ", w[["version"]], ": ", file, " from ", how)
  } else {
    failed <- c(failed, w[["url"]])
  }
}
if (length(failed)) {
  stop("site.sh: found no copy with pkgdown's hash of: ", paste(failed, collapse = ", "),
       call. = FALSE)
}
