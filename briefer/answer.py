"""Stage 4: ask the model, then parse the citation keys out of its answer.

Sources are shown to the model under opaque keys (``K7Q``): short, meaningless
tokens a small model cannot "guess" from numbering, so an invented key is
recognisable and stripped.  Parsing never trusts the model: unknown keys are
dropped, text is cleaned of every bracketed marker, and a sentence cut off by
the token limit is discarded.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .textanalysis import sentence_spans
from .llm import ChatResult
from .prompts import (
    CANNOT_ANSWER,
    EXAMPLE_ANSWER,
    EXAMPLE_QUESTION,
    EXAMPLE_SOURCES,
    QUESTION_PROMPT,
    QUESTION_PROMPT_VARS,
    SOURCE_LINE,
    SOURCE_LINE_VARS,
    SYSTEM_PROMPT,
    SYSTEM_PROMPT_VARS,
    fill,
    is_refusal,
)
from .schema import Evidence
from .textclean import ends_a_sentence

KEY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I look-alikes
LETTERS = KEY_ALPHABET[:24]
_BRACKET = re.compile(r"[\[【(]\s*([^\]】)]{0,60}?)\s*[\]】)]")
_KEY_TOKEN = re.compile(r"[A-Za-z0-9]+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?])")
# "The source is: …", "Answer: …" — the model talking about its task, not a claim.
_META_PREFIX = re.compile(r"^(?:(?:the\s+)?(?:source|sources|answer|response|question)(?:\s+(?:is|are))?\s*:\s*)+", re.I)


def make_key(document: str, start: int, taken: set[str]) -> str:
    """A short deterministic key for an evidence sentence, unique within ``taken``."""
    digest = hashlib.sha1(f"{document}\0{start}".encode()).digest()
    for length in (3, 4, 5, 6):
        # K + a letter + letters/digits: never all digits, so it cannot be read as a number.
        key = "K" + LETTERS[digest[0] % len(LETTERS)] + "".join(KEY_ALPHABET[b % len(KEY_ALPHABET)] for b in digest[1:length - 1])
        if key not in taken:
            taken.add(key)
            return key
    raise RuntimeError("evidence key space exhausted")  # pragma: no cover - 32**5 keys


def format_sources(evidence: Sequence[Evidence]) -> str:
    return "\n".join(fill(SOURCE_LINE, SOURCE_LINE_VARS, key=e.key, text=" ".join(e.text.split())) for e in evidence)


def system_prompt(title: str, audience: str) -> str:
    return fill(SYSTEM_PROMPT, SYSTEM_PROMPT_VARS, title=title, audience=audience, sentinel=CANNOT_ANSWER)


def _turn(question: str, sources: str) -> dict:
    return {"role": "user", "content": fill(QUESTION_PROMPT, QUESTION_PROMPT_VARS, question=question, sources=sources)}


def build_messages(system: str, question: str, evidence: Sequence[Evidence]) -> list[dict]:
    """System message and worked example first, the same for every section so the KV
    cache is reused; then the section's own question and sources."""
    example = "\n".join(fill(SOURCE_LINE, SOURCE_LINE_VARS, key=k, text=t) for k, t in EXAMPLE_SOURCES)
    return [{"role": "system", "content": system}, _turn(EXAMPLE_QUESTION, example),
            {"role": "assistant", "content": EXAMPLE_ANSWER}, _turn(question, format_sources(evidence))]


# "KA7: text", "[KA7]: text", or the sources' own form "[KA7] text", which Qwen sometimes echoes (the
# bracket then opened the line's sentence and was taken for the previous line's citation).
_KEY_LINE = re.compile(r"^[ \t]*(?:[-*•][ \t]*)?(?:\[?(K[A-Z0-9]{1,6})\]?[ \t]*[:：]|\[(K[A-Z0-9]{1,6})\])[ \t]*(.+?)[ \t]*$",
                       re.MULTILINE)


def key_lines_to_citations(text: str) -> str:
    """ "KA7: The council approved …" lines become "The council approved … [KA7]" sentences."""
    def one(m: re.Match) -> str:
        key, body = m.group(1) or m.group(2), m.group(3).rstrip()
        if not ends_a_sentence(body):
            body += "."
        # Every sentence of the line cites the key: "KAM: S1. S2." copies a two-sentence source,
        # and S1 without a key was re-cited by word overlap alone.
        return " ".join(f"{body[s:e]} [{key}]" for s, e in sentence_spans(body)) or body
    return _KEY_LINE.sub(one, text)


@dataclass
class ParsedAnswer:
    sentences: list[tuple[str, list[str]]] = field(default_factory=list)
    invalid_keys: list[str] = field(default_factory=list)
    refused: bool = False


def _markers(text: str, valid: set[str]) -> tuple[list[str], list[str]]:
    """Keys inside bracketed markers: (valid, invalid)."""
    good, bad = [], []
    for inner in _BRACKET.findall(text):
        for token in _KEY_TOKEN.findall(inner):
            upper = token.upper()
            if upper in valid:
                good.append(upper)
            elif token.lower() not in {"source", "sources", "key", "and", "see"}:
                bad.append(token)
    return good, bad


def _clean(text: str, valid: set[str]) -> str:
    text = _BRACKET.sub(lambda m: "" if _looks_like_marker(m.group(1), valid) else m.group(0), text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", " ".join(text.split()))
    return text.strip(" -*•\t")


_KEYLIKE = re.compile(r"^(?:[Kk][A-Za-z0-9]{1,6}|\d{1,3}|[A-Z0-9]{2,6})$")


def _looks_like_marker(inner: str, valid: set[str]) -> bool:
    """A citation-like bracket ("K7Q", "1", "Source 2", "K7Q, K3F"), not a parenthetical remark."""
    tokens = _KEY_TOKEN.findall(inner)
    return bool(tokens) and len(tokens) <= 6 and all(
        t.upper() in valid or t.lower() in {"source", "sources", "key"} or (_KEYLIKE.match(t) and any(c.isdigit() for c in t))
        for t in tokens
    )


# "U. S." for "U.S.": Qwen, under the repeat penalty, spaces the initials of a name it has just
# written; the sentence splitter then cut "According to official U. S. assessments, Iran halted
# ..." after "U. S." and the attribution was lost from the claim.
_SPACED_INITIALS = re.compile(r"\b([A-Z])\. (?=[A-Z]\.)")


def spaced_initials(text: str) -> str:
    """ "U. S." back to "U.S." (see ``_SPACED_INITIALS``)."""
    return _SPACED_INITIALS.sub(r"\1.", text)


# The end of a line's last whole sentence: a full stop, "!" or "?" (closing quotes or brackets
# after it), then a space and a capital.
_WHOLE_END = re.compile(r"[.!?][\"”’')\]]*(?=\s+[A-Z“\"])")


def _cut_line_end(text: str) -> str:
    """The answer without the unfinished tail of its last "KEY: …" line, cut off by max_tokens.

    The line's whole sentences stay ("KYH: Huawei launched its Ascend chips. These have found fav"
    keeps the launch: dropping the whole line lost a memo that fact); a line with none is dropped.
    """
    start = text.rfind("\n") + 1
    ends = list(_WHOLE_END.finditer(text, start))
    if ends and _KEY_LINE.match(text[start:ends[-1].end()]):
        return text[:ends[-1].end()]
    return text[:max(0, start - 1)]


def parse_answer(result: ChatResult, valid_keys: set[str]) -> ParsedAnswer:
    """Split the model's answer into sentences, each with the valid keys it cites."""
    text = spaced_initials(result.text.strip())
    if result.finish_reason == "length" and _KEY_LINE.search(text):
        text = _cut_line_end(text)
    text = key_lines_to_citations(text)
    parsed = ParsedAnswer(refused=is_refusal(text))
    if not text or parsed.refused:
        return parsed
    spans = sentence_spans(text)
    if result.finish_reason == "length" and spans and not re.search(r"[.!?\]\)”\"']\s*$", text[spans[-1][0]:spans[-1][1]]):
        spans = spans[:-1]  # cut off mid-sentence by max_tokens
    for s, e in spans:
        raw = text[s:e]
        # A marker opening a sentence belongs to the previous one ("... chips. [K7Q] China ...").
        lead = re.match(r"^(\s*[\[【][^\]】]{0,60}[\]】])+", raw)
        if lead and parsed.sentences:
            good, bad = _markers(lead.group(0), valid_keys)
            prev_text, prev_keys = parsed.sentences[-1]
            parsed.sentences[-1] = (prev_text, prev_keys + [k for k in good if k not in prev_keys])
            parsed.invalid_keys.extend(bad)
            raw = raw[lead.end():]
        good, bad = _markers(raw, valid_keys)
        parsed.invalid_keys.extend(bad)
        cleaned = _META_PREFIX.sub("", _clean(raw, valid_keys)).strip()
        last = (s, e) == spans[-1]
        # List items and headings ("- Harlow Bay council") are not sentences: a claim ends
        # with terminal punctuation, or is a long final sentence cut without a full stop.
        is_claim = ends_a_sentence(cleaned) or (last and len(cleaned.split()) >= 6)
        if cleaned and is_claim and CANNOT_ANSWER.lower() not in cleaned.lower():
            parsed.sentences.append((cleaned, list(dict.fromkeys(good))))
        elif good and parsed.sentences:
            prev_text, prev_keys = parsed.sentences[-1]
            parsed.sentences[-1] = (prev_text, prev_keys + [k for k in good if k not in prev_keys])
    return parsed
