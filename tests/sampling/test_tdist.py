"""Student's t quantile without scipy (sampling/_tdist.py) against R's ``qt`` and scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special

from sampling._tdist import t_ppf
from sampling._tdist import t_upper

# R 4.x: options(digits = 17); qt(0.975, c(1, 1.5, 2.5, 7.5, 126, 1469, 299969, 1e7))
R_QT_975 = {
    1: 12.706204736174694,
    1.5: 6.0166631044279288,
    2.5: 3.5746548420036919,
    7.5: 2.3330396268649736,
    126: 1.9789706019906144,
    1469: 1.9615801818098459,
    299969: 1.9599718929593892,
    1e7: 1.9599642217672049,
}


@pytest.mark.parametrize(("df", "expected"), R_QT_975.items())
def test_quantile_matches_r(df: float, expected: float) -> None:
    assert t_ppf(0.975, df) == pytest.approx(expected, rel=1e-13)


def test_quantile_and_tail_match_scipy_over_a_grid() -> None:
    dfs = [1, 2, 3, 4.5, 9, 30, 62.5, 200, 999, 9999, 10_000, 1e6]
    for p in (0.6, 0.9, 0.95, 0.975, 0.99, 0.9995):
        for df in dfs:
            assert t_ppf(p, df) == pytest.approx(float(special.stdtrit(df, p)), rel=2e-13)
            if df < 1e4:  # (from 10,000 df the quantile is the Cornish-Fisher expansion)
                assert t_upper(t_ppf(p, df), df) == pytest.approx(1 - p, rel=1e-11)
    assert t_ppf(0.025, 10) == -t_ppf(0.975, 10) and t_ppf(0.5, 3) == 0.0
    assert t_ppf(0.975, math.inf) == pytest.approx(1.959963984540054, rel=1e-15)
    assert math.isnan(t_ppf(0.975, 0)) and math.isnan(t_ppf(1.0, 5))
    # R: qt(0.5000001, 4) = 2.6666666661843455e-07 (scipy's stdtrit is off here)
    assert t_ppf(0.5000001, 4) == pytest.approx(2.6666666661843455e-07, rel=1e-9)
    assert np.isfinite([t_ppf(0.999999, d) for d in dfs]).all()
