"""``kesu irt``: calibrate items, score persons, link waves, item fit and DIF.

Edges only: these commands read CSV/JSON/YAML files (or a wave through
:mod:`survey`, imported lazily) and call the pure functions of
:mod:`scoring.irt`. Item columns are ``item_<ID>`` of the analysis table;
their values (points earned, e.g. 0/2) are mapped to categories 0..K-1 by
rank, and the map is stored in the params file so that ``score`` applies it.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
import numpy as np
from numpy.typing import NDArray

from kesu.errors import KesuError
from kesu.tables import Table
from kesu.tables import read_table
from kesu.tables import table_from_columns
from kesu.tables import write_csv
from scoring.irt.ability import AbilityMethod
from scoring.irt.ability import estimate_ability
from scoring.irt.calibrate import calibrate as run_calibration
from scoring.irt.dif import mantel_haenszel_dif
from scoring.irt.errors import IRTError
from scoring.irt.errors import ParamsFileError
from scoring.irt.errors import ResponseDataError
from scoring.irt.fit import item_fit_sx2
from scoring.irt.fit import marginal_reliability
from scoring.irt.linking import LinkingMethod
from scoring.irt.linking import anchor_stability
from scoring.irt.linking import link as run_link
from scoring.irt.params import ItemModel
from scoring.irt.params import ItemParameters
from scoring.irt.pv import plausible_values
from scoring.irt.se import SEMethod

logger = logging.getLogger(__name__)

ITEM_PREFIX = "item_"


# ------------------------------------------------------------------ file edges
def read_data(path: Path, encoding: str | None = None, sheet: str | None = None) -> Table:
    """A data table (CSV in any encoding, .xlsx, Parquet) by :mod:`kesu.tables`: a
    duplicated or unnamed column is refused there (naming both columns)."""
    try:
        return read_table(path, encoding=encoding, sheet=sheet, what="data file")
    except KesuError as exc:
        raise click.ClickException(str(exc)) from None


def load_wave(name: str) -> Table:
    """The analysis table of wave ``name`` from :mod:`survey` (lazy import)."""
    try:
        from survey.analysis import load_analysis_table
    except ImportError as exc:
        raise click.ClickException(
            f"--wave needs survey.analysis.load_analysis_table, which is not available ({exc}); "
            "export the wave to CSV and pass the file instead"
        ) from None
    try:
        table = load_analysis_table(name)
    except Exception as exc:  # an edge: any database/config failure becomes a clear message
        raise click.ClickException(
            f"could not load the analysis table of wave {name!r}: {exc.__class__.__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''} (is KESU_DATABASE_URL set and "
            "the database migrated?)"
        ) from None
    return table_from_any(table, f"wave {name!r}")


def table_from_any(table: Any, source: str = "the table") -> Table:
    """Accept a mapping of columns, a list of row mappings or a DataFrame-like object."""
    if isinstance(table, Mapping):
        return table_from_columns({str(k): np.asarray(v) for k, v in table.items()}, source)
    if hasattr(table, "columns") and hasattr(table, "__getitem__"):
        return table_from_columns({str(k): np.asarray(table[k]) for k in table.columns}, source)
    if isinstance(table, Sequence) and table and isinstance(table[0], Mapping):
        names = list(table[0])
        cols = {str(k): np.array([row.get(k) for row in table], dtype=object) for k in names}
        return table_from_columns(cols, source)
    raise click.ClickException(f"cannot read an analysis table of type {type(table).__name__}")


def read_params(path: Path) -> ItemParameters:
    """Load a params file (JSON, or YAML by suffix, read by :mod:`kesu.yamlsource`)."""
    if path.suffix.lower() in (".yaml", ".yml"):
        from kesu.yamlsource import load_yaml_file

        try:
            data = load_yaml_file(path, "parameter file")
        except KesuError as exc:
            raise click.ClickException(str(exc)) from None
    else:
        data = json.loads(path.read_text(encoding="utf-8"))
    return ItemParameters.from_dict(data)


def write_mapping(path: Path, data: Mapping[str, Any]) -> None:
    """Write JSON (or YAML by suffix); ``-`` writes JSON to stdout."""
    if str(path) == "-":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        path.write_text(yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False))
    else:
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def item_columns(table: Table, items: str | None) -> list[str]:
    """``item_<ID>`` columns of the table (or the ``--items`` list, prefix optional)."""
    if items:
        wanted = [i.strip() for i in items.split(",") if i.strip()]
        cols = [w if w in table else ITEM_PREFIX + w for w in wanted]
        missing = [w for w, c in zip(wanted, cols, strict=True) if c not in table]
        if missing:
            raise click.ClickException(f"item columns not found: {', '.join(missing)}")
        return cols
    cols = [c for c in table.order if c.startswith(ITEM_PREFIX)]
    if not cols:
        raise click.ClickException(f"no {ITEM_PREFIX}<ID> columns in the data")
    return cols


def numeric(table: Table, column: str, key: str = "item column") -> NDArray[np.float64]:
    """A column as floats by the table layer's number rule (missing cells -> NaN)."""
    try:
        return table.numeric(column, key=key, allow_missing=True)
    except KesuError as exc:
        raise click.ClickException(str(exc)) from None


def to_categories(
    raw: NDArray[np.float64],
    values: Sequence[float] | None = None,
    *,
    column: str = "",
    rows: Sequence[int] | None = None,
) -> tuple[NDArray[np.float64], list[float]]:
    """Map raw item points to categories 0..K-1 by rank (NaN stays NaN)."""
    ok = ~np.isnan(raw)
    levels = sorted({float(v) for v in raw[ok]}) if values is None else [float(v) for v in values]
    pos = {v: k for k, v in enumerate(levels)}
    out = np.full(raw.shape, np.nan)
    for i in np.nonzero(ok)[0]:
        k = pos.get(float(raw[i]))
        if k is None:
            where = f"row {rows[int(i)]}" if rows is not None else f"data row {int(i) + 1}"
            raise click.ClickException(
                f"{column}: value {raw[i]:g} ({where}) was not seen at calibration "
                f"(known values {levels})"
            )
        out[i] = k
    return out, levels


def response_matrix(
    table: Table, columns: list[str], score_values: Mapping[str, Sequence[float]] | None = None
) -> tuple[NDArray[np.float64], list[str], dict[str, list[float]]]:
    """Build the persons x items category matrix and the value map."""
    mats, ids, value_map = [], [], {}
    for col in columns:
        item = col[len(ITEM_PREFIX) :] if col.startswith(ITEM_PREFIX) else col
        known = None if score_values is None else score_values.get(item)
        rows = [table.row_number(i) for i in range(table.n_rows)]
        cats, levels = to_categories(numeric(table, col), known, column=col, rows=rows)
        mats.append(cats)
        ids.append(item)
        value_map[item] = levels
    return np.column_stack(mats), ids, value_map


def _data(
    data_file: Path | None, wave: str | None, encoding: str | None = None, sheet: str | None = None
) -> Table:
    if (data_file is None) == (wave is None):
        raise click.UsageError(
            "give either a DATA.csv (.xlsx, .parquet) file or --wave NAME (one of them)"
        )
    return load_wave(str(wave)) if data_file is None else read_data(data_file, encoding, sheet)


def _fail(exc: IRTError) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(1)


# ------------------------------------------------------------------- commands
@click.group()
def irt() -> None:
    """Item response theory: calibrate, score, link waves, fit and DIF (项目反应理论)."""


@irt.command()
@click.argument("data_file", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--wave", help="Calibrate the analysis table of this survey wave.")
@click.option(
    "--model",
    type=click.Choice([m.value for m in ItemModel]),
    default="2pl",
    show_default=True,
    help="Model of right/wrong items (graded items always use grm).",
)
@click.option("--items", help="Comma-separated item ids or columns (default: all item_*).")
@click.option("--weights", "weight_column", help="Column of survey weights (e.g. weight).")
@click.option(
    "--se",
    type=click.Choice([m.value for m in SEMethod]),
    default="auto",
    show_default=True,
    help="Standard errors of the item parameters.",
)
@click.option("--tol", default=1e-5, show_default=True, help="EM convergence tolerance.")
@click.option("--max-iter", default=2000, show_default=True, help="Maximum EM iterations.")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="Params file.")
@click.option("--encoding", help="Text encoding of a CSV file (default: detected).")
@click.option("--sheet", help="Worksheet of an .xlsx file (default: the first).")
def calibrate(
    data_file: Path | None,
    wave: str | None,
    model: str,
    items: str | None,
    weight_column: str | None,
    se: str,
    tol: float,
    max_iter: int,
    output: Path,
    encoding: str | None,
    sheet: str | None,
) -> None:
    """Calibrate items of DATA (CSV, .xlsx or Parquet; or --wave) and write an
    item-parameter file.

    kesu irt calibrate scored.csv --model 2pl --weights weight -o wave2025.params.json
    """
    table = _data(data_file, wave, encoding, sheet)
    cols = item_columns(table, items)
    x, ids, value_map = response_matrix(table, cols)
    weights = None
    if weight_column is not None:
        weights = numeric(table, weight_column, "--weights")
        if np.isnan(weights).any():
            i = int(np.flatnonzero(np.isnan(weights))[0])
            raise click.ClickException(
                f"{table.source}: row {table.row_number(i)}, column {weight_column!r}: "
                "missing weight (needed by --weights)"
            )
    try:
        cal = run_calibration(
            x, item_ids=ids, model=model, weights=weights, se_method=se, tol=tol, max_iter=max_iter
        )
    except IRTError as exc:
        _fail(exc)
        return
    meta = {**cal.params.meta, "source": str(data_file or f"wave:{wave}")}
    params = replace(cal.params, meta={**meta, "score_values": value_map})
    write_mapping(output, params.to_dict())
    click.echo(
        f"{len(ids)} items, {cal.n_persons} persons: "
        f"{'converged' if cal.converged else 'NOT converged'} in {cal.n_iterations} EM steps, "
        f"loglik {cal.loglik:.3f}, marginal reliability {marginal_reliability(params):.3f}; "
        f"wrote {output}",
        err=True,
    )


@irt.command()
@click.argument("params_file", type=click.Path(exists=True, path_type=Path))
@click.argument("data_file", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--wave", help="Score the analysis table of this survey wave.")
@click.option(
    "--method",
    type=click.Choice([m.value for m in AbilityMethod]),
    default="eap",
    show_default=True,
)
@click.option("--id-column", default="respondent_id", show_default=True)
@click.option("--pv", "n_pv", default=0, show_default=True, help="Plausible values to add.")
@click.option("--seed", default=None, type=int, help="Seed of the plausible-value draws.")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="CSV or -.")
def score(
    params_file: Path,
    data_file: Path | None,
    wave: str | None,
    method: str,
    id_column: str,
    n_pv: int,
    seed: int | None,
    output: Path,
) -> None:
    """Score persons of DATA.csv with the fixed items of PARAMS_FILE; write theta and se."""
    params = read_params(params_file)
    table = _data(data_file, wave)
    cols = [ITEM_PREFIX + i for i in params.item_ids]
    missing = [c for c in cols if c not in table]
    if missing:
        raise click.ClickException(f"item columns of the params file not in the data: {missing}")
    values = params.meta.get("score_values")
    try:
        x, _, _ = response_matrix(table, cols, values if isinstance(values, Mapping) else None)
        est = estimate_ability(x, params, method=method)
        pvs = None
        if n_pv > 0:
            pvs = plausible_values(x, params, rng=np.random.default_rng(seed), n_draws=n_pv)
    except IRTError as exc:
        _fail(exc)
        return
    n = x.shape[0]
    ids = table.labels(id_column).tolist() if id_column in table else [str(i + 1) for i in range(n)]
    header = [id_column, "theta", "se", "n_answered"]
    if pvs is not None:
        header += [f"pv{m + 1}" for m in range(pvs.n_draws)]

    def rows() -> Iterator[list[str]]:
        for i in range(n):
            row = [ids[i], _fmt(est.theta[i]), _fmt(est.se[i]), str(int(est.n_answered[i]))]
            if pvs is not None:
                row += [_fmt(v) for v in pvs.values[i]]
            yield row

    write_csv(output, header, rows())
    click.echo(f"scored {n} persons ({method}) -> {output}", err=True)


def _fmt(value: float) -> str:
    return "" if not np.isfinite(value) else f"{value:.6f}"


@irt.command(name="link")
@click.argument("old_file", type=click.Path(exists=True, path_type=Path))
@click.argument("new_file", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--method",
    type=click.Choice([m.value for m in LinkingMethod]),
    default="stocking-lord",
    show_default=True,
)
@click.option("--anchors", help="Comma-separated anchor ids (default: all common items).")
@click.option("--purify/--no-purify", default=False, help="Relink without drifting anchors.")
@click.option("--linked", type=click.Path(path_type=Path), help="Also write NEW on OLD's scale.")
@click.option("-o", "--output", default="-", type=click.Path(path_type=Path), show_default=True)
def link_command(
    old_file: Path,
    new_file: Path,
    method: str,
    anchors: str | None,
    purify: bool,
    linked: Path | None,
    output: Path,
) -> None:
    """Link NEW.params onto the scale of OLD.params; write the transformation and anchor report."""
    old, new = read_params(old_file), read_params(new_file)
    chosen = None if not anchors else [a.strip() for a in anchors.split(",") if a.strip()]
    try:
        lk = run_link(old, new, method=method, anchors=chosen)
        report = anchor_stability(old, new, lk)
        dropped: tuple[str, ...] = ()
        if purify and report.drifting:
            dropped = report.drifting
            keep = [a for a in lk.anchors if a not in set(dropped)]
            lk = run_link(old, new, method=method, anchors=keep)
            report = anchor_stability(old, new, lk)
    except (IRTError, ParamsFileError) as exc:
        _fail(exc)
        return
    result = {
        "old": str(old_file),
        "new": str(new_file),
        "transformation": "theta_old = slope * theta_new + intercept",
        **lk.to_dict(),
        "dropped_anchors": list(dropped),
        "stability": report.to_dict(),
    }
    write_mapping(output, result)
    if linked is not None:
        write_mapping(linked, lk.apply(new).to_dict())
    drift = ", ".join(report.drifting) or "none"
    click.echo(
        f"{method}: A = {lk.slope:.6f}, B = {lk.intercept:.6f} on {len(lk.anchors)} anchors; "
        f"drifting: {drift}",
        err=True,
    )


@irt.command()
@click.argument("params_file", type=click.Path(exists=True, path_type=Path))
@click.argument("data_file", type=click.Path(exists=True, path_type=Path))
@click.option("--alpha", default=0.05, show_default=True, help="Flag items with p below this.")
def fit(params_file: Path, data_file: Path, alpha: float) -> None:
    """S-X2 item fit of PARAMS_FILE on DATA.csv (complete patterns), one line per item."""
    params = read_params(params_file)
    table = read_data(data_file)
    values = params.meta.get("score_values")
    x, _, _ = response_matrix(
        table,
        [ITEM_PREFIX + i for i in params.item_ids],
        values if isinstance(values, Mapping) else None,
    )
    try:
        res = item_fit_sx2(x, params)
    except IRTError as exc:
        _fail(exc)
        return
    click.echo("item\tS-X2\tdf\tp")
    for j, item in enumerate(res.item_ids):
        flag = " *" if res.p_value[j] < alpha else ""
        click.echo(f"{item}\t{res.statistic[j]:.3f}\t{res.df[j]}\t{res.p_value[j]:.4f}{flag}")
    click.echo(f"{res.n_persons} complete patterns; misfit: {', '.join(res.misfitting(alpha))}")


@irt.command()
@click.argument("data_file", type=click.Path(exists=True, path_type=Path))
@click.option("--group", "group_column", required=True, help="Group column, e.g. sex.")
@click.option("--focal", required=True, help="Focal group code.")
@click.option("--reference", required=True, help="Reference group code.")
@click.option("--items", help="Comma-separated item ids (default: all item_*).")
@click.option("--purify/--no-purify", default=True, show_default=True)
def dif(
    data_file: Path, group_column: str, focal: str, reference: str, items: str | None, purify: bool
) -> None:
    """Mantel-Haenszel DIF between two groups of DATA.csv, with ETS A/B/C categories."""
    table = read_data(data_file)
    if group_column not in table:
        raise click.ClickException(f"group column {group_column} not found")
    x, ids, _ = response_matrix(table, item_columns(table, items))
    groups = np.array(table.labels(group_column).tolist(), dtype=object)
    try:
        res = mantel_haenszel_dif(
            x, groups, focal=focal, reference=reference, item_ids=ids, purify=purify
        )
    except (IRTError, ResponseDataError) as exc:
        _fail(exc)
        return
    click.echo("item\talpha_MH\tdelta_MH\tchi2\tp\tETS")
    for j, item in enumerate(ids):
        click.echo(
            f"{item}\t{res.alpha_mh[j]:.3f}\t{res.delta_mh[j]:.3f}\t{res.chi2[j]:.3f}\t"
            f"{res.p_value[j]:.4f}\t{res.ets[j]}"
        )
    click.echo(
        f"reference {reference}: {res.n_reference}, focal {focal}: {res.n_focal}; "
        f"C items: {', '.join(res.flagged(('C',))) or 'none'}"
    )
