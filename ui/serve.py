"""The dashboard as it is served (``streamlit run app.py``): ready before it answers, and
Streamlit's own front end sent compressed.

* :func:`lifespan` runs before the server takes its first request: it imports what the
  pages import and loads what the first map needs (:func:`zoning.render.firstview.warm`:
  kept in the store by the import, so loaded, not built), so the first visitor after a
  start does not wait for either.
* :class:`CompressedStatic` answers requests for Streamlit's front end (``/static/...``,
  3.5 MB of JavaScript for the first page) with its gzip form. Streamlit 1.67 serves these
  files uncompressed on purpose (compressing them again on every request cost it CPU; it
  leaves it to a proxy); here each file is compressed once per installed Streamlit version
  (kept under :data:`CACHE`, made by the first start) and read from memory after.
* :class:`MapFiles` answers requests for the map's files (``/app/static/geo/<digest>.zmg``:
  a level's shapes, detail tiles, tooltip files), which are named by their content: cached
  by the browser for a year, so a returning visitor's map is not sent again, and sent as
  the gzip files they are with ``Content-Encoding: gzip`` (Streamlit compressed them again
  on every request), so the browser inflates them off the page's thread.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import gc
import gzip
import importlib
import json
import logging
import mimetypes
import os
import re
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The scripts Streamlit runs: whatever they import is imported before the first visitor.
SCRIPTS = (ROOT / "dashboard.py", *sorted((ROOT / "pages").glob("*.py")))
#: What Streamlit imports only inside a script run: its emoji catalogue, read by
#: ``st.set_page_config`` to check the page icon (0.26 s of the first visitor's first page).
STREAMLIT_LAZY = ("streamlit.emojis",)
#: Files smaller than this are sent as they are.
MIN_SIZE = 1024
#: What is worth compressing (fonts and images are compressed already).
COMPRESSIBLE = (".js", ".css", ".html", ".json", ".svg", ".map", ".txt", ".mjs")
#: Larger front-end files that are not sent compressed are left to Streamlit.
MAX_PLAIN = 4 * 2**20
#: Where the compressed files are kept between starts (per Streamlit version).
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "zoning" / "static-gz"
#: Streamlit's cache header for its hashed bundles (a year).
IMMUTABLE = b"public, immutable, max-age=31536000"


def script_imports(paths=SCRIPTS) -> list[str]:
    """The modules the scripts import at their top level (``import x``, ``from x import y``)."""
    found: list[str] = []
    for path in paths:
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Import):
                found += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.append(node.module)
                found += [f"{node.module}.{alias.name}" for alias in node.names]
    return list(dict.fromkeys(found))


def warm_imports() -> None:
    """Import what the pages import (names that are not modules are skipped), and register
    the custom components those modules declare.

    Streamlit registers a component only when it is declared inside a script run; imported
    here, its module is not run again by the scripts, so it is registered here (else the
    map's frame gets a 404).
    """
    from streamlit.components.v1.custom_component import CustomComponent
    from streamlit.runtime import Runtime

    for name in (*script_imports(), *STREAMLIT_LAZY):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    if not Runtime.exists():
        return
    registry = Runtime.instance().component_registry
    for name, module in list(sys.modules.items()):
        if name == "ui" or name.startswith("ui."):
            for value in vars(module).values():
                if isinstance(value, CustomComponent):
                    registry.register_component(value)


def warm() -> None:
    """Imports, then the first map's data (:func:`zoning.render.firstview.warm`)."""
    from zoning.core.memory import return_large_blocks
    from zoning.render.firstview import warm as warm_views
    from zoning.store import Store

    return_large_blocks()  # before the levels are loaded and the first views built
    start = time.perf_counter()
    warm_imports()
    STATIC.load_all()
    store = Store()
    if not store.is_empty():  # an empty store gets the demo from its first visitor
        try:
            warm_views(store)
        except Exception:  # the pages say what is wrong; the server still starts
            logging.getLogger("zoning").warning("warming the first map failed", exc_info=True)
    freeze_warm_objects()
    logging.getLogger("zoning").info("ready in %.1f s", time.perf_counter() - start)


def freeze_warm_objects() -> int:
    """Leave what the warm-up made out of Python's full garbage collections (``gc.freeze``).

    The modules, the levels and the first views the warm-up loads live as long as the
    server. Python's cycle collector still walked all of them in every full collection that
    a script run happened to set off: ~180,000 objects, 75-90 ms a time at 83,402 villages,
    which made some warm reruns take 250-450 ms instead of 60-130. Frozen, they are never
    walked again; what the sessions make later is collected as before, and frozen objects
    are still freed by reference counting (only a cycle among them would stay). Returns how
    many objects were frozen.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def no_delay() -> bool:
    """Turn Nagle's algorithm off on every TCP connection this process accepts from now on.

    asyncio sets ``TCP_NODELAY`` on the socket of each TCP transport it makes, but only on
    sockets whose protocol number is ``IPPROTO_TCP``. Streamlit 1.67 binds its listening
    socket as ``socket.socket(family)`` (protocol 0, TCP all the same), so the connections
    it accepts keep Nagle's algorithm: an answer written in two parts (uvicorn writes the
    headers, then the body: every front-end file, health check and map file) holds its
    second part until the browser acknowledges the first, which a browser on a kept-alive
    connection delays by ~40 ms. Measured on this machine: 44 ms for each request of
    ``/_stcore/health`` on one connection, 0.2 ms with this; a page loads ~50 of
    Streamlit's front-end files after its first message. WebSocket messages written one
    after another wait the same way.

    asyncio's own check (``asyncio.base_events._set_nodelay``) is replaced by one that also
    takes protocol 0 for stream sockets of IPv4 and IPv6. Returns whether it is in place
    (``False`` on a Python without that function: nothing is changed).
    """
    import asyncio.base_events as base_events

    current = getattr(base_events, "_set_nodelay", None)
    if current is None:
        return False
    if getattr(current, "zoning_no_delay", False):
        return True

    def _set_nodelay(sock) -> None:
        if (
            sock.family in (socket.AF_INET, socket.AF_INET6)
            and sock.type == socket.SOCK_STREAM
            and sock.proto in (0, socket.IPPROTO_TCP)
        ):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    _set_nodelay.zoning_no_delay = True
    _set_nodelay.original = current
    base_events._set_nodelay = _set_nodelay
    return True


@contextlib.asynccontextmanager
async def lifespan(_app) -> AsyncIterator[None]:
    """Warm up before the first request (the server answers its health check after)."""
    await asyncio.to_thread(warm)
    yield


class CompressedStatic:
    """ASGI middleware: Streamlit's front-end files from memory, in gzip form where it pays.

    ``GET``/``HEAD`` of an existing file under ``static`` (Streamlit's own folder: every name
    there holds its content's hash), no ``Range``. A file with a compressible suffix of at
    least :data:`MIN_SIZE` bytes goes in gzip form to browsers that take it (to others,
    Streamlit answers); a smaller one, a font or an image goes as it is, if it is at most
    :data:`MAX_PLAIN` bytes. Everything else goes to Streamlit untouched. The headers are
    Streamlit's own for these files (cached for a year) plus ``Vary: Accept-Encoding`` and,
    for the gzip form, ``Content-Encoding: gzip``.

    A path answered once is answered again from memory, without looking at the disk: the
    folder is Streamlit's installed front end, which does not change under a running server.
    Resolving the path, checking the file and a thread's hop cost ~0.2 ms a request, and
    Streamlit's own answer of a small file (opened, read and closed in threads) more; a first
    map page asks for ~117 of Streamlit's files, 42 of them under 1 KB, while its browser
    shares the machine.
    """

    def __init__(self, app=None, folder: Path | None = None, cache: Path | None = CACHE):
        import streamlit
        from streamlit import file_util

        self.app = app
        self.folder = Path(folder or file_util.get_static_dir()).resolve()
        self.kept = None if cache is None else cache / streamlit.__version__
        self._lock = threading.Lock()
        #: A file's own path -> (body, content type, gzip form), for every file answered so far.
        self._answers: dict[str, tuple[bytes, bytes, bool]] = {}

    def wrap(self, app) -> CompressedStatic:
        """This middleware around ``app`` (Starlette builds middleware as ``factory(app)``)."""
        self.app = app
        return self

    def compressed(self, path: Path) -> bytes | None:
        """The gzip form of ``path`` (made once per Streamlit version and kept under
        :data:`CACHE`), or ``None`` if too small."""
        kept = None if self.kept is None else self.kept / path.relative_to(self.folder)
        packed = None
        with contextlib.suppress(OSError):
            packed = kept.with_name(kept.name + ".gz").read_bytes() if kept else None
        if packed is None:
            data = path.read_bytes()
            if len(data) >= MIN_SIZE:
                packed = gzip.compress(data, compresslevel=9, mtime=0)
                if kept is not None:
                    with contextlib.suppress(OSError):
                        kept.parent.mkdir(parents=True, exist_ok=True)
                        part = kept.with_name(f"{kept.name}.{os.getpid()}.part")
                        part.write_bytes(packed)
                        os.replace(part, kept.with_name(kept.name + ".gz"))
        return packed

    def load_all(self) -> None:
        """Every front-end file into memory now, as it will be answered: a new server's first
        visitor then gets each from memory too. The gzip forms are made on the first start
        after an install and kept under :data:`CACHE`; later starts read them."""
        for path in sorted((self.folder / "static").rglob("*")):
            if path.is_file():
                self._answer("/" + path.relative_to(self.folder).as_posix())

    def _wanted(self, scope) -> str | None:
        """The path asked for if this request may get a file from memory, else ``None``."""
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return None
        path = scope["path"]
        if not path.startswith("/static/") or any(k == b"range" for k, _ in scope["headers"]):
            return None
        return path

    def _file(self, path: str) -> Path | None:
        target = (self.folder / path.lstrip("/")).resolve()
        if not target.is_relative_to(self.folder / "static") or not target.is_file():
            return None
        return target

    def _answer(self, path: str) -> tuple[bytes, bytes, bool] | None:
        """The body, content type and whether it is the gzip form, for ``path`` (kept once
        found), or ``None`` for Streamlit to answer."""
        target = self._file(path)
        if target is None:
            return None
        own = "/" + target.relative_to(self.folder).as_posix()
        with self._lock:  # another spelling of a file answered already
            if own in self._answers:
                return self._answers[own]
        body = self.compressed(target) if target.suffix in COMPRESSIBLE else None
        gzipped = body is not None
        if body is None and target.stat().st_size <= MAX_PLAIN:
            body = target.read_bytes()
        if body is None:
            return None
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind.endswith("javascript"):
            kind += "; charset=utf-8"
        found = (body, kind.encode(), gzipped)
        with self._lock:  # under the file's own path: other spellings find it, never add one
            self._answers[own] = found
        return found

    async def __call__(self, scope, receive, send) -> None:
        path = self._wanted(scope)
        found = None if path is None else self._answers.get(path)
        if path is not None and found is None:
            found = await asyncio.to_thread(self._answer, path)
        if found is not None and found[2]:  # the gzip form: only to browsers that take it
            accepted = next((v for k, v in scope["headers"] if k == b"accept-encoding"), b"")
            found = found if b"gzip" in accepted else None
        if found is None:
            await self.app(scope, receive, send)
            return
        await send_kept(scope, send, found[0], found[1], gzipped=found[2])


async def send_kept(
    scope, send, body: bytes, kind: bytes, *, gzipped: bool, extra: tuple = ()
) -> None:
    """Answer with ``body`` for browsers to keep a year (a name that never stands for other
    bytes: a hashed bundle, a content-named map file), in its gzip form if ``gzipped``;
    without the body for ``HEAD``."""
    headers = [
        (b"content-type", kind),
        (b"content-length", str(len(body)).encode()),
        (b"vary", b"Accept-Encoding"),
        (b"cache-control", IMMUTABLE),
        *([(b"content-encoding", b"gzip")] if gzipped else []),
        *extra,
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    empty = scope["method"] == "HEAD"
    await send({"type": "http.response.body", "body": b"" if empty else body})


#: The one instance: ``app.py`` installs it, :func:`warm` fills it.
STATIC = CompressedStatic()


class MapFiles:
    """ASGI middleware: the map's content-named files, cached for a year.

    ``GET``/``HEAD`` of ``/app/static/geo/<20 hex digits>.zmg`` that exists in ``folder``
    (:data:`ui.zonemap.GEO_DIR`), with ``Cache-Control: public, immutable, max-age=...``: the
    name is the digest of the content, so a name never stands for other bytes. The files are
    gzip files (a level's shapes, detail tiles, tooltip values): a browser that takes gzip
    gets one as stored with ``Content-Encoding: gzip``, so that its network thread inflates
    it, not the map's page thread (which Streamlit's own page shares); another gets the
    stored bytes and the map inflates them. Deflating the files again, as this did before,
    took 1-3 % off real boundaries (a fifth off the generated national file's regular names)
    and cost a new server ~0.1 s of CPU per file on its first request. Anything else goes to
    Streamlit (which serves the rest of ``static/``, and compressed these files again on
    every request).
    """

    PATH = re.compile(r"^/app/static/geo/([0-9a-f]{20}\.zmg)$")
    GZIP = b"\x1f\x8b"

    def __init__(self, folder: Path | None = None):
        self.folder = folder
        self.app = None

    def wrap(self, app) -> MapFiles:
        """This middleware around ``app`` (Starlette builds middleware as ``factory(app)``)."""
        self.app = app
        return self

    def _file(self, scope) -> Path | None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return None
        found = self.PATH.match(scope["path"])
        if found is None or b"range" in dict(scope["headers"]):
            return None
        if self.folder is None:
            from ui.zonemap import GEO_DIR

            self.folder = GEO_DIR
        path = self.folder / found[1]
        return path if path.is_file() else None

    def body(self, path: Path, gzipped: bool) -> tuple[bytes, bool]:
        """The bytes to send for ``path`` and whether they go as a gzip encoding of what the
        browser is to see (``gzipped``: the browser takes gzip)."""
        data = path.read_bytes()
        return data, gzipped and data[:2] == self.GZIP

    async def __call__(self, scope, receive, send) -> None:
        path = self._file(scope)
        found = None
        if path is not None:
            takes = b"gzip" in dict(scope["headers"]).get(b"accept-encoding", b"")
            with contextlib.suppress(OSError):  # removed meanwhile: Streamlit says 404
                found = await asyncio.to_thread(self.body, path, takes)
        if found is None:
            await self.app(scope, receive, send)
            return
        body, gzipped = found
        await send_kept(
            scope, send, body, b"application/octet-stream", gzipped=gzipped,
            extra=((b"x-content-type-options", b"nosniff"),),
        )  # fmt: skip


#: The one instance: ``app.py`` installs it.
MAP_FILES = MapFiles()


class PageShell:
    """ASGI middleware: the page shell (Streamlit's ``index.html``) told where the server is.

    Opened at a page's address (``/map``), Streamlit's front end does not know whether
    ``/map`` is a page or the prefix the server is served under, so it asks ``/map/_stcore/
    health`` first, and only after that fails the address one level up: ~0.1 s more before
    the first message on this machine, on every page opened by its address. The front end
    reads where its server is from ``window.__streamlit.BACKEND_BASE_URL`` when it is set
    before its bundle runs (the setting it reads for hosts that embed it). This
    middleware adds a small script to the shell that sets it: the page's address minus the
    page path the server was asked for (so a proxy's prefix, whatever it is, is kept). It
    only touches ``GET`` answers of ``text/html`` with status 200 for a page path (letters,
    digits, ``-`` and ``_`` between slashes); anything else goes through untouched, and the
    script leaves the setting alone where the address does not end with that path.
    """

    PAGE = re.compile(r"^(?:/[A-Za-z0-9_-]+)+/?$")
    SKIP = ("/_stcore/", "/static/", "/component/", "/app/", "/media/")
    HEAD = b"<head>"

    def __init__(self, base_path: str | None = None):
        self.app = None
        self._base = base_path

    def wrap(self, app) -> PageShell:
        """This middleware around ``app`` (Starlette builds middleware as ``factory(app)``)."""
        self.app = app
        return self

    def base(self) -> str:
        """The server's own path prefix (``server.baseUrlPath``), as ``/prefix`` or ``""``."""
        if self._base is None:
            from streamlit import config

            self._base = config.get_option("server.baseUrlPath") or ""
        base = self._base.strip("/")
        return f"/{base}" if base else ""

    def page(self, scope) -> str | None:
        """The page path asked for (``/map``), or ``None`` if this is not a page request."""
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        path, base = scope["path"], self.base()
        if base:
            if not path.startswith(base + "/"):
                return None
            path = path[len(base) :]
        if path.startswith(self.SKIP) or not self.PAGE.match(path):
            return None
        return path.rstrip("/")

    @staticmethod
    def script(page: str) -> bytes:
        """The script that sets ``BACKEND_BASE_URL`` for a shell served at ``page``."""
        suffix = json.dumps(page).replace("<", "\\u003c")
        return (
            "<script>(function(){var s=" + suffix + ",p=location.pathname.replace(/\\/+$/,'');"
            "if(s&&p.length>=s.length&&p.slice(p.length-s.length)===s){"
            "window.__streamlit=Object.assign({},window.__streamlit,{BACKEND_BASE_URL:"
            "location.origin+p.slice(0,p.length-s.length)+'/'});}})();</script>"
        ).encode()

    def edit(self, body: bytes, gzipped: bool, page: str) -> bytes | None:
        """The shell with the script after ``<head>`` (``None`` if it has no ``<head>``)."""
        html = gzip.decompress(body) if gzipped else body
        at = html.find(self.HEAD)
        if at < 0:
            return None
        at += len(self.HEAD)
        html = html[:at] + self.script(page) + html[at:]
        return gzip.compress(html, compresslevel=6, mtime=0) if gzipped else html

    async def __call__(self, scope, receive, send) -> None:
        page = self.page(scope)
        if not page:
            await self.app(scope, receive, send)
            return
        start: dict | None = None
        parts: list[bytes] = []

        async def hold(message) -> None:
            nonlocal start
            if start is None and message["type"] == "http.response.start":
                headers = dict(message.get("headers") or [])
                kind = headers.get(b"content-type", b"")
                if message["status"] == 200 and kind.startswith(b"text/html"):
                    start = message
                    return
                start = {}  # not a shell: everything passes through
            if not start:
                await send(message)
                return
            parts.append(message.get("body", b""))
            if message.get("more_body"):
                return
            await self._send_shell(send, start, b"".join(parts), page)

        await self.app(scope, receive, hold)

    async def _send_shell(self, send, start: dict, body: bytes, page: str) -> None:
        headers = [(k, v) for k, v in start.get("headers") or [] if k.lower() != b"content-length"]
        encoding = dict(headers).get(b"content-encoding", b"").lower()
        edited = None
        if encoding in (b"", b"identity", b"gzip"):
            with contextlib.suppress(OSError, EOFError, ValueError):
                edited = self.edit(body, encoding == b"gzip", page)
        if edited is not None:  # a new body: the file's validators no longer name it
            headers = [(k, v) for k, v in headers if k.lower() not in (b"etag", b"last-modified")]
            body = edited
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})


#: The one instance: ``app.py`` installs it.
PAGE_SHELL = PageShell()
