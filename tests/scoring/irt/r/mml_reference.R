# Independent marginal-maximum-likelihood reference for tests/scoring/irt.
# Direct maximisation (optim BFGS) of the marginal log-likelihood over the same
# 21-point Gauss-Hermite rule as kesu (statmod::gauss.quad.prob, normal), and
# standard errors from the numerical Hessian (numDeriv::hessian).  This is a
# different algorithm (no EM) in a different language from scoring/irt.
# Run from the repository root:  Rscript tests/scoring/irt/r/mml_reference.R
suppressMessages({library(statmod); library(numDeriv)})
gq <- gauss.quad.prob(21, dist = "normal")
options(digits = 15)

marginal <- function(logL) {            # logL: n x Q
  m <- apply(logL, 1, max)
  sum(m + log(exp(logL - m) %*% gq$weights))
}

## ---- 2PL with missing responses (NA = not administered) ----
X <- as.matrix(read.csv("tests/scoring/irt/data/small2pl.csv"))
J <- ncol(X); obs <- !is.na(X); X0 <- ifelse(obs, X, 0)
nll2 <- function(par) {
  a <- par[1:J]; d <- par[J + 1:J]
  z <- outer(gq$nodes, a) + matrix(d, 21, J, byrow = TRUE)     # Q x J
  lp1 <- plogis(z, log.p = TRUE); lp0 <- plogis(-z, log.p = TRUE)
  logL <- X0 %*% t(lp1) + (obs - X0) %*% t(lp0)
  -marginal(logL)
}
p <- colMeans(X, na.rm = TRUE)
fit <- optim(c(rep(1, J), qlogis(p) * 1.2), nll2, method = "BFGS",
             control = list(reltol = 1e-15, maxit = 10000))
fit <- optim(fit$par, nll2, method = "BFGS", control = list(reltol = 1e-15, maxit = 10000))
V <- solve(hessian(nll2, fit$par))
a <- fit$par[1:J]; d <- fit$par[J + 1:J]; b <- -d / a
se_a <- sqrt(diag(V)[1:J])
se_b <- sapply(1:J, function(j) {
  g <- c(d[j] / a[j]^2, -1 / a[j]); idx <- c(j, J + j)
  sqrt(drop(t(g) %*% V[idx, idx] %*% g))
})
cat("2PL loglik", -fit$value, "\n")
cat("2PL a", a, "\n"); cat("2PL b", b, "\n")
cat("2PL se_a", se_a, "\n"); cat("2PL se_b", se_b, "\n")

## ---- 3PL with a Beta(5, 17) prior on c (posterior mode) ----
X <- as.matrix(read.csv("tests/scoring/irt/data/small3pl.csv"))
J <- ncol(X)
nll3 <- function(par) {
  a <- par[1:J]; d <- par[J + 1:J]; g <- par[2 * J + 1:J]; cc <- plogis(g)
  z <- outer(gq$nodes, a) + matrix(d, 21, J, byrow = TRUE)
  C <- matrix(cc, 21, J, byrow = TRUE)
  p1 <- C + (1 - C) * plogis(z)
  logL <- X %*% t(log(p1)) + (1 - X) %*% t(log(1 - p1))
  -(marginal(logL) + sum(4 * log(cc) + 16 * log(1 - cc)))
}
p <- colMeans(X)
start <- c(rep(1, J), qlogis(pmin(pmax((p - 0.2) / 0.8, 0.05), 0.95)) * 1.2, rep(qlogis(0.2), J))
fit <- optim(start, nll3, method = "BFGS", control = list(reltol = 1e-15, maxit = 20000))
fit <- optim(fit$par, nll3, method = "BFGS", control = list(reltol = 1e-15, maxit = 20000))
V <- solve(hessian(nll3, fit$par))
a <- fit$par[1:J]; d <- fit$par[J + 1:J]; cc <- plogis(fit$par[2 * J + 1:J])
cat("3PL logpost", -fit$value, "\n")
cat("3PL a", a, "\n"); cat("3PL b", -d / a, "\n"); cat("3PL c", cc, "\n")
cat("3PL se_a", sqrt(diag(V)[1:J]), "\n")
cat("3PL se_c", cc * (1 - cc) * sqrt(diag(V)[2 * J + 1:J]), "\n")

## ---- graded response model (3 categories) mixed with 2 right/wrong items ----
X <- as.matrix(read.csv("tests/scoring/irt/data/smallgrm.csv"))
K <- apply(X, 2, max) + 1; J <- ncol(X)
npar <- sum(K)                       # per item: a, d_1..d_{K-1}
unpack <- function(par) {
  out <- list(); pos <- 1
  for (j in 1:J) { out[[j]] <- par[pos:(pos + K[j] - 1)]; pos <- pos + K[j] }
  out
}
nllg <- function(par) {
  items <- unpack(par); logL <- matrix(0, nrow(X), 21)
  for (j in 1:J) {
    a <- items[[j]][1]; d <- items[[j]][-1]
    if (any(diff(d) >= 0)) return(1e10)
    star <- cbind(1, plogis(gq$nodes * a + matrix(d, 21, K[j] - 1, byrow = TRUE)), 0)
    P <- star[, 1:K[j]] - star[, 2:(K[j] + 1)]           # Q x K
    logL <- logL + t(log(P))[X[, j] + 1, ]
  }
  -marginal(logL)
}
start <- unlist(lapply(1:J, function(j) c(1, rev(sort(seq(1, -1, length.out = K[j] - 1))))))
fit <- optim(start, nllg, method = "BFGS", control = list(reltol = 1e-15, maxit = 20000))
fit <- optim(fit$par, nllg, method = "BFGS", control = list(reltol = 1e-15, maxit = 20000))
items <- unpack(fit$par)
cat("GRM loglik", -fit$value, "\n")
cat("GRM a", sapply(items, `[`, 1), "\n")
cat("GRM b", unlist(lapply(items, function(v) -v[-1] / v[1])), "\n")
