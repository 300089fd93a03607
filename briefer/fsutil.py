"""Atomic file writes: temp file in the same folder, fsync, then rename.

A reader (or the analyst) sees either the previous file or the new one, never
half of one, even if briefer is interrupted or the disk fills up mid-write.
:func:`atomic_write_files` extends that to a *set* of files (a memo's .md,
.html and .json): every temp file is written and synced before the first
rename, so a full disk leaves all the previous files, not a new record next
to an old memo.
"""

from __future__ import annotations

import glob
import hashlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .crashpoint import reached
from .errors import OutputError

HASH_BLOCK = 1024 * 1024


def sha256_file(path: Path) -> str:
    """sha256 in 1 MiB blocks into one reused buffer: constant memory for any size
    (corpus files and multi-GB models alike)."""
    digest = hashlib.sha256()
    buffer = bytearray(HASH_BLOCK)
    view = memoryview(buffer)
    with open(path, "rb") as handle:
        while n := handle.readinto(buffer):
            digest.update(view[:n])
    return digest.hexdigest()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _final_mode(path: Path) -> int:
    """Keep an existing file's permissions; new files get 0666 minus the umask.

    ``mkstemp`` creates 0600 files, which would silently make a shared memo
    unreadable to colleagues after every regeneration.
    """
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def _write_temp(path: Path, data: bytes) -> str:
    """Write ``data`` to a synced temp file next to ``path``; return its name."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temps(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"Cannot write to {path.parent}: {exc.strerror}. Choose another folder with --out DIR.") from None
    try:
        try:
            view = memoryview(data)
            while view:  # os.write may write less than asked
                view = view[os.write(fd, view):]
            os.fsync(fd)  # a full disk often only shows here (delayed allocation)
        finally:
            os.close(fd)
        os.chmod(tmp, _final_mode(path))
    except BaseException as exc:
        _discard([tmp])
        if isinstance(exc, OSError):
            raise OutputError(f"Could not write {path}: {exc.strerror}. The previous file, if any, is unchanged.") from None
        raise
    return tmp


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, someone else's
        return True
    return True


def _remove_stale_temps(path: Path) -> None:
    """Delete temp files for ``path`` left by a killed run (kill -9 skips every cleanup).

    A temp file's name carries its writer's pid, so one that belongs to a run
    still writing (a concurrent ``generate`` of the same topic) is left alone.
    """
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        pid = stale.name[len(path.name) + 2:].split(".", 1)[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            stale.unlink(missing_ok=True)


def _discard(temps: list[str]) -> None:
    for tmp in temps:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def atomic_write_files(files: Mapping[Path, bytes | str]) -> None:
    """Write several files all-or-nothing (as far as a POSIX filesystem allows).

    The renames come last and cannot fail for lack of space, so an error while
    writing (ENOSPC, EIO, Ctrl-C) leaves every previous file as it was.
    """
    temps: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            path = Path(path)
            temps.append((_write_temp(path, data.encode("utf-8") if isinstance(data, str) else data), path))
        for number, (tmp, path) in enumerate(temps):
            if number == 1:
                reached("write")  # a kill here leaves one new file beside the old ones; the next run replaces all
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise OutputError(f"Could not write {path}: {exc.strerror}.") from None
    except BaseException:
        _discard([t for t, _ in temps if os.path.exists(t)])
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    atomic_write_files({Path(path): data})


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def check_writable(folder: Path) -> None:
    """Fail before the (slow) model run if the output folder cannot be written."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".briefer-probe.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"Output folder {folder} is not writable ({exc.strerror}). Choose another with --out DIR.") from None
