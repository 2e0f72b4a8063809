"""The one way cmqgraph writes a file: to a temporary name beside it, renamed into place when complete.

A failed write (unwritable folder, full disk, an error halfway) never leaves a half-written file under the
final name, and never touches the file already there. Every file the project writes goes through
:func:`atomic_file`.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> with atomic_file(folder / "a.txt") as f:
...     _ = f.write(b"bonjour")
>>> (folder / "a.txt").read_bytes(), sorted(p.name for p in folder.iterdir())
(b'bonjour', ['a.txt'])
"""

from __future__ import annotations

import contextlib
import gzip as gzip_module
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .errors import OutputError

__all__ = ["atomic_file", "output_folder", "source_date_epoch"]


def source_date_epoch() -> int | None:
    """Return ``$SOURCE_DATE_EPOCH`` as an int, or None when it is unset or not a number."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return int(value) if value.isdigit() else None


@contextlib.contextmanager
def atomic_file(path: Path, gzip: bool = False) -> Iterator[IO[bytes]]:
    """Open ``path`` for binary writing through a temporary file renamed into place on success.

    With ``gzip``, the bytes are gzip-compressed deterministically (no file name, ``mtime`` from
    ``SOURCE_DATE_EPOCH`` or 0). On any exception the temporary file is removed and nothing appears
    under ``path``; an OSError becomes an :class:`OutputError`.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.part-{os.getpid()}")
    try:
        raw = open(tmp, "wb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc}") from exc
    try:
        try:
            if gzip:
                with gzip_module.GzipFile(filename="", mode="wb", fileobj=raw, mtime=source_date_epoch() or 0) as zipped:
                    yield zipped
            else:
                yield raw
            raw.flush()
            os.fsync(raw.fileno())
        finally:
            raw.close()
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {path}: {exc}") from exc
        raise


def output_folder(out_dir: str | os.PathLike) -> Path:
    """Create folder ``out_dir`` (and its parents) if needed and return it; an OSError becomes an :class:`OutputError`."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder {out}: {exc}") from exc
    return out
