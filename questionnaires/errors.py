"""Errors raised when a questionnaire file is invalid."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kesu.errors import KesuError


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in a questionnaire file, at a line, optionally inside an item.

    ``str(problem)`` is the line the validator prints, e.g.
    ``yiwu.yaml:120: item K07: answer key 'C' is not one of the options A, B, D``.
    """

    file: str
    line: int
    message: str
    where: str | None = None

    def __str__(self) -> str:
        where = f"{self.where}: " if self.where else ""
        return f"{self.file}:{self.line}: {where}{self.message}"


class QuestionnaireError(KesuError):
    """A questionnaire file has one or more problems; ``problems`` lists them all.

    Like every kesu error it is a :class:`kesu.errors.KesuError`; its message is the
    problems, one ``FILE:LINE: ...`` line each.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        first = self.problems[0] if self.problems else None
        super().__init__(
            "\n".join(str(p) for p in self.problems),
            param=first.where if first else None,
        )

    def _render(self) -> str:
        return self.message
