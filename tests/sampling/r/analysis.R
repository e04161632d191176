# Reference values for tests/sampling/test_analysis.py (svyglm, regTermTest, svyquantile,
# svytable/svychisq, svyttest, svyvar, factor means, svyciprop on replicate designs).
# Run from anywhere:  Rscript tests/sampling/r/analysis.R
# R 4.2.2, survey 4.1-1, jsonlite. Writes tests/sampling/data/two_stage.csv (a synthetic
# two-stage stratified sample, set.seed below) and tests/sampling/data/analysis_fixtures.json:
# every entry holds the R code ("r") that produced its values ("value"), so each number
# sits beside the code that made it. glm fits use glm.control(epsilon = 1e-13, maxit = 100)
# (the exact root; R's default stops at a relative deviance change of 1e-8).
suppressMessages({ library(survey); library(jsonlite) })
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("--file=", "", grep("--file=", args, value = TRUE))))
datadir <- file.path(here, "..", "data")
api <- function(name) read.csv(file.path(datadir, paste0(name, ".csv")))
ctl <- glm.control(epsilon = 1e-13, maxit = 100)

# --- the synthetic two-stage sample ------------------------------------------------------
set.seed(20261206)
rows <- list()
for (h in 1:8) for (i in 1:4) for (j in 1:3) {
  m <- 4 + (h + i + j) %% 3
  urban <- as.integer(h <= 4)
  sex <- sample(1:2, m, TRUE)
  age <- sample(1:4, m, TRUE, prob = c(.2, .3, .3, .2))
  edu <- sample(1:3, m, TRUE, prob = c(.3, .4, .3))
  u <- rnorm(1, 0, 6)
  score <- round(pmin(100, pmax(0, 48 + 7 * edu - 3 * age + 4 * urban + 2 * (sex == 1) + u +
                                  rnorm(m, 0, 12))), 1)
  rows[[length(rows) + 1]] <- data.frame(
    stratum = h, psu = i, ssu = j, fpc1 = 20 + 2 * h, fpc2 = 10, urban = urban,
    sex = sex, agegroup = age, edu = edu, score = score, town = paste0("T", (h - 1) %/% 2 + 1))
}
two <- do.call(rbind, rows)
two$w <- (two$fpc1 / 4) * (two$fpc2 / 3) * 1
two$literate <- as.numeric(two$score >= 70)
dtwo <- svydesign(id = ~psu + ssu, strata = ~stratum, fpc = ~fpc1 + fpc2, weights = ~w,
                  nest = TRUE, data = two)
jkn_two <- as.svrepdesign(dtwo, type = "JKn")
repw <- weights(jkn_two, "analysis")
colnames(repw) <- paste0("repw", seq_len(ncol(repw)))
two <- cbind(two, repw)
write.csv(two, file.path(datadir, "two_stage.csv"), row.names = FALSE)
two <- read.csv(file.path(datadir, "two_stage.csv"))
dtwo <- svydesign(id = ~psu + ssu, strata = ~stratum, fpc = ~fpc1 + fpc2, weights = ~w,
                  nest = TRUE, data = two)
dtwo_nofpc <- svydesign(id = ~psu + ssu, strata = ~stratum, weights = ~w, nest = TRUE, data = two)
jkn_two <- as.svrepdesign(dtwo, type = "JKn")
brr_two <- as.svrepdesign(dtwo_nofpc, type = "BRR")
# the replicate-weight columns of the CSV as a design given with its replicate weights
cols_two <- svrepdesign(data = two, repweights = "repw[0-9]+", weights = ~w, type = "JKn",
                        rscales = jkn_two$rscales, scale = jkn_two$scale)

# --- the api designs -----------------------------------------------------------------------
apistrat <- api("apistrat"); apiclus1 <- api("apiclus1"); apiclus2 <- api("apiclus2")
for (nm in c("apistrat", "apiclus1", "apiclus2")) {
  d <- get(nm); d$awd <- as.numeric(d$awards == "Yes"); d$hi <- as.numeric(d$api00 > 700)
  assign(nm, d)
}
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
dclus2 <- svydesign(id = ~dnum + snum, weights = ~pw, fpc = ~fpc1 + fpc2, data = apiclus2)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
dstrat_nofpc <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat)
jkn_strat <- as.svrepdesign(dstrat, type = "JKn")
brr_strat <- as.svrepdesign(dstrat_nofpc, type = "BRR")
jk1_clus1 <- as.svrepdesign(dclus1, type = "JK1")

fx <- list()
put <- function(name, code) {
  value <- eval(parse(text = code), envir = globalenv())
  if (is.data.frame(value)) value <- unlist(value)
  fx[[name]] <<- list(r = code, value = unname(as.numeric(value)))
}
putnames <- function(name, code) {
  fx[[name]] <<- list(r = code, value = as.character(eval(parse(text = code), envir = globalenv())))
}

# --- svyglm and regTermTest ----------------------------------------------------------------
glmfix <- function(prefix, formula, design, family, test) {
  m <- svyglm(formula, design, family = family, control = ctl)
  assign("m_", m, envir = globalenv())
  code <- sprintf("m_ <- svyglm(%s, %s, family = %s, control = ctl)",
                  deparse(formula), deparse(substitute(design)), deparse(substitute(family)))
  fx[[paste0(prefix, ".call")]] <<- list(r = code, value = list())
  putnames(paste0(prefix, ".names"), "names(coef(m_))")
  put(paste0(prefix, ".coef"), "coef(m_)")
  put(paste0(prefix, ".se"), "SE(m_)")
  put(paste0(prefix, ".p"), "summary(m_)$coefficients[, 4]")
  put(paste0(prefix, ".df"), "m_$df.residual")
  put(paste0(prefix, ".ci"), "confint(m_)")
  t <- regTermTest(m, test)
  assign("t_", t, envir = globalenv())
  fx[[paste0(prefix, ".test.call")]] <<- list(r = sprintf("t_ <- regTermTest(m_, %s)",
                                                          deparse(test)), value = list())
  put(paste0(prefix, ".test"), "c(t_$Ftest, t_$df, t_$ddf, t_$p)")
  if (identical(family, quasibinomial)) put(paste0(prefix, ".or"), "exp(cbind(coef(m_), confint(m_))[-1, ])")
}
glmfix("glm.clus2.binomial", hi ~ factor(stype) + ell + meals, dclus2, quasibinomial, ~factor(stype))
glmfix("glm.clus2.gaussian", api00 ~ factor(stype) + ell + meals, dclus2, gaussian, ~factor(stype))
glmfix("glm.strat_jkn.binomial", hi ~ factor(stype) + ell + meals, jkn_strat, quasibinomial, ~factor(stype))
glmfix("glm.strat_jkn.gaussian", api00 ~ factor(stype) + ell + meals, jkn_strat, gaussian, ~ell)
glmfix("glm.strat_brr.binomial", hi ~ factor(stype) + ell + meals, brr_strat, quasibinomial, ~factor(stype))
glmfix("glm.strat_brr.gaussian", api00 ~ factor(stype) + ell + meals, brr_strat, gaussian, ~factor(stype))
two_f <- literate ~ factor(sex) + factor(agegroup) + factor(edu) + urban
two_g <- score ~ factor(sex) + factor(agegroup) + factor(edu) + urban
glmfix("glm.two.binomial", two_f, dtwo, quasibinomial, ~factor(agegroup))
glmfix("glm.two.gaussian", two_g, dtwo, gaussian, ~factor(edu))
glmfix("glm.two_jkn.binomial", two_f, jkn_two, quasibinomial, ~factor(agegroup))
glmfix("glm.two_brr.binomial", two_f, brr_two, quasibinomial, ~factor(edu))
glmfix("glm.two_brr.gaussian", two_g, brr_two, gaussian, ~factor(agegroup))
glmfix("glm.two_cols.binomial", two_f, cols_two, quasibinomial, ~factor(agegroup))
# a domain regression (urban areas only), with a numeric-by-factor interaction
glmfix("glm.two_urban.gaussian", score ~ factor(edu) * agegroup, subset(dtwo, urban == 1), gaussian,
       ~factor(edu):agegroup)

# --- svyquantile (survey 4.x, qrule math = hf1 and hf7, Woodruff intervals) ---------------
qfix <- function(name, code) put(name, code)
for (rule in c("math", "hf7")) {
  qfix(sprintf("quantile.clus2.%s", rule),
       sprintf("q <- svyquantile(~api00, dclus2, c(0.25, 0.5, 0.75), qrule = '%s'); q$api00", rule))
  qfix(sprintf("quantile.two.%s", rule),
       sprintf("q <- svyquantile(~score, dtwo, c(0.1, 0.5, 0.9), qrule = '%s'); q$score", rule))
  qfix(sprintf("quantile.two_brr.%s", rule),
       sprintf("q <- svyquantile(~score, brr_two, c(0.25, 0.5), qrule = '%s'); q$score", rule))
}
qfix("quantile.strat_jkn.math", "q <- svyquantile(~api00, jkn_strat, c(0.5, 0.9)); q$api00")
qfix("quantile.clus1.by_stype",
     "svyby(~api00, ~stype, dclus1, svyquantile, quantiles = 0.5, ci = TRUE, vartype = c('se', 'ci'))[, -1]")
qfix("quantile.clus1.by_stype.design_df",
     "svyby(~api00, ~stype, dclus1, svyquantile, quantiles = 0.5, ci = TRUE, df = degf(dclus1), vartype = c('se', 'ci'))[, -1]")
qfix("quantile.two_jkn.by_urban",
     "svyby(~score, ~urban, jkn_two, svyquantile, quantiles = 0.5, ci = TRUE, vartype = c('se', 'ci'))[, -1]")

# --- factor means and totals, tables, Rao-Scott tests --------------------------------------
put("factor.clus1.mean", "m <- svymean(~stype, dclus1); c(coef(m), vcov(m))")
put("factor.clus1.by_awards", "svyby(~stype, ~awards, dclus1, svymean)[, -1]")
put("factor.two.total", "m <- svytotal(~factor(edu), dtwo); c(coef(m), vcov(m))")
put("factor.strat_jkn.mean", "m <- svymean(~stype, jkn_strat); c(coef(m), vcov(m))")
put("factor.two_brr.mean", "m <- svymean(~factor(edu), brr_two); c(coef(m), vcov(m))")
put("table.clus1", "as.vector(svytable(~stype + awards, dclus1))")
put("table.clus1.se", "SE(svytotal(~interaction(stype, awards), dclus1))")
chi <- function(name, code) put(name, paste0("s <- ", code, "; c(s$statistic, s$parameter, s$p.value)"))
chi("chisq.clus1.F", "svychisq(~stype + awards, dclus1)")
chi("chisq.clus1.Chisq", "svychisq(~stype + awards, dclus1, statistic = 'Chisq')")
chi("chisq.clus2.F", "svychisq(~stype + sch.wide, dclus2)")
chi("chisq.strat_jkn.F", "svychisq(~stype + awards, jkn_strat)")
chi("chisq.strat_brr.F", "svychisq(~stype + awards, brr_strat)")
chi("chisq.two.F", "svychisq(~literate + edu, dtwo)")
chi("chisq.two.Chisq", "svychisq(~literate + edu, dtwo, statistic = 'Chisq')")
chi("chisq.two_jkn.F", "svychisq(~literate + edu, jkn_two)")
chi("chisq.two_brr.F", "svychisq(~town + edu, brr_two)")

# --- svyttest and svyvar ---------------------------------------------------------------------
tt2 <- function(name, design, formula) {
  put(name, sprintf("t <- svyttest(%s, %s); c(t$estimate, t$statistic, t$parameter, t$p.value)",
                    formula, design))
}
tt2("ttest.clus1", "dclus1", "api00 ~ sch.wide")
tt2("ttest.strat_jkn", "jkn_strat", "api00 ~ awards")
tt2("ttest.strat_brr", "brr_strat", "api00 ~ awards")
tt2("ttest.two", "dtwo", "score ~ urban")
tt2("ttest.two_jkn", "jkn_two", "score ~ urban")
tt2("ttest.two_brr", "brr_two", "score ~ urban")
put("var.clus1", "v <- svyvar(~api00, dclus1); c(coef(v), SE(v))")
put("var.clus1.by_stype", "svyby(~api00, ~stype, dclus1, svyvar)[, -1]")
put("var.strat_jkn", "v <- svyvar(~api00, jkn_strat); c(coef(v), SE(v))")
put("var.two", "v <- svyvar(~score, dtwo); c(coef(v), SE(v))")
put("var.two_brr", "v <- svyvar(~score, brr_two); c(coef(v), SE(v))")

# --- svyciprop: logit (replicate variance of logit p via svyglm) vs xlogit (delta) ------------
for (d in c("jkn_strat", "brr_strat", "jk1_clus1", "dclus1")) {
  put(sprintf("ciprop.%s.logit", d),
      sprintf("p <- svyciprop(~awd, %s, method = 'logit'); c(coef(p), confint(p))", d))
  put(sprintf("ciprop.%s.xlogit", d),
      sprintf("p <- svyciprop(~awd, %s, method = 'xlogit'); c(coef(p), confint(p))", d))
}
put("ciprop.two_brr.by_urban.logit", "b <- svyby(~literate, ~urban, brr_two, svyciprop, method = 'logit', vartype = 'ci'); c(coef(b), b$ci_l, b$ci_u)")
if (FALSE) put("",
    "b <- svyby(~literate, ~urban, brr_two, svyciprop, method = 'logit', vartype = 'ci'); c(coef(b), confint(b))")
put("ciprop.clus1.by_stype.domain_df",
    "b <- svyby(~awd, ~stype, dclus1, svyciprop, method = 'logit', vartype = 'ci'); c(coef(b), b$ci_l, b$ci_u)")
put("ciprop.clus1.by_stype.design_df",
    "b <- svyby(~awd, ~stype, dclus1, svyciprop, method = 'logit', vartype = 'ci', df = degf(dclus1)); c(coef(b), b$ci_l, b$ci_u)")
put("cols_two.mean.score", "m <- svymean(~score, cols_two); c(coef(m), SE(m), degf(cols_two))")
put("jkn_two.rscales", "c(jkn_two$scale, jkn_two$rscales)")
# raking to a numeric total (calibrate with calfun = "raking"), as a job's calibration does
pop.lin <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, api99 = 3914069)
rk_num <- calibrate(dclus1, ~stype + api99, pop.lin, calfun = "raking", epsilon = 1e-13, maxit = 100)
put("calibrate.raking_numeric.mean", "m <- svymean(~api00, rk_num); c(coef(m), SE(m))")
# a design from selection probabilities: svydesign(probs = ~p) is weights 1/p
apiclus1$p <- 1 / apiclus1$pw
dprob <- svydesign(id = ~dnum, probs = ~p, data = apiclus1, fpc = ~fpc)
put("prob.clus1.mean", "m <- svymean(~api00, dprob); c(coef(m), SE(m))")
# weights from the fpc alone (no weights, no probs): N/n per stage
dfpc2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)
put("fpc.clus2.mean", "m <- svymean(~api00, dfpc2); c(coef(m), SE(m), weights(dfpc2)[1:3])")

out <- list(generated_by = "tests/sampling/r/analysis.R",
            r = R.version.string, survey = as.character(packageVersion("survey")),
            fixtures = fx)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(datadir, "analysis_fixtures.json"))
cat("wrote", length(fx), "fixtures\n")
