# The disk part of a chunked fit's cache: a temporary binary file that keeps
# the chunks which do not fit in the memory cache between passes, so that a
# later pass reads their numbers back (at the speed of the file system's
# cache) instead of reading the source again and rebuilding their model
# frames.
#
# disk_cache(dir) creates the file in `dir` (and reads and writes vectors
# `step` elements at a time) and returns an environment with
#   put(x, n)  writes every double, integer or logical vector of x (x a list,
#              searched recursively) with at least n elements to the file, and
#              returns x with a reference ("gradglm_on_disk") in each one's
#              place; everything else (names, closures, small vectors) stays
#   get(x)     x with the references read back: the same values and
#              attributes as given to put()
#   bytes()    bytes written
#   suspend()  closes the file's connection until the next get() (after the
#              last put(): between the tasks of a worker, which must not
#              leave connections open)
#   remove()   closes and deletes the file (also done when the environment is
#              garbage collected or R exits)
# The numbers are written in the machine's own format (the file never leaves
# the process).
disk_cache <- function(dir, step = 2^26) {
  path <- tempfile("gradglm-cache-", tmpdir = dir, fileext = ".bin")
  e <- new.env(parent = emptyenv())
  e$out <- open_file(path, "wb")
  e$inp <- NULL
  e$pos <- 0
  # (step: elements per writeBin() / readBin() call, at most 512 MB)
  put_vector <- function(v) {
    ref <- structure(list(at = e$pos, n = length(v), type = typeof(v), attributes = attributes(v)),
                     class = "gradglm_on_disk")
    if (is.logical(v)) v <- as.integer(v)
    attributes(v) <- NULL
    for (from in seq(1, length(v), by = step)) {
      to <- min(length(v), from + step - 1)
      writeBin(if (from == 1 && to == length(v)) v else v[from:to], e$out)
    }
    e$pos <- e$pos + length(v) * if (ref$type == "double") 8 else 4
    ref
  }
  get_vector <- function(ref) {
    if (is.null(e$inp)) {
      if (!is.null(e$out)) close(e$out)
      e$out <- NULL
      e$inp <- open_file(path, "rb")
    }
    seek(e$inp, ref$at)
    what <- if (ref$type == "double") "double" else "integer"
    v <- if (ref$n <= step) {
      readBin(e$inp, what, n = ref$n)
    } else {
      unlist(lapply(seq(1, ref$n, by = step), function(from) readBin(e$inp, what, n = min(step, ref$n - from + 1))))
    }
    if (length(v) != ref$n) stop("the disk cache ", path, " was cut short")
    if (ref$type == "logical") v <- as.logical(v)
    attributes(v) <- ref$attributes
    v
  }
  walk <- function(x, leaf, is_leaf) {
    if (is_leaf(x)) return(leaf(x))
    if (typeof(x) != "list") return(x)
    out <- vector("list", length(x))
    for (i in seq_along(x)) {
      el <- .subset2(x, i)
      if (!is.null(el)) out[i] <- list(walk(el, leaf, is_leaf))
    }
    attributes(out) <- attributes(x)
    out
  }
  e$put <- function(x, n) {
    if (is.null(e$out)) stop("the disk cache is no longer written")
    walk(x, put_vector, function(v) typeof(v) %in% c("double", "integer", "logical") && length(v) >= max(n, 1))
  }
  e$get <- function(x) walk(x, get_vector, function(v) inherits(v, "gradglm_on_disk"))
  e$bytes <- function() e$pos
  # A connection is closed only while its number still holds this cache's
  # file: when this environment and its connection become garbage together,
  # R's own finalizer of the connection may close it first, and the number
  # may belong to another connection by the time this one's finalizer runs.
  close_own <- function(con) {
    if (is.null(con)) return(invisible(NULL))
    mine <- tryCatch(identical(summary(con)$description, path), error = function(err) FALSE)
    if (mine) try(close(con), silent = TRUE)
    invisible(NULL)
  }
  e$suspend <- function() {
    for (con in list(e$out, e$inp)) if (!is.null(con)) close(con)
    e$out <- NULL
    e$inp <- NULL
    invisible(NULL)
  }
  e$remove <- function() {
    for (con in list(e$out, e$inp)) close_own(con)
    e$out <- NULL
    e$inp <- NULL
    unlink(path)
    invisible(NULL)
  }
  e$path <- path
  reg.finalizer(e, function(env) env$remove(), onexit = TRUE)
  e
}
