"""The built-in demo province: Jawa Tengah (Central Java), so a fresh clone shows a map at once.

What is real, what is estimated and what is generated
-----------------------------------------------------
Real:

* the boundaries, Kemendagri codes and names of the province, its 35 regencies (kabupaten)
  and cities (kota), 576 districts (kecamatan) and 8,563 villages (desa/kelurahan):
  ``zoning/data/jawa-tengah/`` (from cahyadsn/wilayah_boundaries, MIT, © 2024 Cahya DSN;
  licence and attribution in that folder);
* the regency and city populations: BPS, *Hasil Sensus Penduduk 2020* (SP2020, September
  2020), which sum to the province total of 36,516,035 (``zoning/data/jateng_regencies.csv``).

Estimated: district and village populations, shared out from the regency totals by area
(:func:`zoning.demo.province.village_populations`).

Generated, deterministically from :data:`SEED`: RW/RT inside four kelurahan of Kota
Semarang, and every daily count (:mod:`zoning.demo.epidemic`).

The UI shows :data:`DEMO_GEOMETRY_NOTE` wherever the demo map is drawn, and
:data:`DEMO_SOURCE` and :data:`DEMO_ATTRIBUTION` where the data's sources are listed.
"""

from __future__ import annotations

from zoning.demo.epidemic import (
    DEMO_AS_OF,
    DEMO_START,
    demo_counts,
    demo_dates,
    demo_houses,
)
from zoning.demo.province import (
    BOUNDARY_ATTRIBUTION,
    CRS,
    KELURAHAN_WEIGHT,
    PROVINCE_CODE,
    PROVINCE_NAME,
    SEED,
    boundaries,
    build_regions,
    demo_regions,
    regency_table,
    village_populations,
)

__all__ = [
    "BOUNDARY_ATTRIBUTION",
    "CRS",
    "DEMO_AS_OF",
    "DEMO_ATTRIBUTION",
    "DEMO_GEOMETRY_NOTE",
    "DEMO_SOURCE",
    "DEMO_START",
    "KELURAHAN_WEIGHT",
    "PROVINCE_CODE",
    "PROVINCE_NAME",
    "SEED",
    "boundaries",
    "build_regions",
    "demo_counts",
    "demo_dates",
    "demo_houses",
    "demo_regions",
    "regency_table",
    "village_populations",
]

#: Shown wherever the demo map is drawn (Bahasa Indonesia first, English).
DEMO_GEOMETRY_NOTE = {
    "id": (
        "Data demo: batas wilayah asli; penduduk di bawah kabupaten/kota perkiraan; "
        "RW/RT dan semua angka kasus buatan."
    ),
    "en": (
        "Demo data: real boundaries; populations below regency level are estimates; "
        "RW/RT and all case counts are made up."
    ),
}

#: Where the real parts of the demo come from (Bahasa Indonesia first, English).
DEMO_SOURCE = {
    "id": (
        "Batas, kode dan nama wilayah: cahyadsn/wilayah_boundaries (MIT), sesuai Kepmendagri "
        "300.2.2-2138/2025. Penduduk kabupaten/kota: BPS, Sensus Penduduk 2020 (Jawa Tengah "
        "36.516.035 jiwa); penduduk kecamatan dan desa/kelurahan diperkirakan dari angka itu. "
        "RW/RT dan semua angka kasus adalah data buatan."
    ),
    "en": (
        "Boundaries, codes and names: cahyadsn/wilayah_boundaries (MIT), as in Kepmendagri "
        "300.2.2-2138/2025. Regency and city populations: BPS, 2020 Population Census (Jawa "
        "Tengah 36,516,035); district and village populations are estimated from them. RW/RT "
        "and all case counts are generated."
    ),
}

#: The boundaries' attribution, as the map shows it (plain text).
DEMO_ATTRIBUTION = BOUNDARY_ATTRIBUTION
