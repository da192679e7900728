"""Atomic replacement of a return's files: each is written under a temporary name in the output folder and renamed
over the old one only once every file of the set has been written, so a reader (or a re-run that fails half way)
never sees a half-written file, and a failed run leaves the previous return as it was."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

Writer = Callable[[Path], None]


class ReturnFolder:
    """Collects the files of one return as temporaries; :meth:`commit` renames them all into place."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._pending: list[tuple[Path, Path]] = []

    def write(self, name: str, writer: Writer) -> Path:
        final = self.folder / name
        temporary = self.folder / f".{name}.{secrets.token_hex(4)}.tmp"
        self._pending.append((temporary, final))
        writer(temporary)
        with temporary.open("rb") as written:
            os.fsync(written.fileno())
        return final

    def commit(self) -> None:
        for temporary, final in self._pending:
            os.replace(temporary, final)
        self._fsync_folder()
        self._pending.clear()

    def discard(self) -> None:
        for temporary, _ in self._pending:
            temporary.unlink(missing_ok=True)
        self._pending.clear()

    def _fsync_folder(self) -> None:
        descriptor = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


@contextmanager
def replacing_files(folder: Path) -> Iterator[ReturnFolder]:
    """Write files through the yielded folder; on success they replace the old ones, on error none does."""
    folder.mkdir(parents=True, exist_ok=True)
    files = ReturnFolder(folder)
    try:
        yield files
    except BaseException:
        files.discard()
        raise
    files.commit()
