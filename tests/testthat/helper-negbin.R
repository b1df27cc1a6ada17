# Reference negative-binomial (NB2) maximum likelihood for the parity tests
# against MASS::glm.nb(). Written from the formulas: the log-likelihood, its
# analytic gradient and Hessian in (beta, log theta), and a Newton polish that
# drives glm.nb()'s alternating estimate to the joint optimum.

# Mean, d mu / d eta and d2 mu / d eta2 for the links used here.
nb_link_parts <- function(eta, link) {
  lk <- stats::make.link(link)
  mu <- lk$linkinv(eta)
  d2 <- switch(link, log = mu, sqrt = rep(2, length(eta)), identity = rep(0, length(eta)),
               stop("unsupported link: ", link))
  list(mu = mu, d1 = lk$mu.eta(eta), d2 = d2)
}

# Weighted NB2 log-likelihood; the y * log(mu / (theta + mu)) term is 0 at y = 0.
nb_loglik <- function(beta, theta, X, y, w = rep(1, length(y)), offset = 0, link = "log") {
  mu <- stats::make.link(link)$linkinv(drop(X %*% beta) + offset)
  ylog <- ifelse(y == 0, 0, y * log(mu / (theta + mu)))
  sum(w * (lgamma(y + theta) - lgamma(theta) - lgamma(y + 1) +
             theta * log(theta / (theta + mu)) + ylog))
}

# Analytic gradient and Hessian of nb_loglik in (beta, phi = log theta).
nb_derivs <- function(beta, theta, X, y, w, offset, link) {
  lp <- nb_link_parts(drop(X %*% beta) + offset, link)
  mu <- lp$mu
  s_mu <- theta * (y - mu) / (mu * (mu + theta))              # dl/dmu
  h_mu <- -y / mu^2 + (y + theta) / (mu + theta)^2             # d2l/dmu2
  s_th <- digamma(y + theta) - digamma(theta) - log1p(mu / theta) + (mu - y) / (mu + theta)
  h_th <- trigamma(y + theta) - trigamma(theta) + 1 / theta - 1 / (mu + theta) +
    (y - mu) / (mu + theta)^2                                  # d2l/dtheta2
  h_mt <- (y - mu) / (mu + theta)^2                            # d2l/dmu dtheta
  g_b <- drop(crossprod(X, w * s_mu * lp$d1))
  H_bb <- crossprod(X, (w * (h_mu * lp$d1^2 + s_mu * lp$d2)) * X)
  g_p <- theta * sum(w * s_th)                                 # chain rule to log theta
  H_pp <- theta^2 * sum(w * h_th) + g_p
  H_bp <- theta * drop(crossprod(X, w * h_mt * lp$d1))
  list(grad = unname(c(g_b, g_p)), hess = unname(rbind(cbind(H_bb, H_bp), c(H_bp, H_pp))),
       mu = mu, d1 = lp$d1, h_th = h_th)
}

# glm.nb()-style standard errors: expected information for beta with theta
# fixed (dispersion 1), and 1 / sqrt(observed information) for theta with mu fixed.
nb_se <- function(beta, theta, X, y, w = rep(1, length(y)), offset = 0, link = "log") {
  d <- nb_derivs(beta, theta, X, y, w, offset, link)
  V <- d$mu + d$mu^2 / theta
  info_b <- crossprod(X, (w * d$d1^2 / V) * X)
  se_b <- sqrt(diag(solve(info_b)))
  names(se_b) <- colnames(X)
  list(se_beta = se_b, se_theta = 1 / sqrt(-sum(w * d$h_th)))
}

# Fit glm.nb(y ~ X - 1) at a tight tolerance (link passed as a value in the call).
nb_glmnb <- function(X, y, w = NULL, offset = NULL, link = "log") {
  d <- data.frame(y = y)
  d$X <- X
  cl <- quote(MASS::glm.nb(y ~ X - 1, data = d,
                           control = glm.control(epsilon = 1e-12, maxit = 200)))
  cl$link <- link
  if (!is.null(w)) { d$w <- w; cl$weights <- quote(w) }
  if (!is.null(offset)) { d$off <- offset; cl$offset <- quote(off) }
  eval(cl)
}

# Polish an NB2 fit by joint Newton steps on (beta, log theta) with step halving.
# `start`: NULL (use glm.nb), a list(beta, theta) or a vector c(beta, theta).
nb_polish <- function(X, y, w = NULL, offset = NULL, link = "log", start = NULL,
                      tol = 1e-13, maxit = 100) {
  X <- as.matrix(X)
  p <- ncol(X)
  if (is.null(colnames(X))) colnames(X) <- paste0("x", seq_len(p))
  fit0 <- NULL
  if (is.null(start)) {
    fit0 <- nb_glmnb(X, y, w, offset, link)
    beta <- unname(coef(fit0)); theta <- fit0$theta
  } else if (is.list(start)) {
    beta <- unname(start$beta); theta <- start$theta
  } else {
    beta <- unname(start[seq_len(p)]); theta <- start[[p + 1]]
  }
  ww <- if (is.null(w)) rep(1, length(y)) else w
  off <- if (is.null(offset)) 0 else offset
  ll_at <- function(b, lt) {
    v <- tryCatch(nb_loglik(b, exp(lt), X, y, ww, off, link), error = function(e) NA)
    if (is.finite(v)) v else -Inf
  }
  par <- c(beta, log(theta))
  ll <- ll_at(beta, log(theta))
  iter <- 0L
  repeat {
    d <- nb_derivs(par[1:p], exp(par[p + 1]), X, y, ww, off, link)
    if (max(abs(d$grad)) < tol * (1 + abs(ll)) || iter >= maxit) break
    iter <- iter + 1L
    step <- tryCatch(solve(-d$hess, d$grad), error = function(e) NULL)
    # Fall back to a scaled gradient step if Newton is not an ascent direction.
    if (is.null(step) || sum(step * d$grad) <= 0)
      step <- d$grad / max(1, max(abs(diag(d$hess))))
    improved <- FALSE
    for (k in 0:40) {
      cand <- par + step / 2^k
      llc <- ll_at(cand[1:p], cand[p + 1])
      # (near the optimum a Newton step may lower the log-likelihood by rounding only)
      if (llc >= ll - 1e-14 * (1 + abs(ll))) { improved <- TRUE; break }
    }
    if (!improved) break
    moved <- any(cand != par)
    par <- cand; ll <- llc
    if (!moved) break
  }
  beta <- setNames(par[1:p], colnames(X))
  theta <- exp(unname(par[p + 1]))
  d <- nb_derivs(beta, theta, X, y, ww, off, link)
  se <- nb_se(beta, theta, X, y, ww, off, link)
  list(beta = beta, theta = theta, loglik = ll,
       grad = setNames(d$grad, c(colnames(X), "log(theta)")), iter = iter,
       se_beta = se$se_beta, se_theta = se$se_theta, glmnb = fit0)
}
