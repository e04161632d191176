# Fixture values for tests/sampling/test_sae_arcsin.py: the Fay-Herriot model on the
# arcsine-square-root scale written out from its formulas in base R (independent of kesu's
# Fisher scoring: REML as the root of the restricted score, found by uniroot(); the
# restricted log-likelihood is printed at the root and beside it to show it is the maximum).
# emdi::fh(transformation = "arcsin") is the published implementation; CRAN was not reachable
# from the development machine, so this script is the reference.
# Run from the repository root:  Rscript tests/sampling/r/fay_herriot_arcsin.R
options(digits = 15)
show <- function(label, x) cat(label, paste(format(x, digits = 15), collapse = ", "), "\n")
towns <- read.csv("tests/sampling/data/sae_towns_arcsin.csv", comment.char = "#")
m <- nrow(towns)
deff <- sum(towns$n * towns$deff) / sum(towns$n)          # pooled design effect
neff <- towns$n / deff
y <- asin(sqrt(towns$direct))
D <- 1 / (4 * neff)
X <- cbind(1, towns$urban)
reml <- function(A) {                                      # restricted log-likelihood
  V <- A + D; W <- diag(1 / V)
  XWX <- t(X) %*% W %*% X
  P <- W - W %*% X %*% solve(XWX) %*% t(X) %*% W
  -0.5 * (sum(log(V)) + log(det(XWX)) + drop(t(y) %*% P %*% y))
}
score <- function(A) {                                     # d reml / dA
  V <- A + D; W <- diag(1 / V)
  P <- W - W %*% X %*% solve(t(X) %*% W %*% X) %*% t(X) %*% W
  -0.5 * sum(diag(P)) + 0.5 * drop(t(y) %*% P %*% P %*% y)
}
A <- uniroot(score, c(1e-8, 1), tol = 1e-16)$root
stopifnot(reml(A) > reml(A * 0.99), reml(A) > reml(A * 1.01))
V <- A + D; W <- diag(1 / V)
Q <- solve(t(X) %*% W %*% X)
beta <- drop(Q %*% t(X) %*% W %*% y)
gamma <- A / V
syn <- drop(X %*% beta)
theta <- syn + gamma * (y - syn)
B <- D / V
g1 <- gamma * D
g2 <- B^2 * rowSums((X %*% Q) * X)
g3 <- B^2 * (2 / sum(1 / V^2)) / V
mse_theta <- g1 + g2 + 2 * g3                              # Prasad-Rao (REML)
p <- (1 - exp(-2 * g1) * cos(2 * theta)) / 2              # E sin^2 over N(theta, g1)
z <- qnorm(0.975)
low <- sin(pmin(pmax(theta - z * sqrt(mse_theta), 0), pi / 2))^2
high <- sin(pmin(pmax(theta + z * sqrt(mse_theta), 0), pi / 2))^2
mse_p <- sin(2 * theta)^2 * mse_theta                      # delta method
s <- towns$weight_sum / sum(towns$weight_sum)
target <- 0.14960498723134197                              # the city's direct estimate
r <- target / sum(s * p)
show("deff", deff)
show("A", A)
show("reml", c(reml(A * 0.99), reml(A), reml(A * 1.01)))
show("beta", beta)
show("gamma", gamma)
show("theta", theta)
show("mse_theta", mse_theta)
show("p", p)
show("low", low)
show("high", high)
show("factor", r)
show("p_bench", p * r)
show("mse_bench", mse_p + (p * r - p)^2)
