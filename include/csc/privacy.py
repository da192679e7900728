"""Private local state: everything the product writes is readable by its owner only (security finding 3).

* :func:`private_umask` (umask 077) is set once at every entry point: the ``csc`` command (``make run`` and
  ``make airflow`` go through it, and the Airflow components and DAG task processes it starts inherit it) and the
  DAG files (task processes started by a scheduler the product did not start).
* :func:`share_returns` opens the quarterly returns, the one output meant to be shared, to the OS group
  ``CSC_SHARED_GROUP`` when it is set: folders 0750, files 0640 (the folders above them 0710: the group may pass
  through but not list them).
* :func:`exposed_files` lists what under ``CSC_HOME`` others can read (``csc doctor``, ``csc warehouse status``).
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from dataclasses import dataclass
from pathlib import Path

from csc.settings import Settings

PRIVATE_UMASK = 0o077


def private_umask() -> None:
    """Files 0600 and folders 0700 from now on in this process and every process it starts."""
    os.umask(PRIVATE_UMASK)


def shared_root(settings: Settings) -> Path:
    """The folder of outputs meant to be shared (the quarterly returns)."""
    return settings.outputs_dir / "returns"


def _group_id(settings: Settings) -> int | None:
    if not settings.shared_group:
        return None
    try:
        return grp.getgrnam(settings.shared_group).gr_gid
    except KeyError:
        raise ValueError(f"CSC_SHARED_GROUP={settings.shared_group!r} is not a group of this machine") from None


def share_returns(settings: Settings) -> None:
    """Give the returns folder to the shared group (no-op when ``CSC_SHARED_GROUP`` is unset)."""
    gid = _group_id(settings)
    if gid is None:
        return
    root = shared_root(settings)
    if not root.exists():
        return
    # The way down to the returns: the group may pass through (x) but not list (no r). A folder whose group is
    # already in use (as root, the server's service group passes through CSC_HOME) gets o+x instead: anyone may
    # pass through it, but every folder below is 0700 except the returns.
    for folder in (settings.home, settings.outputs_dir):
        st = os.lstat(folder)
        if st.st_gid == gid or not st.st_mode & 0o070:
            os.chown(folder, -1, gid, follow_symlinks=False)
            os.chmod(folder, stat.S_IMODE(st.st_mode) | 0o010)
        else:
            os.chmod(folder, stat.S_IMODE(st.st_mode) | 0o001)
    for dirpath, _dirnames, filenames in os.walk(root):
        os.chown(dirpath, -1, gid, follow_symlinks=False)
        os.chmod(dirpath, 0o750)
        for name in filenames:
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                continue
            os.chown(path, -1, gid, follow_symlinks=False)
            os.chmod(path, 0o640)


def _service_gid() -> int | None:
    from csc.warehouse.embedded import SERVICE_USER, _running_as_root

    if not _running_as_root():
        return None
    try:
        return pwd.getpwnam(SERVICE_USER).pw_gid
    except KeyError:
        return None


@dataclass(frozen=True)
class Exposed:
    path: Path
    mode: int
    who: str  # "others" or "group"

    def __str__(self) -> str:
        kind = "folder" if stat.S_ISDIR(self.mode) else "file"
        return f"{self.path} ({kind}, mode {stat.S_IMODE(self.mode):04o}): readable by {self.who}"


def exposed_files(settings: Settings, *, limit: int = 1000) -> list[Exposed]:
    """Files and folders under ``CSC_HOME`` that anyone but their owner may read or enter.

    The shared returns may be read by the configured group (never by others); the folders above them may be
    entered by it. Symbolic links and sockets are skipped (their own mode means nothing).
    """
    home = settings.home
    if not home.exists():
        return []
    gid = _group_id(settings) if settings.shared_group else None
    shared = shared_root(settings)
    passage = {home, settings.outputs_dir}
    service_gid = _service_gid()
    found: list[Exposed] = []

    def check(path: Path) -> None:
        st = os.lstat(path)
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
            return
        if st.st_mode & 0o007 and not (gid is not None and path in passage and st.st_mode & 0o007 == 0o001):
            found.append(Exposed(path, st.st_mode, "others"))
            return
        if st.st_mode & 0o070:
            allowed = gid is not None and st.st_gid == gid and (
                ((path == shared or shared in path.parents) and not st.st_mode & 0o020)
                or (path in passage and st.st_mode & 0o070 == 0o010))
            # As root, the server runs as its service user, whose group may pass through (only) the folders
            # above the data folder (csc.warehouse.embedded._let_service_user_traverse).
            allowed = allowed or (service_gid is not None and st.st_gid == service_gid
                                  and stat.S_ISDIR(st.st_mode) and st.st_mode & 0o070 == 0o010)
            if not allowed:
                found.append(Exposed(path, st.st_mode, "group"))

    check(home)
    for dirpath, dirnames, filenames in os.walk(home):
        for name in dirnames + filenames:
            if len(found) >= limit:
                return found
            try:
                check(Path(dirpath) / name)
            except FileNotFoundError:
                continue
    return found
