# References for tests/scoring/irt/test_irt_dif.py and test_irt_pv.py.
# Run from the repository root:  Rscript tests/scoring/irt/r/mh_rubin_reference.R
options(digits = 15)

## Mantel-Haenszel on a 2 x 2 x 4 table: rows reference/focal, columns right/wrong
tab <- array(c(12, 20,  8,  5,     # stratum 1: A, C, B, D  (R fills column-major)
               25, 18, 10, 12,
               30, 22,  6, 11,
               15,  9,  3,  6), dim = c(2, 2, 4))
mh <- mantelhaen.test(tab, correct = TRUE)
cat("MH alpha", mh$estimate, "\n")
cat("MH chi2", mh$statistic, "\n")
cat("MH p", mh$p.value, "\n")
cat("MH conf.int", mh$conf.int, "\n")
mh0 <- mantelhaen.test(tab, correct = FALSE)
cat("MH chi2 uncorrected", mh0$statistic, "\n")

## Rubin's rules with mitools::MIcombine
library(mitools)
est <- list(c(m = 0.512), c(m = 0.498), c(m = 0.530), c(m = 0.505), c(m = 0.521))
var <- list(matrix(0.0021), matrix(0.0019), matrix(0.0023), matrix(0.0020), matrix(0.0022))
r <- MIcombine(est, var)
cat("Rubin estimate", coef(r), "\n")
cat("Rubin variance", vcov(r), "\n")
cat("Rubin df", r$df, "\n")
cat("Rubin missinfo", r$missinfo, "\n")
r2 <- MIcombine(est, var, df.complete = 30)
cat("Rubin df (df.complete = 30)", r2$df, "\n")
# mitools uses vbar/(vbar + B) for 1 - lambda; Barnard & Rubin (1999) and mice use
# 1 - (1 + 1/m) B / T, as kesu does:
library(mice)
p <- pool.scalar(unlist(est), unlist(var), n = 32, k = 2)   # dfcom = n - k = 30
cat("Barnard-Rubin df (mice, dfcom = 30)", p$df, "\n")
cat("Barnard-Rubin fmi (mice, dfcom = 30)", p$fmi, "\n")
