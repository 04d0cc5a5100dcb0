"""Policy notes: a region's zone and what it requires, officials' notes, and recent changes."""

from __future__ import annotations

from functools import partial

import streamlit as st

from ui import access, common
from ui.measures import level_note, show_measures
from zoning.core.i18n import pick, t, tn
from zoning.core.text import escape_markdown
from zoning.model import decisions as D
from zoning.render import presentation
from zoning.views import decisions, policy

RECENT_DAYS = 7
NEW_NOTE = 0  # note ids start at 1

lg = common.lang()
store = common.store()
scheme = common.pick_scheme(lg)
level = common.pick_level(store, scheme, lg)
day = common.pick_date(store, level, lg)

st.title(t("policy.title", lg))
st.caption(t("policy.intro", lg))
common.data_note(store, lg)
level_note(store, scheme, level, lg)  # e.g. PPKM Mikro at village level

# --- the region (from the selectbox or ?region=) -----------------------------------------
choices = policy.region_choices(store, level)
codes = list(choices)
wanted = policy.region_from_param(st.query_params.get("region"), choices)
region = st.selectbox(
    t("policy.choose_region", lg), codes, index=codes.index(wanted) if wanted else 0,
    format_func=lambda c: f"{choices[c]} ({c})", key=f"policy_region_{level}",
)  # fmt: skip
st.query_params["region"] = region

# --- its zone, when it changed, and what the zone requires ------------------------------
public = access.public_view(level)  # small numbers as ranges for anyone but analysts
status = policy.zone_status(store, scheme, level, region, day, public=public, lang=lg)
st.header(escape_markdown(choices[region]))
left, right = st.columns(2)
with left:
    st.markdown(f"**{t('policy.current_zone', lg, day=day.date())}**")
    swatch = presentation.swatch_html(
        scheme.zone_colour(status.zone_index),
        scheme.zone_label(status.zone_index, lg),
    )
    st.markdown(f"<div style='font-size:1.4em'>{swatch}</div>", unsafe_allow_html=True)
    for line in decisions.state_lines(
        scheme, lg, decision=status.decision, decided_by=status.decided_by,
        decided_on=status.decided_on, computed_index=status.computed_index,
    ):  # fmt: skip
        st.markdown(f"*{escape_markdown(line)}*")  # the name is user input: text
    if status.reason:
        st.caption(t("decisions.reason", lg))
        st.text(status.reason)
    if status.changed_on is not None:
        previous = scheme.zone_label(status.previous_index, lg)
        st.markdown(
            t("policy.since", lg, day=status.changed_on.date(), previous=escape_markdown(previous))
        )
    else:
        st.markdown(t("policy.never_changed", lg))
    if status.computed_since is not None:  # the zone follows a decision: the computed one beside
        since = status.computed_since.date()
        if status.decision in (D.CONFIRMED, D.OVERRIDDEN):  # the lines above name it
            st.caption(t("decisions.computed_since_day", lg, day=since))
        else:
            computed = escape_markdown(scheme.zone_label(status.computed_index, lg))
            st.caption(t("decisions.computed_since", lg, zone=computed, day=since))
    if not status.window_complete:
        st.warning(t("policy.incomplete_note", lg))
    elif status.provisional:
        st.info(t("policy.provisional_note", lg))
    st.caption(t("policy.figures", lg))
    st.markdown(presentation.html_list(policy.metric_lines(status, lg)), unsafe_allow_html=True)
    if public:
        access.privacy_note(lg)
with right:
    st.markdown(f"**{t('policy.measures', lg)}**")
    show_measures(scheme, status.zone_index, lg, "policy.zone_description")
    if scheme.notes:
        st.markdown(f"**{t('policy.scheme_notes', lg)}**")
        st.markdown(presentation.paragraph_html(pick(scheme.notes, lg)), unsafe_allow_html=True)

# --- notes by officials (user input: always shown as plain text) -------------------------
st.header(t("policy.notes", lg))
threads = policy.note_threads(store, region)
if not threads:
    st.caption(t("policy.no_notes", lg))
for thread in threads:
    with st.container(border=True):
        st.markdown(presentation.note_heading_html(thread.current), unsafe_allow_html=True)
        st.text(thread.current.text)
        if thread.earlier:
            with st.expander(t("policy.earlier_versions", lg, n=len(thread.earlier))):
                for note in thread.earlier:
                    st.markdown(presentation.note_heading_html(note), unsafe_allow_html=True)
                    st.text(note.text)


def note_form(region: str, threads: list[policy.NoteThread], who: str) -> None:
    """Write a note, or edit one (a new version that supersedes it), signed by ``who``."""
    current = {th.current.id: th.current for th in threads}
    chooser = f"note_target_{region}"
    target = st.selectbox(
        t("policy.which_note", lg), [NEW_NOTE, *current], key=chooser,
        format_func=lambda i: t("policy.new_note", lg) if i == NEW_NOTE
        else t("policy.edit_of", lg, heading=policy.note_label(current[i])),
    )  # fmt: skip
    if target != NEW_NOTE:
        st.caption(t("policy.edit_hint", lg))
    with st.form(f"note_form_{region}_{target}", clear_on_submit=True):
        text = st.text_area(
            t("policy.text", lg), value=current[target].text if target else "",
            max_chars=policy.MAX_NOTE_CHARS,
        )  # fmt: skip
        submitted = st.form_submit_button(t("policy.save", lg), type="primary")
    if st.session_state.pop("note_saved", False):
        st.success(t("policy.saved", lg))
    if submitted:
        try:
            policy.save_note(store, region, who, text, supersedes=target or None)
        except policy.NoteError as exc:
            st.error(t(f"policy.{exc.key}", lg))
        else:
            st.session_state["note_saved"] = True
            st.session_state.pop(chooser, None)  # back to "a new note"
            st.rerun()


st.subheader(t("policy.write_note", lg))
who = access.require_analyst(lg, key="note")  # only analysts write notes, signed as themselves
if who is None:
    st.caption(t("auth.read_only", lg))
else:
    st.caption(t("policy.author", lg, who=escape_markdown(who)))
    note_form(region, threads, who)

# --- confirm or override the zone (analysts; every decision kept) -------------------------


def decision_form(region: str, who: str) -> None:
    """Confirm the computed zone of ``region`` from a day, or override it with a reason."""
    zones = list(scheme.zone_ids)
    computed = status.computed_index if status.computed_index >= 0 else 0
    with st.form(f"decision_form_{region}", clear_on_submit=True):
        start = st.date_input(t("decisions.start", lg), value=day.date(), key="decision_start")
        end = st.date_input(t("decisions.end", lg), value=None, key="decision_end")
        zone = st.selectbox(
            t("decisions.zone", lg), zones, index=computed, key="decision_zone",
            format_func=lambda z: scheme.zone_id_label(z, lg),
        )  # fmt: skip
        reason = st.text_area(t("decisions.reason_input", lg), key="decision_reason")
        sent = st.form_submit_button(t("decisions.submit", lg))
    if st.session_state.pop("decision_saved", False):
        st.success(t("decisions.saved", lg))
    if sent:
        try:
            decisions.record(store, scheme, region, start, who, zone=zone, reason=reason, end=end)
        except decisions.DecisionError as exc:
            st.error(t(f"decisions.{exc.key}", lg, **exc.values))
        else:
            st.session_state["decision_saved"] = True
            st.rerun()


st.subheader(t("decisions.form_title", lg))
st.caption(t("decisions.form_help", lg))
decider = access.analyst()  # signed in on the note form above: one way in per page
if decider is None:
    st.caption(t("decisions.sign_in_above", lg))
else:
    st.caption(t("decisions.signed_as", lg, who=escape_markdown(decider)))
    decision_form(region, decider)
    kept = decisions.history(store, region)
    if not kept.empty:
        with st.expander(t("decisions.history", lg)):
            st.dataframe(decisions.history_table(kept, scheme, lg), hide_index=True)

# --- regions whose zone changed recently ---------------------------------------------------


def show_region(codes: list[str]) -> None:
    """A row picked in the table becomes the region shown above."""
    rows = st.session_state[f"recent_{level}"].selection.rows
    if rows:
        st.session_state[f"policy_region_{level}"] = codes[rows[0]]


st.header(t("policy.recent", lg, days=RECENT_DAYS))
changes = policy.recent_changes(store, scheme, level, day, days=RECENT_DAYS)
if changes.empty:
    st.info(
        t("policy.recent_none", lg, level=common.level_label(level, lg), days=RECENT_DAYS,
          day=day.date())
    )  # fmt: skip
else:
    st.caption(tn("policy.recent_caption", lg, len(changes), n=len(changes), day=day.date()))
    st.dataframe(
        policy.recent_changes_table(changes, scheme, lg), hide_index=True,
        on_select=partial(show_region, list(changes["code"])), selection_mode="single-row",
        key=f"recent_{level}",
    )  # fmt: skip
