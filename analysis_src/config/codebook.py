"""The codebook of the realist analysis (``codebook.yml``), read into a validated object.

Codes are grouped into themes; each theme states the group it is about and the published
key finding it tests. The coded-segments table may hold only the codes defined here
(``data_dictionary.yml``: ``values_from: codebook``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from analysis_src.paths import CONFIG_DIR

CODEBOOK_PATH = CONFIG_DIR / "codebook.yml"
Word = Literal["most", "many", "some", "few"]


class CodebookError(ValueError):
    """The codebook breaks its rules; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Role(_Strict):
    """A participant role and the group it merges into."""

    label: str
    group: str


class Code(_Strict):
    """A code: its label, and the spend category where the spend log would show it."""

    label: str
    spend_category: str | None = None


class Published(_Strict):
    """The executive summary's key finding a theme tests, and the word it used."""

    finding: int
    word: Word


class Theme(_Strict):
    """A theme: a claim in words, the group it is about, the finding it tests, its codes."""

    label: str
    about: str
    published: Published
    codes: dict[str, Code]

    @model_validator(mode="before")
    @classmethod
    def _labels(cls, values: dict) -> dict:
        codes = values.get("codes") or {}
        values["codes"] = {key: {"label": spec} if isinstance(spec, str) else spec for key, spec in codes.items()}
        return values


class Codebook(_Strict):
    """Roles, their groups, and the themes with their codes."""

    roles: dict[str, Role]
    groups: dict[str, str]
    themes: dict[str, Theme]

    @model_validator(mode="after")
    def _consistent(self) -> Codebook:
        for name, role in self.roles.items():
            if role.group not in self.groups:
                raise ValueError(f"role {name!r}: unknown group {role.group!r}")
        seen: set[str] = set()
        for name, theme in self.themes.items():
            if theme.about not in (*self.groups, "all"):
                raise ValueError(f"theme {name!r}: about must be a group or 'all'; found {theme.about!r}")
            repeated = seen & set(theme.codes)
            if repeated:
                raise ValueError(f"theme {name!r}: code {sorted(repeated)[0]!r} is in another theme too")
            seen |= set(theme.codes)
        return self

    @property
    def codes(self) -> dict[str, str]:
        """Every code and the theme it belongs to."""
        return {code: name for name, theme in self.themes.items() for code in theme.codes}

    def code(self, code: str) -> Code:
        """A code's definition."""
        return self.themes[self.codes[code]].codes[code]


def load_codebook(path: Path = CODEBOOK_PATH) -> Codebook:
    """Read and validate the codebook.

    Raises
    ------
    CodebookError
        Naming the file, the key and the rule broken.
    """
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return Codebook.model_validate(raw)
    except (OSError, yaml.YAMLError) as error:
        raise CodebookError(f"{path}: cannot be read: {error}") from None
    except ValidationError as error:
        problems = [
            f"{path}: key {'.'.join(map(str, problem['loc'])) or '(top)'}: {problem['msg']}"
            for problem in error.errors(include_url=False)
        ]
        raise CodebookError("\n".join(problems)) from None


@cache
def current() -> Codebook:
    """The project's codebook, loaded once per process."""
    return load_codebook()
