"""Which text of a document sentence can be quoted as evidence.

A candidate is a slice of the document, never rewritten, so that its citation
stays exact: the sentence itself, the sentence with the one before it (it opens
with "These chips…"), the sentence without a bare connective ("However, …"), or
the sentences of a quotation the splitter cut apart, rejoined, or the sentence without a
heading that PDF extraction glued to its front or an FAQ's "A:" label, a list item with
the lead-in line it completes ("... directive:" | "Publish a ..."), or a PDF line that opens
mid-name with the wrapped line before it.  What is never evidence at all (headings, table
rows, bylines ...) is ``textclean``'s call.
"""

from __future__ import annotations

import re

import numpy as np

from .leadins import (SENTENCE_OPENERS, answer_label_len, connective_prefix_len, dangling_start, glued_heading_len,
                      only_counts, subjectless_item)
from .referents import leans_further_back, refers_back
from .ownref import DOCUMENT_OPENING, names_its_document
from .textclean import ends_a_sentence, evidence_problem

# A quotable sentence opens with a capital, a figure or a quotation mark, not "§1862) authorizes…"
# (the tail of a sentence split after an abbreviation).
_STARTS_LIKE_A_SENTENCE = re.compile(r"^[\"“‘'(]?[A-Z0-9]")


# "14347 dated September 5, 2025) has used ...": a parenthesis closed before any opens is the
# tail of a sentence split inside it (after "E.O."), not a sentence.
_UNOPENED_PAREN = re.compile(r"^[^(]*\)")


def quotable(text: str) -> bool:
    """Can this sentence be evidence? Not junk (``textclean``), not a fragment, not a question."""
    return (evidence_problem(text) is None and bool(_STARTS_LIKE_A_SENTENCE.match(text))
            and not _UNOPENED_PAREN.match(text)
            and not text.rstrip("\"”’') ").endswith("?"))  # a question asks, it does not inform


# A line without a full stop whose next line goes on in lower case or with a figure was cut
# ("This is consistent with the methodology used in version" | "1.0 of the CEJST."), not a list item.
_GOES_ON = re.compile(r"\s*[a-z0-9(]")


def quotable_span(doc_text: str, spans: np.ndarray, i: int) -> tuple[int, int] | None:
    """The quotable span for sentence ``i``: with its antecedent, its lead-in line or the wrapped line it
    continues, trimmed, or None."""
    s, e = int(spans[i, 0]), int(spans[i, 1])
    if not ends_a_sentence(doc_text[s:e]) and _GOES_ON.match(doc_text, e):
        return None
    s = _past_label(doc_text, s, e)
    text = doc_text[s:e]
    item = (s == 0 or doc_text[s - 1] == "\n") and subjectless_item(text, _in_a_list(doc_text, spans, i, s))
    if item:  # the next item of a list ("Made improvements to ..."), not a wrapped line's tail
        return _with_lead_in(doc_text, spans, i, s, e)
    if _continues_a_line(doc_text, spans, i, s):
        return _with_its_start(doc_text, spans, i, e)
    if dangling_start(text) and not names_its_document(text, _opening(doc_text, s, e)):
        cut = connective_prefix_len(text)
        # Trimmed only when the rest opens as a sentence does: "However, China ..." → "China ...".  Cut
        # from "For example, researchers have repeatedly found ...", the rest opens in lower case, reads
        # as a fragment and was never evidence (436 of 561 such sentences in the bench corpora); quoted
        # with the sentence it leans on, it is.
        if cut and not dangling_start(text[cut:]) and not text[cut:cut + 1].islower():
            return _close_quote(doc_text, spans, i, s + cut, e)
        if only_counts(text):  # "Second, for FY2026, Congress funded ...": whole, it reads as a sentence
            return _close_quote(doc_text, spans, i, s, e)
        antecedent = _antecedent(doc_text, spans, i, s)
        return None if antecedent is None else _close_quote(doc_text, spans, i, antecedent, e)
    # "... vacated that rule ..." with its rule.  The whole sentence before is asked first: it holds every
    # word of the antecedent (a label cut off its front at most), and most sentences refer back to nothing,
    # so the antecedent's own checks run only for the few that may.
    pe = int(spans[i - 1, 1]) if i else 0
    before = doc_text[int(spans[i - 1, 0]):pe] if i else ""
    if i and refers_back(text, before):
        antecedent = _antecedent(doc_text, spans, i, s)
        if antecedent is None and dangling_start(before):  # "These challenges may result ..." | "This policy
            return None  # seeks to address these challenges ...": both lean further back (a judge rejected it alone)
        if antecedent is not None and refers_back(text, doc_text[antecedent:pe]):
            return _close_quote(doc_text, spans, i, antecedent, e)
    elif leans_further_back(text, before):  # "... to address these challenges": named further back
        return None
    if text.count("\u201d") > text.count("\u201c") and '"' not in text:  # a straight mark may open it
        return _open_quote(doc_text, spans, i, e)
    return _close_quote(doc_text, spans, i, s, e)


def _opening(doc_text: str, s: int, e: int) -> str:
    """The document's opening without characters ``[s, e)``: a sentence does not name its own document."""
    return doc_text[:min(s, DOCUMENT_OPENING)] + " " + doc_text[e:DOCUMENT_OPENING]


def _open_quote(doc_text: str, spans: np.ndarray, i: int, e: int) -> tuple[int, int] | None:
    """A quotation's last sentence ("Each agency shall increase facility energy efficiency ...”") with the
    sentences back to its opening mark and whoever is quoted, or no evidence: alone, a source's words read
    as the document's own (a judge rejected it)."""
    for j in range(i - 1, max(-1, i - QUOTE_JOIN_MAX), -1):
        s = int(spans[j, 0])
        if "\n" in doc_text[int(spans[j, 1]):int(spans[j + 1, 0])] or e - s > QUOTE_JOIN_CHARS:
            return None
        if doc_text[s:e].count("\u201c") >= doc_text[s:e].count("\u201d"):
            return None if dangling_start(doc_text[s:e]) else (s, e)
    return None


def _antecedent(doc_text: str, spans: np.ndarray, i: int, s: int) -> int | None:
    """Where the sentence before sentence ``i`` starts, when it can be quoted with it: the same
    paragraph, evidence itself, and not leaning on its own predecessor."""
    if i == 0:
        return None
    ps, pe = int(spans[i - 1, 0]), int(spans[i - 1, 1])
    ps = _past_label(doc_text, ps, pe)
    prev = doc_text[ps:pe]
    if "\n" not in doc_text[pe:s] and evidence_problem(prev) is None and not dangling_start(prev):
        return ps
    return None


LEAD_IN_MAX_WORDS = 30
WRAPPED_LINE_MIN_WORDS = 6


def _continues_a_line(doc_text: str, spans: np.ndarray, i: int, s: int) -> bool:
    """Does sentence ``i`` go on with a name that the line before it stopped on?

    A scorecard printed to PDF wraps "Announced for funding in September 2023 through DOT's
    Consolidated Rail Infrastructure and Safety" | "Improvements (CRISI) program, this project ...";
    the splitter starts a sentence at the capital, and a judge rejected the quote that opens
    mid-name.  The line before must be prose (not a heading), long, and stop on a capitalised word
    without punctuation, and this sentence must not open with a word sentences open with (nor be a
    list item: :func:`quotable_span` asks that first).
    """
    if i == 0 or s == 0 or doc_text[s - 1] != "\n":
        return False
    ps, pe = int(spans[i - 1, 0]), int(spans[i - 1, 1])
    before, words = doc_text[ps:pe].rstrip(), doc_text[s:s + 40].split()
    if doc_text[pe:s].strip() or not words or not words[0][:1].isupper() or words[0].strip(",;") in SENTENCE_OPENERS:
        return False
    line = before.split()
    last = line[-1] if line else ""
    return (len(line) >= WRAPPED_LINE_MIN_WORDS and last[:1].isupper() and last.replace("\u2019", "").isalpha()
            and not ends_a_sentence(before) and evidence_problem(before + ".") != "heading")


def _with_its_start(doc_text: str, spans: np.ndarray, i: int, e: int) -> tuple[int, int] | None:
    """Sentence ``i`` with the wrapped line it continues, when that line opens a sentence; else None."""
    ps = int(spans[i - 1, 0])
    first = (doc_text[ps:ps + 40].split() or [""])[0]
    opens = first.strip(",") in SENTENCE_OPENERS or first.endswith("ed")  # "Announced for funding in ..."
    if (ps == 0 or doc_text[ps - 1] == "\n") and opens and not subjectless_item(doc_text[ps:e]):
        return _close_quote(doc_text, spans, i, ps, e)  # the caller asks ``quotable`` of the joined text
    return None


def _in_a_list(doc_text: str, spans: np.ndarray, i: int, s: int) -> bool:
    """Does sentence ``i`` (at a line's start) follow a lead-in line ("... three primary objectives:") or
    another list item on the line before?"""
    if i == 0:
        return False
    ps, pe = int(spans[i - 1, 0]), int(spans[i - 1, 1])
    if doc_text[pe:s] != "\n":
        return False
    prev = doc_text[ps:pe].rstrip()
    return prev.endswith(":") or ((ps == 0 or doc_text[ps - 1] == "\n") and subjectless_item(prev, True))


def _with_lead_in(doc_text: str, spans: np.ndarray, i: int, s: int, e: int) -> tuple[int, int] | None:
    """A list item with no subject (``leadins.subjectless_item``), quoted with the lead-in line it completes, or None.

    "The objectives of this activity are to:" + "List any data assets ..." reads as one
    sentence; "Launched two new grant programs ..." alone says nobody did it.  Only the first
    item follows its lead-in directly, so only it can be quoted (a quote is one exact span).
    """
    if i == 0:
        return None
    ps, pe = int(spans[i - 1, 0]), int(spans[i - 1, 1])
    lead_in = doc_text[ps:pe].rstrip()
    if (not lead_in.endswith(":") or doc_text[pe:s].count("\n") != 1 or doc_text[pe:s].strip()
            or len(lead_in.split()) > LEAD_IN_MAX_WORDS or dangling_start(lead_in)):
        return None
    counted = _COUNTED.search(lead_in)
    if counted:  # "... three primary objectives:" + one of them promises three and gives one (a judge rejected it)
        word = counted.group(1).lower()
        e = _list_end(doc_text, spans, i, e, int(word) if word.isdigit() else _COUNT_WORDS.index(word) + 2)
        if e is None or len(doc_text[ps:e].split()) > LIST_QUOTE_MAX_WORDS:
            return None
    return _close_quote(doc_text, spans, i, ps, e)


_COUNT_WORDS = ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
_COUNTED = re.compile(r"\b(%s|[2-9])(?:\s+[\w-]+){0,4}\s*:$" % "|".join(_COUNT_WORDS), re.IGNORECASE)
LIST_QUOTE_MAX_WORDS = 70  # a counted list is quoted whole only while it reads as one statement


def _list_end(doc_text: str, spans: np.ndarray, i: int, e: int, count: int) -> int | None:
    """Where the ``count`` items that start with sentence ``i`` end, one item a line; None if they are not all there."""
    for j in range(i + 1, i + count):
        if j >= len(spans):
            return None
        sj, ej = int(spans[j, 0]), int(spans[j, 1])
        if doc_text[e:sj] != "\n" or not subjectless_item(doc_text[sj:ej], True):
            return None
        e = ej
    return e


def _past_label(doc_text: str, s: int, e: int) -> int:
    """Where the sentence at ``s`` starts once a glued heading or an FAQ's "A:" label is cut off."""
    return s + (glued_heading_len(doc_text[s:e]) or answer_label_len(doc_text[s:e]))


QUOTE_JOIN_MAX = 8  # pieces a quotation or parenthesis cut by the splitter may be rejoined from (". . ." makes three)
QUOTE_JOIN_CHARS = 800  # ... within this many characters


def _unclosed(text: str) -> bool:
    """Does ``text`` open a quotation or a parenthesis it does not close?"""
    return (text.count("\u201c") > text.count("\u201d") or text.count('"') % 2 == 1
            or text.count("(") > text.count(")"))


def _close_quote(doc_text: str, spans: np.ndarray, i: int, s: int, e: int) -> tuple[int, int] | None:
    """A span that opens a quotation or a parenthesis runs to its close, or is no evidence.

    The splitter cuts inside quotations at abbreviations and ellipses ("could employ against the
    U.S." | "Homeland.\"", "may \"substantially ." | ". ."): quoted alone, the first piece reads
    as cut off, and a judge rejected both.  Parentheses likewise ("… Copyrights (48 C.F.R." |
    "27.400 et. seq.,).", "(part III, section 3.a." | "), and …" in OMB's open-data memos).
    Pieces of one paragraph are rejoined.
    """
    for j in range(i + 1, min(len(spans), i + 1 + QUOTE_JOIN_MAX)):
        if not _unclosed(doc_text[s:e]):
            return s, e
        ns, ne = int(spans[j, 0]), int(spans[j, 1])
        if "\n" in doc_text[e:ns] or ne - s > QUOTE_JOIN_CHARS:
            break
        e = ne
    return None if _unclosed(doc_text[s:e]) else (s, e)
