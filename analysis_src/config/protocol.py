"""The protocol's numbers (``protocol.yml``) as one frozen, validated object, and the labels made from them.

Every threshold the protocol or the report fixes lives once in ``protocol.yml``
with its source. It is validated when it loads (unknown or missing keys, wrong
types, proportions outside 0 to 1, bands in the wrong order are refused with the
key named), so a mistyped number stops the build before anything runs. The book
never types a threshold: labels such as "±30%" or "70%" are made here from the
numbers, so a changed threshold changes its verdicts and its words together.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from analysis_src.paths import CONFIG_DIR

PROTOCOL_PATH = CONFIG_DIR / "protocol.yml"

Share = Annotated[float, Field(gt=0, lt=1)]
Positive = Annotated[float, Field(gt=0)]


class ProtocolError(ValueError):
    """``protocol.yml`` breaks its contract; the message names the file, the key and the rule."""


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


def percent(share: float) -> str:
    """A share as a percentage label with no needless decimals: 0.3 -> ``30%``, 0.275 -> ``27.5%``."""
    return f"{round(share * 100, 6):g}%"


def number(value: float) -> str:
    """A number as written in the book: 0.1 -> ``0.1``, 20.0 -> ``20``."""
    return f"{value:g}"


class Feasibility(_Section):
    """Feasibility: the planned number of families reached within a tolerance."""

    reach_tolerance: Share

    @property
    def reach_label(self) -> str:
        """The tolerance as the book writes it, e.g. ``±30%``."""
        return f"±{percent(self.reach_tolerance)}"


class Acceptability(_Section):
    """Acceptability: the share of a group positive that counts as acceptable."""

    criterion: Share
    positive_answers: tuple[Annotated[int, Field(ge=1, le=5)], ...] = Field(min_length=1)

    @property
    def criterion_label(self) -> str:
        """The criterion as the book writes it, e.g. ``70%``."""
        return percent(self.criterion)

    @property
    def positive_label(self) -> str:
        """The positive answers, e.g. ``4 or 5``."""
        answers = [str(a) for a in self.positive_answers]
        return answers[0] if len(answers) == 1 else ", ".join(answers[:-1]) + " or " + answers[-1]


class Promise(_Section):
    """Evidence of promise: the band of standardised effects that counts as promise."""

    effect_band: tuple[Positive, Positive]

    @model_validator(mode="after")
    def _ordered(self) -> Promise:
        if not self.effect_band[0] < self.effect_band[1]:
            raise ValueError("effect_band must be [low, high] with low below high")
        return self

    @property
    def low(self) -> float:
        """The smallest effect that counts as promise."""
        return self.effect_band[0]

    @property
    def high(self) -> float:
        """The top of the band: the effect a future trial is sized to detect."""
        return self.effect_band[1]

    @property
    def band_label(self) -> str:
        """The band as the book writes it, e.g. ``0.1 to 0.2``."""
        return f"{number(self.low)} to {number(self.high)}"


class Trial(_Section):
    """The randomised comparison: balance flag, "proceeded as planned" rule, composite outcome's components."""

    smd_flag: Positive
    min_share_randomised: Share
    max_share_deviations: Share
    composite_outcome: tuple[str, ...] = Field(min_length=2)

    @field_validator("composite_outcome")
    @classmethod
    def _distinct(cls, components: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(components)) != len(components):
            raise ValueError("the composite outcome names a component twice")
        return components


class TrialDesign(_Section):
    """Sizing a future trial: test size, power, clusters and assumed intra-class correlations."""

    alpha: Share
    power: Share
    min_clusters: Annotated[int, Field(ge=3)]
    assumed_iccs: tuple[Share, ...] = Field(min_length=1)

    @property
    def alpha_label(self) -> str:
        """The test size, e.g. ``5%``."""
        return percent(self.alpha)

    @property
    def power_label(self) -> str:
        """The power, e.g. ``80%``."""
        return percent(self.power)


class Spend(_Section):
    """Spending: the line below which a transaction counts as small."""

    small_transaction_gbp: Positive

    @property
    def small_label(self) -> str:
        """The line as the book writes it, e.g. ``£20``."""
        return f"£{number(self.small_transaction_gbp)}"


class Governance(_Section):
    """Governance: the share of spending above a threshold with approval that counts as approval applied."""

    min_share_approved: Share


class Disclosure(_Section):
    """Disclosure control: the largest count of people that is suppressed."""

    largest_suppressed_count: Annotated[int, Field(ge=1)]

    @property
    def suppressed_label(self) -> str:
        """The suppressed counts, e.g. ``1 to 5``."""
        return f"1 to {self.largest_suppressed_count}"


class Outcomes(_Section):
    """Interrupted time series: how far back returns go, the model by pre-period length, the autocorrelation check."""

    max_pre_months: Annotated[int, Field(ge=1)]
    min_pre_months_for_trend: Annotated[int, Field(ge=2)]
    min_pre_months_for_seasonality: Annotated[int, Field(ge=2)]
    durbin_watson_band: tuple[Annotated[float, Field(ge=0, le=4)], Annotated[float, Field(ge=0, le=4)]]

    @model_validator(mode="after")
    def _ordered(self) -> Outcomes:
        if not self.durbin_watson_band[0] < self.durbin_watson_band[1]:
            raise ValueError("durbin_watson_band must be [low, high] with low below high")
        if not self.min_pre_months_for_trend <= self.min_pre_months_for_seasonality <= self.max_pre_months:
            raise ValueError("need min_pre_months_for_trend <= min_pre_months_for_seasonality <= max_pre_months")
        return self


class Realist(_Section):
    """Realist evidence: when a configuration is supported, and the words for how many raised a theme."""

    min_participants: Annotated[int, Field(ge=1)]
    max_refuting_share: Share
    theme_bands: tuple[Share, Share, Share]
    quick_help_days: Positive

    @model_validator(mode="after")
    def _ordered(self) -> Realist:
        if not self.theme_bands[0] > self.theme_bands[1] > self.theme_bands[2]:
            raise ValueError("theme_bands must be [most, many, some] from the largest share down")
        return self

    def band(self, share: float) -> str:
        """The word for a share of a group: ``most``, ``many``, ``some`` or ``few``."""
        most, many, some = self.theme_bands
        return "most" if share > most else "many" if share >= many else "some" if share >= some else "few"

    @property
    def bands_label(self) -> str:
        """The bands in words, e.g. ``most: more than 50%; many: 30% or more; some: 10% or more``."""
        most, many, some = (percent(share) for share in self.theme_bands)
        return f"*most*: more than {most}; *many*: {many} or more; *some*: {some} or more; *few*: fewer"


class Protocol(_Section):
    """Every number of ``protocol.yml``, by section."""

    feasibility: Feasibility
    acceptability: Acceptability
    promise: Promise
    trial: Trial
    trial_design: TrialDesign
    spend: Spend
    governance: Governance
    disclosure: Disclosure
    outcomes: Outcomes
    realist: Realist

    def slots(self) -> dict[str, str]:
        """The labels that templates may use, by slot name.

        A notebook template writes ``{{ protocol.<name> }}``; a ledger-key description ``{<name>}``.
        """
        return {
            "reach_tolerance": self.feasibility.reach_label,
            "acceptability_criterion": self.acceptability.criterion_label,
            "positive_answers": self.acceptability.positive_label,
            "promise_band": self.promise.band_label,
            "promise_low": number(self.promise.low),
            "target_effect": number(self.promise.high),
            "smd_flag": number(self.trial.smd_flag),
            "min_share_randomised": percent(self.trial.min_share_randomised),
            "max_share_deviations": percent(self.trial.max_share_deviations),
            "composite_outcome": ", ".join(self.trial.composite_outcome),
            "alpha": self.trial_design.alpha_label,
            "power": self.trial_design.power_label,
            "small_transaction": self.spend.small_label,
            "suppressed_counts": self.disclosure.suppressed_label,
            "theme_bands": self.realist.bands_label,
            "quick_help_days": number(self.realist.quick_help_days),
            "min_participants": str(self.realist.min_participants),
            "max_refuting_share": percent(self.realist.max_refuting_share),
        }


def load_protocol(path: Path = PROTOCOL_PATH) -> Protocol:
    """Read and validate ``protocol.yml``.

    Raises
    ------
    ProtocolError
        Naming the file, the key and the rule broken.
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ProtocolError(f"{path}: cannot be read: {error}") from None
    # YAML lists arrive as lists; the object keeps them as tuples so that it stays frozen.
    try:
        return Protocol.model_validate(_tuples(raw)) if isinstance(raw, dict) else _not_mapping(path)
    except ValidationError as error:
        problems = [
            f"{path}: key {'.'.join(map(str, problem['loc'])) or '(top)'}: {problem['msg']}; found {problem['input']!r}"
            for problem in error.errors(include_url=False)
        ]
        raise ProtocolError("\n".join(problems)) from None


def _not_mapping(path: Path) -> Protocol:
    raise ProtocolError(f"{path}: must be a mapping of sections to numbers")


def _tuples(value: object) -> object:
    if isinstance(value, dict):
        return {key: _tuples(item) for key, item in value.items()}
    if isinstance(value, list):
        return tuple(_tuples(item) for item in value)
    return value


@cache
def current() -> Protocol:
    """The project's protocol, loaded once per process (the file is part of the code's hash).

    Call it as ``protocol.current()`` through the module, at the time of use, so that
    a test can put an altered protocol in its place.
    """
    return load_protocol()
