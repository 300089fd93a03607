"""What can be cut off the front of a quote, and which sentences lean on the one before them.

A sentence that opens with a connective ("However, "), a label ("A: ", "(a) ",
"Demographic information: ") or a heading that PDF extraction glued on is
still evidence once that front is cut off, and the cut quote stays exact at
its offsets (:func:`briefer.evidence_spans.quotable_span` applies the cuts).
One that opens with an unresolved reference ("These chips ...") needs its
antecedent instead: :func:`dangling_start`; a list item with no subject ("Launched
two new grant programs ...", "Publish a policy ...") needs its lead-in line:
:func:`subjectless_item`.
"""

from __future__ import annotations

import re

from .textanalysis import IRREGULAR_PAST
from .tablerows import ANSWER_CELL
from .textclean import MIN_WORDS, evidence_problem

# Connectives that only count ("Second, for FY2026, Congress funded ..."): the sentence leans on no
# other for its meaning, so it may be quoted whole when trimming would leave a lower-case fragment.
_ORDINALS = ("finally", "first", "second", "third", "fourth", "fifth", "lastly")
_CONNECTIVES = (
    "however", "similarly", "in addition", "additionally", "also", "moreover", "furthermore",
    "further", "still", "instead", "as a result", "meanwhile", "nevertheless", "nonetheless",
    "therefore", "thus", "consequently", "in contrast", "by contrast", "likewise", "otherwise",
    "hence", "accordingly", "in turn", "even so", "that said", "for example", "for instance",
    "as such", "in other words", "to that end", "in response", "at the same time", "in particular",
    "specifically", "notably", "importantly", *_ORDINALS, "in sum", "in short", "overall",
)
_ORDINAL_RE = re.compile(r"^(?:%s),\s+" % "|".join(_ORDINALS), re.IGNORECASE)
_CONJUNCTIONS = ("but", "and", "yet", "so", "or")
_CONNECTIVE_RE = re.compile(r"^(?:%s),\s+" % "|".join(re.escape(c) for c in _CONNECTIVES), re.IGNORECASE)
_CONJUNCTION_RE = re.compile(r"^(?:%s)(?:,\s+|\s+)" % "|".join(_CONJUNCTIONS), re.IGNORECASE)
_REFERENCE_RE = re.compile(
    r"^(?:these|this|those|that|they|them|their|theirs|it|its|such|he|she|his|her|him|"
    r"both(?![^,.;:]{0,60}\band\b)|"  # "Both companies" refers back; "Both Trump and Biden" does not
    r"the latter|the former|the same|the above|said|either|neither|another)\b", re.IGNORECASE)


def dangling_start(sentence: str) -> bool:
    """Does the sentence lean on the one before it (a connective or an unresolved reference)?

    "However, ...", "But ...", "These chips ...", "It ..." cannot stand alone
    in a memo: quoted by itself the reader cannot tell what they refer to.
    """
    text = sentence.lstrip(" \"'\u201c\u2018(")
    return bool(_CONNECTIVE_RE.match(text) or _CONJUNCTION_RE.match(text) or _REFERENCE_RE.match(text))


# PDF text boxes lose the break between a heading and its first sentence: "Trade, Financial, and IP
# Pilot ProgramsTo counter offshoring trends, ...", "Amending Section 122.If Congress approves ...".
# The glue is a lower-case letter (or a full stop) run straight into a capitalised word that opens
# sentences.
_GLUED = re.compile(r"(?:[a-z]|[a-z0-9]\.)(?=(?:To|The|In|On|For|As|At|By|This|These|That|A|An|While|Since|According|Under|"
                    r"After|Before|During|Although|Because|If|When|With|From|Its|It|Some|Many|Several|Most|"
                    r"Congress|President)\s)")


# A sidebar label that kept its space: "Initiative seven investment categories In the Phase Two
# Scorecard, the Justice40 Initiative section contains ..." (a scorecard printed from the web; a judge
# rejected the quote).  Prose does not capitalise "In" after a lower-case word, so a short front of
# content words with no verb, and nothing but content words, is a label (a data dictionary's Title Case
# field name before its definition is not: the definition is no sentence either).
_GLUED_SPACED = re.compile(r"(?<=[a-z]) (?=(?:In|The|This|These|For|Under|According|During|Since|While|After)\s)")
_LABEL_WORD = re.compile(r"^[\w&/-]+$")
_NOT_LABEL_WORDS = frozenset("a an the of to and or in on at by for with from as is are was were be been has have had "
                             "will would can could may might must shall should that which who".split())


def glued_heading_len(sentence: str) -> int:
    """Characters of a heading glued onto the front of a sentence (see ``_GLUED``), else 0.

    Only when the front reads as a heading by :func:`evidence_problem`'s own rule
    and the rest as a sentence, so "DeepSeekThe" typos in prose are left alone."""
    for m in _GLUED.finditer(sentence, 0, 160):
        head, rest = sentence[:m.end()], sentence[m.end():]
        if evidence_problem(head + ".") == "heading" and evidence_problem(rest) is None:
            return m.end()
    m = _GLUED_SPACED.search(sentence, 0, 80)
    if m:
        head = sentence[:m.start()].split()
        if (2 <= len(head) <= 6 and all(_LABEL_WORD.match(w) and not w[0].isdigit() for w in head)
                and any(w.islower() for w in head)  # a phrase; "Bureau Code The federal ..." is a data dictionary's row
                and not any(w.lower() in _NOT_LABEL_WORDS or w.lower().endswith(("ed", "ing")) for w in head)
                and evidence_problem(sentence[m.end():]) is None):
            return m.end()
    return 0


# FAQ pages label their answers: "A: The purpose of the Open Data Policy is ...", "A3: If data are ...";
# a CRS Markdown file's footnotes are table rows, their number a cell: "5.; Scholars and practitioners ...";
# contract clauses number theirs after a lead-in: "Specifically: (a) To carry out their missions, ...";
# a PDF page's footnote keeps its number: "1 In Executive Order 14008 ..., President Biden directed ..."
# (quoted, number and all, in a memo); no sentence opens with a figure and then "In" or "The".
_ANSWER_LABEL = re.compile(r"^(?:(?:A|Answer|Response)\s?\d{0,3}\s?:\s+|\d{1,3}\.?;\s+|"
                           r"\d{1,3}\s+(?=(?:In|The|This|These|Those|For|On|As|At|By|According|Under|Since|While|When|"
                           r"Although|Because|If|With|From|It|Its|An|Following|During|After|Before|Each|All|Most|"
                           r"Rather|However|Moreover|Furthermore|Instead|There)\s)|"
                           r"(?:(?:Specifically|In particular|Namely|That is)\s?:\s+)?"
                           r"\((?:[a-zA-Z]|[ivx]{1,4}|\d{1,2})\)\s+)(?=[A-Z\"\u201c])")


# A field label before a whole sentence: "Demographic information: The user interface of version 2.0
# displays ..." (a technical document's list, quoted label and all and rejected by a judge).  A label is
# a short noun phrase; "Officials said: The ..." is attribution and stays.  The rest must open like a
# sentence of its own ("The ...", or an acronym: "Comprehensive and consistently accurate: CEQ sought to
# ..."): "Diabetes: Weighted percentage of people ..." is a definition that needs its label.
# A numbered label ("Q8: Some of the data I collect ...") heads a question, not a finding.
_FIELD_LABEL = re.compile(r"^([A-Z][\w'\u2019&/-]*(?:\s+[\w'\u2019&/()-]+){0,3}):\s+"
                          r"(?=(?:The|This|In|On|For|As|At|By|Under|After|Before|During|Since|While|Although|"
                          r"According|When|If|Because|Each|All|Many|Some|Most|Several|It|[A-Z]{2,5})\s)")
_NOT_A_LABEL = frozenset("is are was were be has have had will would can could may might must shall should do does "
                         "did said says say stated states noted notes added adds wrote writes argued argues warned "
                         "warns explained explains concluded announced told testified declared replied asked "
                         "reported reports source sources".split())  # "Source: CRS calculated ..." is a caption


# The cells before a table's text column: "July 2025 Yes Partially VA does not have one centralized office
# that manages the 258+ data centers." (an OMB compliance table printed to PDF; see tablerows.ANSWER_CELL).
_ROW_CELLS = re.compile(rf"^[^.;:]{{0,80}}?\b{ANSWER_CELL}(?:,?\s+{ANSWER_CELL})+,?\s+(?=[A-Z])(?!{ANSWER_CELL}\b)")


def answer_label_len(sentence: str) -> int:
    """Characters of an answer label ("A: ", "A3: "), list marker ("(a) "), field label
    ("Demographic information: ") or a table row's answer cells that can be cut off the quote, else 0."""
    m = _ANSWER_LABEL.match(sentence) or _ROW_CELLS.match(sentence)
    if not m:
        m = _FIELD_LABEL.match(sentence)
        if m and (any(w.lower() in _NOT_A_LABEL for w in m.group(1).split()) or re.search(r"\d", m.group(1))):
            m = None
    return m.end() if m and evidence_problem(sentence[m.end():]) is None else 0


def only_counts(sentence: str) -> bool:
    """Does the sentence open on an ordinal ("First, ", "Finally, ") and lean on nothing else?"""
    m = _ORDINAL_RE.match(sentence)
    return m is not None and not dangling_start(sentence[m.end():])


def connective_prefix_len(sentence: str) -> int:
    """Characters of a leading connective ("However, ", "But ") that can be cut off, else 0.

    Only connectives are trimmed, never reference words ("These", "It"): the
    rest of "These chips are ..." still needs its antecedent.  The rest must be
    at least :data:`MIN_WORDS` - 1 words long to remain a sentence.
    """
    match = _CONNECTIVE_RE.match(sentence) or _CONJUNCTION_RE.match(sentence)
    if not match:
        return 0
    rest = sentence[match.end():]
    if len(rest.split()) < MIN_WORDS - 1 or not rest[:1].isalnum():
        return 0
    return match.end()


# A list item with no subject: the scorecard's "Launched two new grant programs ...", "Made program
# modifications ...", a directive's "Publish a vulnerability disclosure policy ..." or "Annually, ...,
# provide a status report ...".  Quoted alone it never says who acts, and an independent judge rejected
# every such quote (bench/judge/, five distinct ones).  Only the verbs that open directives' and
# reports' lists: "Report finds ..." or "Work on the bridge ..." are not on it, nor verbs that often open
# a sentence as its subject noun ("Issue areas include ...", "Draft rules published in May ...",
# "Train ridership fell ..."): only an auxiliary after the first word tells a subject apart.  "Form an
# internal committee ..." (a VA memo's third step) was quoted alone as a finding until "form" was added.
_IMPERATIVES = frozenset("""publish develop add display list create maintain provide submit ensure review remediate
    establish identify include update notify implement designate conduct coordinate assess track adopt prioritize
    document define complete post respond acknowledge collaborate engage promote share verify monitor remove retain
    determine perform prepare make take give send keep avoid encourage address assist approve obtain consult analyze
    evaluate manage oversee facilitate advise communicate reduce increase improve consider replace install measure
    purchase consolidate optimize migrate upgrade protect apply form assign appoint convene compile distribute
    disseminate inform specify confirm validate enable deploy configure enforce utilize""".split())
_AFTER_PARTICIPLE = frozenset("in on at by for with from to of as under into during after before since through within "
                              "between among across over via upon against".split())  # "Based on ...", "Issued in May"
_FINITE = frozenset("will would are is was were have has had can could may might must shall should do does did".split())
_LABELLED_GERUND = re.compile(r"^[A-Z][^:.]{2,80}:\s+([A-Z][a-z]{2,}ing)\s")
_RELATIVE = frozenset("that which who whom whose where when".split())
_OPENING_AUX = frozenset("has have is are was were".split())  # not "May" (a month) or "Will" (a name)
_FRONT_COMMA = re.compile(r",\s+(?=[a-z])")  # where an adverbial front may end: "Annually, by the end of ..., provide"
_ITEM_WORDS = re.compile(r"[A-Za-z][\w'\u2019-]*|\d[\d,.]*|[,;:]")


def subjectless_item(sentence: str, in_list: bool = False) -> bool:
    """Does the sentence open with a verb and no subject, as list items do ("Launched ...", "Publish ...")?

    A past form followed by a preposition opens a participle phrase ("Issued in May 2013, the
    policy ..."), and a finite verb within the next words makes the first word part of a subject
    ("Disclosed vulnerabilities will be evaluated", "Licensed taxis and buses with more than nine
    seats are exempt"); a label ("Projected flood risk: A ... model") is a glossary entry.  A label
    before a gerund ("Moving to the cloud: Investigating best practices ...") is an item, and so is a
    gerund *in a list* (``in_list``: after a lead-in line or another such item): "Encouraging the
    best-equipped federal data centers to provide services ..." (a GSA blog's objectives).  Alone,
    a gerund may be a subject ("Spending on R&D rose ..."), so it needs the list.
    """
    labelled = _LABELLED_GERUND.match(sentence)
    if labelled:  # "Background: Increasing cybersecurity risks are forcing ..." has its subject; "...: Identifying
        head = []  # tools that agencies can use ..." does not (the verb is the relative clause's)
        for w in _ITEM_WORDS.findall(sentence[labelled.start(1):])[:12]:
            if w.lower() in _RELATIVE:
                break
            head.append(w.lower())
        return not any(w in _FINITE for w in head)
    for comma in _FRONT_COMMA.finditer(sentence, 0, 100):
        after = sentence[comma.end():].split()
        if after[0].lower() in _IMPERATIVES and (len(after) < 2 or after[1].lower() not in _AFTER_PARTICIPLE):
            return True
    words = _ITEM_WORDS.findall(sentence)
    if len(words) < 3 or not words[0][0].isupper() or ":" in words[:6]:
        return False
    first, rest = words[0].lower(), [w.lower() for w in words[1:12]]
    if first in _OPENING_AUX and not sentence.rstrip().endswith("?"):
        return True  # a condition's item: "meets the following conditions:" | "Has an assigned CVE ID."
    if any(w in _FINITE for w in rest) or rest[0] in _AFTER_PARTICIPLE or rest[0] == ",":
        return False
    gerund = in_list and first.endswith("ing") and len(first) > 5 and words[0] not in SENTENCE_OPENERS
    return (first in _IMPERATIVES or first in IRREGULAR_PAST or (first.endswith("ed") and len(first) > 4)
            or gerund)


# Words a sentence opens with.  A line of a PDF column that opens with any other capitalised word
# after a line that stopped on a name ("... through DOT's Consolidated Rail Infrastructure and Safety"
# | "Improvements (CRISI) program, this project ...") goes on with that name: see
# :func:`briefer.evidence_spans.quotable_span`.
SENTENCE_OPENERS = frozenset("""The In On For As At By This These That Those A An While Since According Under After
    Before During Although Though Because If When With Without From Its It Some Many Several Most Each All Any No Not
    Our We Their They To Of Once Unless Where Whether Both Such Other Only Also However But And Or Yet So Today
    Currently Between Following Despite Over Beginning Starting Given Based Unlike Like Among Across Through Within Upon
    Until Last Next Every Few More Much My Your His Her He She I You There Here What Which Who How Why Whereas
    Further Furthermore Moreover Additionally Finally First Second Third One Two Three Four Five""".split())
