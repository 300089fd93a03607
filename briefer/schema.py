"""Plain data types shared by every pipeline stage.

They are deliberately simple frozen dataclasses (not LlamaIndex nodes) so that
verification, rendering and review can run from a JSON record without loading
LlamaIndex, the index or the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    """One corpus file after text extraction.

    ``text`` is the reproducible extracted text: every citation offset
    (``start``/``end``) indexes into it, and re-extracting the same file
    yields the same string.
    """

    path: str  # posix path relative to the corpus dir
    title: str
    text: str
    sha256: str  # sha256 of the raw file bytes
    format: str  # "txt", "md", "html", "pdf", "docx"
    date: str | None = None


@dataclass(frozen=True)
class Skipped:
    """A corpus file that was not indexed, and why (shown to the analyst)."""

    path: str
    reason: str


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk of a document: ``document text[start:end] == text``."""

    id: str
    document: str
    title: str
    start: int
    end: int
    text: str
    score: float = 0.0


@dataclass(frozen=True)
class Evidence:
    """A sentence-level span of a document: the unit the memo cites.

    ``key`` is the opaque citation key shown to the model (e.g. ``"K3F"``); it
    carries no meaning so a model cannot invent a plausible one.
    """

    key: str
    document: str
    title: str
    start: int
    end: int
    text: str
    score: float = 0.0
    meaning: float = 0.0  # cosine to the question(s) it was chosen for; 0 without an embedder


@dataclass
class CheckResult:
    """Outcome of checking one memo sentence against the text it cites."""

    status: str  # "supported" | "unsupported"
    missing_numbers: list[str] = field(default_factory=list)
    missing_entities: list[str] = field(default_factory=list)
    overlap: float = 0.0

    @property
    def supported(self) -> bool:
        return self.status == "supported"

    def as_dict(self) -> dict:
        return {
            "missing_numbers": list(self.missing_numbers),
            "missing_entities": list(self.missing_entities),
            "overlap": round(self.overlap, 4),
        }
