"""The small error hierarchy the CLI turns into one-line messages.

Every message says what went wrong *and what to do next*; the CLI prints
``str(error)`` and exits with ``error.exit_code`` (no traceback unless
``--debug``).
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path


class BrieferError(Exception):
    """Base class: anything the analyst can fix by changing input or settings."""

    exit_code = 1


class ConfigError(BrieferError):
    """Bad settings, topic file, or command-line option."""


class TopicError(ConfigError):
    """Unknown or malformed topic file."""


class ModelError(BrieferError):
    """Model file missing, unreadable, not a GGUF, or too big for this machine."""


class EmbedderUnavailable(ModelError):
    """The embedding model cannot be prepared; retrieval falls back to BM25."""


class CorpusError(BrieferError):
    """Corpus folder missing, empty, or with nothing readable in it."""


class IndexError_(BrieferError):
    """The on-disk index is locked, corrupt, or cannot be written."""


class TemplateError(BrieferError):
    """A Jinja2 template failed to load or render (message names file and line)."""


class RecordError(BrieferError):
    """A JSON record (for render/review) is invalid; the message names the field."""


class OutputError(BrieferError):
    """The output folder cannot be written."""


class ServerError(ModelError):
    """An OpenAI-compatible server (BRIEFER_LLM_URL / BRIEFER_EMBED_URL) failed a request."""


class ServerUnavailable(ServerError):
    """The server could not be reached, timed out, or kept answering 5xx after the retries."""


class ServerRejected(ServerError):
    """The server answered 4xx: the request (model name, key, prompt size) must change; never retried."""
class EmbedderMismatch(IndexError_):
    """The index holds vectors of another embedding model (the PostgreSQL store never mixes them)."""


class DiskFull(BrieferError):
    """The disk ran out of space.  Each write is atomic, so the last memo and index stay whole."""


DISK_FULL_ADVICE = ("Free some space on the disk that holds BRIEFER_HOME and the --out folder, then run again; "
                    "the last memo and index are unchanged.")
LOW_DISK_BYTES = 16 << 20  # below this, an index that "cannot be opened" could not be written


def disk_full(exc: BaseException) -> bool:
    """Is this error a full disk (ENOSPC, a quota, SQLite's SQLITE_FULL)?"""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return isinstance(exc, sqlite3.Error) and "disk is full" in str(exc).lower()


def low_disk(path: Path) -> bool:
    """Is the disk holding ``path`` (nearly) full?  SQLite reports a full disk while opening an
    index as "cannot rollback - no transaction is active", which names no cause."""
    try:
        return shutil.disk_usage(path).free < LOW_DISK_BYTES
    except OSError:
        return False


def explain(exc: BaseException) -> BaseException:
    """The error as the analyst should read it: a full disk is not a bug in briefer."""
    if disk_full(exc):
        return DiskFull(f"The disk is full ({exc}). {DISK_FULL_ADVICE}")
    return exc
