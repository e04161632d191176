# Reference values for tests/sampling/test_replicates.py.
# Rscript tests/sampling/r/replicates.R   (R 4.2.2, survey 4.1-1)
suppressMessages(library(survey))
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("--file=", "", grep("--file=", args, value = TRUE))))
api <- function(name) read.csv(file.path(here, "..", "data", paste0(name, ".csv")))
out <- function(name, x) cat(name, paste(sprintf("%.17g", as.numeric(x)), collapse = " "), "\n")
stats <- function(prefix, d) {
  m <- svymean(~api00, d); out(paste0(prefix, ".mean.api00"), c(coef(m), SE(m)))
  m <- svytotal(~enroll, d); out(paste0(prefix, ".total.enroll"), c(coef(m), SE(m)))
  r <- svyratio(~api.stu, ~enroll, d); out(paste0(prefix, ".ratio"), c(coef(r), SE(r)))
  b <- svyby(~api00, ~stype, d, svymean); out(paste0(prefix, ".by_stype.mean"), c(coef(b), SE(b)))
  out(paste0(prefix, ".degf"), degf(d))
}

apistrat <- api("apistrat"); apiclus1 <- api("apiclus1")
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)

stats("jk1", as.svrepdesign(dclus1, type = "JK1"))
stats("jk1_mse", as.svrepdesign(dclus1, type = "JK1", mse = TRUE))
dclus1_nofpc <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1)
stats("jk1_nofpc", as.svrepdesign(dclus1_nofpc, type = "JK1"))
stats("jkn", as.svrepdesign(dstrat, type = "JKn"))

# BRR: apistrat has 100/50/50 schools per stratum, split into pairs (brrweights large="split")
dstrat_nofpc <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat)
stats("brr", as.svrepdesign(dstrat_nofpc, type = "BRR"))
stats("fay", as.svrepdesign(dstrat_nofpc, type = "Fay", fay.rho = 0.3))
# six pairs of schools, numeric strata "1".."6" (Hadamard matrix of order 8)
small <- apistrat[1:12, ]
small$pair <- rep(c(5, 3, 1, 6, 2, 4), each = 2)
dsmall <- svydesign(id = ~1, strata = ~pair, weights = ~pw, data = small)
bsmall <- as.svrepdesign(dsmall, type = "BRR")
out("small.brr.ncol", ncol(bsmall$repweights$weights))
m <- svymean(~api00, bsmall); out("small.brr.mean.api00", c(coef(m), SE(m)))
r <- svyratio(~api.stu, ~enroll, bsmall); out("small.brr.ratio", c(coef(r), SE(r)))
m <- svymean(~api00, dsmall); out("small.taylor.mean.api00", c(coef(m), SE(m)))

# design effects with replicate weights
jk <- as.svrepdesign(dclus1, type = "JK1")
m <- svymean(~api00, jk, deff = TRUE); out("jk1.deff.mean", deff(m))
b <- svyby(~api00, ~stype, jk, svymean, deff = TRUE); out("jk1.deff.by_stype", deff(b))
