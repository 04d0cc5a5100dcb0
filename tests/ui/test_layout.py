"""``pages/`` holds only the pages ``dashboard.py`` declares; their helpers are the ``ui``
package, which the library never imports; neither runs SQL."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Modules that speak to the database: only the store may import them.
SQL = ("sqlalchemy", "sqlite3", "psycopg", "psycopg2")


def declared_pages(source: str) -> list[str]:
    """The page files of the ``PAGES`` table in ``dashboard.py`` (its first column)."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets] == ["PAGES"]:
            return [row.elts[0].value for row in node.value.elts]
    raise AssertionError("dashboard.py has no PAGES table")


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute imports, top-level or inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_pages_holds_exactly_the_declared_pages():
    declared = declared_pages((ROOT / "dashboard.py").read_text("utf-8"))
    assert len(declared) == 8  # seven in the sidebar and the embed
    on_disk = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))
    assert on_disk == sorted(declared)


def test_the_check_sees_a_helper_in_pages():
    source = 'PAGES = (("pages/map.py", "map", "nav_map", ""), ("pages/a.py", "a", "x", ""))'
    assert declared_pages(source) == ["pages/map.py", "pages/a.py"]
    with pytest.raises(AssertionError):
        declared_pages("PAGE = ()")


@pytest.mark.parametrize(
    "path", sorted((ROOT / "zoning").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_the_library_never_imports_the_app(path):
    assert not {m for m in imports(path) if m.split(".")[0] in ("ui", "pages", "dashboard")}


@pytest.mark.parametrize(
    "path",
    [ROOT / "dashboard.py", *sorted((ROOT / "pages").glob("*.py")), *sorted(ROOT.glob("ui/*.py"))],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_the_app_runs_no_sql(path):
    assert not {m for m in imports(path) if m.split(".")[0] in SQL}


def test_the_import_check_sees_imports_inside_functions(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("def f():\n    import sqlalchemy as sa\n    from ui.common import lang\n")
    assert imports(source) == {"sqlalchemy", "ui.common"}
