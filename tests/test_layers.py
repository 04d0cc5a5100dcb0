"""The layout of ``zoning/`` follows the data, and imports only point down the flow.

Layers, from the bottom: ``core`` (text, errors, strings, access rules), ``model`` (codes,
regions, metrics, rules, schemes, roll-up, privacy), ``store`` (schema and access), ``intake``
(files in), ``views`` (what pages and the command line ask for), ``render`` (charts, map
payload, exports), ``demo``, and the command line at the top. A module may import its own
layer and any layer below it, never one above. ``zoning`` never imports Streamlit.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "zoning"
LAYERS = ["core", "model", "store", "intake", "views", "render", "demo", "cli"]
#: Imports that break the rule today, each with the reason; the list only ever shrinks.
KNOWN: dict[tuple[str, str], str] = {}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "zoning" or len(parts) < 2:
        return None
    if parts[1] in LAYERS:
        return parts[1]
    return "cli"  # zoning.cli, zoning.api, zoning.notify, zoning.__main__


def _module_of(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            found += [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _violations() -> dict[tuple[str, str], str]:
    bad = {}
    for path in _sources():
        here = _module_of(path)
        mine = _layer(here)
        if here == "zoning":
            continue
        for target in _imports(path):
            theirs = _layer(target)
            if theirs is None or target == "zoning":
                continue
            if LAYERS.index(theirs) > LAYERS.index(mine):
                bad[(here, ".".join(target.split(".")[:3]))] = f"{mine} imports {theirs}"
    return bad


def test_every_module_is_in_a_layer():
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top <= {"__init__", "__main__", "cli", "api", "notify"}, (
        "a module outside the layers: " + str(top)
    )
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert folders == set(LAYERS) - {"cli"}


def test_imports_only_point_down_the_flow():
    bad = {k: v for k, v in _violations().items() if k not in KNOWN}
    assert not bad, "\n".join(f"{a} -> {b}: {why}" for (a, b), why in sorted(bad.items()))


def test_known_exceptions_are_still_needed():
    stale = set(KNOWN) - set(_violations())
    assert not stale, f"remove from KNOWN, they no longer happen: {sorted(stale)}"


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_library_never_imports_streamlit(path):
    assert not [m for m in _imports(path) if m.split(".")[0] == "streamlit"]


def test_the_checker_sees_an_upward_import(tmp_path):
    """The rule can fail: a model module importing a view is caught."""
    assert _layer("zoning.model.metrics") == "model"
    assert _layer("zoning.views.service") == "views"
    assert LAYERS.index("views") > LAYERS.index("model")
    source = tmp_path / "m.py"
    source.write_text("from zoning.views import service\nimport zoning.render.charts\n")
    assert set(_imports(source)) >= {"zoning.views.service", "zoning.render.charts"}
