# Reference values for tests/sampling/test_weighting.py.
# Rscript tests/sampling/r/weighting.R   (R 4.2.2, survey 4.1-1)
suppressMessages(library(survey))
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("--file=", "", grep("--file=", args, value = TRUE))))
api <- function(name) read.csv(file.path(here, "..", "data", paste0(name, ".csv")))
out <- function(name, x) cat(name, paste(sprintf("%.17g", as.numeric(x)), collapse = " "), "\n")
wsum <- function(d) { w <- weights(d); c(sum(w), sum(w^2), min(w), max(w)) }

apiclus1 <- api("apiclus1")
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
pop.types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop.schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))

# --- post-stratification ------------------------------------------------------------
ps <- postStratify(dclus1, ~stype, pop.types)
out("ps.weights", wsum(ps))
m <- svymean(~api00, ps); out("ps.mean.api00", c(coef(m), SE(m)))
m <- svytotal(~enroll, ps); out("ps.total.enroll", c(coef(m), SE(m)))
b <- svyby(~api00, ~sch.wide, ps, svymean); out("ps.by_schwide.mean", c(coef(b), SE(b)))

# --- raking vs calibrate(calfun="raking") -----------------------------------------------
rk <- rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide),
           control = list(maxit = 200, epsilon = 1e-14))
out("rake.weights", wsum(rk))
m <- svymean(~api00, rk); out("rake.mean.api00.rakeSE", c(coef(m), SE(m)))
pop.rk <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, sch.wideYes = 5122)
cr <- calibrate(dclus1, ~stype + sch.wide, pop.rk, calfun = "raking", epsilon = 1e-13, maxit = 100)
out("calraking.weights", wsum(cr))
m <- svymean(~api00, cr); out("calraking.mean.api00", c(coef(m), SE(m)))
m <- svytotal(~enroll, cr); out("calraking.total.enroll", c(coef(m), SE(m)))
b <- svyby(~api00, ~stype, cr, svymean); out("calraking.by_stype.mean", c(coef(b), SE(b)))
out("calraking.max_abs_weight_diff_vs_rake", max(abs(weights(cr) - weights(rk))))

# --- linear (GREG) and logit calibration to margins and a numeric total -------------------
pop.lin <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, api99 = 3914069)
lin <- calibrate(dclus1, ~stype + api99, pop.lin)
out("linear.weights", wsum(lin))
m <- svymean(~api00, lin); out("linear.mean.api00", c(coef(m), SE(m)))
m <- svytotal(~enroll, lin); out("linear.total.enroll", c(coef(m), SE(m)))
b <- svyby(~api00, ~stype, lin, svymean); out("linear.by_stype.mean", c(coef(b), SE(b)))
lgt <- calibrate(dclus1, ~stype + api99, pop.lin, calfun = "logit", bounds = c(0.7, 1.7),
                 epsilon = 1e-13, maxit = 100)
g <- weights(lgt) / weights(dclus1)
out("logit.weights", wsum(lgt))
out("logit.g_range", range(g))
m <- svymean(~api00, lgt); out("logit.mean.api00", c(coef(m), SE(m)))
blin <- calibrate(dclus1, ~stype + api99, pop.lin, calfun = "linear", bounds = c(0.6, 1.6),
                  epsilon = 1e-13, maxit = 100)
out("boundedlinear.weights", wsum(blin))
m <- svymean(~api00, blin); out("boundedlinear.mean.api00", c(coef(m), SE(m)))

# --- trimming (strict and one pass) of the linear-calibrated weights -----------------------
tr <- trimWeights(lin, upper = 36, lower = 30, strict = TRUE)
out("trim.strict.weights", wsum(tr))
m <- svymean(~api00, tr); out("trim.strict.mean.api00", c(coef(m), SE(m)))
tr1 <- trimWeights(lin, upper = 36, lower = 30, strict = FALSE)
out("trim.once.weights", wsum(tr1))
out("trim.quantile95", quantile(weights(lin), 0.95))

# --- replicate weights re-calibrated ---------------------------------------------------
jk <- as.svrepdesign(dclus1)
jklin <- calibrate(jk, ~stype + api99, pop.lin)
m <- svymean(~api00, jklin); out("jk1.linear.mean.api00", c(coef(m), SE(m)))
jkrak <- calibrate(jk, ~stype + sch.wide, pop.rk, calfun = "raking", epsilon = 1e-13, maxit = 100)
m <- svymean(~api00, jkrak); out("jk1.calraking.mean.api00", c(coef(m), SE(m)))
jkps <- postStratify(jk, ~stype, pop.types)
m <- svymean(~api00, jkps); out("jk1.ps.mean.api00", c(coef(m), SE(m)))

# --- design effects of calibrated estimates -----------------------------------------------
m <- svymean(~api00, lin, deff = TRUE); out("linear.deff.mean", deff(m))
m <- svytotal(~enroll, lin, deff = TRUE); out("linear.deff.total", deff(m))

# --- two calibration steps in a row (post-stratify, then calibrate) ------------------------
ps_lin <- calibrate(postStratify(dclus1, ~stype, pop.types), ~stype + api99, pop.lin)
m <- svymean(~api00, ps_lin); out("ps_then_linear.mean.api00", c(coef(m), SE(m)))
b <- svyby(~api00, ~sch.wide, ps_lin, svymean); out("ps_then_linear.by_schwide", c(coef(b), SE(b)))

# --- trimming then raking again until caps and margins hold (test_cli.py) --------------------
apistrat <- api("apistrat")
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
pop.tr <- c(`(Intercept)` = 6194, sch.wideYes = 5122, awardsYes = 4167)   # from apipop
d <- calibrate(dstrat, ~sch.wide + awards, pop.tr, calfun = "raking", epsilon = 1e-13, maxit = 100)
for (k in 1:200) {
  tr <- trimWeights(d, upper = 40, strict = TRUE)
  err <- max(abs(svytotal(~sch.wide + awards, tr)[c(2, 4)] - pop.tr[2:3]) / pop.tr[2:3])
  if (err < 1e-12) break
  d <- calibrate(tr, ~sch.wide + awards, pop.tr, calfun = "raking", epsilon = 1e-13, maxit = 100)
  if (max(weights(d)) <= 40 * (1 + 1e-12)) { tr <- d; break }
}
out("trim_rerake.weights", wsum(tr))
m <- svymean(~api00, tr); out("trim_rerake.mean.api00", c(coef(m), SE(m)))
