"""What the policy and about pages say: a region's zone and its change, recent changes,
officials' notes, and schemes and rules put into words.

Plain functions of the store, a scheme and a language code (no Streamlit). Everything that
reaches a page as HTML is built here with :func:`zoning.core.text.escape_html`; notes are user
input and are returned as plain text for the page to show as text.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from zoning.core.i18n import DEFAULT_LANG, format_number, pick, strings, t
from zoning.model import metrics as M
from zoning.model.codes import try_normalise
from zoning.model.regions import LEVEL_LABELS, LEVELS, level_depth
from zoning.model.rollup import min_coverage
from zoning.model.schemes import NO_ZONE, Rule, Scheme, zone_changes
from zoning.store import Store
from zoning.views import analysis, cache, decisions, delays, published, service

MAX_NOTE_CHARS = 4000
MAX_AUTHOR_CHARS = 300  # an identity such as "oidc:<e-mail address>"

# --- regions and zones -------------------------------------------------------------------


def region_choices(store: Store, level: str) -> dict[str, str]:
    """Region code -> name for every region of ``level``, in code order."""
    frame = service.regions(store, level)
    return dict(zip(frame["code"], frame["name"], strict=True))


def region_from_param(value: object, choices: dict[str, str]) -> str | None:
    """The region a URL asks for (``33.74``, ``3374`` ...) if it is among ``choices``."""
    code = try_normalise(value) if value else None
    return code if code in choices else None


@dataclass(frozen=True)
class ZoneStatus:
    """A region's zone on a day, and when and from what it last changed."""

    code: str
    day: pd.Timestamp
    zone_index: int  # NO_ZONE: no zone on the day
    changed_on: pd.Timestamp | None  # first day of the current run of the same zone
    previous_index: int  # the zone before that change (NO_ZONE if it never changed)
    window_complete: bool
    provisional: bool
    values: dict[str, float | str]  # the metrics the scheme reads (text: a range, hidden)
    unreported: tuple[str, ...] = ()  # metrics the scheme reads that this level has no data for
    #: where the zone comes from (:data:`zoning.model.decisions.STATES`) and who decided
    decision: str = "unconfirmed"
    decided_by: str | None = None
    decided_on: str | None = None
    computed_index: int = NO_ZONE
    reason: str | None = None
    #: the first day of the computed zone's current run where it differs from the zone
    #: shown (a decision), or was entered on another day than the zone shown
    computed_since: pd.Timestamp | None = None


def zone_status(
    store: Store, scheme: Scheme, level: str, code: str, day: object, public: bool = False,
    lang: str = DEFAULT_LANG,
) -> ZoneStatus:  # fmt: skip
    """The zone of ``code`` on ``day`` and its last change up to that day, of the zone shown
    (analysts' decisions applied, :func:`zoning.views.decisions.zone_history`), with the
    day the computed zone was entered beside it where they differ.

    ``public``: the figures as a public view shows them
    (:func:`zoning.views.published.public_zones`:
    small counts as ranges in ``lang``'s format); the zone is the same.
    """
    day = pd.Timestamp(day)
    zones = published.public_zones(store, scheme, level, day, lang, public=public)
    row = zones.set_index("code").loc[code]
    data = service.level_data(store, level)
    # the zone shown each day (decisions applied), and the computed one beside it
    history = decisions.zone_history(store, scheme, level, code, public=public)
    upto = history.iloc[: data.day_index(day) + 1]
    changes = zone_changes(upto["zone_index"].to_numpy())
    changed = int(changes.day[0])
    computed = upto["computed_index"].to_numpy()
    computed_start, shown_start = _run_start(computed), _run_start(upto["zone_index"].to_numpy())
    computed_since = None
    if computed_start is not None and (
        int(zone_changes(computed).current[0]) != int(changes.current[0])
        or computed_start != shown_start
    ):
        computed_since = pd.Timestamp(data.panel.dates[computed_start])
    return ZoneStatus(
        code=code,
        day=day,
        zone_index=int(row["zone_index"]),
        changed_on=pd.Timestamp(data.panel.dates[changed]) if changed >= 0 else None,
        previous_index=int(changes.previous[0]),
        window_complete=bool(row["window_complete"]),
        provisional=bool(row["provisional"]),
        values={m: row[m] if isinstance(row[m], str) else float(row[m]) for m in scheme.metrics},
        unreported=tuple(m for m in scheme.metrics if m not in data.metrics),
        decision=str(row["decision"]),
        decided_by=None if pd.isna(row["decided_by"]) else str(row["decided_by"]),
        decided_on=None if pd.isna(row["decided_on"]) else str(row["decided_on"]),
        computed_index=int(row["computed_zone_index"]),
        reason=None if pd.isna(row["decision_reason"]) else str(row["decision_reason"]),
        computed_since=computed_since,
    )


def _run_start(zones: np.ndarray) -> int | None:
    """The day (column) the current run of the latest known zone began: its last change
    (:func:`zoning.model.schemes.zone_changes`), else the first day with a zone; ``None``
    without one."""
    changed = int(zone_changes(zones).day[0])
    if changed >= 0:
        return changed
    known = np.flatnonzero(zones != NO_ZONE)
    return int(known[0]) if len(known) else None


RECENT_COLUMNS = ["code", "name", "changed_on", "previous_index", "previous", "zone_index", "zone"]


def recent_changes(
    store: Store, scheme: Scheme, level: str, day: object, days: int = 7
) -> pd.DataFrame:
    """Regions of ``level`` whose zone (as shown: analysts' decisions applied,
    :func:`zoning.views.decisions.zone_panel`) last changed in the ``days`` days up to ``day``.

    Days without a zone are skipped, as everywhere
    (:func:`zoning.model.schemes.zone_changes`): a change is a known zone that differs from
    the last known zone before it. Columns: ``code, name,
    changed_on, previous_index, previous, zone_index, zone`` (the zone since the change),
    latest change first.
    """
    data = service.level_data(store, level)
    j = data.day_index(day)
    # the zones shown: analysts' decisions applied
    changes = zone_changes(decisions.zone_panel(store, scheme, level)[:, : j + 1])
    rows = np.flatnonzero((changes.day >= 0) & (changes.day > j - days))
    names = service.regions(store, level).set_index("code")["name"]
    codes = data.panel.regions[rows]
    prev, now = changes.previous[rows], changes.current[rows]
    frame = pd.DataFrame(
        {
            "code": codes,
            "name": names.reindex(codes).to_numpy(),
            "changed_on": data.panel.dates[changes.day[rows]],
            "previous_index": prev.astype(int),
            "previous": scheme.zone_id_array(prev),
            "zone_index": now.astype(int),
            "zone": scheme.zone_id_array(now),
        },
        columns=RECENT_COLUMNS,
    )
    return frame.sort_values(["changed_on", "code"], ascending=[False, True], ignore_index=True)


def recent_changes_table(frame: pd.DataFrame, scheme: Scheme, lang: str) -> pd.DataFrame:
    """:func:`recent_changes` with the interface's column names, labels and arrows."""
    arrows = np.where(frame["zone_index"] > frame["previous_index"], "↑", "↓")
    return pd.DataFrame(
        {
            t("common.region", lang): frame["name"],
            t("policy.from_zone", lang): [
                scheme.zone_label(i, lang) for i in frame["previous_index"]
            ],
            t("policy.to_zone", lang): [
                f"{a} {scheme.zone_label(i, lang)}"
                for a, i in zip(arrows, frame["zone_index"], strict=True)
            ],
            t("policy.changed_on", lang): frame["changed_on"].dt.date,
            t("policy.code", lang): frame["code"],
        }
    )


def metric_lines(status: ZoneStatus, lang: str) -> list[str]:
    """'<metric>: <value>' for the metrics the scheme read on the day."""
    out = []
    for metric, value in status.values.items():
        if metric in status.unreported:
            shown = t("policy.not_reported", lang)
        elif isinstance(value, str):  # a range or 'hidden' (zoning.model.privacy)
            shown = value
        elif value == value:
            shown = format_number(value, lang, M.shown_decimals(metric))
        elif not status.window_complete:
            shown = t("common.incomplete", lang)
        else:
            shown = "–"
        out.append(f"{t(f'metrics.{metric}', lang)}: {shown}")
    return out


# --- notes -------------------------------------------------------------------------------


class NoteError(ValueError):
    """A note that cannot be saved; ``key`` names the message in ``policy.toml``."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class Note:
    id: int
    author: str
    created_at: dt.datetime
    text: str


@dataclass(frozen=True)
class NoteThread:
    """A current note and the earlier versions it replaced, newest first."""

    current: Note
    earlier: tuple[Note, ...]


def _note(row: pd.Series) -> Note:
    return Note(int(row["id"]), str(row["author"]), pd.Timestamp(row["created_at"]), row["text"])


def note_threads(store: Store, region: str) -> list[NoteThread]:
    """The current notes on ``region``, newest first, each with its superseded versions."""
    frame = store.notes(region)
    by_id = {int(r["id"]): r for _, r in frame.iterrows()}
    threads = []
    for _, row in frame[frame["current"]].iterrows():
        earlier = []
        seen = {int(row["id"])}
        parent = row["supersedes"]
        while parent == parent and parent is not None and int(parent) in by_id:
            if int(parent) in seen:  # a loop cannot be written by add_note; stop if found
                break
            seen.add(int(parent))
            earlier.append(_note(by_id[int(parent)]))
            parent = by_id[int(parent)]["supersedes"]
        threads.append(NoteThread(_note(row), tuple(earlier)))
    return threads


def save_note(
    store: Store, region: str, author: str, text: str, supersedes: int | None = None
) -> int:
    """Store a note (or an edit of the current note ``supersedes``); return its id.

    Raises :class:`NoteError` for an empty or too long note or author, and when the note
    being edited is not a current note of the region (someone else edited it meanwhile).
    """
    author, text = (author or "").strip(), (text or "").strip()
    if not author:
        raise NoteError("error_no_author")
    if not text:
        raise NoteError("error_empty")
    if len(author) > MAX_AUTHOR_CHARS or len(text) > MAX_NOTE_CHARS:
        raise NoteError("error_too_long")
    if supersedes is not None:
        notes = store.notes(region)
        current = notes.loc[notes["current"], "id"].astype(int)
        if int(supersedes) not in set(current):
            raise NoteError("error_conflict")
    return store.add_note(region, author, text, supersedes=supersedes)


def note_heading(note: Note) -> str:
    """'<author> · <UTC time>' (plain text: the author is user input)."""
    return f"{note.author} · {pd.Timestamp(note.created_at):%Y-%m-%d %H:%M} UTC"


def note_label(note: Note, width: int = 60) -> str:
    """A short one-line label of a note for a chooser (plain text)."""
    text = " ".join(note.text.split())
    text = text if len(text) <= width else text[: width - 1] + "…"
    return f"{note_heading(note)} — {text}"


def has_measures(scheme: Scheme) -> bool:
    """Whether any zone of the scheme sets measures."""
    return any(any(z.measures.values()) for z in scheme.zones)


def zone_measures(scheme: Scheme, index: int, lang: str) -> tuple[list[str], str | None]:
    """What zone ``index`` of ``scheme`` requires: ``(measures, None)``, or no measures and
    the sentence that says why (no zone on the day, none for this zone, or a scheme that
    sets none at all)."""
    if index == NO_ZONE:
        return [], t("policy.no_zone_measures", lang)
    measures = list(scheme.zones[index].measures.get(lang, ()))
    if measures:
        return measures, None
    if has_measures(scheme):
        return [], t("policy.no_zone_measures_scheme", lang)
    return [], t("policy.scheme_sets_none", lang, scheme=pick(scheme.name, lang))


# --- where a scheme means something ---------------------------------------------------------


def nearest_scheme_level(scheme: Scheme, level: str | None, available: list[str]) -> str | None:
    """The level to show ``scheme`` at when a person chooses it while at ``level``.

    ``level`` itself where the scheme applies (or none of its levels is ``available``);
    otherwise the scheme's available level nearest to it, the finer one on a tie (PPKM
    Mikro, for RTs only, moves any level to RT).
    """
    mine = [lv for lv in scheme.levels if lv in available]
    if not mine or level in mine:
        return level
    if level not in LEVELS:
        return mine[-1]
    depth = LEVELS.index(level)
    return min(mine, key=lambda lv: (abs(LEVELS.index(lv) - depth), -LEVELS.index(lv)))


def default_level(store: Store, scheme: Scheme) -> str:
    """The top level below the province that has regions and counts at or below it.

    Levels the scheme was designed for are preferred (``regency`` for the demo province).
    """
    levels = store.levels()
    counted = service.counted_levels(store)
    if not levels:
        raise LookupError("the store has no regions")
    deepest = max((level_depth(lv) for lv in counted), default=0)
    usable = [lv for lv in levels if lv != "province" and level_depth(lv) <= deepest]
    preferred = [lv for lv in usable if lv in scheme.levels]
    return (preferred or usable or levels)[0]


def scheme_figures(scheme: Scheme) -> tuple[str, ...]:
    """The figures a region needs for a zone: the scheme's required metrics, else any one of
    its metrics."""
    return scheme.requires or scheme.metrics


def level_coverage(store: Store, scheme: Scheme, level: str) -> tuple[int, int]:
    """How many of the regions of ``level`` that have data have, on some day, the figures
    ``scheme`` needs (:func:`scheme_figures`), and how many regions there are."""

    def build() -> tuple[int, int]:
        data = service.level_data(store, level)
        none = np.zeros(len(data.panel.regions), dtype=bool)
        has = [
            ~np.isnan(np.asarray(data.metrics[m], dtype=float)).all(axis=1)
            if m in data.metrics else none
            for m in scheme_figures(scheme)
        ]  # fmt: skip
        every = np.logical_and.reduce(has) if scheme.requires else np.logical_or.reduce(has)
        return int(every.sum()), len(none)

    return cache.cached(cache.key(store, "coverage", scheme.id, scheme.metrics, level), build)


def level_fit(
    scheme: Scheme, level: str, coverage: tuple[int, int], available: list[str], lang: str
) -> tuple[str, str] | None:
    """Whether ``scheme`` means something at ``level``, in words, for the page.

    Parameters
    ----------
    scheme, level
        The view.
    coverage
        :func:`level_coverage`: regions with the figures the scheme needs, and all regions.
    available
        The levels the store has regions at.

    Returns
    -------
    tuple or None
        ``None`` where the scheme applies; ``("no_data", text)`` where none or fewer than
        half of the regions have the figures it needs (they show no data), saying what it
        would take; ``("indicative", text)`` where the scheme was made for other levels.
    """
    names = LEVEL_LABELS[lang]
    mine = [lv for lv in scheme.levels if lv in available] or list(scheme.levels)
    levels = ", ".join(names[lv] for lv in mine)
    covered, total = coverage
    if total and covered * 2 < total:
        common = {
            "scheme": pick(scheme.name, lang), "level": names[level],
            "metrics": "; ".join(t(f"metrics.{m}", lang) for m in scheme_figures(scheme)),
        }  # fmt: skip
        if covered:
            text = t("levels.few_data", lang, n=covered, total=total, **common)
        else:
            text = t("levels.no_data", lang, **common)
        if level not in mine:
            text += " " + t("levels.choose", lang, levels=levels)
        if scheme.elsewhere:
            text += " " + pick(scheme.elsewhere, lang)
        return "no_data", text
    if level not in scheme.levels:
        return "indicative", t("common.scheme_level_warning", lang, levels=levels)
    return None


# --- schemes in words --------------------------------------------------------------------

NBSP = "\u00a0"  # keeps a comparison sign with its number when a line wraps
_OP_SIGNS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "=", "!=": "≠"}


def _number(value: float, lang: str) -> str:
    text = f"{value:g}"
    decimals = len(text.split(".")[1]) if "." in text and "e" not in text else 0
    return format_number(value, lang, decimals)


def metric_phrase(metric: str, lang: str) -> str:
    """A metric's name as it reads inside a sentence (its label if no sentence form)."""
    if f"policy.metric_{metric}" in strings():
        return t(f"policy.metric_{metric}", lang)
    label = t(f"metrics.{metric}", lang)
    return label[:1].lower() + label[1:]


def describe_condition(node: tuple, lang: str) -> str:
    """A parsed condition of the rule language in words."""
    kind = node[0]
    if kind == "cmp":
        side = [
            metric_phrase(n[1], lang) if n[0] == "name" else _number(n[1], lang) for n in node[2:]
        ]
        return f"{side[0]} {_OP_SIGNS[node[1]]}{NBSP}{side[1]}"
    if kind == "not":
        return f"{t('policy.word_not', lang)} ({describe_condition(node[1], lang)})"
    parts = []
    for child in node[1:]:
        text = describe_condition(child, lang)
        nested = child[0] in ("and", "or") and child[0] != kind
        parts.append(f"({text})" if nested else text)
    return f" {t(f'policy.word_{kind}', lang)} ".join(parts)


def describe_rule(scheme: Scheme, rule: Rule, lang: str) -> str:
    """One rule of a scheme in words, most severe zone first."""
    label = scheme.zone_labels(lang)
    if rule.metric is None:
        return t(
            "policy.rule_at_least", lang, zone=label[rule.zone],
            condition=describe_condition(rule.when, lang),
        )  # fmt: skip
    op = ">" if rule.strict else "≥"
    steps = [
        (label[z], f"{op}{NBSP}{_number(v, lang)}")
        for z, v in zip(rule.cut_zones, rule.cuts, strict=True)
    ][::-1]
    metric = metric_phrase(rule.metric, lang)
    parts = [t("policy.rule_first", lang, zone=steps[0][0], metric=metric, cmp=steps[0][1])]
    parts += [t("policy.rule_next", lang, zone=z, cmp=c) for z, c in steps[1:]]
    parts.append(t("policy.rule_floor", lang, zone=label[rule.floor]))
    text = "; ".join(parts) + "."
    if rule.when is not None:
        text = t("policy.rule_when", lang, condition=describe_condition(rule.when, lang), rule=text)
    return text[:1].upper() + text[1:]


def describe_rules(scheme: Scheme, lang: str) -> list[str]:
    """Every rule of ``scheme`` in words, in the scheme's order."""
    return [describe_rule(scheme, rule, lang) for rule in scheme.rules]


def rules_footnote(scheme: Scheme, lang: str) -> str:
    """How the rules combine, and which metrics a zone cannot do without."""
    text = t("policy.rules_combine", lang)
    if scheme.requires:
        needed = ", ".join(metric_phrase(m, lang) for m in scheme.requires)
        text += " " + t("policy.rules_require", lang, metrics=needed)
    return text


_SOURCE_FIELDS = ("title", "publisher", "url", "adopted_by", "measures", "note")


def source_lines(scheme: Scheme, lang: str) -> list[tuple[str, str]]:
    """``(label, value)`` for every field of a scheme's source, known fields first."""
    keys = [k for k in _SOURCE_FIELDS if k in scheme.source]
    keys += [k for k in scheme.source if k not in _SOURCE_FIELDS]
    return [
        (t(f"about.source_{k}", lang) if k in _SOURCE_FIELDS else k, scheme.source[k]) for k in keys
    ]


def scheme_facts(scheme: Scheme, lang: str) -> list[tuple[str, str]]:
    """When a scheme is in force, the levels it is meant for and the indicators it reads."""
    return [
        (t("about.effective", lang), effective_text(scheme, lang)),
        (t("about.levels", lang), ", ".join(LEVEL_LABELS[lang][lv] for lv in scheme.levels)),
        (t("about.metrics", lang), "; ".join(t(f"metrics.{m}", lang) for m in scheme.metrics)),
    ]


def effective_text(scheme: Scheme, lang: str) -> str:
    """When a scheme was in force, in words."""
    start, until = scheme.effective_from, scheme.effective_until
    if start and until:
        return t("about.effective_between", lang, start=start.isoformat(), until=until.isoformat())
    if start:
        return t("about.effective_from", lang, start=start.isoformat())
    if until:
        return t("about.effective_until", lang, until=until.isoformat())
    return t("about.effective_unknown", lang)


# --- where the data come from, and the method ----------------------------------------------


def is_demo(store: Store) -> bool:
    """Whether the store holds the built-in demo."""
    uploads = store.uploads()
    return bool((uploads["kind"] == "demo").any()) if len(uploads) else False


def boundary_source(store: Store) -> str | None:
    """Where the store's boundaries come from, as a map shows it (plain text), if known."""
    return store.meta().get("attribution") or None


def data_sources(store: Store, lang: str) -> list[str]:
    """Where the store's data come from, as plain-text lines."""
    lines = []
    raw = store.meta().get("source") or ""
    if is_demo(store):  # the demo's facts, one per line (its stored source says the same)
        lines += [t(f"about.demo_{k}", lang) for k in ("codes", "population", "shapes", "counts")]
    elif raw:
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        lines.append(pick(value, lang) if isinstance(value, dict) else str(value))
    uploads = store.uploads()
    real = uploads[uploads["kind"] != "demo"] if len(uploads) else uploads
    if len(real):
        lines.append(t("about.uploads", lang, n=len(real)))
    return lines


def method_points(lang: str, store: Store | None = None) -> list[str]:
    """The method in a few sentences, with the numbers the library really uses; with a
    ``store``, the provisional period its reports give at each level counts are reported at."""
    keys = ("window", "incomplete", "provisional", "rollup", "per_100k", "classify")
    coverage = format_number(100 * min_coverage(), lang, decimals=0) + " %"
    points = [
        t(f"about.method_{k}", lang, window=M.WINDOW, lag=M.DEFAULT_LAG_DAYS, coverage=coverage)
        for k in keys
    ]
    counted = service.counted_levels(store) if store is not None else ()
    for level in reversed(counted):  # each level counts are reported at, finest first
        period = delays.provisional_period(store, service.counted_below(store, level))
        text = delays.period_text(period, lang)
        label = LEVEL_LABELS[lang][level]
        points.insert(3, t("about.method_period_now", lang, level=label, period=text))
    return points


def analysis_points(lang: str) -> list[str]:
    """How smoothed rates, uncertain zones, hot spots, Rt and hysteresis are computed, with
    their references and the serial interval the pages really use; and how a computed zone
    becomes a confirmed one."""
    mean, sd = (format_number(v, lang, 1) for v in analysis.serial_interval_setting())
    keys = ("smoothing", "uncertain", "hotspots", "rt", "nowcast", "hysteresis", "small_levels")
    points = [t(f"about.analysis_{k}", lang, mean=mean, sd=sd) for k in keys]
    return [*points, t("about.analysis_confirmed", lang)]
