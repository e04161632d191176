"""Item response theory for kesu: calibrate items, score abilities, link waves.

Pure numpy/scipy over a response matrix ``X`` (persons x items, NaN =
missing, 0/1 right/wrong, 0..K-1 graded), with optional survey weights.

* :func:`calibrate` - Rasch/1PL, 2PL, 3PL and graded response model by
  marginal maximum likelihood (EM over Gauss-Hermite quadrature, SQUAREM),
  standard errors from the observed information (Louis 1982), XPD or a
  survey-weighted sandwich; returns a frozen :class:`Calibration` whose
  :class:`ItemParameters` round-trip through ``to_dict``/``from_dict``.
* :func:`estimate_ability`, :func:`score_response` - EAP, MAP, WLE, ML.
* :func:`plausible_values` (optionally with a latent regression) and
  :func:`rubin_combine`.
* :func:`item_fit_sx2`, :func:`test_information`, :func:`standard_error_curve`,
  :func:`marginal_reliability`, :func:`empirical_reliability`.
* :func:`mantel_haenszel_dif` (ETS A/B/C), :func:`mantel_haenszel`.
* :func:`link` (mean-mean, mean-sigma, Stocking-Lord, Haebara) and
  :func:`anchor_stability`.
"""

from __future__ import annotations

from scoring.irt.ability import AbilityEstimates
from scoring.irt.ability import AbilityMethod
from scoring.irt.ability import estimate_ability
from scoring.irt.ability import score_response
from scoring.irt.calibrate import DEFAULT_GUESSING_PRIOR
from scoring.irt.calibrate import BetaPrior
from scoring.irt.calibrate import Calibration
from scoring.irt.calibrate import NonConvergence
from scoring.irt.calibrate import calibrate
from scoring.irt.dif import DIFResult
from scoring.irt.dif import MHTable
from scoring.irt.dif import ets_class
from scoring.irt.dif import mantel_haenszel
from scoring.irt.dif import mantel_haenszel_dif
from scoring.irt.errors import ConvergenceError
from scoring.irt.errors import IRTError
from scoring.irt.errors import LinkingError
from scoring.irt.errors import ParamsFileError
from scoring.irt.errors import ResponseDataError
from scoring.irt.fit import ItemFit
from scoring.irt.fit import empirical_reliability
from scoring.irt.fit import item_fit_sx2
from scoring.irt.fit import item_information
from scoring.irt.fit import marginal_reliability
from scoring.irt.fit import standard_error_curve
from scoring.irt.fit import sum_score_distribution
from scoring.irt.fit import test_information
from scoring.irt.linking import AnchorStability
from scoring.irt.linking import Linking
from scoring.irt.linking import LinkingMethod
from scoring.irt.linking import anchor_stability
from scoring.irt.linking import common_items
from scoring.irt.linking import link
from scoring.irt.params import PARAMS_FORMAT
from scoring.irt.params import ItemModel
from scoring.irt.params import ItemParameters
from scoring.irt.pv import PlausibleValues
from scoring.irt.pv import RubinResult
from scoring.irt.pv import plausible_values
from scoring.irt.pv import rubin_combine
from scoring.irt.quadrature import Quadrature
from scoring.irt.quadrature import gauss_hermite
from scoring.irt.se import SEMethod

__all__ = [
    "DEFAULT_GUESSING_PRIOR",
    "PARAMS_FORMAT",
    "AbilityEstimates",
    "AbilityMethod",
    "AnchorStability",
    "BetaPrior",
    "Calibration",
    "ConvergenceError",
    "DIFResult",
    "IRTError",
    "ItemFit",
    "ItemModel",
    "ItemParameters",
    "Linking",
    "LinkingError",
    "LinkingMethod",
    "MHTable",
    "NonConvergence",
    "ParamsFileError",
    "PlausibleValues",
    "Quadrature",
    "ResponseDataError",
    "RubinResult",
    "SEMethod",
    "anchor_stability",
    "calibrate",
    "common_items",
    "empirical_reliability",
    "estimate_ability",
    "ets_class",
    "gauss_hermite",
    "item_fit_sx2",
    "item_information",
    "link",
    "mantel_haenszel",
    "mantel_haenszel_dif",
    "marginal_reliability",
    "plausible_values",
    "rubin_combine",
    "score_response",
    "standard_error_curve",
    "sum_score_distribution",
    "test_information",
]
