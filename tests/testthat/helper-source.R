# A chunked source of a data frame: a function returning `size` rows per call
# (biglm's reset convention), for the tests of fits from sources.
function_source <- function(d, size) {
  chunks <- split(d, ceiling(seq_len(nrow(d)) / size))
  i <- 0
  gradglm_source(function(reset = FALSE) {
    if (reset) {
      i <<- 0
      return(NULL)
    }
    i <<- i + 1
    if (i > length(chunks)) NULL else chunks[[i]]
  })
}
