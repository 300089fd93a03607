"""Which extracted sentences may be quoted as evidence, and which need trimming or an antecedent.

Extraction (:mod:`briefer.formats`) already drops most markup and page
furniture, but a document still holds headings, table rows, captions, bylines,
footnote citations and navigation fragments.  They are kept in the text (they
help retrieval and offsets must stay stable) but must never be *quoted* as the
evidence a memo sentence rests on: :func:`evidence_problem` says why not.
What can be cut off a quote's front (a connective, a label, a glued heading)
is :mod:`briefer.leadins`' concern; the same report present twice, as PDF and
Markdown, is :mod:`briefer.duplicates`'.  All rules are light, deterministic heuristics
tuned on real policy documents (tests/test_clean_evidence*.py hold the examples).
"""

from __future__ import annotations

import re

from .tablerows import is_table_row
from .textanalysis import AUXILIARIES, IRREGULAR_PAST, SMALL_WORDS, TERMINAL, WORD_TOKENS

MIN_WORDS = 6
# A lone "_" at a word's edge is a leftover emphasis mark ("priorities writ large_. _Subsequent"
# in a CRS Markdown file); inside a word ("snake_case") it is not.
# Likewise a lone "*" opening or closing a word: CommonMark leaves "*Guidance: Strengthening
# Federal IT Portfolio Management *(Mar. 27, 2013)" unparsed (a space before the closing mark).
_MARKUP = re.compile(r"\*\*|__|\]\(|!\[|\||^#{1,6}\s|</?[a-zA-Z][^>]*>|\{\{|^>\s|`|"
                     r"(?<=\w)_(?!\w)|(?<!\w)_(?=\w)|(?:^|\s)\*\S|\S\*(?:\s|$)")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_BOILERPLATE = re.compile(
    r"^(?:sources?|notes?|see also|updated|figure \d|fig\. \d|table \d|photo|image|credit|"
    r"copyright|©|all rights reserved|click|subscribe|sign up|cookies?|skip to|share|download|"
    r"prepared for members|disclaimer|author information|contents|read more|related)\b", re.IGNORECASE)
# Who wrote it, wherever the line starts: "105.; This section was written by Laurie Harris, Analyst in Science
# and Technology Policy." (a CRS footnote, its number glued on, led an untuned memo's "What is changing").
_WRITTEN_BY = re.compile(r"\b(?:this|the)\s+(?:document|report|section|chapter|product|insight|brief|paper)\s+"
                         r"(?:was|has been|is)\s+(?:prepared|written|authored|compiled)\s+by\b", re.IGNORECASE)
# A sentence about the document, not the world: "Table 2-2 compiles budgetary data ...",
# "This report discusses ...".  Quoted in a memo it briefs on nothing.
_ABOUT_ITSELF = re.compile(
    r"^(?:(?:specifically|in addition|also|finally),\s+)?(?:"
    r"(?:table|figure|appendix|exhibit|chart|box)\s+[\w.-]+\s+(?:\w+\s+)?(?:compiles|shows|lists|presents|provides|"
    r"summarizes|summarises|illustrates|displays|depicts|includes|contains|reports|details)\b|"
    r"this\s+(?:report|insight|in focus|product|section|chapter|paper|brief|memo|document|sidebar|analysis|list)\s+"
    r"(?:\w+\s+)?"
    r"(?:provides|discusses|describes|examines|summarizes|summarises|reviews|presents|outlines|focuses|analyzes|"
    r"analyses|addresses|explores|considers|is)\b|"
    # "The report also discusses legislative options Congress may consider ..." (the plan again; only
    # the plan's verbs: "The report found ..." or "... describes" may be another body's report's finding)
    r"the\s+(?:report|insight|in focus|product|paper|brief)\s+(?:also\s+)?(?:discusses|examines|outlines|reviews|"
    r"explores|focuses|considers)\b|"
    # "The following analysis of the President's FY2026 request examines ...", "Subsequent sections of
    # this report examine ...": the document's plan, not its findings.
    r"(?:the\s+)?(?:following|subsequent|preceding|remaining|later|earlier)\s+(?:\w+\s+)?(?:analysis|analyses|"
    r"section|sections|chapter|chapters|discussion|pages|paragraphs?|text|table|tables|figures?|information)\b|"
    # "The remainder of the report analyzes FY2026 R&D funding across the following five agencies ..."
    r"the\s+(?:remainder|rest)\s+of\s+(?:the|this)\s+(?:report|insight|product|paper|brief|memo|document|section|"
    r"chapter|analysis)\b|"
    # "The products shown here are grouped by common themes ..." (a CRS product list)
    r"the\s+(?:products|reports|items|entries|resources|documents|publications)\s+"
    r"(?:shown|listed|included|presented)\s+(?:here|below|above|in)\b)", re.IGNORECASE)
# Who made the document is a byline, not a finding: "The Open Data Working Group (ODWG) at SBA created this SOP
# that defines a process ..." (the open-data memo quoted it under "What information is protected").
_MADE_THIS = re.compile(r"\b(?:created|prepared|wrote|authored|drafted|compiled|produced)\s+this\s+(?:SOP|report|"
                        r"memo(?:randum)?|document|guidance|plan|procedure|scorecard|brief|paper|insight|primer)\b",
                        re.IGNORECASE)
# A pointer to other reading, not a finding: "See Table 2 for treatment of selected products ...",
# "For more information on X, see CRS In Focus IF12497", "(Additional CRS products ... may be found on crs.gov.)"
# Link text says where, not what: "Using the link below, members of the public may download ...", "More
# information on the DCEP Program is available here.", "... is included below." (CIO Council pages).
_POINTER = re.compile(r"^\(?\s*(?:see|for\b[^.]{0,160}?,\s*(?:please\s+)?see)\b|\bavailable (?:at|from|on)\s+(?:https?://|www\.)|"
                      r"\b(?:may|can) be found (?:at|in|on|here)\b|\b(?:may|can) be (?:accessed|viewed|downloaded) (?:at|on|via|through)\b|\bis available (?:at|from|on|here)\b|"
                      r"\b(?:the|this|these) links? (?:below|above)\b|\bclick here\b|\b(?:is|are) (?:included|listed|provided|"
                      r"described|shown|summarized) below\s*[.:]?\s*$|\b(?:information|recommendations|details|guidance|"
                      r"resources)\s+here\s*[.:]?\s*$", re.IGNORECASE)
# Whom to ask, not a finding: "If you have any questions, please reach out to dccoi@gsa.gov."
_CONTACT = re.compile(r"^if you have (?:any )?(?:questions|comments|concerns)\b|\bplease (?:reach out|contact|e-?mail|call)\b",
                      re.IGNORECASE)
# A prompt to write or to picture something, not a statement: a reporting template's "Describe how the
# agency will ensure ...", an essay's "Imagine a bustling open-source port ..." (both rejected by a
# judge).  A procedure's own steps ("Submit cleared data assets to ... for review by the IPT") are
# what it requires, and stay evidence.
_IMPERATIVE = re.compile(r"^(?:please\s+(?:refer|see|do not hesitate|feel free|let|note)\b|(?:describe|explain|discuss|"
                         r"summari[sz]e|outline|indicate|specify|imagine|consider|picture)\s+(?:how|what|why|whether|"
                         r"which|who|when|where|if|the|a|an|any|all|each|your|their|its|this|these|it|them)\b)",
                         re.IGNORECASE)
# Page controls printed with a web page ("Justice Policy(show less) Has issued ..."): a PDF print
# of a site keeps them inside the text.
_CONTROLS = re.compile(r"\((?:show|read|see|view) (?:less|more|all)\)|\b(?:show|read|learn|view) (?:less|more)\b",
                       re.IGNORECASE)
# A caption glued to the end of a sentence by table extraction: "... open data requirements Source:
# OMB Memorandum 13-13, ..." (an open-data memo's table, quoted and rejected by a judge).
_GLUED_CAPTION = re.compile(r"[a-z,)]\s+(?:Sources?|Notes?):\s")
# A catalogue entry: a heading, a dash, then what the entry holds ("AI and Patents—products that cover
# the intersection of AI and patents ..."), a noun phrase with no verb of its own.
# Also a law's entry in a list of authorities: "Clinger-Cohen Act of 1996 – Requires the establishment of ..."
# (a verb with no subject), and a glossary's: "Privacy: refers to protecting any Agency information ...".
_ENTRY = re.compile(r"^([^\u2014\u2013]{3,80}?)\s*[\u2014\u2013]\s*(?:[a-z]+\s+(?:that|which|who)|"
                    r"[A-Z][a-z]+s\s+(?:the|a|an|that|all|each|any))\b")
_GLOSSARY = re.compile(r"^([^:]{3,60}):\s+(?:refers?|means?|is defined|includes?|consists?|describes?|denotes?)\b")
# A label that makes the rest an illustration, not a finding: "Example 1: Data asset that ...".
_EXAMPLE_LABEL = re.compile(r"^(?:example|illustration|scenario|case)\s*[\dA-Z]?\d*\s*:", re.IGNORECASE)
_TOC = re.compile(r"(?:\.\s?){6,}")
# Text read by OCR off a scanned page: "Critical Vulnerabili(v Mitigation Requirement }or Federal
# Ci,11'/ian J:).:ecutive ... s:vstems1" (a CISA directive, quoted and rejected by a judge).  Two words
# with a bracket, colon or comma inside, or a figure between letters ("l11tegration"), is no text to
# quote.  A form's "office(s)" and a footnote mark after a bracket ("(DOJ)5") are not such words.
_GARBLED_WORD = re.compile(r"[A-Za-z][({}|\\;:,!]+[A-Za-z0-9]|[a-z]\d+[a-z]")
_PLURAL_MARK = re.compile(r"\((?:s|es)\)")
# An article with no noun, only a parenthesis: "prioritized through the (released in February 2024)."
# A web page printed to PDF drops a link's text and keeps the words around it.
_LOST_LINK_TEXT = re.compile(r"\b(?:the|an?)\s+\([^()]{1,80}\)\s*(?:[.,;:]|$)", re.IGNORECASE)
# ... or a word that needs one after it, then a comma: "delivers benefits in at least one of , and many
# programs ..." (the Justice40 scorecard, its link's text lost; quoted, and rejected by a judge as garbled).
_LOST_WORD = re.compile(r"\b(?:of|the|an?|to|for|in|on|at|by|with|from|between|than|and|or)\s+[,;]", re.IGNORECASE)
# A template's placeholder: "AGENCY NAME is committed to ensuring the security of the American public"
# (CISA's disclosure policy template) is no statement about any agency; a memo said "AGENCY NAME has
# a security policy".
_PLACEHOLDER = re.compile(r"\b[A-Z]{3,}(?:\s+[A-Z]{3,})*\s+(?:NAME|ADDRESS|EMAIL|PHONE|DATE|TITLE|URL)\b|"
                          r"(?i:\[(?:insert\s+)?(?:agency|organi[sz]ation|company|department|name|date)\b[^\]]{0,30}\])")
# A web page's floating controls, printed into the text they covered: "... the development of critical
# c Share your feedback water and wastewater infrastructure." (a scorecard printed from a browser; the
# button hid "lean", so the sentence cannot be mended, and a judge and an analyst both flagged it).
# Capitalised as a control's label is, inside a sentence where prose would not capitalise it.
_CONTROL_INSIDE = re.compile(r"(?<=[a-z,] )(?:Share your feedback|Give feedback|Send feedback|Was this page helpful\??|"
                             r"Back to top|Skip to (?:main )?content|Print this page|Accept all cookies|"
                             r"Cookie settings)\b")
# A letterhead's address run into the body by a PDF's text layer: "... with other federal, state,
# local, and Tribal 1200 Pennsylvania Avenue governments." (EPA's scorecard, rejected by a judge).
# An address that ends a sentence ("mailed to FOI/PA Office, SBA, 409 Third St., SW, Washington DC
# 20416.") or goes on with a preposition ("moved to 1200 Pennsylvania Avenue in 2019") is the text's own.
_ADDRESS_INSIDE = re.compile(r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,2}(?:Avenue|Street|Road|Boulevard|Drive|Place)"
                             r"(?:,?\s+[NS][EW])?\s+([a-z]+)")
# An item of a numbered list run into one paragraph: "VDPs typically include: 1. A description of
# ...; 2. Guidance as to when ...; 3. ..." is split at each number, so an item ends with the next
# one's ("... the types of testing allowed; and 5.", rejected by a judge).  A noun phrase, not a
# statement.
_INLINE_ITEM = re.compile(r"[;,]\s+(?:(?:and|or)\s+)?\(?(?:\d{1,2}|[a-z]|[ivx]{1,4})[.)]$")
_PARENTHESES = re.compile(r"\([^()]*\)")
_BYLINE = re.compile(r"^(?:[Ww]ritten |[Pp]osted |[Rr]eported )?[Bb]y\s+(?:[A-Z][\w'\u2019-]*\.?\s*){1,4}"
                     r"(?:(?:and|&|,)\s+(?:[A-Z][\w'\u2019-]*\.?\s*){1,4})*[.,]?$")
# A sentence split at an abbreviation: "119-4) for three accounts ..." / "... provided by P.L."
_CUT = re.compile(r"^\d[\d-]*[),]|(?:\bP\.L|\bH\.R|\sS|\bvol|\bno|\bpp?|Rept|\bal|\bU\.S\.C)\.$")
_CITATION = re.compile(r"^\d{1,3}[.;,)]*\s+\S")  # a footnote: "12 OMB, Technical Supplement ...", "7.; See ..."
_CITATION_HINT = re.compile(r"https?://|\bp{1,2}\.\s*(?:[A-Z][A-Za-z ]{0,30}-)?\d|\baccessed\b|\bibid\b|\bop\. cit\b|"
                            r"\bvol\.\s*\d|\bno\.\s*\d|\bS\.Rept\.|\bH\.Rept\.|^\d{1,3}\s+See\b|"
                            r"\b\d{2,3}(?:st|nd|rd|th) Cong\.", re.IGNORECASE)
# Words a sentence goes on with after an address of its own ("moved to 1200 Pennsylvania Avenue in 2019").
_AFTER_ADDRESS = SMALL_WORDS | AUXILIARIES | frozenset("where which that since near until after before when while who whose".split())


def _garbled(text: str) -> bool:
    """Two or more OCR-garbled words (see ``_GARBLED_WORD``)."""
    return sum(bool(_GARBLED_WORD.search(_PLURAL_MARK.sub("", w))) for w in text.split()) >= 2


def _no_finite_verb(text: str) -> bool:
    """No auxiliary and no lower-case word that may be a finite verb (an -ed or -s form): a reference,
    not a statement ("CRS analysis of NSF's Research Infrastructure Summary table; NSF, ..., p. Summary
    Tables-14.", "U.S. Congress, Senate Committee on Appropriations, ..., 119th Cong., 1st sess., ...").
    Not :func:`_verbish`, which takes "-ing", "-en" and "analysis" for verbs; URLs are left out."""
    words = [w for w in WORD_TOKENS.findall(_URL.sub(" ", text)) if w.islower() or w.lower() in AUXILIARIES]
    return not any(w.lower() in AUXILIARIES or (w.endswith("ed") and len(w) > 4)
                   or (w.endswith("s") and len(w) > 3 and not w.endswith(("ss", "is", "us", "ics"))) for w in words)


def _verbish(words: list[str]) -> bool:
    """Some lower-case word looks like a verb (auxiliary, an irregular past or an -ed/-es/-s/-ing form)."""
    return any(w in AUXILIARIES or w in IRREGULAR_PAST
               or (w.islower() and len(w) > 3 and w.endswith(("ed", "es", "s", "ing", "en"))) for w in words)


def ends_a_sentence(text: str) -> bool:
    """Does ``text`` end with terminal punctuation (after any closing quote or bracket)?"""
    return bool(TERMINAL.search(text))


# Words a line cut mid-sentence (at a PDF page end) stops on; a list item does not.
_OPEN_END = SMALL_WORDS | frozenset("its their his her this that these those which who whose than such be is are was were "
                               "has have had will would can could may might must not no including include includes "
                               "following follows below like versus about over under between among within without "
                               "version section".split())
LIST_STATEMENT_WORDS = 8
_NOT_A_SUBJECT = AUXILIARIES | {"yes", "no", "does", "do", "did"}  # a checklist row ("Has an ... plan") or a form's answer


def _list_statement(text: str, words: list[str]) -> bool:
    """A list item that is a whole statement, though without a full stop (release notes, slides).

    "Census tracts that were disadvantaged under version 1.0 continue to be considered as
    disadvantaged in version 2.0" (CEJST's release notes, bench/eval-fetched2) states what
    changed; rejected as a fragment, the memo could not say it.  A line without terminal
    punctuation ends there (the splitter splits lines first and punkt only at full stops),
    so the risk is a sentence cut at a page end: it must not stop on an open word or mark.
    """
    last, tail = words[-1], text.split()[-1]
    if len(words) < LIST_STATEMENT_WORDS or not text[0].isupper() or words[0].lower() in _NOT_A_SUBJECT:
        return False
    if text[-1] in ",;:-\u2013\u2014/(" or "; " in text or re.search(r"[/@]|\.[a-z]{2,}", tail) \
            or re.search(r":\s*\S{1,3}$", text):  # a cut, table cells, a URL, a numbered list's opener
        return False
    ends_closed = last[0].isdigit() or (last.islower() and last not in _OPEN_END)
    return ends_closed and any(w in AUXILIARIES or (w.islower() and len(w) > 4 and w.endswith("ed")) for w in words)


def evidence_problem(sentence: str) -> str | None:
    """Why *sentence* must never be quoted as evidence ("heading", "table row", ...), or None.

    Evidence must read as a complete prose sentence: at least six words, a sentence end, something
    verb-like, no leftover markup, not a caption, source line, byline, citation, URL list or table row."""
    text = " ".join(sentence.split())
    if not text:
        return "fragment"
    return _leftover(text) or _shape(text)


def _leftover(text: str) -> str | None:
    """What extraction left behind: markup, URLs, garbled or template text, page furniture, boilerplate,
    citations, the document talking about itself, pointers elsewhere, prompts to the reader."""
    if _MARKUP.search(text):
        return "markup"
    urls = _URL.findall(text)
    if len(urls) >= 2 or sum(map(len, urls)) > 0.3 * len(text):
        return "url"
    if _TOC.search(text):
        return "table of contents"
    if _garbled(text) or _LOST_LINK_TEXT.search(text) or _LOST_WORD.search(text):
        return "garbled text"
    if _PLACEHOLDER.search(text):
        return "template placeholder"
    if _CONTROL_INSIDE.search(text) or any(m.group(1) not in _AFTER_ADDRESS for m in _ADDRESS_INSIDE.finditer(text)):
        return "page furniture"
    if _CITATION.match(text) and _CITATION_HINT.search(text):
        return "citation list"
    if _BOILERPLATE.match(text) or _CONTACT.search(text):
        return "boilerplate"
    if _CITATION_HINT.search(text) and _no_finite_verb(text):
        return "citation list"  # a footnote without its number (a CRS table's footnote row, number cut)
    if _ABOUT_ITSELF.match(text) or _MADE_THIS.search(text):
        return "about the document"
    if _POINTER.search(text):
        return "cross-reference"
    if _IMPERATIVE.match(text) or _EXAMPLE_LABEL.match(text):
        return "instruction"
    return None


def _shape(text: str) -> str | None:
    """Not shaped as a sentence: a catalogue entry or heading, a caption, a byline, a table row, a
    fragment (too short, no end, no verb, cut at a citation or a list's next item)."""
    entry = _ENTRY.match(text) or _GLOSSARY.match(text)
    if entry and evidence_problem(entry.group(1) + ".") == "heading":
        return "heading"
    if _GLUED_CAPTION.search(text) or _CONTROLS.search(text):
        return "boilerplate"
    words = WORD_TOKENS.findall(text)
    if _WRITTEN_BY.search(text) or (_BYLINE.match(text) and len(words) <= 12):
        return "byline"
    if is_table_row(text, words):
        return "table row"
    lower = [w for w in words if w.lower() in SMALL_WORDS or w[0].isalpha()]
    content = [w for w in lower if w.lower() not in SMALL_WORDS]
    capitalised = sum(w[0].isupper() for w in content)
    if content and capitalised >= 0.75 * len(content) and not _verbish(words):
        return "heading"
    if len(words) < MIN_WORDS:
        return "fragment"
    if not TERMINAL.search(text):
        if _list_statement(text, words):
            return None
        return "heading" if not _verbish(words) else "fragment"
    if text[0].islower() or not _verbish(words) or _CUT.search(text) or _INLINE_ITEM.search(text):
        return "fragment"
    # "Global Change Research Program ($25.2 million requested, down $746.7 million, -97%)." is a
    # list item: its only verb-like word is inside the parenthesis.
    if "(" in text and not _verbish(WORD_TOKENS.findall(_PARENTHESES.sub(" ", text))):
        return "fragment"
    return None
