"""Where an extract's files are read from: a folder or a zip inside a landing folder, and nothing else.

Safety rules (issue 4): only files inside a configured landing folder are read; a path that resolves outside it
(``..``, a symlink) is refused without touching it; inside an extract, a link leading out of the landing folder, a
sub-folder, or a zip member with an absolute name, a ``..`` component, a backslash or a link is refused; a file
over ``settings.max_file_bytes`` is refused before a byte of it is read.

A zip holds the extract's files at its top level, or all of them in one top-level folder.
"""

from __future__ import annotations

import stat
import zipfile
from abc import ABC, abstractmethod
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from csc.ingest.errors import ExtractRefused
from csc.settings import Settings

MANIFEST = "manifest.json"


def landing_roots(settings: Settings) -> list[Path]:
    """The landing folder, plus any LA landing folder configured elsewhere in ``las.yml``."""
    roots = [settings.landing_dir]
    if settings.las_config.exists():
        from csc.las import la_registry

        roots += [la.landing for la in la_registry(settings) if la.landing is not None]
    return [root.resolve() for root in roots]


def la_landing_dir(settings: Settings, la_code: str) -> Path:
    if settings.las_config.exists():
        from csc.las import la_registry

        registry = la_registry(settings)
        if la_code in registry:
            return registry.get(la_code).landing_dir(settings.landing_dir)
    return settings.landing_dir / la_code


def ready_marker(settings: Settings, la_code: str) -> str | None:
    """The completion marker that says an LA's extract without manifest.json is complete (its las.yml
    ``export: manifest: optional``, marker default READY), or None when the LA's extracts carry a manifest."""
    from csc.las import export_format

    return export_format(settings.las_config, la_code).ready_marker()


def extract_complete(folder: Path, marker: str | None) -> bool:
    """A landed extract folder is complete when its manifest (written last) is there, or its LA's marker is."""
    return (folder / MANIFEST).is_file() or (marker is not None and (folder / marker).is_file())


def landing_la(settings: Settings, path: Path) -> str | None:
    """The LA whose landing folder holds ``path`` (an extract folder or zip), or None if it is in none."""
    parent = Path(path).resolve().parent
    if settings.las_config.exists():
        from csc.las import la_registry

        for la in la_registry(settings):
            if la.landing_dir(settings.landing_dir).resolve() == parent:
                return la.code
    if parent.parent == settings.landing_dir.resolve():
        return parent.name
    return None


class ExtractSource(ABC):
    """The files of one landed extract, by name, with their sizes, readable as binary streams."""

    def __init__(self, path: Path, root: Path):
        self.path = path  # resolved, inside ``root``
        self.root = root

    @property
    @abstractmethod
    def names(self) -> list[str]: ...

    @abstractmethod
    def size(self, name: str) -> int: ...

    @abstractmethod
    def open(self, name: str) -> BinaryIO: ...

    def close(self) -> None:  # noqa: B027 - a folder holds no handle; a zip overrides this
        """Release any open handle (the zip)."""

    def __enter__(self) -> ExtractSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class FolderSource(ExtractSource):
    def __init__(self, path: Path, root: Path):
        super().__init__(path, root)
        self._files: dict[str, Path] = {}
        for entry in sorted(path.iterdir()):
            if entry.is_symlink():
                target = entry.resolve()
                if not target.is_relative_to(root):
                    raise ExtractRefused("unsafe_path", f"{entry.name} is a link to {target}, outside the landing "
                                                        f"folder {root}", file=entry.name)
                if not target.is_file():
                    raise ExtractRefused("unsafe_path", f"{entry.name} is a link to something that is not a file",
                                         file=entry.name)
            elif entry.is_dir():
                raise ExtractRefused("unknown_file", f"{entry.name}/ is a folder: an extract holds only files",
                                     file=entry.name)
            elif not stat.S_ISREG(entry.stat().st_mode):
                raise ExtractRefused("unsafe_path", f"{entry.name} is not a regular file", file=entry.name)
            self._files[entry.name] = entry

    @property
    def names(self) -> list[str]:
        return list(self._files)

    def size(self, name: str) -> int:
        return self._files[name].stat().st_size

    def open(self, name: str) -> BinaryIO:
        return self._files[name].open("rb")


class ZipSource(ExtractSource):
    def __init__(self, path: Path, root: Path):
        super().__init__(path, root)
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ExtractRefused("bad_zip", f"{path.name} cannot be read as a zip: {exc}", file=path.name) from None
        try:
            self._members = self._check_members()
        except ExtractRefused:
            self._zip.close()
            raise

    def _check_members(self) -> dict[str, zipfile.ZipInfo]:
        files: dict[str, zipfile.ZipInfo] = {}
        for info in self._zip.infolist():
            name = info.filename
            pure = PurePosixPath(name)
            if (name.startswith("/") or "\\" in name or ".." in pure.parts or (len(name) > 1 and name[1] == ":")):
                raise ExtractRefused("unsafe_path", f"zip member {name!r} has an absolute or escaping name",
                                     file=name)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ExtractRefused("unsafe_path", f"zip member {name!r} is a link", file=name)
            if info.flag_bits & 0x1:
                raise ExtractRefused("bad_zip", f"zip member {name!r} is encrypted", file=name)
            if info.is_dir():
                continue
            files[name] = info
        folders = {PurePosixPath(n).parts[0] for n in files if len(PurePosixPath(n).parts) > 1}
        at_top = [n for n in files if len(PurePosixPath(n).parts) == 1]
        if len(folders) == 1 and not at_top:
            prefix = folders.pop() + "/"
            files = {n[len(prefix):]: info for n, info in files.items()}
        for name in files:
            if "/" in name:
                raise ExtractRefused("unknown_file", f"zip member {name!r} is in a sub-folder: a zip holds the "
                                                     "extract's files at its top level or in one folder", file=name)
        return files

    @property
    def names(self) -> list[str]:
        return sorted(self._members)

    def size(self, name: str) -> int:
        return self._members[name].file_size

    def open(self, name: str) -> BinaryIO:
        return self._zip.open(self._members[name])

    def close(self) -> None:
        self._zip.close()


def open_extract(path: Path, settings: Settings) -> ExtractSource:
    """Open a landed extract after the landing-folder and size rules. Raises ExtractRefused."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise FileNotFoundError(f"no extract at {path}")
    resolved = path.resolve()
    roots = landing_roots(settings)
    root = next((r for r in roots if resolved.is_relative_to(r) and resolved != r), None)
    if root is None:
        raise ExtractRefused(
            "path_outside_landing",
            f"{path} resolves to {resolved}, which is not inside a landing folder "
            f"({', '.join(str(r) for r in roots)}); only landed extracts are read", file=str(path))
    if resolved.is_dir():
        source: ExtractSource = FolderSource(resolved, root)
    elif resolved.is_file() and resolved.suffix.lower() == ".zip":
        source = ZipSource(resolved, root)
    else:
        raise ExtractRefused("not_an_extract", f"{path.name} is neither an extract folder nor a .zip of one",
                             file=path.name)
    try:
        for name in source.names:
            size = source.size(name)
            if size > settings.max_file_bytes:
                raise ExtractRefused(
                    "file_too_large", f"{size:,} bytes, over the maximum of {settings.max_file_bytes:,} "
                                      "(CSC_MAX_FILE_BYTES); not read", file=name)
    except ExtractRefused:
        source.close()
        raise
    return source
