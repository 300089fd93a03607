"""Find the corpus files and turn each into a :class:`~briefer.schema.Document`.

Two stages, so the index can tell cheaply what changed: :func:`scan_corpus`
lists files with size and sha256 (streamed, no parsing); :func:`extract`
parses one file.  :func:`load_corpus` does both; :func:`read_document`
re-extracts one file for ``review``.  A bad file never aborts a run: it becomes
a :class:`~briefer.schema.Skipped` with a reason the analyst can act on.
The per-format parsing lives in :mod:`briefer.formats`.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from briefer import formats
from briefer.errors import CorpusError
from briefer.fsutil import sha256_file
from briefer.limits import MB, Limits, LimitExceeded, time_limit
from briefer.schema import Document, Skipped

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}
MAX_FILE_BYTES = 200 * 1024 * 1024  # beyond this a file is skipped, not parsed
# Files at the corpus root that describe the folder rather than being sources.
ROOT_README_NAMES = {"readme.md", "readme.txt"}

_FORMATS: dict[str, tuple[str, str, Callable[[bytes, Limits], formats.ExtractResult]]] = {
    ".txt": ("txt", "text file", formats.extract_txt),
    ".md": ("md", "Markdown", formats.extract_md),
    ".markdown": ("md", "Markdown", formats.extract_md),
    ".html": ("html", "HTML", formats.extract_html),
    ".htm": ("html", "HTML", formats.extract_html),
    ".pdf": ("pdf", "PDF", formats.extract_pdf),
    ".docx": ("docx", "DOCX", formats.extract_docx),
}
_SUPPORTED_LIST = ", ".join(sorted(SUPPORTED_SUFFIXES))


@dataclass(frozen=True)
class FileEntry:
    """A supported corpus file found by :func:`scan_corpus` (not yet parsed)."""

    path: str  # posix, relative to the corpus dir
    abspath: Path
    size: int
    sha256: str  # of the raw bytes


def _short(exc: BaseException) -> str:
    """A one-line reason for a Skipped: the message's first line, or the exception type."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    message = (str(exc).strip().splitlines() or [""])[0]
    return (message[:117] + "...") if len(message) > 120 else (message or type(exc).__name__)


def check_corpus_dir(corpus_dir: Path) -> Path:
    corpus_dir = Path(os.path.abspath(Path(corpus_dir).expanduser()))  # abspath: no symlink resolution
    if not corpus_dir.is_dir():
        raise CorpusError(
            f"Corpus folder not found: {corpus_dir}. Pass --corpus DIR or set BRIEFER_CORPUS."
        )
    return corpus_dir


def _limits(limits: Limits | None) -> Limits:
    """The given limits, or the defaults with this module's MAX_FILE_BYTES (tests lower it)."""
    return limits if limits is not None else Limits(max_file_bytes=MAX_FILE_BYTES)


def _classify(rel: str, abspath: Path, limits: Limits | None = None) -> FileEntry | Skipped:
    """Turn one path into a FileEntry, or a Skipped saying why it will not be read."""
    max_bytes = _limits(limits).max_file_bytes
    suffix = abspath.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = suffix or "(no extension)"
        return Skipped(rel, f"unsupported format {shown}")
    try:
        info = abspath.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO would block the read forever
            return Skipped(rel, "not a regular file")
        if info.st_size > max_bytes:  # before any read: a sparse 100 GB file costs nothing
            return Skipped(rel, f"file too large ({info.st_size / MB:.1f} MB; "
                                f"limit {max_bytes / MB:g} MB, BRIEFER_MAX_FILE_MB)")
        return FileEntry(rel, abspath, info.st_size, sha256_file(abspath))
    except OSError as exc:
        return Skipped(rel, f"could not read file: {_short(exc)}")


def scan_corpus(corpus_dir: Path, limits: Limits | None = None) -> tuple[list[FileEntry], list[Skipped]]:
    """List the corpus files, sorted by relative path so every run sees the same order.

    Walks recursively.  Hidden files and folders (name starting with ``.``:
    ``.git``, ``.DS_Store``, editor swap files) are ignored silently: they are
    never sources.  A ``README.md`` / ``README.txt`` at the corpus *root* is
    reported as skipped, because there it documents the folder (where the
    documents came from) and is not a source to cite; a README in a subfolder
    is an ordinary document.  Unsupported suffixes are reported as skipped.
    Symlinked folders are not followed (no loops) and are reported as skipped;
    a symlink loop or dangling link named like a document is skipped with the
    system's reason.

    Raises :class:`CorpusError` if the folder is missing or holds no files.
    """
    corpus_dir = check_corpus_dir(corpus_dir)
    found: list[tuple[str, Path]] = []
    links: list[Skipped] = []
    for dirpath, dirnames, filenames in os.walk(corpus_dir):
        base = Path(dirpath)
        for name in dirnames:
            if not name.startswith(".") and (base / name).is_symlink():
                rel = (base / name).relative_to(corpus_dir).as_posix()
                links.append(Skipped(rel, "symlinked folder (not followed)"))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not (base / d).is_symlink())
        for name in filenames:
            if not name.startswith("."):
                abspath = base / name
                found.append((abspath.relative_to(corpus_dir).as_posix(), abspath))
    if not found and not links:
        raise CorpusError(
            f"Corpus folder {corpus_dir} is empty. Add {_SUPPORTED_LIST} files to it."
        )
    entries: list[FileEntry] = []
    skipped: list[Skipped] = sorted(links, key=lambda s: s.path)
    for rel, abspath in sorted(found):
        if "/" not in rel and rel.lower() in ROOT_README_NAMES:
            skipped.append(Skipped(rel, "corpus README (describes the folder; not a source)"))
            continue
        result = _classify(rel, abspath, limits)
        if isinstance(result, FileEntry):
            entries.append(result)
        else:
            skipped.append(result)
    return entries, skipped


def document_title(title: str | None, text: str) -> str | None:
    """The metadata title unless it is a URL, path, file name or placeholder; else the first heading.

    Memos list sources by title, so "C:\\docs\\x.docx" or "https://..." there is
    noise; the document's own first heading (or first line) says what it is.
    """
    cleaned = formats.clean_title(title)
    if cleaned and not formats.junk_title(cleaned):
        return cleaned
    return formats.clean_title(formats.title_from_text(text))


def extract(entry: FileEntry, limits: Limits | None = None) -> Document | Skipped:
    """Parse one file into a Document; any failure becomes a Skipped, never an exception.

    The bytes are read once; ``Document.sha256`` is computed from exactly those
    bytes (not copied from the scan) so it always describes the text it
    accompanies, even if the file changed since it was scanned.  The file is
    held to ``limits`` (:mod:`briefer.limits`): size again (it may have grown
    since the scan), each format's own bounds, and a time limit.
    """
    limits = _limits(limits)
    suffix = entry.abspath.suffix.lower()
    if suffix not in _FORMATS:
        return Skipped(entry.path, f"unsupported format {suffix or '(no extension)'}")
    fmt, label, extractor = _FORMATS[suffix]
    try:
        with open(entry.abspath, "rb") as handle:
            raw = handle.read(limits.max_file_bytes + 1)
    except OSError as exc:
        return Skipped(entry.path, f"could not read file: {_short(exc)}")
    if len(raw) > limits.max_file_bytes:
        return Skipped(entry.path, f"file too large (grew past the limit of {limits.max_file_bytes / MB:g} MB, "
                                   "BRIEFER_MAX_FILE_MB)")
    try:
        with time_limit(limits.extract_timeout):
            text, title, date = extractor(raw, limits)
    except LimitExceeded as exc:
        return Skipped(entry.path, str(exc))
    except formats.SkipFile as exc:
        return Skipped(entry.path, str(exc))
    except ImportError as exc:
        return Skipped(entry.path, f"could not read {label}: missing library ({exc.name or exc})")
    except Exception as exc:  # noqa: BLE001 - a broken file must not crash the run
        return Skipped(entry.path, f"could not read {label}: {_short(exc)}")
    title = document_title(title, text) or entry.abspath.stem
    return Document(path=entry.path, title=title, text=text,
                    sha256=hashlib.sha256(raw).hexdigest(), format=fmt, date=date)


def load_corpus(
    corpus_dir: Path, on_skip: Callable[[Skipped], None] | None = None, limits: Limits | None = None
) -> tuple[list[Document], list[Skipped]]:
    """Scan and extract every file; ``on_skip`` is told about each skip as it happens.

    Returns documents in path order and skips in path order.  Raises
    :class:`CorpusError` when nothing at all could be read, listing the first
    reasons, because an empty index would only produce an empty memo.
    """
    corpus_dir = check_corpus_dir(corpus_dir)
    entries, skipped = scan_corpus(corpus_dir, limits)
    if on_skip is not None:
        for skip in skipped:
            on_skip(skip)
    documents: list[Document] = []
    for entry in entries:
        result = extract(entry, limits)
        if isinstance(result, Document):
            documents.append(result)
        else:
            skipped.append(result)
            if on_skip is not None:
                on_skip(result)
    skipped.sort(key=lambda s: s.path)
    if not documents:
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in skipped[:3])
        more = f"; and {len(skipped) - 3} more" if len(skipped) > 3 else ""
        raise CorpusError(
            f"No readable documents in {corpus_dir}: {len(skipped)} files skipped "
            f"({reasons}{more}). Add {_SUPPORTED_LIST} files with text in them."
        )
    return documents, skipped


def read_document(corpus_dir: Path, rel_path: str, limits: Limits | None = None) -> Document:
    """Re-extract one corpus file (``review`` re-checks quotes against the current file).

    Raises :class:`CorpusError` if the file is gone, lies outside the corpus
    folder (the path comes from a JSON record), or can no longer be read.
    """
    corpus_dir = check_corpus_dir(corpus_dir)
    rel = os.path.normpath(rel_path).replace(os.sep, "/")
    if os.path.isabs(rel) or rel == ".." or rel.startswith("../") or rel == ".":
        raise CorpusError(f"{rel_path} is not a file inside the corpus folder {corpus_dir}.")
    abspath = corpus_dir / rel
    if not abspath.exists():
        raise CorpusError(
            f"{rel_path} is no longer in the corpus folder {corpus_dir}; "
            "restore it or re-run `briefer generate` to rebuild the memo from the current corpus."
        )
    found = _classify(rel, abspath, limits)
    result = extract(found, limits) if isinstance(found, FileEntry) else found
    if isinstance(result, Skipped):
        raise CorpusError(f"{rel_path} in {corpus_dir} can no longer be read: {result.reason}.")
    return result
