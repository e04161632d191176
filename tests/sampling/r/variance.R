# Reference values for tests/sampling/test_variance.py (multistage recursion, stage-2 lonely units).
# Rscript tests/sampling/r/variance.R   (R 4.2.2, survey 4.1-1)
# Data: tests/sampling/data/three_stage.csv, a small synthetic stratified three-stage sample
# with population counts at every stage (fpc1 PSUs per stratum, fpc2 SSUs per PSU, fpc3
# elements per SSU); PSU 3 of stratum 2 has a single sampled SSU.
suppressMessages(library(survey))
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("--file=", "", grep("--file=", args, value = TRUE))))
out <- function(name, x) cat(name, paste(sprintf("%.17g", as.numeric(x)), collapse = " "), "\n")
ts <- read.csv(file.path(here, "..", "data", "three_stage.csv"))

for (policy in c("certainty", "adjust")) {
  options(survey.lonely.psu = policy)
  d3 <- svydesign(id = ~psu + ssu + id, strata = ~stratum, fpc = ~fpc1 + fpc2 + fpc3,
                  weights = ~w, data = ts, nest = TRUE)
  m <- svytotal(~y, d3); out(paste0("three.", policy, ".total"), c(coef(m), SE(m)))
  m <- svymean(~y, d3); out(paste0("three.", policy, ".mean"), c(coef(m), SE(m)))
  b <- svyby(~y, ~g, d3, svymean); out(paste0("three.", policy, ".by_g"), c(coef(b), SE(b)))
  d2 <- svydesign(id = ~psu + ssu, strata = ~stratum, fpc = ~fpc1 + fpc2,
                  weights = ~w, data = ts, nest = TRUE)
  m <- svytotal(~y, d2); out(paste0("two.", policy, ".total"), c(coef(m), SE(m)))
}
options(survey.lonely.psu = "fail")
d3 <- svydesign(id = ~psu + ssu + id, strata = ~stratum, fpc = ~fpc1 + fpc2 + fpc3,
                weights = ~w, data = ts, nest = TRUE)
out("three.fail", inherits(try(svytotal(~y, d3), silent = TRUE), "try-error"))
