"""Reading content files safely: regular files only, never more than the size limit.

A case study that is a symbolic link (to a file outside the folder, to /dev/zero) or a FIFO,
socket or device is refused with a clear message instead of being followed, read without end or
waited on forever.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from kb.content.rules import MAX_FILE_BYTES


class UnsafeFile(OSError):
    """A path that is not a regular file, or could not be read; the message says which."""


def read_limited(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, at most ``limit + 1`` of them (so "too large" can still be reported)."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise UnsafeFile(f"cannot read file: {exc.strerror or exc}") from exc
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeFile(
            "is a symbolic link: case studies must be ordinary files in the content folder"
        )
    if not stat.S_ISREG(info.st_mode):
        raise UnsafeFile("is not a regular file (a folder, pipe, socket or device)")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnsafeFile(f"cannot read file: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):  # swapped since the lstat
            raise UnsafeFile("is not a regular file")
        return fh.read(limit + 1)
