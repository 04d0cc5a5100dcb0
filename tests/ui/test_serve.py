"""ui/serve.py: Streamlit's front end sent compressed, and what the server imports before
its first visitor."""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path

import pytest

from ui import serve

BUNDLE = ("console.log('zona merah');\n" * 2000).encode()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A stand-in for Streamlit's static folder: index.html, static/js, static/media."""
    root = tmp_path / "st"
    (root / "static" / "js").mkdir(parents=True)
    (root / "static" / "media").mkdir()
    (root / "index.html").write_text("<html></html>")
    (root / "static" / "js" / "index.abc.js").write_bytes(BUNDLE)
    (root / "static" / "js" / "tiny.js").write_bytes(b"1;")
    (root / "static" / "media" / "font.woff2").write_bytes(b"\0" * 5000)
    (tmp_path / "secret.js").write_bytes(BUNDLE)
    return root


def call(app, path: str, encoding: str | None = "gzip, br", method: str = "GET") -> dict:
    """One request through ``app``: status, headers and body."""
    headers = [(b"accept-encoding", encoding.encode())] if encoding else []
    scope = {"type": "http", "method": method, "path": path, "headers": headers}
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    return {
        "status": start["status"],
        "headers": {k.decode(): v.decode() for k, v in start["headers"]},
        "body": b"".join(m.get("body", b"") for m in sent[1:]),
    }


async def streamlit(scope, receive, send):
    """What Streamlit would answer: the path, uncompressed."""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": f"streamlit {scope['path']}".encode()})


def test_a_bundle_is_sent_gzipped_to_a_browser_that_takes_it(folder: Path, tmp_path: Path):
    app = serve.CompressedStatic(folder=folder, cache=tmp_path / "cache").wrap(streamlit)
    got = call(app, "/static/js/index.abc.js")
    assert got["headers"]["content-encoding"] == "gzip"
    assert got["headers"]["content-type"].startswith("text/javascript")
    assert got["headers"]["vary"] == "Accept-Encoding"
    assert int(got["headers"]["content-length"]) == len(got["body"]) < len(BUNDLE) / 10
    assert gzip.decompress(got["body"]) == BUNDLE
    head = call(app, "/static/js/index.abc.js", method="HEAD")
    assert (
        head["body"] == b""
        and head["headers"]["content-length"] == got["headers"]["content-length"]
    )


@pytest.mark.parametrize(
    ("path", "encoding"),
    [
        ("/static/js/index.abc.js", None),  # the browser takes no gzip
        ("/static/js/index.abc.js", "br"),
        ("/static/js/missing.js", "gzip"),
        ("/static/../../secret.js", "gzip"),  # outside the folder
        ("/static/js/../../../secret.js", "gzip"),
        ("/index.html", "gzip"),  # not under /static/: Streamlit's own answer
        ("/map", "gzip"),
    ],
)
def test_everything_else_is_left_to_streamlit(folder: Path, tmp_path: Path, path, encoding):
    app = serve.CompressedStatic(folder=folder, cache=tmp_path / "cache").wrap(streamlit)
    got = call(app, path, encoding)
    assert got["body"] == f"streamlit {path}".encode()
    assert "content-encoding" not in got["headers"]


@pytest.mark.parametrize(
    ("path", "kind", "content"),
    [
        ("/static/js/tiny.js", "text/javascript; charset=utf-8", b"1;"),  # too small to gain
        ("/static/media/font.woff2", "font/woff2", b"\0" * 5000),  # compressed already
    ],
)
@pytest.mark.parametrize("encoding", ["gzip", None])
def test_small_files_fonts_and_images_are_sent_as_they_are(
    folder: Path, tmp_path: Path, path, kind, content, encoding
):
    app = serve.CompressedStatic(folder=folder, cache=tmp_path / "cache").wrap(streamlit)
    got = call(app, path, encoding)
    assert got["body"] == content
    assert "content-encoding" not in got["headers"]
    assert got["headers"]["content-type"] == kind
    assert got["headers"]["cache-control"] == serve.IMMUTABLE.decode()


def test_a_large_file_not_sent_compressed_is_left_to_streamlit(
    folder: Path, tmp_path: Path, monkeypatch
):
    monkeypatch.setattr(serve, "MAX_PLAIN", 4000)
    app = serve.CompressedStatic(folder=folder, cache=tmp_path / "cache").wrap(streamlit)
    assert call(app, "/static/media/font.woff2")["body"] == b"streamlit /static/media/font.woff2"


def test_a_file_answered_once_is_answered_again_without_the_disk(
    folder: Path, tmp_path: Path, monkeypatch
):
    """Streamlit's installed front end does not change under a running server: a path sent
    once is sent again from memory (no path resolved, no file checked, no thread's hop)."""
    app = serve.CompressedStatic(folder=folder, cache=tmp_path / "cache").wrap(streamlit)
    first = call(app, "/static/js/index.abc.js")
    other = call(app, "/static/js/../js/index.abc.js")  # the same file, spelt another way
    assert other["body"] == first["body"]

    def no_disk(*args, **kwargs):
        raise AssertionError("the disk was asked")

    monkeypatch.setattr(serve.Path, "resolve", no_disk)
    monkeypatch.setattr(serve.asyncio, "to_thread", no_disk)
    again = call(app, "/static/js/index.abc.js")
    assert again == first
    assert call(app, "/static/js/index.abc.js", encoding="br")["body"].startswith(b"streamlit")
    # only a file's own path is kept: there are as many answers as files, whatever is asked
    assert list(app._answers) == ["/static/js/index.abc.js"]


def test_a_new_server_s_first_visitor_gets_every_file_from_memory(
    folder: Path, tmp_path: Path, monkeypatch
):
    """The server's start loads the front end (:func:`ui.serve.warm`): the first request of
    each file finds it in memory like any later one."""
    app = serve.CompressedStatic(folder=folder, cache=tmp_path / "cache").wrap(streamlit)
    app.load_all()

    def no_disk(*args, **kwargs):
        raise AssertionError("the disk was asked")

    monkeypatch.setattr(serve.Path, "resolve", no_disk)
    monkeypatch.setattr(serve.asyncio, "to_thread", no_disk)
    assert gzip.decompress(call(app, "/static/js/index.abc.js")["body"]) == BUNDLE
    assert call(app, "/static/js/tiny.js")["body"] == b"1;"
    assert call(app, "/static/media/font.woff2")["body"] == b"\0" * 5000


def test_each_file_is_compressed_once_per_streamlit_version(
    folder: Path, tmp_path: Path, monkeypatch
):
    first = serve.CompressedStatic(folder=folder, cache=tmp_path / "cache").wrap(streamlit)
    first.load_all()
    kept = list((tmp_path / "cache").rglob("*.gz"))
    assert [p.name for p in kept] == ["index.abc.js.gz"]

    def no_compression(*args, **kwargs):
        raise AssertionError("compressed again")

    monkeypatch.setattr(serve.gzip, "compress", no_compression)  # a later start reads them
    again = serve.CompressedStatic(folder=folder, cache=tmp_path / "cache").wrap(streamlit)
    assert gzip.decompress(call(again, "/static/js/index.abc.js")["body"]) == BUNDLE


def test_the_server_imports_what_every_page_imports():
    names = serve.script_imports()
    assert {"ui.zonemap", "ui.common", "zoning.render.export", "streamlit"} <= set(names)
    pages = sorted(p.stem for p in (serve.ROOT / "pages").glob("*.py"))
    assert len(serve.SCRIPTS) == len(pages) + 1  # and dashboard.py


def test_the_server_imports_what_streamlit_imports_only_inside_a_script_run():
    """Streamlit's emoji catalogue (read by set_page_config on every page) is loaded by the
    warm-up, not by the first visitor: a fresh interpreter lacks it until warm_imports."""
    import subprocess
    import sys

    code = (
        "import sys, streamlit; before = 'streamlit.emojis' in sys.modules; "
        "from ui import serve; serve.warm_imports(); "
        "print(before, 'streamlit.emojis' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=serve.ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "True"], out.stderr[-2000:]


def test_the_map_s_content_named_files_are_kept_for_a_year_and_inflated_by_the_browser(
    tmp_path: Path,
):
    """A ZMG file (a gzip file) goes out with a year's cache: its name is its content's
    digest. To a browser that takes gzip it goes as stored, as the gzip encoding of what it
    holds (the browser inflates it); to others, and a file that is not gzip, as stored."""
    geo = tmp_path / "geo"
    geo.mkdir()
    inside = b"ZMG1" + bytes(range(256)) * 40
    files = {
        "0123456789abcdef0123.zmg": gzip.compress(inside, mtime=0),
        "0123456789abcdef0124.zmg": b"ZMG1 not compressed",
    }
    for name, payload in files.items():
        (geo / name).write_bytes(payload)
    app = serve.MapFiles(geo).wrap(streamlit)
    for name, payload in files.items():
        for encoding in ("gzip, deflate, br", "identity", None):
            got = call(app, f"/app/static/geo/{name}", encoding=encoding)
            assert got["status"] == 200
            assert got["headers"]["cache-control"] == serve.IMMUTABLE.decode()
            assert got["body"] == payload  # as stored, never compressed again
            assert int(got["headers"]["content-length"]) == len(payload)
            encoded = got["headers"].get("content-encoding") == "gzip"
            is_gzip = payload[:2] == b"\x1f\x8b"
            assert encoded == (is_gzip and encoding == "gzip, deflate, br"), (name, encoding)
            if encoded:  # what the browser's inflating gives the map
                assert gzip.decompress(got["body"]) == inside
    head = call(app, "/app/static/geo/0123456789abcdef0123.zmg", method="HEAD")
    assert head["body"] == b""
    assert int(head["headers"]["content-length"]) == len(files["0123456789abcdef0123.zmg"])


@pytest.mark.parametrize(
    "path",
    [
        "/app/static/geo/fedcba98765432100000.zmg",  # not there (removed): Streamlit's 404
        "/app/static/geo/0123456789ABCDEF0123.zmg",  # not a digest as the map names them
        "/app/static/geo/0123456789abcdef0123.zmg.part",
        "/app/static/geo/../geo/0123456789abcdef0123.zmg",
        "/app/static/other/0123456789abcdef0123.zmg",
        "/static/geo/0123456789abcdef0123.zmg",
    ],
)
def test_anything_else_under_static_goes_to_streamlit(tmp_path: Path, path: str):
    geo = tmp_path / "geo"
    geo.mkdir()
    (geo / "0123456789abcdef0123.zmg").write_bytes(b"x" * 2000)
    got = call(serve.MapFiles(geo).wrap(streamlit), path)
    assert got["body"] == f"streamlit {path}".encode()


SHELL = b"<!DOCTYPE html><html><head><title>Streamlit</title></head><body></body></html>"


def shell_app(body: bytes = SHELL, kind: bytes = b"text/html; charset=utf-8", status: int = 200,
              gzipped: bool = False, chunks: int = 1):  # fmt: skip
    """What Streamlit answers for a page's address: its shell, as a file with validators."""

    async def app(scope, receive, send):
        data = gzip.compress(body) if gzipped else body
        headers = [
            (b"content-type", kind),
            (b"content-length", str(len(data)).encode()),
            (b"etag", b'"abc"'),
            (b"last-modified", b"Fri, 04 Dec 2026 18:23:30 GMT"),
        ]
        if gzipped:
            headers.append((b"content-encoding", b"gzip"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        step = -(-len(data) // chunks)
        for i in range(chunks):
            part = data[i * step : (i + 1) * step]
            await send({"type": "http.response.body", "body": part, "more_body": i < chunks - 1})

    return app


@pytest.mark.parametrize(("gzipped", "chunks"), [(False, 1), (True, 1), (True, 3)])
def test_a_page_s_shell_is_told_where_the_server_is(gzipped: bool, chunks: int):
    app = serve.PageShell(base_path="").wrap(shell_app(gzipped=gzipped, chunks=chunks))
    got = call(app, "/map")
    body = gzip.decompress(got["body"]) if gzipped else got["body"]
    assert int(got["headers"]["content-length"]) == len(got["body"])
    assert (got["headers"].get("content-encoding") == "gzip") is gzipped
    assert "etag" not in got["headers"] and "last-modified" not in got["headers"]
    script = serve.PageShell.script("/map")
    assert body == SHELL.replace(b"<head>", b"<head>" + script)
    assert b'var s="/map"' in script  # what it does: the Node test below runs it


@pytest.mark.parametrize(
    ("path", "method", "app"),
    [
        ("/", "GET", shell_app()),  # the root: nothing to guess
        ("/map", "HEAD", shell_app()),
        ("/map", "POST", shell_app()),
        ("/_stcore/health", "GET", shell_app()),
        ("/static/js/index.abc.js", "GET", shell_app()),
        ("/component/ui.zonemap.zonemap/index.html", "GET", shell_app()),
        ("/app/static/geo/abc.zmg", "GET", shell_app()),
        ("/map.zmg", "GET", shell_app()),  # not a page path
        ("/peta/<script>", "GET", shell_app()),
        ("/map", "GET", shell_app(kind=b"application/json")),
        ("/map", "GET", shell_app(status=404)),
        ("/map", "GET", shell_app(body=b"<html>no head</html>")),
    ],
)
def test_anything_but_a_page_s_shell_goes_through_untouched(path: str, method: str, app):
    direct = call(app, path, method=method)
    got = call(serve.PageShell(base_path="").wrap(app), path, method=method)
    assert got == direct


def test_under_a_base_url_path_the_page_path_is_what_follows_it():
    shell = serve.PageShell(base_path="/zona/").wrap(shell_app())
    assert serve.PageShell.script("/map") in call(shell, "/zona/map")["body"]
    assert call(shell, "/zona")["body"] == SHELL  # the base itself: the app's root
    assert call(shell, "/other/map")["body"] == SHELL


def test_the_script_sets_the_server_s_address_from_the_page_s(tmp_path: Path):
    """Run the script in Node when it is installed: the address minus the page path."""
    import shutil
    import subprocess

    node = shutil.which("node")
    if node is None:
        pytest.skip("node not installed: the script's logic is checked in the browser test")
    code = serve.PageShell.script("/map").decode()
    code = code.removeprefix("<script>").removesuffix("</script>")
    cases = {
        "/map": "http://h:1/",
        "/map/": "http://h:1/",
        "/proxy/zona/map": "http://h:1/proxy/zona/",
        "/xmap": None,
        "/trends": None,
    }
    for pathname, expected in cases.items():
        run = (
            f"var location={{pathname:{pathname!r},origin:'http://h:1'}};var window={{}};"
            f"{code};console.log(JSON.stringify((window.__streamlit||{{}}).BACKEND_BASE_URL||null))"
        )
        out = subprocess.run([node, "-e", run], capture_output=True, text=True, check=True)
        assert out.stdout.strip() == ("null" if expected is None else f'"{expected}"'), pathname


def test_connections_accepted_on_a_protocol_0_socket_send_without_nagle_s_delay():
    """Streamlit's listening socket is ``socket.socket(family)``: asyncio alone leaves
    Nagle's algorithm on for what it accepts; after :func:`serve.no_delay` it is off."""
    import asyncio.base_events as base_events
    import socket

    assert serve.no_delay() and serve.no_delay()  # in place, and only once
    patched = base_events._set_nodelay
    assert patched.zoning_no_delay and not getattr(patched.original, "zoning_no_delay", False)

    def nodelay(sock) -> int:
        return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)

    async def accepted_nodelay() -> int:
        listener = socket.socket(socket.AF_INET)  # protocol 0, as Streamlit binds it
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        seen: list[int] = []

        async def handle(reader, writer):
            seen.append(nodelay(writer.get_extra_info("socket")))
            writer.close()

        server = await asyncio.start_server(handle, sock=listener)
        async with server:
            _, writer = await asyncio.open_connection(*listener.getsockname())
            while not seen:
                await asyncio.sleep(0.01)
            writer.close()
        return seen[0]

    assert asyncio.run(accepted_nodelay()) != 0
    with socket.socket(socket.AF_INET) as plain:  # what asyncio's own check does with it
        assert plain.proto == 0
        patched.original(plain)
        assert nodelay(plain) == 0
        patched(plain)
        assert nodelay(plain) != 0


def test_what_the_warm_up_made_is_left_out_of_full_collections(tmp_path: Path, monkeypatch):
    import gc

    made = [[i] for i in range(5000)]  # tracked by the collector, as the levels' objects are
    frozen = []
    real = serve.freeze_warm_objects
    monkeypatch.setattr(serve, "freeze_warm_objects", lambda: frozen.append(real()) or frozen[-1])
    monkeypatch.setenv("ZONING_DB", str(tmp_path / "empty.db"))
    monkeypatch.setattr(serve.STATIC, "load_all", lambda: None)
    try:
        serve.warm()
        assert frozen and frozen[0] >= len(made)  # objects freed since leave the count
        gc.collect()  # a full collection does not walk them: they are not in any generation
        walked = {id(o) for o in gc.get_objects()}
        assert gc.get_freeze_count() >= len(made)
        assert not any(id(x) in walked for x in made)
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0
    walked = {id(o) for o in gc.get_objects()}
    assert all(id(x) in walked for x in made)  # unfrozen: collected as before
