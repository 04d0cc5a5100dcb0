"""The store's tables: the one description of what the database holds.

Only :mod:`zoning.store` reads and writes them; every other layer goes through
:class:`zoning.store.Store`.
"""

from __future__ import annotations

import sqlalchemy as sa

from zoning.model.metrics import COUNT_FIELDS

metadata = sa.MetaData()

meta_table = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text),
)
#: Derived data kept to start fast (e.g. a level's counts as arrays), made at one
#: ``data_version`` when the newest upload was ``upload_mark``; never a source of truth.
snapshots = sa.Table(
    "snapshots",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("data_version", sa.Integer, nullable=False),
    sa.Column("upload_mark", sa.Integer, nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False),
)
uploads = sa.Table(
    "uploads",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("filename", sa.Text),
    sa.Column("sha256", sa.String(64), index=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("rows", sa.Integer),
    sa.Column("changed", sa.Integer),
    sa.Column("report", sa.Text),
)
regions = sa.Table(
    "regions",
    metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("level", sa.String(16), nullable=False, index=True),
    sa.Column("parent", sa.String(32), index=True),
    sa.Column("population", sa.Float),
    sa.Column("geometry", sa.LargeBinary),
    sa.Column("display_geometry", sa.LargeBinary),
    sa.Column("upload_id", sa.Integer, sa.ForeignKey("uploads.id")),
)
#: BPS codes (dotted, ``33.01.020.006``) and the Kemendagri code each is
#: (``zoning.intake.crosswalk``): ``how`` it was found, ``names`` or ``file``.
crosswalk = sa.Table(
    "crosswalk",
    metadata,
    sa.Column("bps", sa.String(32), primary_key=True),
    sa.Column("code", sa.String(32), nullable=False),
    sa.Column("how", sa.String(16), nullable=False),
    sa.Column("upload_id", sa.Integer, sa.ForeignKey("uploads.id")),
)
counts = sa.Table(
    "counts",
    metadata,
    sa.Column("region", sa.String(32), primary_key=True),
    sa.Column("date", sa.Date, primary_key=True),
    *(sa.Column(f, sa.Float) for f in COUNT_FIELDS),
    sa.Column("upload_id", sa.Integer, sa.ForeignKey("uploads.id")),
)
#: Finds the region-days written since a snapshot (:meth:`Store.counts` ``after_upload``).
COUNTS_BY_UPLOAD = sa.Index("ix_counts_upload", counts.c.upload_id)
count_history = sa.Table(
    "count_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("region", sa.String(32), nullable=False, index=True),
    sa.Column("date", sa.Date, nullable=False),
    *(sa.Column(f, sa.Float) for f in COUNT_FIELDS),
    sa.Column("upload_id", sa.Integer),
    sa.Column("replaced_by", sa.Integer, sa.ForeignKey("uploads.id")),
)
notes = sa.Table(
    "notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("region", sa.String(32), nullable=False, index=True),
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("supersedes", sa.Integer, sa.ForeignKey("notes.id")),
)

#: Analysts' decisions on a computed zone (:mod:`zoning.views.decisions`): the zone of
#: ``region`` under ``scheme`` from ``start`` to ``end`` (open-ended when empty) is
#: ``computed_zone`` confirmed, or overridden by ``zone`` for ``reason``. A decision is
#: never changed or deleted: a newer one covering the same day supersedes it.
decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("region", sa.String(32), nullable=False, index=True),
    sa.Column("scheme", sa.String(64), nullable=False),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("start", sa.Date, nullable=False),
    sa.Column("end", sa.Date),
    sa.Column("computed_zone", sa.String(64)),  # none: the region had no zone
    sa.Column("zone", sa.String(64), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),  # confirm | override
    sa.Column("reason", sa.Text),
    sa.Column("decided_by", sa.Text, nullable=False),
    sa.Column("decided_at", sa.DateTime, nullable=False),
)

#: Who wants to hear when a zone changes: the regions of ``level`` inside ``region`` under
#: ``scheme``, by e-mail or webhook. ``baseline`` is the last data day when they subscribed:
#: changes up to it were already known and are never sent.
subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("scheme", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("lang", sa.String(8), nullable=False),
    sa.Column("baseline", sa.Date),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
)
#: Every alert delivered: one per subscription, region, day and new zone, never twice.
alerts_sent = sa.Table(
    "alerts_sent",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("subscription", sa.Integer, sa.ForeignKey("subscriptions.id"), nullable=False),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("from_zone", sa.String(64), nullable=False),
    sa.Column("to_zone", sa.String(64), nullable=False),
    sa.Column("sent_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("subscription", "region", "date", "to_zone", name="uq_alert_once"),
)

#: Links sent to a person who subscribed on the dashboard: one to confirm (alerts go out only
#: to a confirmed subscription) and one in each alert to stop them. Only a SHA-256 hash of
#: each token is kept; ``client`` is a hash of the address that asked (rate limits), never
#: the address itself. Several rows share a token when one request named several regions.
subscription_tokens = sa.Table(
    "subscription_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("subscription", sa.Integer, sa.ForeignKey("subscriptions.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # confirm | unsubscribe
    sa.Column("token_hash", sa.String(64), nullable=False, index=True),
    sa.Column("client", sa.String(64)),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("used_at", sa.DateTime),
)

#: Failed analyst sign-ins per client, shared by every replica on the store (a client that
#: drops its cookie lands on another one behind the proxy): ``client`` is a SHA-256 hash of
#: its address, never the address; ``until`` (Unix seconds) is when it may try again
#: (:class:`zoning.core.auth.Throttle`). A client's row goes when it signs in; rows quiet
#: for a day go when a new client's row is written.
sign_in_failures = sa.Table(
    "sign_in_failures",
    metadata,
    sa.Column("client", sa.String(64), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("until", sa.Float, nullable=False),
    sa.Column("updated", sa.Float, nullable=False),
)

#: The case register: one row per positive date of a person (identified by a keyed hash of
#: the NIK, never the NIK), place and house; a row of a line list whose NIK is not valid has
#: a key of its own instead (a keyed hash of its file and row: never anyone else's), and is
#: flagged ``unverified``. ``episode`` marks the one row that starts each episode, worked out
#: again from all of a person's dates whenever more of them arrive
#: (:func:`zoning.intake.linelist.plan_episodes`), so the same rows in any split give the same
#: episodes. ``region`` is a village or RT code; its village is its first 13 characters. There
#: is no index on region or date: keeping one up to date costs more, on a million-row import,
#: than the scans of :meth:`Store.case_new_cases` it would save. When a row came is its
#: upload's (``uploads.created_at``).
case_dates = sa.Table(
    "case_dates",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("person_key", sa.CHAR(64), nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("household_key", sa.CHAR(64)),
    sa.Column("episode", sa.Boolean, nullable=False),
    sa.Column("unverified", sa.Boolean, nullable=False),
    sa.Column("upload_id", sa.Integer, sa.ForeignKey("uploads.id")),
    sa.Index("ix_case_dates_person", "person_key", "date"),
)
#: What a register (a line list) covers: per upload, the regions (a village stands for its
#: RTs, a regency for all its villages and RTs) and the days from ``first_day`` to ``last_day`` on
#: which a day without a case is a zero. Read when the panel is built
#: (:mod:`zoning.model.registers`): no zero is ever written as a count.
coverage = sa.Table(
    "coverage",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("upload_id", sa.Integer, sa.ForeignKey("uploads.id"), nullable=False, index=True),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("first_day", sa.Date, nullable=False),
    sa.Column("last_day", sa.Date, nullable=False),
)
#: The episodes table of stores made before every positive date was kept; its rows (episode
#: starts) move into :data:`case_dates` when such a store is opened.
OLD_CASES = "cases"
