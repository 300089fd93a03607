"""Topic files: what a memo must cover, edited by analysts (TOML).

A topic lives in ``<template dir>/topics/<name>.toml``; the analyst's
``--template-dir`` is searched before the shipped ``templates/``.  Errors name
the file, the line where we can tell, and the offending key, because an
analyst editing TOML by hand needs to know where to look.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import TopicError

TOPIC_KEYS = {"title", "audience", "description", "sections"}
SECTION_KEYS = {"title", "question", "questions"}


@dataclass(frozen=True)
class Section:
    title: str
    questions: tuple[str, ...]

    @property
    def question(self) -> str:
        return " ".join(self.questions)


@dataclass(frozen=True)
class Topic:
    name: str
    title: str
    audience: str
    sections: tuple[Section, ...]
    path: Path
    description: str = ""
    extra: dict = field(default_factory=dict)


def _line_of(text: str, key: str, start: int = 0) -> int | None:
    """Line of ``key = ...`` or of a ``[key]`` / ``[[key]]`` table header, at or after ``start``."""
    k = re.escape(key)
    match = re.compile(rf"^[ \t]*(?:{k}\s*=|\[\[?\s*{k}\s*\]\]?)", re.MULTILINE).search(text, start)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _where(path: Path, text: str, key: str, start: int = 0) -> str:
    line = _line_of(text, key, start)
    return f"{path}:{line}" if line else str(path)


def _section_start(text: str, i: int) -> int | None:
    """Offset of the i-th (1-based) ``[[sections]]`` header; None if sections are written inline."""
    headers = list(re.finditer(r"^[ \t]*\[\[\s*sections\s*\]\]", text, re.MULTILINE))
    return headers[i - 1].start() if len(headers) >= i else None


def _section_where(path: Path, text: str, i: int) -> str:
    start = _section_start(text, i)
    return _where(path, text, "sections") if start is None else f"{path}:{text.count(chr(10), 0, start) + 1}"


def parse_topic(path: Path) -> Topic:
    """Parse and validate one topic file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TopicError(f"Cannot read topic file {path}: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message ends with "(at line N, column M)"; Python < 3.14 has no lineno attribute.
        line = re.search(r"at line (\d+)", str(exc))
        raise TopicError(f"{path}:{line.group(1) if line else '?'}: topic file is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - TOPIC_KEYS)
    if unknown:
        raise TopicError(f"{_where(path, text, unknown[0])}: unknown key {unknown[0]!r} in topic (allowed: {', '.join(sorted(TOPIC_KEYS))})")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise TopicError(f"{_where(path, text, 'title')}: topic needs a non-empty 'title' string")
    for key in ("audience", "description"):
        if key in data and not isinstance(data[key], str):
            raise TopicError(f"{_where(path, text, key)}: topic key {key!r} must be a string")
    raw_sections = data.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        where = _where(path, text, "sections") if "sections" in data else str(path)
        raise TopicError(f"{where}: topic has no sections; add at least one [[sections]] table with 'title' and 'question'")
    sections = []
    for i, raw in enumerate(raw_sections, 1):
        here = _section_where(path, text, i)
        if not isinstance(raw, dict):
            raise TopicError(f"{here}: section {i} must be a table ([[sections]])")
        bad = sorted(set(raw) - SECTION_KEYS)
        if bad:
            raise TopicError(f"{_where(path, text, bad[0], _section_start(text, i) or 0)}: unknown key {bad[0]!r} in section {i} "
                             "(allowed: title, question, questions)")
        s_title = raw.get("title")
        questions = raw.get("questions") or ([raw["question"]] if "question" in raw else [])
        if isinstance(questions, str):
            questions = [questions]
        if not isinstance(s_title, str) or not s_title.strip():
            raise TopicError(f"{here}: section {i} needs a non-empty 'title' string")
        if not isinstance(questions, list) or not questions or not all(isinstance(q, str) and q.strip() for q in questions):
            raise TopicError(f"{here}: section {i} ({s_title!r}) needs a 'question' (or a 'questions' list of strings)")
        sections.append(Section(s_title.strip(), tuple(q.strip() for q in questions)))
    return Topic(
        name=path.stem,
        title=title.strip(),
        audience=str(data.get("audience", "policy analysts")).strip(),
        description=str(data.get("description", "")).strip(),
        sections=tuple(sections),
        path=path,
    )


def topic_dirs(template_dirs: list[Path]) -> list[Path]:
    return [d / "topics" for d in template_dirs]


def list_topics(template_dirs: list[Path]) -> dict[str, Path]:
    """Topic name -> file; earlier dirs (the analyst's) shadow later ones."""
    found: dict[str, Path] = {}
    for folder in topic_dirs(template_dirs):
        if folder.is_dir():
            for file in sorted(folder.glob("*.toml")):
                found.setdefault(file.stem, file)
    return found


def load_topic(name_or_path: str, template_dirs: list[Path]) -> Topic:
    """Load a topic by name, or by path to a .toml file."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" and candidate.is_file():
        return parse_topic(candidate)
    known = list_topics(template_dirs)
    if name_or_path not in known:
        names = ", ".join(sorted(known)) or "none"
        raise TopicError(f"Unknown topic {name_or_path!r}. Known topics: {names}. Run `briefer topics` to list them.")
    return parse_topic(known[name_or_path])
