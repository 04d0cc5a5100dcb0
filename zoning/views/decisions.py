"""Confirmed zones: record an analyst's decision, and the zone each region shows on a day.

An analyst confirms a region's computed zone for a period, or overrides it with another
zone and a reason (:func:`record`). The zone a region shows on a day is the decision that
stands then (:func:`zoning.model.decisions.covering`), else the computed zone, which is
public only when the setting :data:`ENV_PUBLISH` allows it (default: yes, marked "computed,
not yet confirmed"); otherwise such a region shows no zone ("awaiting confirmation").
:func:`zoning.views.published.public_zones` applies this (:func:`apply`) to every public
output. Names and reasons are user input: plain text, for the page to escape.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from zoning.core.errors import InputError
from zoning.core.i18n import t
from zoning.model import decisions as D
from zoning.model.schemes import NO_ZONE, Scheme
from zoning.store import Store
from zoning.views import cache, service

#: ``0``/``no``/``false``: computed zones nobody confirmed are not public.
ENV_PUBLISH = "ZONING_PUBLISH_UNCONFIRMED"
MAX_REASON_CHARS = 2000
MAX_NAME_CHARS = 300

#: Columns :func:`apply` adds to a zones table.
COLUMNS = (
    "decided_zone", "computed_zone", "computed_zone_index", "decision", "decided_by",
    "decided_on", "decision_reason", "decision_start", "decision_end",
)  # fmt: skip

#: The columns a zones table and its exports (``zones --decisions``, the API, the map's CSV)
#: append, in this order: the standing decision's zone (empty without one), the computed
#: zone, the state (:data:`zoning.model.decisions.STATES`), who decided and on which day
#: (UTC). Public like the map's "confirmed by ... on ...": see :func:`apply`.
EXPORTED = ("decided_zone", "computed_zone", "decision", "decided_by", "decided_on")


class DecisionError(InputError):
    """A decision that cannot be kept; ``key`` names its message in ``decisions.*`` strings."""

    def __init__(self, key: str, message: str, column: str, **values: object):
        super().__init__(message, column=column)
        self.key, self.values = key, values


def unconfirmed_public() -> bool:
    """Whether computed zones nobody confirmed are public (:data:`ENV_PUBLISH`, default yes)."""
    value = os.environ.get(ENV_PUBLISH, "1").strip().lower()
    return value not in ("0", "no", "false", "off")


def region_level(store: Store, region: str) -> str:
    """The level of region ``region``; :class:`DecisionError` when the store has no such region."""
    frame = service.regions(store)
    found = frame.loc[frame["code"] == region, "level"]
    if found.empty:
        raise DecisionError(
            "error_region", f"no region {region!r} in the store (see 'regions list')", "region",
            region=region,
        )  # fmt: skip
    return str(found.iloc[0])


def computed_zone(store: Store, scheme: Scheme, region: str, day: object) -> str | None:
    """The zone ``scheme`` computes for ``region`` on ``day`` (``None``: no zone)."""
    level = region_level(store, region)
    zones = service.zones_on(store, scheme, level, pd.Timestamp(day))
    zone = zones.set_index("code").loc[region, "zone"]
    return None if zone is None or pd.isna(zone) else str(zone)


def record(
    store: Store, scheme: Scheme, region: str, start: object, who: str, *,
    zone: str | None = None, reason: str | None = None, end: object = None,
) -> int:  # fmt: skip
    """Keep a decision on the zone of ``region`` under ``scheme`` from ``start`` (to ``end``,
    open when ``None``): without ``zone``, or with the computed zone, a confirmation; with
    another zone an override, which needs a ``reason``. Returns the decision's id.

    Raises :class:`DecisionError` (naming the field) for an unknown region or zone, a
    missing reason or name, a date outside the data, or a confirmation of no zone.
    """
    who, reason = (who or "").strip(), (reason or "").strip() or None
    if not who:
        raise DecisionError("error_who", "the decision needs the name of who made it", "who")
    if len(who) > MAX_NAME_CHARS or len(reason or "") > MAX_REASON_CHARS:
        raise DecisionError(
            "error_too_long", f"the name or reason is too long (at most {MAX_REASON_CHARS} "
            "characters)", "reason",
        )  # fmt: skip
    level = region_level(store, region)
    if level not in scheme.levels:
        raise DecisionError(
            "error_level", f"the scheme {scheme.id} does not zone the {level} level "
            f"(its levels: {', '.join(scheme.levels)})", "scheme", level=level,
        )  # fmt: skip
    try:
        day = pd.Timestamp(start).normalize()
        until = None if end is None or end == "" else pd.Timestamp(end).normalize()
    except (ValueError, TypeError):
        raise DecisionError("error_date", "a date must be YYYY-MM-DD", "date") from None
    if until is not None and until < day:
        raise DecisionError("error_period", "the period ends before it starts", "until")
    try:
        computed = computed_zone(store, scheme, region, day)
    except (LookupError, IndexError):
        raise DecisionError(
            "error_day", f"the store has no data for {day:%Y-%m-%d}", "date", day=f"{day:%Y-%m-%d}"
        ) from None
    if zone is not None and zone not in scheme.zone_ids:
        raise DecisionError(
            "error_zone", f"{zone!r} is not a zone of {scheme.id}; its zones are "
            f"{', '.join(scheme.zone_ids)}", "zone", zones=", ".join(scheme.zone_ids),
        )  # fmt: skip
    decided = zone if zone is not None else computed
    if decided is None:
        raise DecisionError(
            "error_no_zone", f"{region} has no computed zone on {day:%Y-%m-%d} to confirm: "
            "give the zone and a reason", "zone",
        )  # fmt: skip
    action = "confirm" if decided == computed else "override"
    if action == "override" and not reason:
        raise DecisionError(
            "error_reason", f"overriding the computed zone ({computed or 'none'}) with "
            f"{decided} needs a reason", "reason",
        )  # fmt: skip
    return store.add_decision(
        region=region, scheme=scheme.id, level=level, start=day, end=until,
        computed_zone=computed, zone=decided, action=action, reason=reason, decided_by=who,
    )  # fmt: skip


def history(store: Store, region: str | None = None) -> pd.DataFrame:
    """Every decision kept (of ``region``), oldest first: ``id, region, scheme, level, start,
    end, computed_zone, zone, action, reason, decided_by, decided_at, superseded,
    superseded_days``. ``superseded``: later decisions cover all of its period;
    ``superseded_days``: the days of its period they cover (all or part of it), as
    :func:`period_text` writes them (empty: it stands on every day of its period)."""
    frame = store.decisions(region=region)
    periods = D.superseded_periods(frame)
    return frame.assign(
        superseded=D.superseded(frame, periods).to_numpy(dtype=bool),
        superseded_days=[period_text(spans) for spans in periods],
    )


def period_text(spans: list[tuple]) -> str:
    """Periods ``(first, last)`` as ISO 8601 intervals joined by ``;``:
    ``2021-07-12/2021-07-16;2021-07-20/..`` (``..``: open-ended); empty without one."""
    return ";".join(
        f"{first:%Y-%m-%d}/{'..' if last is None else f'{last:%Y-%m-%d}'}" for first, last in spans
    )


def zone_history(
    store: Store, scheme: Scheme, level: str, code: str, *, public: bool
) -> pd.DataFrame:
    """The zone ``code`` showed on each day (``date, zone_index, zone``: a standing decision's,
    else the computed one, or none while awaiting confirmation; see :func:`apply`), with
    ``computed_index`` beside it (``NO_ZONE`` for the public while awaiting) and ``decision``
    (:data:`zoning.model.decisions.STATES`). Cached by data version and decisions."""
    key = cache.key(store, "decided-history", scheme.id, level, code, public, decided=True)
    return cache.cached(key, lambda: _zone_history(store, scheme, level, code, public), "view")


def zone_panel(
    store: Store, scheme: Scheme, level: str, computed: tuple[str, np.ndarray] | None = None
) -> np.ndarray:
    """:func:`zoning.views.service.zone_panel` as shown: the zone of every region x day of
    ``level`` with analysts' decisions applied (a standing decision's zone; none while
    awaiting confirmation, :func:`apply`). The computed panel itself when no decision and
    no setting changes it (no copy). Read-only; cached by data version and decisions.

    ``computed``: another panel of computed zones to lay the decisions over, with its name
    for the cache (the zones with the scheme's hysteresis, for the changes that alerts and
    bulletins announce: :func:`zoning.views.analysis.zone_changes`)."""
    name, base = computed or ("computed", None)
    key = cache.key(store, "decided-panel", scheme.id, level, name, decided=True)
    return cache.cached(key, lambda: _zone_panel(store, scheme, level, base))


def _zone_panel(
    store: Store, scheme: Scheme, level: str, computed: np.ndarray | None = None
) -> np.ndarray:
    if computed is None:
        computed = service.zone_panel(store, scheme, level)
    kept = store.decisions(scheme=scheme.id, level=level)
    if kept.empty and unconfirmed_public():
        return computed
    panel = computed.copy() if unconfirmed_public() else np.full_like(computed, NO_ZONE)
    data = service.level_data(store, level)
    rows = pd.Index(data.panel.regions)
    zone_ids = list(scheme.zone_ids)
    for region, own in kept.groupby("region", sort=False):
        i = rows.get_indexer([region])[0]
        if i < 0:
            continue
        own = own.reset_index(drop=True)
        standing = D.daily(own, data.panel.dates)
        decided = np.array([zone_ids.index(z) if z in zone_ids else NO_ZONE for z in own["zone"]])
        has = standing >= 0
        panel[i, has] = decided[standing[has]]
    panel.flags.writeable = False
    return panel


def _zone_history(store: Store, scheme: Scheme, level: str, code: str, public: bool):
    computed = service.zone_history(store, scheme, level, code)
    kept = store.decisions(region=code, scheme=scheme.id, level=level)
    standing = D.daily(kept, pd.DatetimeIndex(computed["date"]))
    has = standing >= 0
    found = kept.iloc[np.maximum(standing, 0)] if len(kept) else None
    zone_ids = list(scheme.zone_ids)
    index = computed["zone_index"].to_numpy().astype(int)
    if found is not None:
        decided = np.array([zone_ids.index(z) if z in zone_ids else NO_ZONE for z in found["zone"]])
        overridden = has & (found["action"].to_numpy(object) == "override")
    else:
        decided, overridden = np.full(len(index), NO_ZONE), np.zeros(len(index), bool)
    state = D.states(has, overridden, unconfirmed_public())
    awaiting = state == D.AWAITING
    shown = np.where(has, decided, np.where(awaiting, NO_ZONE, index)).astype(int)
    beside = np.where(awaiting & public, NO_ZONE, index).astype(int)
    return pd.DataFrame({
        "date": computed["date"], "zone_index": shown, "zone": scheme.zone_id_array(shown),
        "computed_index": beside, "decision": state,
    })  # fmt: skip


def apply(
    store: Store, scheme: Scheme, level: str, day: object, zones: pd.DataFrame, *, public: bool
) -> pd.DataFrame:
    """``zones`` (a zones table of ``level`` on ``day``) with the zone each region shows:
    the standing decision's, else the computed one, or none (``awaiting``) when unconfirmed
    zones are not public; ``public`` (a masked table) then hides the computed zone too.
    Adds :data:`COLUMNS`: the computed zone, the state
    (:data:`zoning.model.decisions.STATES`), who decided, on which day (UTC), why, and the
    decision's period."""
    standing = D.covering(store.decisions(scheme=scheme.id, level=level), day)
    fields = ["id", "zone", "action", "reason", "decided_by", "decided_at", "start", "end"]
    found = standing.reindex(columns=fields).reindex(zones["code"].to_numpy())
    has = found["id"].notna().to_numpy()
    overridden = has & (found["action"].to_numpy(object) == "override")
    out = zones.copy(deep=False)  # copy on write: names, codes and figures stay shared
    out["decided_zone"] = np.where(has, found["zone"].to_numpy(object), None)
    out["computed_zone"] = out["zone"]
    out["computed_zone_index"] = out["zone_index"]
    out["decision"] = D.states(has, overridden, unconfirmed_public())
    decided = found["zone"].to_numpy(object)
    index = pd.Index(list(scheme.zone_ids), dtype=object).get_indexer(decided)
    index[index < 0] = NO_ZONE  # no decision, or a zone the scheme no longer has
    out["zone"] = np.where(has, decided, out["zone"].to_numpy(object))
    out["zone_index"] = np.where(has, index, out["zone_index"].to_numpy()).astype(int)
    # a region awaiting confirmation has no zone; only an exact (analyst's) table keeps the
    # computed one in ``computed_zone``, for the analyst to confirm
    awaiting = out["decision"].to_numpy() == D.AWAITING
    hidden = ("zone", "computed_zone") if public else ("zone",)
    for name in hidden:
        out[name] = np.where(awaiting, None, out[name].to_numpy(object))
        index = f"{name}_index"
        out[index] = np.where(awaiting, NO_ZONE, out[index].to_numpy()).astype(int)
    out["decided_by"] = np.where(has, found["decided_by"].to_numpy(object), None)
    out["decision_reason"] = np.where(has, found["reason"].to_numpy(object), None)
    for name, source in (
        ("decided_on", "decided_at"), ("decision_start", "start"), ("decision_end", "end")
    ):  # fmt: skip
        text = np.full(len(out), None, dtype=object)  # only the regions with a decision
        when = pd.to_datetime(found[source][has], errors="coerce")
        text[has] = np.where(when.notna().to_numpy(), when.dt.strftime("%Y-%m-%d"), None)
        out[name] = text
    return out


def state_lines(
    scheme: Scheme, lang: str, *, decision: str, decided_by: object, decided_on: object,
    computed_index: int,
) -> list[str]:  # fmt: skip
    """What a region's zone rests on, in words (plain text: the name is user input): "confirmed
    by <who> on <day>", "decided by ..." and the computed zone beside an override,
    "computed, not yet confirmed" or "awaiting confirmation"."""
    if decision == D.CONFIRMED:
        return [t("decisions.confirmed_by", lang, who=decided_by, day=decided_on)]
    if decision == D.OVERRIDDEN:
        computed = scheme.zone_label(int(computed_index), lang)
        return [
            t("decisions.overridden_by", lang, who=decided_by, day=decided_on),
            t("decisions.computed_beside", lang, zone=computed),
        ]
    return [t(f"decisions.{decision}", lang)]


def history_table(kept: pd.DataFrame, scheme: Scheme, lang: str) -> pd.DataFrame:
    """The decisions of :func:`history` under ``scheme`` for a page, newest first: period,
    computed and decided zone in words, who, when (UTC), why (text) and whether it still
    stands (:func:`superseded_words`)."""
    rows = kept[kept["scheme"] == scheme.id].iloc[::-1]
    label = lambda z: scheme.zone_id_label(z if isinstance(z, str) else None, lang)  # noqa: E731
    return pd.DataFrame({
        t("decisions.start", lang): rows["start"].dt.strftime("%Y-%m-%d"),
        t("decisions.end", lang): rows["end"].dt.strftime("%Y-%m-%d").fillna(""),
        # beside the period (a wide table scrolls): which of its days still stand
        t("decisions.standing", lang): [
            superseded_words(whole, days, lang)
            for whole, days in zip(rows["superseded"], rows["superseded_days"], strict=True)
        ],
        t("decisions.zone", lang): rows["zone"].map(label),
        t("decisions.computed_col", lang): rows["computed_zone"].map(label),
        t("decisions.decided_by_col", lang): rows["decided_by"],
        t("decisions.decided_at_col", lang): rows["decided_at"].dt.strftime("%Y-%m-%d %H:%M"),
        t("decisions.reason", lang): rows["reason"].fillna(""),
    })  # fmt: skip


def superseded_words(whole: bool, days: str, lang: str) -> str:
    """Whether a decision still stands, in words: "stands", "superseded", or "partly
    superseded: 12 Jul 2021 – 16 Jul 2021 (...)" naming the days a later decision covers
    (``days``: :func:`period_text`)."""
    if whole:
        return t("decisions.superseded", lang)
    if not days:
        return t("decisions.stands", lang)
    spans = []
    for span in days.split(";"):
        first, last = span.split("/")
        spans.append(
            t("decisions.from_on", lang, first=first) if last == ".."
            else t("decisions.span", lang, first=first, last=last)
        )  # fmt: skip
    return t("decisions.partly_superseded", lang, days="; ".join(spans))
