"""The realist evidence: coded segments of interviews, focus groups, observations and free text.

What staff and families said is counted by participant, never by segment (a talkative
participant counts once), and published under the same disclosure rule as every count of
people: a role with 1 to 5 participants in an authority is merged with others of its group,
or into the group, and never shown alone; counts of 1 to 5 participants are ``c``. Excerpts
are personal data: see :func:`quotable`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from analysis_src.analysis.categories import categorised, load_rules
from analysis_src.analysis.effects import risk_difference
from analysis_src.config import codebook, protocol
from analysis_src.disclosure import NOT_QUOTED, PRIMARY, is_small, record, show_count

MATRIX_WHERE = "What staff and families said"
ALL_PARTICIPANTS = "All participants"


def _enough(count: float) -> bool:
    return count > protocol.current().disclosure.largest_suppressed_count


def coded(segments: pd.DataFrame) -> pd.DataFrame:
    """The segments with their theme and the participant's group (staff or families)."""
    book = codebook.current()
    frame = segments.copy()
    frame["theme"] = frame["code"].map(book.codes)
    frame["group"] = frame["role"].map(lambda role: book.roles[role].group)
    return frame


def participants(segments: pd.DataFrame) -> pd.DataFrame:
    """One row per participant: authority, role and group."""
    frame = coded(segments)
    return frame.drop_duplicates(["la_code", "participant_id"])[["la_code", "participant_id", "role", "group"]]


def role_columns(people: pd.DataFrame) -> dict[str, list[str]]:
    """The matrix's columns and the roles each holds, so that no column has 1 to 5 participants.

    A role with enough participants is a column of its own. The small roles of a group are
    merged into one column when together they are enough; otherwise the whole group is one
    column (a merged column beside its own parts would give the small roles back by
    difference). Where a group has 1 to 5 participants in all, everyone is one column.
    """
    book = codebook.current()
    sizes = people["role"].value_counts()
    columns: dict[str, list[str]] = {}
    for group, label in book.groups.items():
        roles = [role for role, spec in book.roles.items() if spec.group == group and sizes.get(role, 0) > 0]
        total = int(sum(sizes[role] for role in roles))
        if total == 0:
            continue
        if not _enough(total):
            return {ALL_PARTICIPANTS: [role for role in book.roles if sizes.get(role, 0) > 0]}
        small = [role for role in roles if not _enough(sizes[role])]
        merged = int(sum(sizes[role] for role in small))
        if small and not _enough(merged):
            columns[label] = roles
            continue
        columns |= {book.roles[role].label: [role] for role in roles if role not in small}
        if small:
            names = " and ".join(book.roles[role].label.lower() for role in small)
            columns[f"Other {label.lower()} ({names})"] = small
    return columns


def theme_counts(segments: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Participants who raised each theme, by column of :func:`role_columns`, and each column's participants."""
    frame = coded(segments)
    people = participants(segments)
    columns = role_columns(people)
    book = codebook.current()
    counts = pd.DataFrame(0, index=list(book.themes), columns=list(columns), dtype=int)
    totals = pd.Series(0, index=list(columns), dtype=int)
    for column, roles in columns.items():
        totals[column] = int(people["role"].isin(roles).sum())
        raised = frame[frame["role"].isin(roles)].drop_duplicates(["participant_id", "theme"])
        counts[column] = raised["theme"].value_counts().reindex(counts.index, fill_value=0)
    return counts, totals


def theme_matrix(segments: pd.DataFrame, where: str = MATRIX_WHERE) -> pd.DataFrame:
    """The theme-by-role matrix for a page: participants who raised each theme, ``c`` for 1 to 5.

    Themes are not exclusive (a participant raises several), so no line of the matrix adds
    up to a published total and a hidden count cannot be worked back from its row or column;
    each column's participants are shown, and every column has more than 1 to 5 of them.
    """
    book = codebook.current()
    counts, totals = theme_counts(segments)
    if counts.empty:
        return pd.DataFrame({"Theme": ["z"]}).set_index("Theme").rename_axis(None)
    table = pd.DataFrame(index=[book.themes[t].label for t in counts.index], columns=counts.columns, dtype=object)
    for theme in counts.index:
        for column in counts.columns:
            value = counts.loc[theme, column]
            if is_small(value):
                record(where, book.themes[theme].label, column, PRIMARY)
            table.loc[book.themes[theme].label, column] = show_count(value)
    table.loc["Participants (all)"] = [show_count(total) for total in totals]
    return table


@dataclass(frozen=True)
class Difference:
    """A theme on which staff and families differ: the share who supported the programme theory."""

    theme: str
    staff_share: float
    families_share: float
    low: float
    high: float


def participant_stance(segments: pd.DataFrame) -> pd.DataFrame:
    """Each participant's stance on each theme they raised: supports, refutes or mixed."""
    frame = coded(segments)

    def stance(values: pd.Series) -> str:
        kinds = set(values)
        if "supports" in kinds and "refutes" not in kinds:
            return "supports" if kinds == {"supports"} else "mixed"
        if "refutes" in kinds and "supports" not in kinds:
            return "refutes" if kinds == {"refutes"} else "mixed"
        return "mixed"

    grouped = frame.groupby(["la_code", "participant_id", "group", "theme"])["stance"].agg(stance)
    return grouped.rename("stance").reset_index()


def differences(segments: pd.DataFrame) -> list[Difference]:
    """Themes on which staff and families differ in how many of those who raised it supported the theory.

    Only themes raised by more than 1 to 5 participants in each group are compared; a
    difference is reported where the 95% Newcombe interval of the difference in the share
    supporting excludes zero.
    """
    stances = participant_stance(segments)
    found = []
    for theme, rows in stances.groupby("theme", sort=False):
        staff, families = rows[rows["group"] == "staff"], rows[rows["group"] == "families"]
        if not (_enough(len(staff)) and _enough(len(families))):
            continue
        supporting = [int((part["stance"] == "supports").sum()) for part in (staff, families)]
        estimate = risk_difference(supporting[0], len(staff), supporting[1], len(families))
        if estimate.ci_low > 0 or estimate.ci_high < 0:
            found.append(
                Difference(
                    theme, supporting[0] / len(staff), supporting[1] / len(families), estimate.ci_low, estimate.ci_high
                )
            )
    return found


def differences_text(segments: pd.DataFrame) -> str:
    """The themes on which staff and families differ, in words (no counts: they could undo the matrix)."""
    book = codebook.current()
    found = differences(segments)
    if not found:
        return (
            "On no theme raised by enough staff and enough families did the two groups differ clearly in whether "
            "what they said supported the programme theory (95% Newcombe interval of the difference including zero)."
        )
    parts = []
    for difference in found:
        more, fewer = (
            ("staff", "families") if difference.staff_share > difference.families_share else ("families", "staff")
        )
        parts.append(f"*{book.themes[difference.theme].label.lower()}*: {more} supported it more often than {fewer}")
    return (
        "Staff and families differed on "
        + "; ".join(parts)
        + " (the 95% Newcombe interval of the difference in the share who supported it excludes zero)."
    )


def unusual_uses(segments: pd.DataFrame, transactions: pd.DataFrame) -> pd.DataFrame:
    """The unusual uses participants described, with the spend category where the spend log would show them."""
    book = codebook.current()
    labels = load_rules().labels

    frame = coded(segments)
    described = [code for code in book.themes["unusual_uses"].codes if code in set(frame["code"])]
    if not described:
        return pd.DataFrame({"Unusual use described": ["z"]}).set_index("Unusual use described").rename_axis(None)
    spent = set(categorised(transactions)["derived_category"]) if len(transactions) else set()
    rows = []
    for code in described:
        category = book.code(code).spend_category
        shown = (
            "z"
            if category is None
            else f"{labels[category]}: spending recorded"
            if category in spent
            else f"{labels[category]}: no spending recorded"
        )
        rows.append({"Unusual use described": book.code(code).label, "Spend category in the spend log": shown})
    return pd.DataFrame(rows).set_index("Unusual use described").rename_axis(None)


# A screen for what could identify someone in an excerpt: refuse, do not guess.
_SCREEN = {
    "a number (an age, a date, a count or an address)": re.compile(r"\d"),
    "a date": re.compile(
        r"\b(january|february|march|april|may|june|july|august|september|october|november|december|"
        r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|christmas|easter)\b",
        re.IGNORECASE,
    ),
    "an age": re.compile(r"\b(aged|year[- ]old|years old|teenager of)\b", re.IGNORECASE),
    "contact details": re.compile(r"@|https?:|www\.|\.co\.uk|\.com\b", re.IGNORECASE),
    "a name or place (a capitalised word)": re.compile(r"\b[A-Z][\w'’]*"),
}
# The capitalised words an excerpt may hold: "I", and common words that open a sentence. Any other
# capitalised word, at the start of a sentence or inside it, may be a name or a place: refused.
_ALLOWED_CAPITALS = {
    "I", "I'm", "I'd", "I've", "I'll",
    "A", "After", "All", "Also", "An", "And", "As", "At", "Because", "Before", "Being", "But", "Even", "Every",
    "Everyone", "For", "Going", "Having", "He", "Her", "His", "Honestly", "How", "If", "In", "It", "It's", "Just",
    "Knowing", "Most", "My", "No", "Nobody", "Not", "Now", "Often", "On", "Once", "Our", "She", "So", "Some",
    "Sometimes", "That", "The", "Their", "Then", "There", "These", "They", "This", "Those", "To", "We", "We'd",
    "We're", "What", "When", "Why", "With", "Without", "Yes", "You",
}  # fmt: skip


def excerpt_problem(text: str) -> str | None:
    """Why an excerpt may identify someone (a name, place, age, date, number or contact), or None.

    The screen refuses rather than guesses: a capitalised word is allowed only if it is "I" or a
    common word that opens a sentence, and only at the start of a sentence; any other may be a name.
    """
    for what, pattern in _SCREEN.items():
        for match in pattern.finditer(text):
            word = match.group(0)
            opens = match.start() == 0 or re.search(r"[.!?]\s+$", text[: match.start()]) is not None
            if what.startswith("a name") and (
                word in {"I", "I'm", "I'd", "I've", "I'll"} or (opens and word in _ALLOWED_CAPITALS)
            ):
                continue
            return what
    return None


def quotable(segments: pd.DataFrame, pilot_name: str, where: str = MATRIX_WHERE) -> pd.DataFrame:
    """Excerpts that may be published, with their attribution; one per theme at most.

    An excerpt is published only when the participant consented to be quoted, the screen
    (:func:`excerpt_problem`) finds nothing that could identify anyone, and it can be
    attributed to a role (or else a group) with more than 1 to 5 participants in the
    authority. It is attributed by that role or group and the authority only.
    """
    book = codebook.current()
    frame = coded(segments)
    if "excerpt" not in frame or frame["excerpt"].isna().all():
        return pd.DataFrame(columns=["theme", "excerpt", "attribution"])
    people = participants(segments)
    roles, groups = people["role"].value_counts(), people["group"].value_counts()
    rows = []
    for theme in book.themes:
        candidates = frame[(frame["theme"] == theme) & frame["excerpt"].notna()].sort_values("segment_id")
        for _, row in candidates.iterrows():
            if row["consent_to_quote"] != "Y":
                record(where, theme, "excerpt", NOT_QUOTED)
                continue
            if excerpt_problem(str(row["excerpt"])):
                record(where, theme, "excerpt", NOT_QUOTED)
                continue
            if _enough(roles[row["role"]]):
                who = f"one of the {book.roles[row['role']].label.lower()}"
            elif _enough(groups[row["group"]]):
                who = f"one of the {book.groups[row['group']].lower()}"
            else:
                record(where, theme, "excerpt", NOT_QUOTED)
                continue
            rows.append(
                {"theme": book.themes[theme].label, "excerpt": row["excerpt"], "attribution": f"{who}, {pilot_name}"}
            )
            break
    return pd.DataFrame(rows, columns=["theme", "excerpt", "attribution"])


def quotes_markdown(segments: pd.DataFrame, pilot_name: str, invented: bool) -> str:
    """The quotable excerpts as Markdown block quotes, marked as invented when the data are synthetic."""
    quotes = quotable(segments, pilot_name)
    if quotes.empty:
        return "No excerpt can be quoted: none was given with consent to quote and nothing that could identify anyone."
    mark = " *(invented for the synthetic data: not a real quote)*" if invented else ""
    blocks = [f"> {row.excerpt}\n>\n> — {row.attribution}, on *{row.theme}*{mark}" for row in quotes.itertuples()]
    return "\n\n".join(blocks)


def group_shares(segments: pd.DataFrame) -> dict[str, dict[str, tuple[int, int]]]:
    """For each theme, (participants who raised it, participants) in the group it is about, across all the data."""
    book = codebook.current()
    frame = coded(segments)
    people = participants(segments)
    out = {}
    for theme, spec in book.themes.items():
        group = people if spec.about == "all" else people[people["group"] == spec.about]
        raised = frame[(frame["theme"] == theme) & frame["participant_id"].isin(group["participant_id"])]
        out[theme] = (int(raised.drop_duplicates(["la_code", "participant_id"]).shape[0]), len(group))
    return out


def theme_findings(segments: pd.DataFrame, evidence: str) -> list[str]:
    """The key findings of the qualitative strand, one per theme, worded by what the data say, whichever way.

    The share of the group a theme is about (staff, families, or all participants) who raised
    it is put in the protocol's words (``most``, ``many``, ``some``, ``few``); the finding says
    whether that confirms the word the published evaluation used. Counts are not given: the
    words are the finding, and the counts are in each chapter's matrix.
    """
    book = codebook.current()
    realist = protocol.current().realist
    order = ["most", "many", "some", "few"]
    found = []
    for theme, (raised, size) in group_shares(segments).items():
        spec = book.themes[theme]
        who = {"all": "participants", **{g: label.lower() for g, label in book.groups.items()}}[spec.about]
        claim = f"*{spec.label}* (key finding {spec.published.finding})"
        if size == 0:
            found.append(f"{claim}: not assessable, as no {who} took part ({evidence}).")
            continue
        word, published = realist.band(raised / size), spec.published.word
        if word == published:
            verdict = f"raised by {word} {who}, as the published evaluation found"
        elif order.index(word) < order.index(published):
            verdict = f"raised by {word} {who}, more than the published evaluation's *{published}*"
        else:
            said = "a few" if word == "few" else word
            verdict = f"raised by **only {said}** {who}, fewer than the published evaluation's *{published}*"
        found.append(f"{claim}: {verdict} ({evidence}).")
    return found


def configuration_evidence(segments: pd.DataFrame, codes: list[str]) -> dict[str, object]:
    """Participants whose segments on these codes support, refute or qualify a configuration, and who they are."""
    frame = coded(segments)
    frame = frame[frame["code"].isin(codes)]
    if frame.empty:
        return {"supports": 0, "refutes": 0, "mixed": 0, "groups": [], "authorities": []}
    stances = participant_stance(frame.drop(columns=["theme", "group"]))
    per_person = stances.groupby(["la_code", "participant_id"])["stance"].agg(
        lambda values: values.iloc[0] if values.nunique() == 1 else "mixed"
    )
    book = codebook.current()
    return {
        "supports": int((per_person == "supports").sum()),
        "refutes": int((per_person == "refutes").sum()),
        "mixed": int((per_person == "mixed").sum()),
        "groups": [book.groups[g] for g in book.groups if g in set(frame["group"])],
        "authorities": sorted(set(frame["la_code"])),
    }


def status(supports: int, refutes: int, indicators: list[bool]) -> str:
    """A configuration's status by the protocol's rule (``protocol.yml``, ``realist``)."""
    rule = protocol.current().realist
    speaking = supports + refutes
    if speaking < rule.min_participants and not indicators:
        return "untested"
    if refutes > supports or (indicators and not any(indicators) and supports < rule.min_participants):
        return "refuted"
    if supports >= rule.min_participants and refutes / speaking <= rule.max_refuting_share and all(indicators):
        return "supported"
    return "mixed"


def counts_text(evidence: dict[str, object]) -> str:
    """The participants behind a configuration, for the page (``c`` for 1 to 5)."""
    parts = [
        f"{show_count(evidence[key])} {label}"
        for key, label in (("supports", "supporting"), ("refutes", "refuting"), ("mixed", "qualifying or mixed"))
    ]
    return ", ".join(parts)
