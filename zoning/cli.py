"""The command line: ``python -m zoning COMMAND``.

Bad input exits with status 2 and one line on standard error that says what is wrong and
where (row and column when a file is at fault); it never prints a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from zoning.core import auth
from zoning.core.errors import InputError
from zoning.core.i18n import DEFAULT_LANG, LANGS
from zoning.core.text import redact, spreadsheet_safe
from zoning.intake import tables
from zoning.intake.counts import CODES, DUPLICATES
from zoning.model.codes import CodeError
from zoning.model.metrics import METRICS
from zoning.model.regions import LEVELS, LevelError
from zoning.model.schemes import SchemeError, builtin_schemes, get_scheme, load_scheme
from zoning.store import Store, StoreError
from zoning.views import alerts, analysis, decisions, service, zonetable

EXPECTED = (InputError, SchemeError, CodeError, LevelError, StoreError, LookupError, OSError)


def _store(args: argparse.Namespace) -> Store:
    return Store(args.db)


def _scheme(args: argparse.Namespace):
    return load_scheme(args.scheme_file) if args.scheme_file else get_scheme(args.scheme)


def _write_csv(frame: pd.DataFrame) -> None:
    frame = frame.map(spreadsheet_safe) if len(frame) else frame
    frame.to_csv(sys.stdout, index=False, lineterminator="\n")


def cmd_schemes(args: argparse.Namespace) -> int:
    rows = [
        {
            "id": s.id,
            "name": s.name["en"],
            "levels": " ".join(s.levels),
            "zones": " ".join(s.zone_ids),
            "effective_from": s.effective_from or "",
            "effective_until": s.effective_until or "",
        }
        for s in builtin_schemes().values()
    ]
    _write_csv(pd.DataFrame(rows))
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    scheme = _scheme(args)
    table = tables.read_table(args.metrics)
    tables.require_columns(table, ["region", "date"])
    empty_region = table["region"].eq("")
    if empty_region.any():
        raise InputError(
            "the region is empty", row=int(table.index[empty_region.argmax()]), column="region"
        )
    dates = tables.parse_dates(table["date"], "date")
    present = [m for m in scheme.metrics if m in table.columns]
    if not present:
        raise InputError(
            f"the file has none of the metrics the scheme '{scheme.id}' reads: "
            + ", ".join(scheme.metrics)
        )
    values = {m: tables.parse_numbers(table[m], m) for m in present}
    codes = scheme.classify(values, shape=(len(table),))
    out = pd.DataFrame(
        {
            "region": table["region"].to_numpy(),
            "date": dates.strftime("%Y-%m-%d"),
            "zone": pd.Series(scheme.zone_id_array(codes)).fillna("").to_numpy(),
        }
    )
    _write_csv(out)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from zoning.demo.install import install_demo

    store = _store(args)
    summary = install_demo(store, force=args.force)
    _prepare(store)
    print(summary, file=sys.stderr)
    return 0


def cmd_zones(args: argparse.Namespace) -> int:
    scheme = _scheme(args)
    store = _store(args)
    day = zonetable.view_day(store, args.level, args.date)
    table = zonetable.zone_rows(
        store, scheme, args.level, day, public=False, with_decisions=args.decisions
    ).table
    if args.smooth:
        zones = service.zones_on(store, scheme, args.level, day)
        extra = analysis.smoothed(store, scheme, args.level, zones, args.smooth)
        extra.index = zones["code"].to_numpy()
        table = pd.concat([table, extra.reindex(table["code"]).reset_index(drop=True)], axis=1)
    if args.decisions:  # last, after --smooth's columns
        table = table[[c for c in table if c not in decisions.EXPORTED] + [*decisions.EXPORTED]]
    _write_csv(table)
    return 0


def _day(store: Store, level: str, text: str, flag: str) -> pd.Timestamp:
    return zonetable.view_day(store, level, text, field=flag)


def cmd_changes(args: argparse.Namespace) -> int:
    scheme, store = _scheme(args), _store(args)
    since = _day(store, args.level, args.since, "--since")
    _write_csv(analysis.zone_changes(store, scheme, args.level, since))
    return 0


def cmd_hotspots(args: argparse.Namespace) -> int:
    store = _store(args)
    day = _day(store, args.level, args.date, "--date")
    _write_csv(analysis.hot_spots(store, args.level, day, args.metric))
    return 0


def cmd_confirm(args: argparse.Namespace) -> int:
    scheme, store = _scheme(args), _store(args)
    if args.reason is not None and args.zone is None:
        raise InputError("a reason goes with --zone (the zone that overrides)", column="--reason")
    try:
        number = decisions.record(
            store, scheme, args.region, args.date, _author(), zone=args.zone,
            reason=args.reason, end=args.until,
        )  # fmt: skip
    except decisions.DecisionError as exc:  # name the option, not a form field
        flag = {"who": "--region", "until": "--until"}.get(exc.column, f"--{exc.column}")
        raise InputError(exc.bare, column=flag) from None
    kept = store.decisions(region=args.region).set_index("id").loc[number]
    print(
        f"decision {number}: {args.region} under {scheme.id} from {args.date}: "
        f"{kept['action']} {kept['zone']} (computed: {kept['computed_zone'] or 'none'})"
    )
    return 0


def cmd_decisions(args: argparse.Namespace) -> int:
    frame = decisions.history(_store(args), args.region)
    out = frame.assign(
        start=frame["start"].dt.strftime("%Y-%m-%d"),
        end=frame["end"].dt.strftime("%Y-%m-%d"),
        decided_at=frame["decided_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        computed_zone=frame["computed_zone"].fillna(""),
        reason=frame["reason"].fillna(""),
    )
    _write_csv(out.fillna({"end": ""}))
    return 0


def cmd_alerts_subscribe(args: argparse.Namespace) -> int:
    channel, target = ("email", args.email) if args.email else ("webhook", args.webhook)
    number = alerts.subscribe(
        _store(args), region=args.region, level=args.level, scheme_id=args.scheme,
        channel=channel, target=target, lang=args.lang, created_by=_author(),
    )  # fmt: skip
    print(f"subscription {number}: {args.level} in {args.region} under {args.scheme}")
    return 0


def cmd_alerts_list(args: argparse.Namespace) -> int:
    subs = _store(args).subscriptions()
    _write_csv(subs[["id", "region", "level", "scheme", "channel", "target", "lang"]])
    return 0


def cmd_alerts_remove(args: argparse.Namespace) -> int:
    if not _store(args).end_subscription(args.id):
        raise InputError(f"no active subscription {args.id}", column="ID")
    print(f"subscription {args.id} ended")
    return 0


def cmd_alerts_send(args: argparse.Namespace) -> int:
    from zoning import notify

    done = notify.send(_store(args))
    for line in done.messages:
        print(line, file=sys.stderr)
    print(f"{done.sent} sent, {done.failed} not sent")
    return 1 if done.failed else 0


def cmd_bulletin(args: argparse.Namespace) -> int:
    from zoning.render import bulletin, export

    scheme, store = _scheme(args), _store(args)
    level = args.level or next(
        (lv for lv in ("village", "district") if lv in store.levels()), store.levels()[-1]
    )
    day = zonetable.view_day(store, level, args.date)
    regencies = store.regions("regency")
    if regencies.empty:
        raise InputError("the store has no regencies to write bulletins for", column="--level")
    out = Path(args.out) / day.date().isoformat()
    written = 0
    for code, name in zip(regencies["code"], regencies["name"], strict=True):
        folder = out / code
        folder.mkdir(parents=True, exist_ok=True)
        for lang in LANGS:
            pdf = bulletin.brief(store, scheme, level, day, lang, place=name, within=code)
            (folder / export.file_name(scheme, level, day, lang, "pdf")).write_bytes(pdf)
            csv = bulletin.changes_csv(store, scheme, level, day, code, lang)
            changes = export.file_name(scheme, level, day, lang, "csv").replace(
                ".csv", "-changes.csv"
            )
            (folder / changes).write_bytes(csv)
            written += 2
    print(f"{written} files for {len(regencies)} regencies in {out}")
    return 0


def cmd_rt(args: argparse.Namespace) -> int:
    _write_csv(analysis.rt_series(_store(args), args.region, args.si_mean, args.si_sd))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from zoning import api

    if not 0 < args.port < 65536:
        raise InputError(f"{args.port} is not a TCP port; give 1-65535", column="--port")
    store = _store(args)
    print(f"Read API on http://{args.host}:{args.port}/docs", file=sys.stderr)
    # no access log: a path or query may hold whatever a caller typed, a NIK included
    uvicorn.run(api.app(store), host=args.host, port=args.port, log_level="warning",
                access_log=False)  # fmt: skip
    return 0


def _author() -> str:
    """Who an import from the command line is recorded as: ``cli:<operating-system user>``."""
    try:
        return auth.identity("cli", getpass.getuser())
    except (KeyError, OSError, ValueError):  # no user name in a container
        return "cli"


def _new_password() -> str:
    """The password to hash: asked twice on a terminal (never echoed), else the first line
    of standard input (``... | python -m zoning auth hash-password``). Never an argument:
    the command line is visible to every user of the machine and kept in shell histories."""
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass("New analyst password: ")
        if getpass.getpass("The same password again: ") != first:
            raise InputError("the two passwords differ; nothing was printed")
        return first
    return (sys.stdin.readline() if sys.stdin is not None else "").rstrip("\r\n")


def cmd_auth_hash_password(args: argparse.Namespace) -> int:
    try:
        encoded = auth.hash_password(_new_password())
    except ValueError as exc:
        raise InputError(str(exc)) from None
    print(encoded)
    print(
        f"Set it as {auth.HASH_ENV}, or as analyst_password_hash under [zoning] in "
        ".streamlit/secrets.toml, and restart the dashboard. Only this hash is kept.",
        file=sys.stderr,
    )
    return 0


def _mapping(pairs: list[str] | None) -> dict[str, str] | None:
    if not pairs:
        return None
    out = {}
    for pair in pairs:
        source, sep, field = pair.partition("=")
        if not sep or not source.strip() or not field.strip():
            raise InputError(
                f"{pair!r} is not SOURCE=FIELD, e.g. --map positif=cases_total", column="--map"
            )
        out[source.strip().lower()] = field.strip()
    return out


def _import(args: argparse.Namespace, kind) -> int:
    """Import the file through the upload envelope, as the upload page does."""
    from zoning.intake.envelope import import_file

    path = Path(args.file)
    store = _store(args)
    result = import_file(store, kind, path, filename=path.name, author=_author())
    code = _print_result(result)
    if result.duplicate_of is None:
        _prepare(store)
    return code


def _prepare(store) -> None:
    """Make what the first map needs for the new data and keep it in the store, so the
    dashboard started next finds it ready (:func:`zoning.render.firstview.prepare`)."""
    from zoning.render.firstview import prepare

    try:
        prepare(store)
    except Exception as exc:  # the data are in; the dashboard builds the map itself
        print(f"warning: the map was not prepared ({exc}); the dashboard will build it",
              file=sys.stderr)  # fmt: skip


def cmd_regions_import(args: argparse.Namespace) -> int:
    from zoning.intake.boundaries import Boundaries

    kind = Boundaries(
        args.level, code_field=args.code_field, name_field=args.name_field,
        parent_field=args.parent_field, population_field=args.population_field,
        layer=args.layer,
    )  # fmt: skip
    return _import(args, kind)


def _print_result(result) -> int:
    """The upload's summary on stdout, with how the file was read and a line list's coverage
    and unverified share; its first warnings on stderr."""
    from zoning.intake.uploads import register_lines

    print(result.summary())
    if result.duplicate_of is None:
        for line in register_lines(result.report, "en"):
            print(line)
    for line in result.report.read:
        print(f"  {line}")
    for issue in result.report.warnings[:20]:
        print(f"warning: {issue}", file=sys.stderr)
    more = result.report.counts["warning"] - 20
    if more > 0:
        print(f"warning: ... and {more} more warnings (kept with the upload)", file=sys.stderr)
    return 0


#: Options of ``cases import`` that only a line list takes.
_LINELIST_ONLY = {"covers": "--covers", "first": "--from", "last": "--to",
                  "exclude_unverified": "--exclude-unverified"}  # fmt: skip


def cmd_cases_import(args: argparse.Namespace) -> int:
    if args.kind == "linelist":
        from zoning.intake.linelist import LineList

        kind = LineList(
            _mapping(args.map), covers=args.covers, first=args.first, last=args.last,
            exclude_unverified=args.exclude_unverified,
        )  # fmt: skip
        return _import(args, kind)
    given = [option for name, option in _LINELIST_ONLY.items() if getattr(args, name)]
    if given:
        raise InputError(
            f"{', '.join(given)} only go with --kind linelist (a line list is a register; a "
            "counts file's missing day is missing)",
            column=given[0],
        )
    from zoning.intake.counts import Counts

    kind = Counts(
        _mapping(args.map), args.region, duplicates=args.duplicates, strict=args.strict,
        sheet=args.sheet, values=args.values, codes=args.codes,
    )  # fmt: skip
    return _import(args, kind)


def cmd_regions_crosswalk(args: argparse.Namespace) -> int:
    from zoning.intake.crosswalk import Crosswalk

    return _import(args, Crosswalk())


def cmd_regions_list(args: argparse.Namespace) -> int:
    frame = _store(args).regions(args.level)
    frame["population"] = frame["population"].astype("Int64")
    _write_csv(frame[["code", "name", "level", "parent", "population"]])
    return 0


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see '{self.prog} --help')\n")


def _scheme_options(p: argparse.ArgumentParser) -> None:
    """``--scheme ID`` or ``--scheme-file FILE``, one of them required."""
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--scheme", help="built-in scheme id (see 'schemes')")
    g.add_argument("--scheme-file", help="a scheme file (TOML) of your own")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m zoning",
        description="Epidemiological micro-zonation: schemes, zones and the data store.",
    )
    parser.add_argument(
        "--db", help="store URL or SQLite file (default: $ZONING_DB or data/zoning.db)"
    )
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )

    p = sub.add_parser("schemes", help="list the built-in schemes as CSV")
    p.set_defaults(func=cmd_schemes)

    p = sub.add_parser("classify", help="classify a CSV of metrics; CSV region,date,zone on stdout")
    p.add_argument(
        "metrics",
        help="CSV with columns region, date and metric columns: " + ", ".join(sorted(METRICS)),
    )
    _scheme_options(p)
    p.set_defaults(func=cmd_classify)

    p = sub.add_parser("demo", help="build the demo store (Jawa Tengah)")
    p.add_argument("--force", action="store_true", help="rebuild even if the store has data")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("zones", help="zones of a level on a date from the store, as CSV")
    _scheme_options(p)
    p.add_argument("--level", required=True, choices=LEVELS)
    p.add_argument("--date", help="YYYY-MM-DD (default: the latest day not still filling in)")
    p.add_argument(
        "--smooth", choices=analysis.SMOOTHING,
        help="add rate_smoothed and p_above: empirical-Bayes rates, towards the level (eb) "
        "or each region's neighbours (seb)",
    )  # fmt: skip
    p.add_argument(
        "--decisions", action="store_true",
        help="append decided_zone, computed_zone, decision (confirmed, overridden, unconfirmed, "
        "awaiting), decided_by, decided_on: what the zone rests on",
    )  # fmt: skip
    p.set_defaults(func=cmd_zones)

    p = sub.add_parser(
        "changes", help="zone changes since a date (with the scheme's hysteresis), as CSV"
    )
    _scheme_options(p)
    p.add_argument("--level", required=True, choices=LEVELS)
    p.add_argument("--since", required=True, help="YYYY-MM-DD: changes on or after this day")
    p.set_defaults(func=cmd_changes)

    p = sub.add_parser("hotspots", help="Getis-Ord Gi* hot spots on a day, FDR-corrected, as CSV")
    p.add_argument("--level", required=True, choices=LEVELS)
    p.add_argument("--date", required=True, help="YYYY-MM-DD")
    p.add_argument("--metric", default=analysis.DEFAULT_HOTSPOT_METRIC, help="a rate metric")
    p.set_defaults(func=cmd_hotspots)

    p = sub.add_parser(
        "confirm", help="confirm a region's computed zone, or override it with a reason"
    )
    _scheme_options(p)
    p.add_argument("--region", required=True, help="region code")
    p.add_argument("--date", required=True, help="YYYY-MM-DD: the decision holds from this day")
    p.add_argument("--until", help="YYYY-MM-DD: the last day it holds (default: open-ended)")
    p.add_argument("--zone", help="the zone decided, when not the computed one (an override)")
    p.add_argument("--reason", help="why: required with an override")
    p.set_defaults(func=cmd_confirm)

    p = sub.add_parser("decisions", help="every confirmation and override kept, as CSV")
    p.add_argument("--region", help="only this region's decisions")
    p.set_defaults(func=cmd_decisions)

    p = sub.add_parser("alerts", help="e-mail and webhook alerts when a zone changes")
    asub = p.add_subparsers(dest="alerts_command", required=True, metavar="ACTION")
    q = asub.add_parser("subscribe", help="alert someone when a region's zones change")
    q.add_argument("--region", required=True, help="region code; its --level regions are watched")
    q.add_argument("--level", required=True, choices=LEVELS)
    q.add_argument("--scheme", required=True, help="built-in scheme id")
    h = q.add_mutually_exclusive_group(required=True)
    h.add_argument("--email", help="an e-mail address")
    h.add_argument("--webhook", help="an http(s) address that gets a JSON POST")
    q.add_argument("--lang", choices=LANGS, default=DEFAULT_LANG, help="language of the alerts")
    q.set_defaults(func=cmd_alerts_subscribe)
    q = asub.add_parser("list", help="active subscriptions, as CSV")
    q.set_defaults(func=cmd_alerts_list)
    q = asub.add_parser("remove", help="end a subscription")
    q.add_argument("id", type=int, metavar="ID")
    q.set_defaults(func=cmd_alerts_remove)
    q = asub.add_parser("send", help="send the alerts not yet sent (run it from cron)")
    q.set_defaults(func=cmd_alerts_send)

    p = sub.add_parser(
        "bulletin", help="the day's PDF brief and CSV of zone changes per regency, both languages"
    )
    _scheme_options(p)
    p.add_argument("--out", required=True, help="folder; one sub-folder per day and regency")
    p.add_argument(
        "--level", choices=LEVELS, help="regions shown (default: village, else district)"
    )
    p.add_argument("--date", help="YYYY-MM-DD (default: the latest settled day)")
    p.set_defaults(func=cmd_bulletin)

    p = sub.add_parser("rt", help="Rt of a region by day (Cori et al. 2013), as CSV")
    p.add_argument("--region", required=True, help="region code, e.g. 33.74")
    p.add_argument("--si-mean", required=True, type=float, help="serial interval mean (days)")
    p.add_argument("--si-sd", required=True, type=float, help="serial interval sd (days)")
    p.set_defaults(func=cmd_rt)

    p = sub.add_parser("serve", help="the read API (zones, histories, schemes) over HTTP")
    p.add_argument("--port", type=int, default=8600, help="TCP port (default 8600)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("regions", help="regions in the store")
    rsub = p.add_subparsers(
        dest="regions_command", required=True, metavar="ACTION", parser_class=_Parser
    )
    q = rsub.add_parser("list", help="CSV code,name,level,parent,population")
    q.add_argument("--level", choices=LEVELS)
    q.set_defaults(func=cmd_regions_list)
    q = rsub.add_parser(
        "import", help="import boundaries (GeoJSON, GeoPackage, zipped Shapefile) or a CSV list"
    )
    q.add_argument("file")
    q.add_argument("--level", required=True, choices=LEVELS)
    q.add_argument("--code-field", help="the field with the region code (default: detected)")
    q.add_argument("--name-field", help="the field with the name (default: detected)")
    q.add_argument(
        "--parent-field", help="the field with the parent's code (default: from the code)"
    )
    q.add_argument("--population-field", help="the field with the population (default: detected)")
    q.add_argument("--layer", help="the layer of a GeoPackage with several")
    q.set_defaults(func=cmd_regions_import)
    q = rsub.add_parser(
        "crosswalk",
        help="import BPS codes and the Kemendagri codes they are (CSV/XLSX: kode_bps with "
        "kode_kemendagri, or with names to match within their regency)",
    )
    q.add_argument("file")
    q.set_defaults(func=cmd_regions_crosswalk)

    p = sub.add_parser("cases", help="case data in the store")
    csub = p.add_subparsers(
        dest="cases_command", required=True, metavar="ACTION", parser_class=_Parser
    )
    q = csub.add_parser("import", help="import daily counts (CSV/XLSX) or a NIK line list")
    q.add_argument("file")
    q.add_argument("--kind", choices=("counts", "linelist"), default="counts")
    q.add_argument(
        "--map", action="append", metavar="SOURCE=FIELD",
        help="map a column of the file to a canonical field, e.g. --map positif=cases_total",
    )  # fmt: skip
    q.add_argument("--region", help="the region of a file without a region column")
    q.add_argument(
        "--duplicates", choices=DUPLICATES, default="error",
        help="counts: a region and day given twice with different values (a later snapshot "
        "of the same day) is refused (error, the default), or the first or last row wins",
    )  # fmt: skip
    q.add_argument(
        "--strict", action="store_true",
        help="counts: refuse a cumulative total that falls, instead of reading the fall as a "
        "correction (a negative daily value)",
    )  # fmt: skip
    q.add_argument(
        "--sheet", metavar="NAME",
        help="counts: the sheet of a workbook to read, or 'all' (a sheet named after a region "
        "is that region's)",
    )  # fmt: skip
    q.add_argument(
        "--values", metavar="FIELD",
        help="counts: what the numbers of a wide table (one column per date) are, e.g. "
        "new_cases or cases_total",
    )  # fmt: skip
    q.add_argument(
        "--codes", choices=CODES, default="auto",
        help="counts: read region codes as Kemendagri or BPS codes (default: by their form)",
    )  # fmt: skip
    q.add_argument(
        "--covers", metavar="CODE[,CODE]",
        help="line lists: the regions the list covers, e.g. 33.74 (default: the villages it "
        "names, and their RTs); within them a day without a case is a zero",
    )  # fmt: skip
    q.add_argument(
        "--from", dest="first", metavar="DATE",
        help="line lists: the first day covered (default: the first date in the file)",
    )  # fmt: skip
    q.add_argument(
        "--to", dest="last", metavar="DATE",
        help="line lists: the last day covered (default: the last date in the file)",
    )  # fmt: skip
    q.add_argument(
        "--exclude-unverified", action="store_true",
        help="line lists: leave out rows without a valid NIK (by default each is counted as "
        "an unverified case of its place and date)",
    )  # fmt: skip
    q.set_defaults(func=cmd_cases_import)

    p = sub.add_parser("auth", help="analysts: the password that unlocks uploads and notes")
    asub = p.add_subparsers(
        dest="auth_command", required=True, metavar="ACTION", parser_class=_Parser
    )
    q = asub.add_parser(
        "hash-password",
        help="print a salted hash of an analyst password (asked for, or read from stdin)",
    )
    q.set_defaults(func=cmd_auth_hash_password)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # e.g. piped into head
        return 0
    except EXPECTED as exc:  # a file name or cell in the message never shows a NIK
        print(f"error: {redact(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the one line a person sees instead of a traceback
        print(
            f"error: unexpected {type(exc).__name__}: {redact(exc)} (please report this)",
            file=sys.stderr,
        )
        return 1
