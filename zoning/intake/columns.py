"""Column names: the one matcher, and the names each kind of file's columns go by.

People write a column's name in many ways: ``Kasus Baru``, ``kasus_baru``, ``KASUS-BARU``.
:func:`column_key` reduces a name to what is compared (lower-case letters and digits), and
:func:`match_columns` finds, for each field of an alias table, the headers of a file that
name it. Every kind of file (daily counts, line lists, region boundaries) matches its columns
with them, against its own alias table below: to read one more column name as a field, add
it to its kind's table.
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


# --- daily counts (zoning.intake.counts) ------------------------------------------------------

#: Column names read as each count field, besides the field's own name.
COUNTS: dict[str, tuple[str, ...]] = {
    "date": ("tanggal", "tgl", "date", "tanggal lapor", "tgl lapor", "tanggal laporan", "hari",
             "report date", "day"),
    "new_cases": ("kasus baru", "konfirmasi harian", "positif harian", "new cases", "cases",
                  "kasus harian", "kasus", "positif baru", "konfirmasi baru", "tambahan positif",
                  "penambahan positif", "daily cases", "new confirmed"),
    "cases_total": ("total positif", "kumulatif", "cases total", "cumulative", "total cases",
                    "positif kumulatif", "kumulatif positif", "total konfirmasi",
                    "konfirmasi kumulatif", "cumulative cases", "confirmed", "total confirmed"),
    "active": ("dirawat", "isolasi", "aktif", "active", "kasus aktif", "active cases",
               "dirawat isolasi", "dirawat/isolasi"),
    "recovered_total": ("sembuh", "recovered", "total sembuh", "sembuh kumulatif",
                        "recovered total", "total recovered"),
    "deaths": ("meninggal harian", "kematian baru", "deaths", "new deaths", "meninggal baru",
               "kematian harian", "daily deaths", "tambahan meninggal"),
    "deaths_total": ("meninggal", "total meninggal", "deaths total", "total deaths",
                     "meninggal kumulatif", "kumulatif meninggal", "cumulative deaths",
                     "total kematian"),
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
}  # fmt: skip
#: Counts: columns that could be the cumulative total or the day's new cases (read from the
#: other columns).
COUNTS_AMBIGUOUS = ("positif", "konfirmasi", "terkonfirmasi", "positive", "kasus positif")
#: Counts: region columns holding codes (preferred when a file also names the region).
COUNTS_REGION_CODES = (
    "kode", "kode wilayah", "kode desa", "kode kelurahan", "kode desa kelurahan", "kode kab",
    "kode kabupaten", "kode kota", "kode kab kota", "kode kec", "kode kecamatan", "kode prov",
    "kode provinsi", "kode kemendagri", "region", "region code", "code", "kode daerah",
)  # fmt: skip
#: Counts: region columns holding names, with the level their names are looked for in.
COUNTS_REGION_NAMES: dict[str, str | None] = {
    "wilayah": None, "nama wilayah": None, "nama": None, "name": None, "region name": None,
    "daerah": None, "nama daerah": None,
    "desa": "village", "kelurahan": "village", "desa kelurahan": "village",
    "desa/kelurahan": "village", "nama desa": "village", "nama kelurahan": "village",
    "village": "village",
    "kecamatan": "district", "kec": "district", "nama kecamatan": "district",
    "district": "district",
    "kabupaten": "regency", "kota": "regency", "kabupaten kota": "regency",
    "kabupaten/kota": "regency", "kab kota": "regency", "kab/kota": "regency", "kab": "regency",
    "nama kabupaten": "regency", "nama kota": "regency", "regency": "regency", "city": "regency",
    "provinsi": "province", "prov": "province", "province": "province",
}  # fmt: skip
#: Counts: columns that number the rows, never a warning's "columns not used".
COUNTS_ROW_NUMBERS = ("no", "nomor", "id", "urut", "no urut")

# --- line lists (zoning.intake.linelist) ------------------------------------------------------

#: Line-list fields and the column names read as each, in order of preference.
LINELIST: dict[str, tuple[str, ...]] = {
    "nik": ("nik", "no_nik", "nomor_nik", "nik_pasien", "no_ktp", "nomor_ktp", "ktp"),
    "date": (
        "tanggal_konfirmasi", "tgl_konfirmasi", "tanggal_positif", "tgl_positif",
        "date_confirmed", "confirmed_date", "confirmation_date", "tanggal_hasil", "tgl_hasil",
        "tanggal", "tgl", "date",
    ),
    "region": (
        "kode_rt", "kode_desa", "kode_kelurahan", "kode_desa_kelurahan", "kode_wilayah",
        "region", "wilayah", "desa_kelurahan", "kelurahan", "desa", "village", "rt",
    ),
    "no_kk": ("no_kk", "nomor_kk", "nokk", "kk", "no_kartu_keluarga", "nomor_kartu_keluarga"),
    "address": ("alamat", "address", "alamat_domisili", "alamat_lengkap", "alamat_ktp"),
    "rw": ("rw", "no_rw", "nomor_rw"),
    "rt": ("rt", "no_rt", "nomor_rt"),
}  # fmt: skip

# --- region boundaries and lists (zoning.intake.boundaries) -----------------------------------

#: Region fields and the names looked for, in order, when a field is not named (a
#: Shapefile's name cut to 10 characters also matches).
REGIONS: dict[str, tuple[str, ...]] = {
    "code": ("kode", "kode_wilayah", "kd_wilayah", "kode_wil", "code"),
    "name": ("nama", "nama_wilayah", "namobj", "name"),
    "parent": ("kode_induk", "induk", "parent", "parent_code", "kode_parent"),
    "population": (
        "penduduk", "jumlah_penduduk", "jml_penduduk", "jml_pddk", "population", "pop",
    ),
}  # fmt: skip
#: Code fields of one level (BIG's RBI names, OCHA/HDX P-codes), after the common ones.
REGION_LEVEL_CODES: dict[str, tuple[str, ...]] = {
    "province": ("kode_prov", "kode_provinsi", "kdppum", "adm1_pcode"),
    "regency": ("kode_kab", "kode_kabupaten", "kode_kabkota", "kode_kota", "kdpkab", "adm2_pcode"),
    "district": ("kode_kec", "kode_kecamatan", "kdcpum", "adm3_pcode"),
    "village": ("kode_desa", "kode_kel", "kode_kelurahan", "kode_desa_kel", "kdepum", "adm4_pcode"),
    "rw": ("kode_rw", "rw", "no_rw", "nomor_rw"),
    "rt": ("kode_rt", "rt", "no_rt", "nomor_rt"),
}
#: Name fields of one level, after the common ones.
REGION_LEVEL_NAMES: dict[str, tuple[str, ...]] = {
    "province": ("nama_prov", "nama_provinsi", "wadmpr", "adm1_en"),
    "regency": ("nama_kab", "nama_kabupaten", "nama_kabkota", "nama_kota", "wadmkk", "adm2_en"),
    "district": ("nama_kec", "nama_kecamatan", "wadmkc", "adm3_en"),
    "village": ("nama_desa", "nama_kel", "nama_kelurahan", "nmdesa", "wadmkd", "adm4_en"),
    "rw": ("nama_rw",),
    "rt": ("nama_rt",),
}
#: Fields holding an RW's or RT's number within its parent rather than a full code.
REGION_LOCAL_NUMBERS = ("rw", "no_rw", "nomor_rw", "rt", "no_rt", "nomor_rt")
