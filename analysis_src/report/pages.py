"""The book's generated pages: Markdown templates in ``report/templates/pages`` with their slots filled.

The prose lives in the templates; this module computes what fills their ``${slot}``
placeholders (the data dictionary, the ledger keys, the protocol's labels).
"""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pandas as pd
import yaml

from analysis_src.config import protocol
from analysis_src.disclosure import notes
from analysis_src.inputs.contracts import MAY_BE_EMPTY, NEEDED_WHEN_RANDOMISED, load_dictionary, type_text
from analysis_src.inputs.readers import HANDLED, PERSONAL_COLUMNS
from analysis_src.inputs.rules import load_rules
from analysis_src.paths import CONFIG_DIR, PROJECT_ROOT, SIMULATION_PATH, TEMPLATES_DIR
from analysis_src.report.ledger import documented_keys

PAGES_DIR = TEMPLATES_DIR / "pages"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _allowed(spec: dict) -> str:
    parts = []
    if spec["type"] == "code":
        parts.append(", ".join(f"`{value}`" for value in spec["values"]))
    if "min" in spec or "max" in spec:
        parts.append(f"{spec.get('min', '')} to {spec.get('max', '')}")
    if spec.get("unit"):
        parts.append(spec["unit"])
    if spec.get("authority"):
        parts.append("an `la_code` of the manifest")
    if spec.get("references"):
        parts.append(f"must exist in `{spec['references']}`")
    if spec.get("pseudonymise"):
        parts.append("replaced by a salted pseudonym in a build from an authority's data")
    if spec.get("within_pilot"):
        parts.append("within the pilot period")
    if spec.get("within_study"):
        parts.append(f"within the pilot period or the {protocol.current().outcomes.max_pre_months} months before it")
    parts.append("required" if spec.get("required", True) else "may be blank")
    return "; ".join(parts)


def data_dictionary_markdown(heading_level: int = 2) -> str:
    """Markdown tables of every input table's columns: meaning, type and allowed values or units."""
    hashes = "#" * heading_level
    lines = []
    for table in load_dictionary().values():
        lines += [f"{hashes} `{table['file']}`", "", _cell(table["description"]), ""]
        if table.get("unique"):
            lines += [f"Each row is unique on: {', '.join(f'`{c}`' for c in table['unique'])}.", ""]
        for key, columns in table.get("constant_within", {}).items():
            same = ", ".join(f"`{c}`" for c in columns)
            lines += [f"Every row of the same `{key}` has the same {same}.", ""]
        lines += ["| Column | Meaning | Type | Allowed values, units and rules |", "|---|---|---|---|"]
        for column, spec in table["columns"].items():
            row = (f"`{column}`", _cell(spec["description"]), type_text(spec["type"]), _cell(_allowed(spec)))
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    lines += [f"{hashes} Rules across columns and tables", "", *_rules_lines()]
    return "\n".join(lines)


def _rules_lines() -> list[str]:
    """The data dictionary's cross-table rules as a table: which file's rows, joined to which, and the rule."""
    lines = ["| Rows of | Compared with | Rule |", "|---|---|---|"]
    files = {name: table["file"] for name, table in load_dictionary().items()}
    for rule in load_rules():
        other = f"`{files[rule['with']]}` (same `family_id`)" if rule.get("with") else "the same row"
        lines.append(f"| `{files[rule['table']]}` | {other} | {_cell(rule['rule'])} |")
    return [*lines, ""]


def handled_problems() -> list[tuple[str, str]]:
    """Every input problem the build handles, and how, for the data officer's page (same definitions as the checks)."""
    rules = [
        (f"A row that breaks a rule across tables: {rule['rule']}", "rejected: both files and rows are named")
        for rule in load_rules()
    ]
    files = {name: table["file"] for name, table in load_dictionary().items()}
    returns = [
        (
            f"An authority with no rows in {files[name]}",
            f"built, with a warning: the chapter says {what}",
        )
        for name, what in MAY_BE_EMPTY.items()
    ]
    returns += [
        (
            f"A randomised authority with no rows in {files['transactions']}",
            f"rejected by `make check` and `make book` alike: {NEEDED_WHEN_RANDOMISED['transactions']}",
        ),
        (
            f"An authority with no rows in {files['families']} or {files['monthly_returns']}",
            "rejected by `make check` and `make book` alike, naming the authority and the table",
        ),
    ]
    return [*HANDLED[:-1], *rules, *returns, HANDLED[-1]]


def ledger_keys_markdown(heading_level: int = 2) -> str:
    """Markdown tables of the documented results-ledger keys."""
    hashes = "#" * heading_level
    titles = {
        "pilot": "Each pilot: `book/results/<slug>.json`",
        "synthesis": "All pilots: `book/results/synthesis.json`",
    }
    lines = []
    labels = protocol.current().slots()
    for scope, keys in documented_keys().items():
        lines += [f"{hashes} {titles[scope]}", "", "| Key | Unit | Meaning |", "|---|---|---|"]
        lines += [
            f"| `{key}` | {_cell(doc['unit'])} | {_cell(doc['description'].format(**labels))} |"
            for key, doc in keys.items()
        ]
        lines.append("")
    return "\n".join(lines)


def _fragment(name: str) -> str:
    return (PAGES_DIR / "fragments" / name).read_text(encoding="utf-8").strip()


def render_page(template: str, **slots: str) -> str:
    """A generated page: the Markdown template ``pages/<template>`` with its ``${slot}`` filled.

    The page starts with a MyST comment saying it is generated and from which template.

    Raises
    ------
    KeyError
        When the template names a slot that is not given.
    """
    path = PAGES_DIR / template
    body = string.Template(path.read_text(encoding="utf-8")).substitute(slots)
    where = path.relative_to(PROJECT_ROOT).as_posix()
    return f"% Generated by `make book` from {where}: edit the template, not this page.\n{body}"


_COUNT_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _count_in_words(count: int) -> str:
    return _COUNT_WORDS[count] if count < len(_COUNT_WORDS) else f"{count:,}"


def data_note(synthetic: bool = True) -> str:
    """The note at the top of every results page: which data its figures come from, and the symbols' key."""
    note = _fragment("data_note_synthetic.md" if synthetic else "data_note_real.md")
    return f"{note.rstrip()}\n\n**Symbols.** {notes()}\n"


def intro_page(synthetic: bool = True) -> str:
    """The book's home page, with its statement about the data this build reads."""
    return render_page("intro.md", data_statement=_fragment("intro_synthetic.md" if synthetic else "intro_real.md"))


def data_page(synthetic: bool = True) -> str:
    """The book's page on the data: how the tables are checked, the dictionary and the ledger keys.

    Parameters
    ----------
    synthetic
        Whether the build reads the synthetic data (the page says which data it describes).
    """
    labels = protocol.current().slots()
    return render_page(
        "data.md",
        table_count=_count_in_words(len(load_dictionary())),
        tables_statement=_fragment("tables_synthetic.md" if synthetic else "tables_real.md"),
        positive_answers=labels["positive_answers"],
        acceptability_criterion=labels["acceptability_criterion"],
        trend_months=str(protocol.current().outcomes.min_pre_months_for_trend),
        season_months=str(protocol.current().outcomes.min_pre_months_for_seasonality),
        disclosure_notes=notes(),
        data_dictionary=data_dictionary_markdown(heading_level=3),
        ledger_keys=ledger_keys_markdown(heading_level=3),
    )


def data_officer_page() -> str:
    """The page for a data officer: prepare the files, check them, build, and keep personal data out."""
    tables = load_dictionary()
    optional = {"allocation_log", "family_outcomes"}
    table_rows = [
        f"| `{t['file']}` or `{t['file'].replace('.csv', '.xlsx')}` | {_cell(' '.join(t['description'].split()))} | "
        + ("only for a randomised pilot" if name in optional else "yes")
        + " |"
        for name, t in tables.items()
    ]
    return render_page(
        "data_officer.md",
        table_rows="\n".join(table_rows),
        handled_rows="\n".join(f"| {_cell(case)} | {_cell(action)} |" for case, action in handled_problems()),
        personal_columns=", ".join(PERSONAL_COLUMNS),
        suppressed_counts=protocol.current().disclosure.suppressed_label,
    )


def _markdown_table(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(_cell(value) for value in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def _figures(values: dict[str, float]) -> str:
    names = {"estimate": "estimate", "se": "SE", "ci_low": "lower", "ci_high": "upper"}
    return "; ".join(f"{names[k]} {v:g}" for k, v in values.items())


def _performance(rows: list[dict], design: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    table = pd.DataFrame(
        {
            "Method": frame["method"].map(lambda text: text[:1].upper() + text[1:]),
            "Design": frame[design] if design in frame else None,
            "Bias": frame["bias"].map("{:+.4f}".format),
            "MC SE of bias": frame["bias_mcse"].map("{:.4f}".format),
            "Bias in MC SEs": (frame["bias"] / frame["bias_mcse"]).map("{:+.1f}".format),
            "Coverage": frame["coverage"].map("{:.3f}".format),
            "MC SE of coverage": frame["coverage_mcse"].map("{:.3f}".format),
        }
    )
    table = table.dropna(axis="columns", how="all")
    if "share_at_zero" in frame:
        table["At zero"] = frame["share_at_zero"].map(lambda share: "" if pd.isna(share) else f"{share:.0%}")
    if "mean_width" in frame:
        table["Mean interval width (log)"] = frame["mean_width"].map("{:.2f}".format)
    return table


def validation_page() -> str:
    """The methods-validation page: published benchmarks recomputed, and the simulation study's performance."""
    from analysis_src.analysis.benchmarks import reproduced

    benchmarks = pd.DataFrame(
        [
            {
                "Estimator": row["estimator"],
                "Published example": f"{row['example']} ({row['source']})",
                "Published": _figures(row["published"]),
                "This book": _figures(row["ours"]),
                "Agrees": "yes" if row["agrees"] else "**no**",
            }
            for row in reproduced()
        ]
    )
    study = json.loads(SIMULATION_PATH.read_text(encoding="utf-8"))
    trial, returns = study["trial_design"], study["returns_design"]
    its = pd.DataFrame(study["time_series"]).assign(months=lambda f: f["pre_months"].map("{} months before".format))
    survey = pd.DataFrame(study["survey"]).assign(group=lambda f: f["respondents"].map("{} respondents".format))
    rules = protocol.current().outcomes
    return render_page(
        "validation.md",
        benchmarks=_markdown_table(benchmarks),
        survey_share=f"{study['survey_share']:g}",
        seed=str(study["seed"]),
        repetitions=f"{study['repetitions']:,}",
        its_repetitions=f"{int(its['repetitions'].iloc[0]):,}",
        trial_design=(
            f"{trial['families']} families randomised one by one over the pilot, nested in {trial['workers']} "
            f"social workers (random intercepts, SD {trial['worker_sd']:g} on the log-odds scale), with a risk "
            f"of the outcome falling from {trial['risk_start']:.0%} to {trial['risk_end']:.0%} over the pilot."
        ),
        trial_table=_markdown_table(_performance(study["trial"], "design")),
        returns_design=(
            f"Monthly counts averaging {returns['monthly_mean']:g} in a population of {returns['population']:,}, "
            "overdispersed, with a trend of 2% a year and a season peaking in the autumn term, and no step at "
            f"the pilot's start; {returns['pilot_months']} pilot months after 12 or 36 months of history."
        ),
        model_rules=(
            f"the level alone below {rules.min_pre_months_for_trend} months, a trend from "
            f"{rules.min_pre_months_for_trend}, two seasonal pairs from {rules.min_pre_months_for_seasonality}"
        ),
        its_table=_markdown_table(_performance(its.to_dict(orient="records"), "months")),
        survey_sizes=", ".join(str(n) for n in survey["respondents"]),
        survey_table=_markdown_table(_performance(survey.to_dict(orient="records"), "group")),
        icc_table=_markdown_table(_performance(study["icc"], "design")),
    )


PAGE_NAMES = ("intro.md", "data.md", "data_officer.md", "validation.md", "glossary.md")
GLOSSARY_PATH = CONFIG_DIR / "glossary.yml"


def glossary_terms(path: Path = GLOSSARY_PATH) -> list[dict[str, str]]:
    """The glossary's terms, each with ``term``, ``match`` (a regular expression) and ``definition``.

    Raises
    ------
    ValueError
        Naming the term whose entry is incomplete, repeated, or whose ``match`` is not a valid expression.
    """
    entries = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["terms"]
    seen = set()
    for entry in entries:
        if not entry.get("term") or not entry.get("definition"):
            raise ValueError(f"{path}: every entry needs a term and a definition; found {entry!r}")
        if entry["term"].lower() in seen:
            raise ValueError(f"{path}: term {entry['term']!r} is listed twice")
        seen.add(entry["term"].lower())
        entry.setdefault("match", re.escape(entry["term"]))
        try:
            re.compile(entry["match"])
        except re.error as error:
            raise ValueError(f"{path}: term {entry['term']!r}: match is not a regular expression: {error}") from None
    return entries


def glossary_page() -> str:
    """The glossary page: a MyST glossary of :func:`glossary_terms`, in alphabetical order."""
    entries = sorted(glossary_terms(), key=lambda entry: entry["term"].lower())
    terms = "\n".join(f"{entry['term']}\n  {' '.join(entry['definition'].split())}\n" for entry in entries)
    return render_page("glossary.md", terms=terms.rstrip())


def generated_pages(synthetic: bool = True) -> dict[str, str]:
    """Every generated page of the book (:data:`PAGE_NAMES`), by file name, for a synthetic or a real-data build."""
    pages = {
        "intro.md": intro_page(synthetic),
        "data.md": data_page(synthetic),
        "data_officer.md": data_officer_page(),
        "validation.md": validation_page(),
        "glossary.md": glossary_page(),
    }
    return {name: pages[name] for name in PAGE_NAMES}
