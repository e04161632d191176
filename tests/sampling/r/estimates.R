# Reference values for tests/sampling/test_estimation.py and test_variance.py.
# Run from anywhere:  Rscript tests/sampling/r/estimates.R
# R 4.2.2, survey 4.1-1. Data: tests/sampling/data/api*.csv (copies of R's api data).
suppressMessages(library(survey))
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("--file=", "", grep("--file=", args, value = TRUE))))
api <- function(name) read.csv(file.path(here, "..", "data", paste0(name, ".csv")))
out <- function(name, x) cat(name, paste(sprintf("%.17g", as.numeric(x)), collapse = " "), "\n")

apistrat <- api("apistrat"); apiclus1 <- api("apiclus1"); apiclus2 <- api("apiclus2")
apistrat$awd <- as.numeric(apistrat$awards == "Yes")
apiclus1$awd <- as.numeric(apiclus1$awards == "Yes")
apiclus2$awd <- as.numeric(apiclus2$awards == "Yes")

# --- stratified, one-stage cluster, two-stage cluster --------------------------
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
dclus2 <- svydesign(id = ~dnum + snum, weights = ~pw, fpc = ~fpc1 + fpc2, data = apiclus2)
dclus2_wr <- svydesign(id = ~dnum + snum, weights = ~pw, data = apiclus2)
dclus2_first <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc1, data = apiclus2)

m <- svymean(~api00, dstrat, deff = TRUE)
out("strat.mean.api00", c(coef(m), SE(m), deff(m), degf(dstrat)))
out("strat.mean.api00.ci", confint(m, df = degf(dstrat)))
m <- svytotal(~enroll, dstrat, deff = TRUE)
out("strat.total.enroll", c(coef(m), SE(m), deff(m)))
r <- svyratio(~api.stu, ~enroll, dstrat, deff = TRUE)
out("strat.ratio", c(coef(r), SE(r), deff(r)))
apistrat$frac <- ave(rep(1, nrow(apistrat)), apistrat$stype, FUN = sum) / apistrat$fpc
dstrat_frac <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~frac)
m <- svymean(~api00, dstrat_frac)
out("strat_frac.mean.api00", c(coef(m), SE(m)))

m <- svymean(~api00, dclus1, deff = TRUE)
out("clus1.mean.api00", c(coef(m), SE(m), deff(m), degf(dclus1)))
m <- svytotal(~enroll, dclus1, deff = TRUE)
out("clus1.total.enroll", c(coef(m), SE(m), deff(m)))
r <- svyratio(~api.stu, ~enroll, dclus1, deff = TRUE)
out("clus1.ratio", c(coef(r), SE(r), deff(r)))

m <- svymean(~api00, dclus2)
out("clus2.mean.api00", c(coef(m), SE(m), degf(dclus2)))
m <- svytotal(~enroll, dclus2, na.rm = TRUE)
out("clus2.total.enroll", c(coef(m), SE(m)))
m <- svymean(~api00, dclus2_wr)
out("clus2wr.mean.api00", c(coef(m), SE(m)))
m <- svymean(~api00, dclus2_first)
out("clus2first.mean.api00", c(coef(m), SE(m)))

# --- domains (svyby) -------------------------------------------------------------
b <- svyby(~api00, ~stype, dclus1, svymean, deff = TRUE)
out("clus1.by_stype.mean", c(coef(b), SE(b), deff(b)))
out("clus1.by_stype.degf", sapply(c("E", "H", "M"), function(s) degf(subset(dclus1, stype == s))))
b <- svyby(~enroll, ~stype, dclus1, svytotal, deff = TRUE)
out("clus1.by_stype.total", c(coef(b), SE(b), deff(b)))
b <- svyby(~api.stu, ~stype, dclus1, svyratio, denominator = ~enroll)
out("clus1.by_stype.ratio", c(coef(b), SE(b)))
b <- svyby(~api00, ~stype + awards, dstrat, svymean)
out("strat.by_stype_awards.mean", c(coef(b), SE(b)))   # order: E.No H.No M.No E.Yes H.Yes M.Yes
b <- svyby(~api00, ~stype, dclus2, svymean)
out("clus2.by_stype.mean", c(coef(b), SE(b)))

# domain contrast with full covariance: E mean minus H mean
dc <- update(dclus1, e = as.numeric(stype == "E"), h = as.numeric(stype == "H"),
             ye = api00 * (stype == "E"), yh = api00 * (stype == "H"))
r <- svyratio(~ye + yh, ~e + h, dc, covmat = TRUE)
k <- svycontrast(r, c(1, 0, 0, -1))
out("clus1.contrast.E_minus_H", c(coef(k), SE(k)))

# --- proportions: svyciprop logit and beta, overall and by domain ----------------
p <- svyciprop(~awd, dclus1, method = "logit")
out("clus1.prop.logit", c(coef(p), SE(p), confint(p)))
p <- svyciprop(~awd, dclus1, method = "beta")
out("clus1.prop.beta", c(coef(p), confint(p)))
p <- svyciprop(~awd, dclus1, method = "logit", level = 0.9)
out("clus1.prop.logit90", confint(p))
p <- svyciprop(~awd, dstrat, method = "beta", level = 0.9)
out("strat.prop.beta90", c(coef(p), confint(p)))
m <- svymean(~awd, dstrat, deff = TRUE)
out("strat.prop.mean", c(coef(m), SE(m), deff(m)))
b <- svyby(~awd, ~stype, dclus1, svyciprop, method = "logit", vartype = c("se", "ci"))
out("clus1.by_stype.prop.logit", c(coef(b), SE(b), b$ci_l, b$ci_u))
b <- svyby(~awd, ~stype, dclus1, svyciprop, method = "beta", vartype = "ci")
out("clus1.by_stype.prop.beta", c(coef(b), b$ci_l, b$ci_u))
b <- svyby(~awd, ~stype, dstrat, svyciprop, method = "logit", vartype = c("se", "ci"))
out("strat.by_stype.prop.logit", c(coef(b), SE(b), b$ci_l, b$ci_u))
b <- svyby(~awd, ~stype, dstrat, svymean, deff = TRUE)
out("strat.by_stype.prop.deff", deff(b))

# --- lonely PSUs: strata = county, one school per PSU ------------------------------
dlonely <- svydesign(id = ~1, strata = ~cname, weights = ~pw, data = apistrat)
out("lonely.n_single", sum(table(apistrat$cname) == 1))
for (policy in c("certainty", "adjust", "average")) {
  options(survey.lonely.psu = policy)
  m <- svymean(~api00, dlonely)
  out(paste0("lonely.", policy, ".mean"), c(coef(m), SE(m)))
  m <- svytotal(~enroll, dlonely)
  out(paste0("lonely.", policy, ".total"), c(coef(m), SE(m)))
  b <- svyby(~api00, ~stype, dlonely, svymean)
  out(paste0("lonely.", policy, ".by_stype"), c(coef(b), SE(b)))
}
options(survey.lonely.psu = "fail")
