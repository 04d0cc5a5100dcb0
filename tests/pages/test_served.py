"""End-to-end: the dashboard as served (``streamlit run app.py``) after ``python -m zoning
demo``: the map is drawn (its component registered though its module was imported before
any script ran), Streamlit's front end arrives compressed, and a page opened by its address
connects to the server at once."""

from __future__ import annotations

import pytest
from browser import Traffic, require_chromium, streamlit_server
from test_browser import map_frame

from ui import serve
from zoning.cli import main

STATIC = serve.CompressedStatic().folder / "static" / "js"

pytestmark = pytest.mark.browser


def test_the_served_dashboard_draws_the_first_map_and_sends_its_front_end_gzipped(
    browser, tmp_path, capsys
):
    require_chromium()
    db = tmp_path / "demo.db"
    assert main(["--db", str(db), "demo"]) == 0  # writes the demo and prepares its maps
    capsys.readouterr()
    with streamlit_server(db, env={"XDG_CACHE_HOME": str(tmp_path / "cache")},
                          script="app.py") as url:  # fmt: skip
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        traffic = Traffic(page)
        encodings, kept, asked = {}, {}, []
        page.on("request", lambda request: asked.append(request.url))

        def seen(response):
            if "/static/js/" in response.url:
                encodings[response.url.rsplit("/", 1)[-1]] = response.headers.get(
                    "content-encoding"
                )
            if "/app/static/geo/" in response.url:  # the map's shapes: named by content
                kept[response.url] = response.headers.get("cache-control", "")

        page.on("response", seen)
        page.goto(f"{url}/map?level=village&lang=en")
        frame = map_frame(page)
        assert int(frame.evaluate("() => Number(document.body.dataset.drawn)")) > 8000
        assert not traffic.failed and not traffic.external
        plain = [name for name, how in encodings.items() if how != "gzip"]
        small = [p.name for p in STATIC.rglob("*.js") if p.stat().st_size < serve.MIN_SIZE]
        assert encodings and set(plain) <= set(small), plain
        assert kept and all("immutable" in how for how in kept.values()), kept
        # told where the server is (ui.serve.PageShell), the front end never asked the
        # page's address for one: its health check went to the root, once
        assert not [u for u in asked if "/map/_stcore/" in u], asked
        assert [u for u in asked if u.endswith("/_stcore/health")] == [f"{url}/_stcore/health"]
        page.close()
    assert list((tmp_path / "cache").rglob("*.js.gz"))  # kept for the next start
