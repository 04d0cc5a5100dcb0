"""Upload: analysts bring case counts, NIK line lists and boundary files into the store."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from ui import access, common
from zoning.core.errors import InputError
from zoning.core.i18n import t
from zoning.core.text import escape_markdown
from zoning.intake import uploads
from zoning.model.regions import LEVEL_LABELS, LEVELS

lg = common.lang()
store = common.store()

st.title(t("upload.title", lg))
st.caption(t("upload.intro", lg))
who = access.require_analyst(lg, key="upload")  # recorded with every upload
if who is None:
    st.stop()
st.caption(t("upload.author", lg, who=who))

kind = st.radio(
    t("upload.kind", lg), uploads.KINDS, format_func=lambda k: t(f"upload.kind_{k}", lg),
    key="upload_kind",
)  # fmt: skip
file = st.file_uploader(t("upload.file", lg), type=uploads.FILE_TYPES[kind], key=f"file_{kind}")
if file is None:
    st.stop()
data = file.getvalue()

# --- the analyst's choices ----------------------------------------------------------------
level = region = layer = covers = first = last = None
exclude_unverified = False
if kind == "regions":
    level = st.selectbox(
        t("common.level", lg), LEVELS, index=LEVELS.index("village"),
        format_func=lambda lv: LEVEL_LABELS[lg][lv],
    )  # fmt: skip
    layer = st.text_input(t("upload.layer", lg)) or None
elif kind == "counts":
    region = st.text_input(t("upload.one_region", lg)) or None
elif kind == "linelist":  # a register: what it covers, and its rows without a valid NIK
    st.caption(t("upload.register_help", lg))
    covers = st.text_input(t("upload.covers", lg), key="upload_covers") or None
    left, right = st.columns(2)
    today = dt.date.today()
    first = left.date_input(t("upload.covers_from", lg), value=None, max_value=today,
                            key="upload_from")  # fmt: skip
    last = right.date_input(t("upload.covers_to", lg), value=None, max_value=today,
                            key="upload_to")  # fmt: skip
    exclude_unverified = st.checkbox(t("upload.exclude_unverified", lg), key="upload_exclude")
mapping_key = f"mapping-{kind}-{file.name}-{len(data)}"
options = uploads.Options(
    kind, st.session_state.get(mapping_key), region, level, layer, covers, first, last,
    exclude_unverified,
)  # fmt: skip

try:
    with st.spinner(t("upload.reading", lg)):
        found = uploads.preview(store, data, file.name, options)
except InputError as exc:  # the file as a whole cannot be used: say why, no traceback
    st.error(t("upload.unreadable", lg, reason=escape_markdown(exc)))
    st.caption(t("upload.unreadable_help", lg))
    st.stop()

# --- column mapping -----------------------------------------------------------------------
choices = list(found.report.facts.get("headers") or uploads.header(data))
if kind != "regions" and choices:
    st.subheader(t("upload.mapping", lg))
    st.caption(t("upload.mapping_help", lg))
    fields = uploads.fields(kind)
    table = pd.DataFrame({"field": fields, "column": [found.columns.get(f, "") for f in fields]})
    column = st.column_config.SelectboxColumn(t("upload.column", lg), options=["", *choices])
    edited = st.data_editor(
        table, hide_index=True, use_container_width=True, disabled=["field"],
        column_config={
            "field": st.column_config.TextColumn(t("upload.field", lg)),
            "column": column,
        },
        key=f"editor-{mapping_key}",
    )  # fmt: skip
    chosen = {c: f for f, c in zip(edited["field"], edited["column"], strict=True) if c}
    if chosen != {c: f for f, c in found.columns.items()}:
        st.session_state[mapping_key] = chosen
        st.rerun()

# --- the report and a preview ---------------------------------------------------------------
report = found.report
if report.counts["error"]:
    st.error(t("upload.errors", lg, n=report.counts["error"]))
    st.dataframe(
        uploads.issues_table(report, "error", lg), hide_index=True, use_container_width=True
    )
if report.counts["warning"]:
    st.warning(t("upload.warnings", lg, n=report.counts["warning"]))
    st.dataframe(
        uploads.issues_table(report, "warning", lg), hide_index=True, use_container_width=True
    )
if not report.issues:
    st.success(t("upload.no_issues", lg))
for line in uploads.register_lines(report, lg):  # a line list: coverage, unverified share
    st.info(escape_markdown(line))
st.caption(t("upload.preview", lg, shown=len(found.rows), total=found.total))
if found.masked:
    st.caption(t("upload.masked", lg, columns=", ".join(found.masked)))
st.dataframe(found.rows, hide_index=True, use_container_width=True)

# --- commit ---------------------------------------------------------------------------------
if st.button(t("upload.commit", lg), type="primary", disabled=report.has_errors):
    progress = st.progress(0.1, text=t("upload.writing", lg))
    try:
        result = uploads.commit(store, data, file.name, options, who)
    except InputError as exc:  # UploadRejected too
        progress.empty()
        st.error(t("upload.rejected", lg, reason=escape_markdown(exc)))
    else:
        progress.progress(1.0, text=t("upload.done", lg, summary=result.summary()))
        st.success(t("upload.done", lg, summary=result.summary()))

with st.expander(t("upload.history", lg)):
    st.dataframe(uploads.history(store, lg), hide_index=True, use_container_width=True)
