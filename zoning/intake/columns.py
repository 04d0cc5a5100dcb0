"""Column names: the one matcher, and the one table of the names columns go by.

People write a column's name in many ways: ``Kasus Baru``, ``kasus_baru``, ``KASUS-BARU``.
:func:`column_key` reduces a name to what is compared (lower-case letters and digits), and
:func:`match_columns` finds, for each field of an alias table, the headers of a file that
name it. :data:`ALIASES` is the one alias table: every field any importer reads (daily counts,
line lists, region boundaries, BPS crosswalks) with the names its column goes by, the usual
Indonesian ones first; ``kode`` is the place in every kind of file. Each kind reads the
fields it needs through a view of it (:data:`COUNTS`, :data:`LINELIST`, :data:`REGIONS`...):
to read one more column name as a field, add it to :data:`ALIASES`. :func:`describe` says
which column was taken for what, for the upload's report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

_NOT_KEY = re.compile(r"[^0-9a-z]")


def column_key(name: object) -> str:
    """A column name as compared: lower-case letters and digits only (``Kasus Baru`` ->
    ``kasusbaru``)."""
    return _NOT_KEY.sub("", str(name).lower())


def match_columns(
    headers: Iterable[str], names: Mapping[str, Sequence[str]], *, cut: int | None = None
) -> dict[str, list[str]]:
    """The headers that name each field of an alias table.

    Parameters
    ----------
    headers : iterable of str
        The file's column names, in file order.
    names : mapping
        Each field and the column names read as it, in order of preference.
    cut : int, optional
        The length to which a format cuts column names (a Shapefile's 10 characters): a
        header of exactly that length also names a field one of whose longer names starts
        with it.

    Returns
    -------
    dict
        ``{field: [header, ...]}`` for the fields some header names: the headers matching
        the field's first name, then its second..., each in file order, none twice. A header
        may name several fields; the caller decides (:func:`pick_columns`).
    """
    keyed = [(h, column_key(h), len(str(h).strip())) for h in headers]
    out: dict[str, list[str]] = {}
    for field, wanted in names.items():
        found: list[str] = []
        for name in wanted:
            key = column_key(name)
            short = column_key(name[:cut]) if cut is not None and len(name) > cut else None
            for header, hkey, length in keyed:
                if header in found or not hkey:
                    continue
                if hkey == key or (short is not None and length == cut and hkey == short):
                    found.append(header)
        if found:
            out[field] = found
    return out


def pick_columns(found: Mapping[str, Sequence[str]], taken: Iterable[str] = ()) -> dict[str, str]:
    """One column per field from :func:`match_columns`: fields in order, each taking its
    first header that no earlier field took (nor any of ``taken``)."""
    used = set(taken)
    out: dict[str, str] = {}
    for field, headers in found.items():
        header = next((h for h in headers if h not in used), None)
        if header is not None:
            out[field] = header
            used.add(header)
    return out


def field_of(name: str, names: Mapping[str, Sequence[str]]) -> str | None:
    """The first field of an alias table that ``name`` names, or ``None``."""
    return next(iter(match_columns([name], names)), None)


# --- the one alias table ----------------------------------------------------------------------

#: Every field an importer reads, and the column names read as it, in order of preference.
#: Keys with a dot are one field of several levels or kinds (``code.village``, ``name.regency``).
ALIASES: dict[str, tuple[str, ...]] = {
    # --- the place: codes, names, numbers within a village
    "code": ("kode", "kode wilayah", "kode wil", "kd wilayah", "kode kemendagri", "kode daerah",
             "region", "region code", "code"),
    "code.province": ("kode prov", "kode provinsi", "kdppum", "adm1 pcode"),
    "code.regency": ("kode kab", "kode kabupaten", "kode kabkota", "kode kab kota", "kode kota",
                     "kdpkab", "adm2 pcode"),
    "code.district": ("kode kec", "kode kecamatan", "kdcpum", "adm3 pcode"),
    "code.village": ("kode desa", "kode kel", "kode kelurahan", "kode desa kel",
                     "kode desa kelurahan", "kdepum", "adm4 pcode"),
    "code.rw": ("kode rw",),
    "code.rt": ("kode rt",),
    "code.bps": ("kode bps", "kd bps", "id bps", "bps", "kode wilayah bps", "kode desa bps",
                 "kode kec bps", "idbps"),
    "name": ("nama", "nama wilayah", "wilayah", "name", "region name", "daerah", "nama daerah",
             "namobj"),
    "name.province": ("provinsi", "prov", "province", "nama prov", "nama provinsi", "wadmpr",
                      "adm1 en"),
    "name.regency": ("kabupaten", "kota", "kabupaten kota", "kab kota", "kab", "regency", "city",
                     "nama kab", "nama kabupaten", "nama kabkota", "nama kota", "wadmkk",
                     "adm2 en"),
    "name.district": ("kecamatan", "kec", "district", "nama kec", "nama kecamatan", "wadmkc",
                      "adm3 en"),
    "name.village": ("desa", "kelurahan", "desa kelurahan", "village", "nama desa", "nama kel",
                     "nama kelurahan", "nmdesa", "wadmkd", "adm4 en"),
    "name.rw": ("nama rw",),
    "name.rt": ("nama rt",),
    "rw": ("rw", "no rw", "nomor rw"),
    "rt": ("rt", "no rt", "nomor rt"),
    "parent": ("kode induk", "induk", "parent", "parent code", "kode parent"),
    "population": ("penduduk", "jumlah penduduk", "jml penduduk", "jml pddk", "population",
                   "pop"),
    # --- the day
    "date": ("tanggal", "tgl", "date", "tanggal lapor", "tgl lapor", "tanggal laporan", "hari",
             "report date", "day", "tanggal konfirmasi", "tgl konfirmasi", "tanggal positif",
             "tgl positif", "date confirmed", "confirmed date", "confirmation date",
             "tanggal hasil", "tgl hasil"),
    # --- daily and cumulative counts
    "new_cases": ("kasus baru", "konfirmasi harian", "positif harian", "new cases", "cases",
                  "kasus harian", "kasus", "positif baru", "konfirmasi baru", "tambahan positif",
                  "penambahan positif", "daily cases", "new confirmed", "kasus positif harian",
                  "tambahan kasus", "penambahan kasus", "kasus konfirmasi harian"),
    "cases_total": ("total positif", "kumulatif", "cases total", "cumulative", "total cases",
                    "positif kumulatif", "kumulatif positif", "total konfirmasi",
                    "konfirmasi kumulatif", "cumulative cases", "confirmed", "total confirmed",
                    "total kasus", "jumlah kasus", "kasus kumulatif", "kumulatif kasus",
                    "total kasus positif", "total kasus konfirmasi", "jumlah konfirmasi",
                    "kasus konfirmasi kumulatif"),
    "active": ("dirawat", "isolasi", "aktif", "active", "kasus aktif", "active cases",
               "dirawat isolasi", "dirawat/isolasi", "masih dirawat", "konfirmasi aktif"),
    "isolating": ("isolasi mandiri", "isoman", "self isolating", "isolasi di rumah"),
    "recovered_total": ("sembuh", "recovered", "total sembuh", "sembuh kumulatif",
                        "recovered total", "total recovered", "selesai isolasi"),
    "deaths": ("meninggal harian", "kematian baru", "deaths", "new deaths", "meninggal baru",
               "kematian harian", "daily deaths", "tambahan meninggal"),
    "deaths_total": ("meninggal", "total meninggal", "deaths total", "total deaths",
                     "meninggal kumulatif", "kumulatif meninggal", "cumulative deaths",
                     "total kematian", "meninggal dunia"),
    "tests": ("tes", "tests", "test", "jumlah tes", "pemeriksaan", "jumlah pemeriksaan",
              "spesimen", "jumlah spesimen", "diperiksa", "tes harian", "swab"),
    "positives": ("tes positif", "hasil positif", "spesimen positif", "positives",
                  "positive tests", "tests positive", "pemeriksaan positif", "swab positif"),
    "admissions": ("admissions", "rawat inap baru", "pasien masuk", "masuk rs",
                   "hospital admissions", "new admissions", "dirawat baru"),
    # Indonesian BOR and US CDC's bed share are different measures with different cut-offs:
    # each has its own names, and neither is ever read as the other.
    "bor_covid_pct": ("bor", "bor covid", "keterisian tt", "keterisian tempat tidur",
                      "persen bor", "bor persen", "bor isolasi", "keterisian tt covid",
                      "bed occupancy rate", "bed occupancy", "bed occupancy pct"),
    "inpatient_covid_pct": ("inpatient covid pct", "covid inpatient bed utilization",
                            "inpatient bed utilization", "covid inpatient pct",
                            "staffed beds covid pct"),
    "beds_covid": ("tt covid", "tempat tidur covid", "jumlah tt covid", "kapasitas tt",
                   "kapasitas tt covid", "tt isolasi", "jumlah tt isolasi", "covid beds",
                   "beds covid"),
    "beds_staffed": ("tt rawat inap", "jumlah tt rawat inap", "staffed beds",
                     "staffed inpatient beds", "inpatient beds", "beds staffed"),
    "houses_7d": ("houses", "rumah", "rumah positif", "rumah 7 hari", "jumlah rumah"),
    # counted by surveillance but read by no scheme: recognised, never stored
    "suspected": ("suspek", "suspect", "suspected", "kasus suspek", "total suspek"),
    "probable": ("probable", "probabel", "kasus probable", "total probable"),
    "close_contacts": ("kontak erat", "close contacts", "kontak"),
    # --- people (line lists)
    "nik": ("nik", "no nik", "nomor nik", "nik pasien", "no ktp", "nomor ktp", "ktp"),
    "no_kk": ("no kk", "nomor kk", "nokk", "kk", "no kartu keluarga", "nomor kartu keluarga"),
    "address": ("alamat", "address", "alamat domisili", "alamat lengkap", "alamat ktp"),
    # --- rows numbered, not data
    "row_number": ("no", "nomor", "id", "urut", "no urut"),
}  # fmt: skip

LEVEL_NAMES = ("province", "regency", "district", "village", "rw", "rt")


def _names(*fields: str) -> tuple[str, ...]:
    """The names of several fields of :data:`ALIASES`, in order, each once."""
    return tuple(dict.fromkeys(n for f in fields for n in ALIASES[f]))


# --- daily counts (zoning.intake.counts) ------------------------------------------------------

_COUNT_FIELDS = (
    "date", "new_cases", "cases_total", "active", "isolating", "recovered_total", "deaths",
    "deaths_total", "tests", "positives", "admissions", "bor_covid_pct", "inpatient_covid_pct",
    "beds_covid", "beds_staffed", "houses_7d",
)  # fmt: skip
#: Column names read as each count field, besides the field's own name.
COUNTS: dict[str, tuple[str, ...]] = {f: ALIASES[f] for f in _COUNT_FIELDS}
#: Counts: columns that could be the cumulative total or the day's new cases (read from the
#: other columns).
COUNTS_AMBIGUOUS = ("positif", "konfirmasi", "terkonfirmasi", "positive", "kasus positif",
                    "kasus konfirmasi", "konfirmasi positif")  # fmt: skip
#: Counts: columns that are counted by surveillance but read by no scheme (recognised, so
#: they are not "columns not used", and never stored).
COUNTS_RECOGNISED = ("suspected", "probable", "close_contacts")
#: Counts: region columns holding codes (preferred when a file also names the region).
COUNTS_REGION_CODES = _names(
    "code", "code.village", "code.district", "code.regency", "code.province", "code.bps"
)
#: Counts: region columns holding names, with the level their names are looked for in.
_LEVELS_UP = ("village", "district", "regency", "province")
COUNTS_REGION_NAMES: dict[str, str | None] = {
    **dict.fromkeys(ALIASES["name"]),
    **{n: lv for lv in _LEVELS_UP for n in ALIASES[f"name.{lv}"]},
}
#: Counts: region columns holding codes of one level (a file with several: the lowest is
#: the place, the others say where to look for it).
COUNTS_CODE_LEVELS: dict[str, str | None] = {
    **dict.fromkeys(ALIASES["code"]),
    **{n: lv for lv in _LEVELS_UP for n in ALIASES[f"code.{lv}"]},
}
#: Counts: columns that number the rows, never a warning's "columns not used".
COUNTS_ROW_NUMBERS = ALIASES["row_number"]

# --- line lists (zoning.intake.linelist) ------------------------------------------------------

#: Line-list fields and the column names read as each, in order of preference. The place is
#: a village (or an RT's full code); ``rw`` and ``rt`` are the numbers within the village.
LINELIST: dict[str, tuple[str, ...]] = {
    "nik": ALIASES["nik"],
    "date": ("tanggal konfirmasi", "tgl konfirmasi", "tanggal positif", "tgl positif",
             "date confirmed", "confirmed date", "confirmation date", "tanggal hasil",
             "tgl hasil", "tanggal", "tgl", "date"),
    "region": _names("code.rt", "code.village", "code", "name.village"),
    "no_kk": ALIASES["no_kk"],
    "address": ALIASES["address"],
    "rw": ALIASES["rw"],
    "rt": ALIASES["rt"],
}  # fmt: skip

# --- region boundaries and lists (zoning.intake.boundaries) -----------------------------------

#: Region fields and the names looked for, in order, when a field is not named (a
#: Shapefile's name cut to 10 characters also matches).
REGIONS: dict[str, tuple[str, ...]] = {
    "code": ALIASES["code"],
    "name": ALIASES["name"],
    "parent": ALIASES["parent"],
    "population": ALIASES["population"],
}
#: Code fields of one level (BIG's RBI names, OCHA/HDX P-codes), after the common ones; an
#: RW's or RT's number within its parent counts as its code.
REGION_LEVEL_CODES: dict[str, tuple[str, ...]] = {
    lv: ALIASES[f"code.{lv}"] + (ALIASES[lv] if lv in ("rw", "rt") else ()) for lv in LEVEL_NAMES
}
#: Name fields of one level, after the common ones.
REGION_LEVEL_NAMES: dict[str, tuple[str, ...]] = {lv: ALIASES[f"name.{lv}"] for lv in LEVEL_NAMES}
#: Fields holding an RW's or RT's number within its parent rather than a full code.
REGION_LOCAL_NUMBERS = ALIASES["rw"] + ALIASES["rt"]

# --- BPS crosswalks (zoning.intake.crosswalk) ---------------------------------------------------

#: Crosswalk fields: the BPS code, the Kemendagri code it is, or the names it is found by.
CROSSWALK: dict[str, tuple[str, ...]] = {
    "bps": ALIASES["code.bps"],
    "code": ("kode kemendagri", "kemendagri", "kode dagri", "kode permendagri", *ALIASES["code"]),
    "name": _names("name", "name.village", "name.district"),
    "district": ALIASES["name.district"],
}

# --- what the report says ----------------------------------------------------------------------

#: Each field in words, for "place: column `kode`".
FIELD_WORDS: dict[str, str] = {
    "region": "place", "date": "date", "new_cases": "new cases", "cases_total": "total cases",
    "active": "active cases", "isolating": "self-isolating", "recovered_total": "total recovered",
    "deaths": "deaths", "deaths_total": "total deaths", "tests": "tests",
    "positives": "positive tests", "admissions": "admissions", "bor_covid_pct": "BOR (%)",
    "inpatient_covid_pct": "inpatient beds with COVID-19 (%)", "beds_covid": "COVID-19 beds",
    "beds_staffed": "staffed beds", "houses_7d": "houses with a case in 7 days",
    "nik": "NIK", "no_kk": "No. KK", "address": "address", "rw": "RW number",
    "rt": "RT number", "code": "code", "name": "name", "parent": "parent",
    "population": "population", "bps": "BPS code", "within": "place is looked for in",
    "suspected": "suspected cases (not stored)", "probable": "probable cases (not stored)",
    "close_contacts": "close contacts (not stored)",
}  # fmt: skip


def describe(columns: Mapping[str, str | None]) -> list[str]:
    """Which column was taken for what, one line per field: ``place: column `kode```.

    The report shows it so that a wrong guess is seen at once.
    """
    return [
        f"{FIELD_WORDS.get(field, field)}: column `{column}`"
        for field, column in columns.items()
        if column is not None and not field.startswith("_")
    ]
