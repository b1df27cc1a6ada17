library(testthat)
library(gradglm)

test_check("gradglm")
