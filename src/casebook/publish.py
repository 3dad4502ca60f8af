"""Stage 8, publish: PDF bytes → files in the output folder, atomically.

Every file is written beside its target under a temporary name, flushed to disk, then renamed
over the target, so that a reader never sees half a file and a failed build leaves the previous
file in place. A lock file keeps two builds of one output folder from interleaving.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import CasebookError


def write_atomic(target: Path, data: bytes) -> None:
    """Replace `target` with `data` in one step (same folder, fsync, rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def inside(out: Path, *parts: str) -> Path:
    """`out/parts…`, refusing any path that would leave the output folder."""
    target = out.joinpath(*parts).resolve()
    if not target.is_relative_to(out.resolve()):
        raise CasebookError(f"refusing to write {target}: it is outside the output folder {out}")
    return target


@contextlib.contextmanager
def build_lock(out: Path, wait: bool = True) -> Iterator[None]:
    """Hold `out/.casebook.lock` for the duration of a build.

    A POSIX record lock (`lockf`), not `flock`: it belongs to this process only, so worker
    processes forked during the build do not hold it, and it is released when this process
    ends, even by SIGKILL.
    """
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".casebook.lock", "a+") as handle:
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            if not wait:
                raise CasebookError(
                    f"another casebook build is writing to {out}: wait for it to finish"
                ) from None
            logging.getLogger("casebook").info(
                "another casebook build is writing to %s: waiting for it to finish", out
            )
            fcntl.lockf(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.lockf(handle, fcntl.LOCK_UN)
