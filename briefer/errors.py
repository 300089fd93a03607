"""The small error hierarchy the CLI turns into one-line messages.

Every message says what went wrong *and what to do next*; the CLI prints
``str(error)`` and exits with ``error.exit_code`` (no traceback unless
``--debug``).
"""

from __future__ import annotations


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
