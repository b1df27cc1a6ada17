# Pieces shared by bench/bench-network.R and bench/bench-network-starts.R:
# gradglm's network weights in nnet's order and back, nnet's objective at
# given weights, and one split's inputs standardised as gradglm standardises
# them. Sourced from the package root.

# nnet's weights (per hidden unit: bias, inputs; then the output's bias and
# hidden weights) in gradglm's layout (W1 by input column, b1, Wout, bout)
from_nnet <- function(wts, p, h) {
  hid <- matrix(wts[seq_len(h * (p + 1))], p + 1, h)
  out <- wts[h * (p + 1) + seq_len(h + 1)]
  c(as.vector(t(hid[-1, , drop = FALSE])), hid[1, ], out[-1], out[1])
}
to_nnet <- function(theta, p, h) {
  W1 <- matrix(theta[seq_len(p * h)], h, p)
  b1 <- theta[p * h + seq_len(h)]
  wout <- theta[p * h + h + seq_len(h)]
  bout <- theta[p * h + 2 * h + 1]
  c(as.vector(rbind(b1, t(W1))), bout, wout)
}
nnet_objective <- function(wts, Xs, y, h, decay, entropy) {
  m <- nnet::nnet(Xs, y, size = h, Wts = wts, maxit = 0, linout = !entropy, entropy = entropy, trace = FALSE)
  f <- m$fitted.values
  loss <- if (entropy) -sum(ifelse(y == 1, log(f), log(1 - f))) else sum((y - f)^2)
  loss + decay * sum(wts^2)
}

# A split's design matrices (without the intercept), responses (0/1 for the
# binomial), the inputs standardised by the training rows' means and
# standard deviations with divisor n (gradglm's standardisation), the
# training rows n, and nnet's weight decay on gradglm's scale of the mean
# loss (lambda: half the deviance per row for the binomial)
split_inputs <- function(train, test, form, family, decay) {
  yname <- all.vars(form)[1L]
  Xtr <- model.matrix(form, train)[, -1, drop = FALSE]
  Xte <- model.matrix(form, test)[, -1, drop = FALSE]
  ytr <- as.numeric(train[[yname]])
  yte <- as.numeric(test[[yname]])
  entropy <- family == "binomial"
  if (entropy) {
    ytr <- as.numeric(train[[yname]] == levels(train[[yname]])[2])
    yte <- as.numeric(test[[yname]] == levels(test[[yname]])[2])
  }
  ctr <- colMeans(Xtr)
  sdv <- sqrt(colMeans(sweep(Xtr, 2, ctr)^2))
  n <- nrow(Xtr)
  list(Xtr = Xtr, Xte = Xte, ytr = ytr, yte = yte, entropy = entropy,
       Str = sweep(sweep(Xtr, 2, ctr), 2, sdv, "/"), Ste = sweep(sweep(Xte, 2, ctr), 2, sdv, "/"),
       n = n, lambda = if (entropy) 2 * decay / n else decay / n)
}
