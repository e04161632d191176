"""Every action the audit log records has a name in the catalogue (the audit viewer shows
names, not codes)."""

from __future__ import annotations

import re
from pathlib import Path

from kesu.strings.staff import AUDIT_ACTIONS
from survey.models import WaveStatus

ROOT = Path(__file__).resolve().parents[2]
#: an action written literally in a call of ``audit(...)`` (up to three lines after it)
LITERAL = re.compile(
    r'"((?:wave|user|case|response|invitation|capacity|classroom|report)\.[a-z_]+)"'
)


def _recorded_actions() -> set[str]:
    found: set[str] = set()
    for path in [*ROOT.glob("survey/**/*.py"), *ROOT.glob("reports/**/*.py")]:
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if "audit(" in line and "def audit" not in line:
                found.update(LITERAL.findall("\n".join(lines[i : i + 4])))
    # actions built from a value: the wave statuses, the seat actions, review decisions
    found |= {f"wave.{s.value}" for s in WaveStatus}
    found |= {f"classroom.seat_{a}" for a in ("absent", "refused", "pending", "release")}
    found |= {"response.accept", "response.reject"}
    return found


def test_every_recorded_action_has_a_name() -> None:
    recorded = _recorded_actions()
    assert len(recorded) > 40  # the scan found the calls
    missing = sorted(recorded - set(AUDIT_ACTIONS))
    assert not missing, missing
