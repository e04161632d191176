"""The sampling frame (town/street -> village/community with population counts) and the draw.

A frame table (CSV in any encoding, .xlsx or Parquet, read by :mod:`kesu.tables`)
has one row per PSU (village 村 or neighbourhood committee 社区): a stratum column
(usually the town/street code), a PSU id, a size (population) and optionally a
household count. :func:`read_frame` checks it and reports problems by file, row
and column. :class:`SampleDesign` is the design file
(YAML mapping) and :func:`draw_sample` carries out the stratified multistage
draw (PSUs by PPS, households by equal probability), giving one row per
selected household with the inclusion probability of every stage.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kesu.tables import Table
from kesu.tables import TableError
from kesu.tables import read_table
from kesu.tables import write_csv
from kesu.yamlsource import check_keys
from sampling.allocation import AllocationMethod
from sampling.allocation import allocate
from sampling.allocation import design_count
from sampling.allocation import size_allocation
from sampling.errors import FrameError
from sampling.errors import SelectionError
from sampling.selection import PPSMethod
from sampling.selection import WithinMethod
from sampling.selection import select_pps
from sampling.selection import srs_indices
from sampling.selection import systematic_indices

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]

#: columns of the sample file, in order (frame columns not used by the design follow)
SAMPLE_COLUMNS: tuple[str, ...] = (
    "household_id",
    "stratum",
    "town",
    "psu",
    "psu_size",
    "psu_households",
    "household_number",
    "certainty",
    "prob1",
    "prob2",
    "prob3",
    "household_weight",
)


@dataclass(frozen=True, slots=True)
class FrameColumns:
    """Names of the frame columns.

    Attributes:
        stratum: stratum column (default ``town``).
        psu: PSU id column (unique over the whole frame).
        size: measure of size (population) column.
        town: town/street code column (default: the stratum column).
        households: household count column, or None to assume a fixed count.
    """

    stratum: str = "town"
    psu: str = "psu"
    size: str = "population"
    town: str | None = None
    households: str | None = None

    @property
    def town_column(self) -> str:
        """The town column (the stratum column when not set)."""
        return self.town or self.stratum


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    """A checked sampling frame, one entry per PSU in file order.

    Attributes:
        stratum, psu, town: labels per PSU.
        size: (N,) measures of size (> 0).
        households: (N,) household counts, or None.
        line: CSV line number of each PSU (for messages).
        extra: other columns, name -> values (carried into the sample file).
        columns: the column names used.
    """

    stratum: tuple[str, ...]
    psu: tuple[str, ...]
    town: tuple[str, ...]
    size: FloatArray
    households: FloatArray | None
    line: tuple[int, ...]
    extra: Mapping[str, tuple[str, ...]]
    columns: FrameColumns

    def strata(self) -> tuple[str, ...]:
        """Stratum labels in order of first appearance."""
        return tuple(dict.fromkeys(self.stratum))

    def rows_of(self, stratum: str) -> NDArray[np.int64]:
        """Positions of the PSUs of one stratum, in frame order."""
        return np.array([i for i, s in enumerate(self.stratum) if s == stratum], dtype=np.int64)


def _frame_error(exc: TableError) -> FrameError:
    return FrameError(
        exc.message,
        param=exc.column or exc.param,
        got=exc.got,
        expected=exc.expected,
        hint=exc.hint,
        file=exc.file,
        row=exc.row,
        column=exc.column,
    )


def require_frame_columns(table: Table, needed: Iterable[str], design_key: str) -> None:
    """A frame table has every ``needed`` column, or a :class:`FrameError` names the first
    missing one (row 1) and the design file's key that renames columns."""
    missing = [c for c in needed if c not in table]
    if missing:
        raise FrameError(
            f"missing column {missing[0]!r}",
            param=missing[0],
            got=list(table.order),
            hint=f"rename the column in the frame or set it in the design file's {design_key}",
            file=table.source,
            row=1,
        )


def filled_labels(table: Table, names: Iterable[str]) -> dict[str, NDArray[np.str_]]:
    """The label columns ``names``; a :class:`FrameError` names the first empty cell."""
    text = {name: table.labels(name) for name in names}
    for name, values in text.items():
        empty = np.flatnonzero(values == "")
        if empty.size:
            raise FrameError(
                "empty value",
                param=name,
                hint="fill it in",
                file=table.source,
                row=table.row_number(int(empty[0])),
                column=name,
            )
    return text


def require_unique_ids(table: Table, column: str, ids: Iterable[str], what: str, hint: str) -> None:
    """Every id of ``column`` once; a :class:`FrameError` names both rows of a repeat."""
    seen: dict[str, int] = {}
    for i, value in enumerate(ids):
        if value in seen:
            raise FrameError(
                f"{what} id {value!r} already used on row {table.row_number(seen[value])}",
                param=column,
                got=value,
                hint=hint,
                file=table.source,
                row=table.row_number(i),
                column=column,
            )
        seen[value] = i


def frame_from_table(table: Table, columns: FrameColumns | None = None) -> Frame:
    """Check a frame table and turn it into a :class:`Frame`.

    Checks: required columns present; no empty stratum, town or PSU id; sizes and
    household counts numbers (the table layer's rule: ``2,315`` and full-width digits
    are numbers) and > 0; household counts whole; PSU ids unique. Every error names
    the file, the row and the column.

    Raises:
        FrameError: the first problem found.
    """
    cols = columns or FrameColumns()
    needed = [cols.stratum, cols.psu, cols.size, cols.town_column]
    if cols.households:
        needed.append(cols.households)
    needed = list(dict.fromkeys(needed))
    require_frame_columns(table, needed, "columns:")
    if table.n_rows == 0:
        raise FrameError(
            "the frame has no rows", param="frame", hint="add one row per PSU", file=table.source
        )
    text = filled_labels(table, (cols.stratum, cols.psu, cols.town_column))
    numbers: dict[str, FloatArray] = {}
    for number_column, whole in ((cols.size, False), (cols.households, True)):
        if not number_column:
            continue
        try:
            amount = table.numeric(
                number_column, key=f"columns.{'households' if whole else 'size'}"
            )
        except TableError as exc:
            raise _frame_error(exc) from None
        bad = np.flatnonzero(~(amount > 0) | (whole & (amount != np.floor(amount))))
        if bad.size:
            i = int(bad[0])
            raise FrameError(
                "household count must be a whole number > 0" if whole else "size must be > 0",
                param=number_column,
                got=float(amount[i]),
                hint="drop PSUs with nobody living there or fix the count",
                file=table.source,
                row=table.row_number(i),
                column=number_column,
            )
        numbers[number_column] = amount
    psus = text[cols.psu].tolist()
    require_unique_ids(
        table,
        cols.psu,
        psus,
        "PSU",
        "PSU ids must be unique over the whole frame (prefix them with the town)",
    )
    used = set(needed)
    extra = {h: tuple(table.labels(h).tolist()) for h in table.order if h not in used}
    return Frame(
        stratum=tuple(text[cols.stratum].tolist()),
        psu=tuple(psus),
        town=tuple(text[cols.town_column].tolist()),
        size=numbers[cols.size],
        households=numbers[cols.households] if cols.households else None,
        line=tuple(table.row_number(i) for i in range(table.n_rows)),
        extra=extra,
        columns=cols,
    )


def parse_frame(lines: Iterable[str], columns: FrameColumns | None = None) -> Frame:
    """Parse and check frame CSV text (header line first); see :func:`frame_from_table`.

    Example:
        >>> f = parse_frame(["town,psu,population", "fotang,fo01,2315", "fotang,fo02,880"])
        >>> f.size.tolist()
        [2315.0, 880.0]
    """
    text = "\n".join(line.rstrip("\r\n") for line in lines) + "\n"
    if not text.strip():
        raise FrameError("the frame is empty", param="frame", hint="add a header line and rows")
    try:
        table = read_table(text.encode("utf-8"), name="frame", what="frame")
    except TableError as exc:
        raise _frame_error(exc) from None
    return frame_from_table(table, columns)


def read_frame(
    path: str | Path,
    columns: FrameColumns | None = None,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
) -> Frame:
    """Read a frame table (CSV in any encoding, .xlsx, Parquet) and check it; see
    :func:`frame_from_table`."""
    try:
        table = read_table(path, encoding=encoding, sheet=sheet, what="frame")
    except TableError as exc:
        raise _frame_error(exc) from None
    return frame_from_table(table, columns)


_DESIGN_KEYS = {
    "columns",
    "psus",
    "psus_total",
    "psu_allocation",
    "power",
    "min_psus",
    "method",
    "households_per_psu",
    "households_assumed",
    "household_method",
}


@dataclass(frozen=True, slots=True)
class SampleDesign:
    """The design file: how many PSUs and households to draw, and how.

    Attributes:
        columns: frame column names.
        psus: stratum -> number of PSUs, or None to allocate ``psus_total``.
        psus_total: total PSUs, shared by ``psu_allocation`` of stratum sizes.
        psu_allocation: ``proportional`` (to stratum size), ``equal`` or ``power``.
        power: Bankier exponent for ``power``.
        min_psus: smallest number of PSUs per stratum under allocation (2 allows
            variance estimation).
        method: PPS method for PSUs (``systematic``, ``brewer``, ``sampford``).
        households_per_psu: households drawn in each PSU.
        households_assumed: household count per PSU when the frame has no household column.
        household_method: ``systematic`` or ``srs`` within PSUs.
    """

    columns: FrameColumns = field(default_factory=FrameColumns)
    psus: Mapping[str, int] | None = None
    psus_total: int | None = None
    psu_allocation: AllocationMethod = AllocationMethod.PROPORTIONAL
    power: float = 0.5
    min_psus: int = 2
    method: PPSMethod = PPSMethod.SYSTEMATIC
    households_per_psu: int = 15
    households_assumed: int | None = None
    household_method: WithinMethod = WithinMethod.SYSTEMATIC

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> SampleDesign:
        """Build a design from a parsed YAML mapping; unknown keys are errors.

        Example:
            >>> SampleDesign.from_mapping({"psus_total": 20, "households_assumed": 300}).method
            <PPSMethod.SYSTEMATIC: 'systematic'>
        """
        if not isinstance(data, Mapping):
            raise SelectionError("the design file must be a mapping", param="design", got=data)
        check_keys(data, _DESIGN_KEYS, "", error=SelectionError)
        cols = data.get("columns") or {}
        if not isinstance(cols, Mapping) or set(cols) - {f.name for f in fields(FrameColumns)}:
            raise SelectionError(
                "columns: must map stratum/psu/size/town/households to frame column names",
                param="columns",
                got=cols,
            )
        if ("psus" in data) == ("psus_total" in data):
            raise SelectionError(
                "give exactly one of psus (per stratum) or psus_total",
                param="psus",
                hint="psus: {fotang: 3, suxi: 2, ...}  or  psus_total: 40",
            )
        psus = data.get("psus")
        if psus is not None:
            if not isinstance(psus, Mapping):
                raise SelectionError("psus must map stratum -> count", param="psus", got=psus)
            psus = {str(k): design_count(v, f"psus.{k}", 0) for k, v in psus.items()}
        try:
            design = cls(
                columns=FrameColumns(**{k: str(v) for k, v in cols.items()}),
                psus=psus,
                psus_total=design_count(data["psus_total"], "psus_total", 1)
                if "psus_total" in data
                else None,
                psu_allocation=AllocationMethod(data.get("psu_allocation", "proportional")),
                power=float(data.get("power", 0.5)),
                min_psus=design_count(data.get("min_psus", 2), "min_psus", 0),
                method=PPSMethod(data.get("method", "systematic")),
                households_per_psu=design_count(
                    data.get("households_per_psu", 15), "households_per_psu", 1
                ),
                households_assumed=design_count(data["households_assumed"], "households_assumed", 1)
                if data.get("households_assumed") is not None
                else None,
                household_method=WithinMethod(data.get("household_method", "systematic")),
            )
        except ValueError as exc:
            if isinstance(exc, SelectionError):
                raise
            raise SelectionError(
                f"invalid design value: {exc}",
                param="design",
                hint="method: systematic|brewer|sampford; household_method: systematic|srs; "
                "psu_allocation: proportional|equal|power",
            ) from None
        size_allocation(design.psu_allocation, "psu_allocation")
        if design.columns.households is None and design.households_assumed is None:
            raise SelectionError(
                "the frame has no household column: set households_assumed",
                param="households_assumed",
                hint="or name the household count column in columns: {households: ...}",
            )
        return design


@dataclass(frozen=True, slots=True, eq=False)
class DrawnSample:
    """Result of :func:`draw_sample`.

    Attributes:
        rows: one dict per selected household, keys :data:`SAMPLE_COLUMNS` then extra frame columns.
        psus_per_stratum: stratum -> PSUs selected.
        seed: the seed used (None when a generator was passed).
    """

    rows: tuple[dict[str, Any], ...]
    psus_per_stratum: Mapping[str, int]
    seed: int | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """Column names of the sample file."""
        return tuple(self.rows[0]) if self.rows else SAMPLE_COLUMNS


def psu_counts(frame: Frame, design: SampleDesign) -> dict[str, int]:
    """PSUs to select per stratum: the design's ``psus`` checked, or ``psus_total`` allocated.

    Raises:
        FrameError: a stratum asks for more PSUs than the frame has, or the design
            names a stratum the frame lacks.
    """
    strata = frame.strata()
    available = {s: int(frame.rows_of(s).size) for s in strata}
    if design.psus is not None:
        unknown = [s for s in design.psus if s not in available]
        if unknown:
            raise FrameError(
                f"stratum {unknown[0]!r} of the design is not in the frame",
                param="psus",
                got=unknown[0],
                expected=list(strata),
            )
        absent = [s for s in strata if s not in design.psus]
        if absent:
            raise FrameError(
                f"stratum {absent[0]!r} of the frame has no PSU count in the design",
                param="psus",
                got=absent[0],
                hint=f"add {absent[0]}: N under psus (0 leaves the stratum out on purpose)",
            )
        counts = {s: int(design.psus[s]) for s in strata}
    else:
        total = int(design.psus_total or 0)
        sizes = [float(frame.size[frame.rows_of(s)].sum()) for s in strata]
        maxima = [available[s] for s in strata]
        if total > sum(maxima):
            raise FrameError(
                f"psus_total {total} is more than the {sum(maxima)} PSUs in the frame",
                param="psus_total",
                got=total,
            )
        alloc = allocate(
            total,
            sizes,
            design.psu_allocation,
            strata=strata,
            power=design.power,
            minimum=[min(design.min_psus, m) for m in maxima],
            maximum=maxima,
        )
        counts = alloc.as_dict()
    for s in strata:
        if counts[s] > available[s]:
            raise FrameError(
                f"stratum {s!r} asks for {counts[s]} PSUs but the frame has only {available[s]}",
                param="psus",
                got=counts[s],
                expected=f"<= {available[s]}",
                hint="lower the count or add the stratum's missing PSUs to the frame",
            )
    return counts


def draw_sample(frame: Frame, design: SampleDesign, rng: np.random.Generator) -> DrawnSample:
    """Stratified multistage draw: PSUs by PPS, then households by equal probability.

    Stage 1: in each stratum, :func:`sampling.selection.select_pps` on the PSU
    sizes (prob1 = pi_i = n_h x_i / X_h, certainty PSUs prob1 = 1). Stage 2: in
    each selected PSU with M_i households (frame column or ``households_assumed``),
    m households by systematic or simple random sampling of listing numbers
    1..M_i (prob2 = m / M_i; all households when m >= M_i). Stage 3 happens at
    the door (prob3 = 1 / eligible adults, from
    :func:`sampling.selection.kish_grid_select`), so prob3 is left empty.
    household_weight = 1 / (prob1 prob2); the respondent's base weight is
    household_weight / prob3 = 1 / (prob1 prob2 prob3).

    Args:
        frame: checked frame.
        design: the design.
        rng: random generator (reproducible with a seed).

    Returns:
        :class:`DrawnSample` (one row per household; household_id = "<psu>-<listing number>").

    Raises:
        FrameError: see :func:`psu_counts`.
    """
    counts = psu_counts(frame, design)
    rows: list[dict[str, Any]] = []
    for stratum in frame.strata():
        where = frame.rows_of(stratum)
        n_h = counts[stratum]
        if n_h == 0:
            logger.warning("stratum %s: no PSUs requested", stratum)
            continue
        picked = select_pps(frame.size[where], n_h, rng, design.method)
        for idx, prob1, certain in zip(picked.indices, picked.prob, picked.certainty, strict=True):
            i = int(where[idx])
            if frame.households is not None:
                big_m = int(frame.households[i])
            else:
                big_m = int(design.households_assumed or 0)
            m = min(design.households_per_psu, big_m)
            if design.household_method is WithinMethod.SRS:
                listing = srs_indices(big_m, m, rng) + 1
            else:
                listing = systematic_indices(big_m, m, rng) + 1
            prob2 = m / big_m
            for number in listing:
                row: dict[str, Any] = {
                    "household_id": f"{frame.psu[i]}-{int(number):04d}",
                    "stratum": stratum,
                    "town": frame.town[i],
                    "psu": frame.psu[i],
                    "psu_size": float(frame.size[i]),
                    "psu_households": big_m,
                    "household_number": int(number),
                    "certainty": int(bool(certain)),
                    "prob1": float(prob1),
                    "prob2": prob2,
                    "prob3": None,
                    "household_weight": 1.0 / (float(prob1) * prob2),
                }
                for name, values in frame.extra.items():
                    if name not in row:
                        row[name] = values[i]
                rows.append(row)
    logger.info(
        "drew %d households in %d PSUs (%s)",
        len(rows),
        sum(counts.values()),
        ", ".join(f"{s}: {c}" for s, c in counts.items()),
    )
    return DrawnSample(rows=tuple(rows), psus_per_stratum=counts)


def write_sample(sample: DrawnSample, path: str | Path) -> None:
    """Write the sample file (CSV, UTF-8 with a BOM for Excel; empty prob3 to be filled
    at the door)."""
    names = list(sample.columns)
    write_csv(path, names, ([row.get(k) for k in names] for row in sample.rows))
