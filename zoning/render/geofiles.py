"""The map's geometry files: written once by content, never deleted while a view may use them.

The map page publishes each level's (or each ``within`` region's) geometry as
``<folder>/<content hash>.zmg``, which the browser fetches once. A file is *live* while a
view may still fetch it:

* it was published in this process for the current or the previous data version of its
  store (a browser that rendered a view just before an upload may still be fetching it);
* or it was published, by any process, less than :data:`GRACE_SECONDS` ago (publishing
  touches the file, so a server sharing the folder sees it is in use).

Only files that are neither are removed, oldest first, and only when the folder holds more
than ``keep`` files. The number of live files is bounded by the data, not by the visitors:
a view's ``within`` is a real region of a level above the view's
(:func:`zoning.render.mapdata.checked_within`), so there is at most one file per level and region.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Hashable
from pathlib import Path

#: A file published this recently (by any process) is never removed.
GRACE_SECONDS = 3600.0
SUFFIX = ".zmg"


class GeoFiles:
    """A folder of content-addressed geometry files with safe clean-up.

    Parameters
    ----------
    folder : Path
        Where the files are written (served to the browser as static files).
    keep : int
        Clean-up starts when the folder holds more files than this.
    grace : float
        Seconds a file stays after its last publication when nothing else keeps it.
    """

    def __init__(self, folder: Path, keep: int = 64, grace: float = GRACE_SECONDS):
        self.folder = Path(folder)
        self.keep = keep
        self.grace = grace
        self._lock = threading.Lock()
        self._used: dict[str, tuple[Hashable, int]] = {}  # name -> (store, data version)
        self._latest: dict[Hashable, int] = {}  # store -> newest data version published

    def publish(self, digest: str, payload: bytes, store: Hashable, version: int) -> str | None:
        """Write ``payload`` as ``<digest>.zmg`` unless it exists; return the file's name.

        ``store`` and ``version`` name the data the file belongs to. Returns ``None`` when
        the folder cannot be written (a read-only install).
        """
        name = f"{digest}{SUFFIX}"
        path = self.folder / name
        with self._lock:
            self._used[name] = (store, version)
            self._latest[store] = max(version, self._latest.get(store, version))
        try:
            if path.exists():
                os.utime(path)  # in use: other processes sharing the folder see it
                return name
            self.folder.mkdir(parents=True, exist_ok=True)
            part = path.with_name(f".{name}.{os.getpid()}.{threading.get_ident()}.part")
            part.write_bytes(payload)
            os.replace(part, path)  # readers never see half a file
            self.clean()
        except OSError:
            return None
        return name

    def live(self, name: str, mtime: float, now: float) -> bool:
        """Whether a view may still fetch the file ``name`` (last touched at ``mtime``)."""
        with self._lock:
            used = self._used.get(name)
            if used is not None:
                store, version = used
                if version >= self._latest.get(store, version) - 1:
                    return True
        return now - mtime < self.grace

    def clean(self) -> list[str]:
        """Remove files no view can use, oldest first, down to ``keep``; return their names."""
        files = []
        for path in self.folder.glob(f"*{SUFFIX}"):
            try:
                files.append((path.stat().st_mtime, path))
            except OSError:  # removed meanwhile
                continue
        excess = len(files) - self.keep
        if excess <= 0:
            return []
        now = time.time()
        removed = []
        for mtime, path in sorted(files):
            if len(removed) >= excess:
                break
            if self.live(path.name, mtime, now):
                continue
            path.unlink(missing_ok=True)
            with self._lock:
                self._used.pop(path.name, None)
            removed.append(path.name)
        return removed
