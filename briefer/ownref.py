"""A sentence that speaks of its own document: "This directive establishes ...", "... compliance with this Directive".

In a directive, memorandum or SOP, "this directive" is not a reference to an earlier sentence
but the document itself, which the quote's citation names.  Evidence selection lets such a
sentence stand alone (:func:`names_its_document`), and the memo names the document before a
quote that speaks of it (:func:`speaks_of_its_document`, ``render.quote_attribution``).
"""

from __future__ import annotations

import re

# "This directive establishes a CISA-managed catalog ...", "This SOP applies to all Agency offices ...":
# in a directive, memorandum or SOP, "this <kind>" is the document itself, which the quote's citation
# names.  Such a sentence says what the document does, the first thing an analyst's memo states; read as
# a dangling reference, every one of them was lost.  Not "this report/section/page/document": those
# announce the document's plan ("This report begins with ..."), not its substance.  The kind must be
# named in the document's opening (its title block), so "This program ..." after a named program, or
# "This rule ..." in a report that opened on another subject, still needs its antecedent.
_SELF_KINDS = frozenset("directive memorandum memo guidance policy order circular bulletin instruction notice rule "
                        "sop plan strategy guide handbook manual scorecard tool version act bill law regulation "
                        "proclamation".split())
_SELF_REFERENCE = re.compile(r"^(?:this|the present)\s+(standard operating procedure|[a-z]+)\b", re.IGNORECASE)
DOCUMENT_OPENING = 3000  # characters of a document that name its kind ("MEMORANDUM FOR ...", "Binding Operational Directive")


# "... to ensure compliance with this Directive.", "The purpose of this guidance is ...": a quote that
# speaks of its own document anywhere in it.  The memo names that document before the quote
# (``render.quote_attribution``); an analyst reviewing the bench memos could not tell which directive
# "this Directive" was (session 22, ``bench/review``).  Only words that, after "this", nearly always
# mean the document itself: not "this rule" or "this act", which a quote may use of another.
_OWN_DOCUMENT = re.compile(r"\b(?:this|the present)\s+(?:directive|memorandum|memo|guidance|policy|circular|bulletin|"
                           r"sop|standard operating procedure|template|report|document|scorecard|handbook|manual|"
                           r"guide)\b", re.IGNORECASE)


# "The plan raises, but does not propose solutions to ...", "The Department remediates any
# deficiencies ...", "The proposed rule would create good-paying jobs ...": a quote that opens on a
# definite document or body never named in the memo.  The analyst who reviewed session 22's bench
# memos marked each an unclear reference.  When the quote's document has that kind in its title
# ("China's 15th Five-Year Plan", "VA Data Center Optimization Strategy ... Department of Veterans
# Affairs"), the title says which plan or department it is.
_KIND_OPENING = re.compile(r"^\W*the\s+(?:[a-z]+\s+)?(plan|bill|act|department|agency|rule|report|update|memorandum|"
                           r"strategy|program|programme|order|directive|guidance|policy|law|proclamation|initiative|"
                           r"framework|scorecard|council|committee|commission|office|bureau|administration)\b",
                           re.IGNORECASE)


def opens_on_its_kind(quote: str, title: str) -> bool:
    """Does the quote open with "The plan", "The Department", "The proposed rule" ... whose kind the
    document's ``title`` names (so that the title tells the reader which one)?"""
    m = _KIND_OPENING.match(quote)
    return m is not None and re.search(rf"\b{m.group(1)}s?\b", title, re.IGNORECASE) is not None


def speaks_of_its_document(quote: str) -> bool:
    """Does the quote call its own document "this directive", "this guidance", "this report" ...?"""
    return _OWN_DOCUMENT.search(quote) is not None


def names_its_document(sentence: str, opening: str) -> bool:
    """Does the sentence open with "This <kind of document>" that ``opening`` (the document's first
    characters, without this sentence) shows to be the document itself?"""
    m = _SELF_REFERENCE.match(sentence.lstrip(" \"'\u201c\u2018("))
    if m is None:
        return False
    kind = m.group(1).lower()
    if kind == "standard operating procedure":
        kind = "sop"
    if kind not in _SELF_KINDS:
        return False
    names = {"sop": r"\b(?:sop|standard operating procedure)\b"}.get(kind, rf"\b{kind}s?\b")
    return re.search(names, opening, re.IGNORECASE) is not None
