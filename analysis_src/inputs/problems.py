"""Problems found in the input: where they are and which rule they break."""

from __future__ import annotations

from dataclasses import dataclass

_MAX_ROWS_LISTED = 10


@dataclass(frozen=True)
class Problem:
    """One broken rule: where it is and what the rule says."""

    file: str
    column: str
    rows: tuple[int, ...]
    rule: str

    def __str__(self) -> str:
        if self.rows:
            shown = ", ".join(map(str, self.rows[:_MAX_ROWS_LISTED]))
            more = f" and {len(self.rows) - _MAX_ROWS_LISTED} more" if len(self.rows) > _MAX_ROWS_LISTED else ""
            where = f"row{'s' if len(self.rows) > 1 else ''} {shown}{more}"
        else:
            where = "whole file"
        return f"{self.file}: column '{self.column}', {where}: {self.rule}"


class DataValidationError(ValueError):
    """Input data break the contract; ``problems`` lists every broken rule."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = [f"{len(problems)} problem(s) in the input data (rows count the header as row 1):"]
        lines += [f"  - {problem}" for problem in problems]
        super().__init__("\n".join(lines))
