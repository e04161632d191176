"""sampling: survey design, weighting and estimation with R-survey-matched numbers.

The Python API for notebooks follows design -> weighting -> estimates::

    from sampling import SurveyDesign, rake, svy_proportion

    design = SurveyDesign.from_columns(table, weights="base_weight", strata="stratum",
                                       psu="psu", fpc="fpc1", nest=True)
    result = rake(design.weights, table, margins={"sex": {...}, "agegrp": {...}})
    print(result.diagnostics.format())
    design = design.apply_weighting(result)
    rates = svy_proportion(table["literate"], design, by={"group": table["group"]})
    low, high = rates.confint()            # logit intervals, t with the design df
    rates.to_rows()                        # JSON-ready dicts
    model = svy_glm("literate ~ C(sex) + C(agegroup) + urban", table, design,
                    family="binomial")     # R's svyglm; model.wald_test("C(agegroup)")
    svy_quantile(table["score"], design, [0.25, 0.5, 0.75], by=...)   # Woodruff intervals

Everything returns frozen result objects holding numpy arrays and dicts.

The names are imported on first use (PEP 562), so that ``import sampling.cli`` (for
``kesu estimate --help``) does not load every estimator and scipy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:  # the names, for type checkers; at run time see __getattr__
    from sampling.contrasts import contrast
    from sampling.contrasts import domain_difference
    from sampling.contrasts import wave_difference
    from sampling.design import CalibrationRecord
    from sampling.design import LonelyPSU
    from sampling.design import SurveyDesign
    from sampling.errors import ConvergenceError
    from sampling.errors import DesignError
    from sampling.errors import JobError
    from sampling.errors import MarginError
    from sampling.errors import SamplingError
    from sampling.errors import SinglePSUError
    from sampling.errors import WeightingError
    from sampling.estimation import svy_mean
    from sampling.estimation import svy_proportion
    from sampling.estimation import svy_ratio
    from sampling.estimation import svy_total
    from sampling.glm import SurveyGLM
    from sampling.glm import svy_glm
    from sampling.intervals import CIMethod
    from sampling.intervals import confidence_interval
    from sampling.moments import svy_ttest
    from sampling.moments import svy_var
    from sampling.quantiles import svy_quantile
    from sampling.replicates import ReplicateDesign
    from sampling.replicates import replicate_design
    from sampling.replicates import replicate_design_from_weights
    from sampling.results import Estimate
    from sampling.results import HypothesisTest
    from sampling.results import Reliability
    from sampling.tables import svy_chisq
    from sampling.tables import svy_factor_mean
    from sampling.tables import svy_factor_total
    from sampling.tables import svy_table
    from sampling.variance import replicate_variance
    from sampling.variance import taylor_variance
    from sampling.weighting import WEIGHTING_METHODS
    from sampling.weighting import WeightingDiagnostics
    from sampling.weighting import WeightingResult
    from sampling.weighting import adjust_nonresponse
    from sampling.weighting import base_weights
    from sampling.weighting import calibrate
    from sampling.weighting import kish_deff
    from sampling.weighting import kish_ess
    from sampling.weighting import poststratify
    from sampling.weighting import rake
    from sampling.weighting import trim_weights

_EXPORTS = {
    "CIMethod": "sampling.intervals",
    "CalibrationRecord": "sampling.design",
    "ConvergenceError": "sampling.errors",
    "DesignError": "sampling.errors",
    "Estimate": "sampling.results",
    "HypothesisTest": "sampling.results",
    "JobError": "sampling.errors",
    "LonelyPSU": "sampling.design",
    "MarginError": "sampling.errors",
    "Reliability": "sampling.results",
    "ReplicateDesign": "sampling.replicates",
    "SamplingError": "sampling.errors",
    "SinglePSUError": "sampling.errors",
    "SurveyDesign": "sampling.design",
    "SurveyGLM": "sampling.glm",
    "WEIGHTING_METHODS": "sampling.weighting",
    "WeightingDiagnostics": "sampling.weighting",
    "WeightingError": "sampling.errors",
    "WeightingResult": "sampling.weighting",
    "adjust_nonresponse": "sampling.weighting",
    "base_weights": "sampling.weighting",
    "calibrate": "sampling.weighting",
    "confidence_interval": "sampling.intervals",
    "contrast": "sampling.contrasts",
    "domain_difference": "sampling.contrasts",
    "kish_deff": "sampling.weighting",
    "kish_ess": "sampling.weighting",
    "poststratify": "sampling.weighting",
    "rake": "sampling.weighting",
    "replicate_design": "sampling.replicates",
    "replicate_design_from_weights": "sampling.replicates",
    "replicate_variance": "sampling.variance",
    "svy_chisq": "sampling.tables",
    "svy_factor_mean": "sampling.tables",
    "svy_factor_total": "sampling.tables",
    "svy_glm": "sampling.glm",
    "svy_mean": "sampling.estimation",
    "svy_proportion": "sampling.estimation",
    "svy_quantile": "sampling.quantiles",
    "svy_ratio": "sampling.estimation",
    "svy_table": "sampling.tables",
    "svy_total": "sampling.estimation",
    "svy_ttest": "sampling.moments",
    "svy_var": "sampling.moments",
    "taylor_variance": "sampling.variance",
    "trim_weights": "sampling.weighting",
    "wave_difference": "sampling.contrasts",
}

__all__ = [
    "CIMethod",
    "CalibrationRecord",
    "ConvergenceError",
    "DesignError",
    "Estimate",
    "HypothesisTest",
    "JobError",
    "LonelyPSU",
    "MarginError",
    "Reliability",
    "ReplicateDesign",
    "SamplingError",
    "SinglePSUError",
    "SurveyDesign",
    "SurveyGLM",
    "WEIGHTING_METHODS",
    "WeightingDiagnostics",
    "WeightingError",
    "WeightingResult",
    "adjust_nonresponse",
    "base_weights",
    "calibrate",
    "confidence_interval",
    "contrast",
    "domain_difference",
    "kish_deff",
    "kish_ess",
    "poststratify",
    "rake",
    "replicate_design",
    "replicate_design_from_weights",
    "replicate_variance",
    "svy_chisq",
    "svy_factor_mean",
    "svy_factor_total",
    "svy_glm",
    "svy_mean",
    "svy_proportion",
    "svy_quantile",
    "svy_ratio",
    "svy_table",
    "svy_total",
    "svy_ttest",
    "svy_var",
    "taylor_variance",
    "trim_weights",
    "wave_difference",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'sampling' has no attribute {name!r}")
