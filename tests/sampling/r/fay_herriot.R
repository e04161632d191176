# Fixture values for tests/sampling/test_sae.py, from R's sae package (Molina & Marhuenda 2015).
# Run from the repository root:  Rscript tests/sampling/r/fay_herriot.R
# sae is not installable on the development machine (no Debian package r-cran-sae); the
# fixtures were produced by sourcing the REML/ML code of CRAN sae's R/eblupFH.R and R/mseFH.R
# (set SAE_SRC to such a file). With sae installed, library(sae) gives the same numbers.
if (requireNamespace("sae", quietly = TRUE)) {
  library(sae)
} else {
  source(Sys.getenv("SAE_SRC"))
}
options(digits = 15)
show <- function(label, x) cat(label, paste(format(x, digits = 15), collapse = ", "), "\n")

# 1. milk data (Arora & Lahiri 1997; sae's data(milk)); tests/sampling/data/sae_milk.csv
milk <- read.csv("tests/sampling/data/sae_milk.csv")
milk$var <- milk$SD^2
for (method in c("REML", "ML")) {
  res <- mseFH(yi ~ as.factor(MajorArea), var, method = method, MAXITER = 1000,
               PRECISION = 1e-13, data = milk)
  cat("== milk", method, "\n")
  show("refvar", res$est$fit$refvar)
  show("beta", res$est$fit$estcoef$beta)
  show("beta_se", res$est$fit$estcoef$std.error)
  show("loglike", res$est$fit$goodness["loglike"])
  show("eblup", res$est$eblup)
  show("mse", res$mse)
}

# 2. towns whose REML variance estimate is 0 (tests/sampling/data/sae_towns_zero.csv)
towns <- read.csv("tests/sampling/data/sae_towns_zero.csv")
res <- mseFH(direct ~ urban + college, var, method = "REML", MAXITER = 1000,
             PRECISION = 1e-13, data = towns)
cat("== towns_zero REML\n")
show("refvar", res$est$fit$refvar)
show("beta", res$est$fit$estcoef$beta)
show("eblup", res$est$eblup)
show("mse", res$mse)
