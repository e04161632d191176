# R side of bench/bench_estimation.py: the same two tasks with the survey package.
# Rscript bench/_estimation_r.R sample.csv margins.csv REPEAT
# Prints "name value..." lines: timings (best of REPEAT, seconds) and results.
suppressMessages(library(survey))
args <- commandArgs(TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
m <- read.csv(args[2], stringsAsFactors = FALSE)   # columns: variable, level, total
reps <- as.integer(args[3])
out <- function(name, x) cat(name, paste(sprintf("%.17g", as.numeric(x)), collapse = " "), "\n")

best <- function(expr_fun) {
  times <- numeric(reps)
  for (i in seq_len(reps)) times[i] <- system.time(res <- expr_fun())[["elapsed"]]
  list(time = min(times), result = res)
}

dom <- best(function() {
  des <- svydesign(id = ~psu, strata = ~stratum, weights = ~weight, data = d)
  svyby(~literate, ~group, des, svyciprop, method = "logit", vartype = c("se", "ci"))
})
out("domain_seconds", dom$time)
b <- dom$result
out("domain_groups_sorted", seq_along(b$group))
cat("domain_groups", paste(b$group, collapse = " "), "\n")
out("domain_est", coef(b)); out("domain_se", SE(b)); out("domain_lo", b$ci_l); out("domain_hi", b$ci_u)

pops <- lapply(c("sex", "agegrp", "edu"), function(v) {
  mm <- m[m$variable == v, ]
  df <- data.frame(as.integer(mm$level), mm$total); names(df) <- c(v, "Freq"); df
})
des <- svydesign(id = ~psu, strata = ~stratum, weights = ~weight, data = d)
rk <- best(function() {
  rake(des, list(~sex, ~agegrp, ~edu), pops, control = list(maxit = 100, epsilon = 1e-8))
})
out("rake_seconds", rk$time)
w <- weights(rk$result)
out("rake_weights", c(sum(w), sum(w^2), min(w), max(w)))

# domain rates on the raked design (calibrated variance), timed once: it is slow in R
if (length(args) >= 4 && args[4] == "calibrated") {
  raked <- rk$result
  t <- system.time(bc <- svyby(~literate, ~group, raked, svyciprop, method = "logit",
                              vartype = c("se", "ci")))[["elapsed"]]
  out("raked_domain_seconds", t)
  out("raked_domain_est", coef(bc)); out("raked_domain_se", SE(bc))
}
