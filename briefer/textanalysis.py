"""Tokenising, stemming and sentence splitting: every way briefer cuts text into units.

Two analyses live here, each for one job:

* **Claims** (``claims_analysis.py``: what a sentence says): NLTK's Porter :func:`stem`,
  its English :func:`stopwords`, and punkt's orthographic statistics
  (:func:`is_ordinary`: is a capitalised word a name?).
* **Index terms** (BM25, evidence scoring, question framing): :func:`terms`, with
  a lighter stemmer (:func:`index_stem`, see there for why not Porter).

Sentences (:func:`sentence_spans`) are punkt's, cut per line, with the false ends
punkt makes in policy text repaired.  The index stores them, so a change here
bumps ``SPLIT_VERSION`` (sentence spans) or ``chunking.ANALYSIS_VERSION`` (terms).

All NLTK data is read from disk (it ships with llama-index-core): nothing is
downloaded at run time.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re

from .errors import BrieferError

# Part of the sentence store's file names and of Postgres's schema version.  Bump when
# sentence_spans changes (2: legislative abbreviations; 3: long lines in pieces; 4: no end
# at a dotted token inside brackets or before a lower-case word; 5: every month's abbreviation).
SPLIT_VERSION = "5"

# Connectives a paraphrase adds freely; they are not part of the claim.
_DISCOURSE = {"however", "additionally", "furthermore", "moreover", "also", "overall",
              "notably", "meanwhile", "therefore", "thus", "similarly", "likewise", "indeed"}

LEGAL_ABBREVIATIONS = frozenset({"p.l", "h.r", "h.rept", "s.rept", "h.res", "s.res", "h.j.res", "s.j.res",
                                 "u.s.c", "stat", "secs", "vol", "pp", "fig", "cong", "sess", "approx",
                                 # every month: "Jul. 8, 1974; U.S. Customs Court held ..." split after "Jul."
                                 "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
                                 # "water boundaries, e.g. coastal or island tracts, ..." (CEJST release notes)
                                 "e.g", "i.e", "cf", "viz"})


@functools.lru_cache(maxsize=1)
def _nltk() -> tuple:
    """punkt_tab, stopwords and a stemmer, from disk only: never nltk.download.

    The data ships in llama-index-core (``_static/nltk_cache``), appended to
    NLTK's own search path ($NLTK_DATA, ~/nltk_data, ...).  find_spec locates
    it without importing llama_index.core, which is slow.
    """
    import nltk
    from nltk.corpus import stopwords as nltk_stopwords
    from nltk.stem import PorterStemmer
    from nltk.tokenize.punkt import PunktTokenizer

    try:
        spec = importlib.util.find_spec("llama_index.core")
    except ImportError:
        spec = None
    for loc in (spec.submodule_search_locations or []) if spec else []:
        if (path := os.path.join(loc, "_static", "nltk_cache")) not in nltk.data.path:
            nltk.data.path.append(path)
    try:
        punkt = PunktTokenizer("english")
        # Legislative and citation abbreviations punkt does not know: without them "(FY2020 NDAA;
        # P.L. 116-92)" and "H.R. 1" end a sentence in the middle (measured on crs-sample).
        punkt._params.abbrev_types.update(LEGAL_ABBREVIATIONS)
        stop = frozenset(w.replace("’", "'") for w in nltk_stopwords.words("english")) | _DISCOURSE
    except LookupError as exc:
        raise BrieferError("NLTK punkt_tab/stopwords data not found (it ships with "
                           "llama-index-core): reinstall llama-index-core or set NLTK_DATA") from exc
    return punkt, stop, PorterStemmer()


# Past tenses without "-ed": "The budget rose by 12 percent in 2025." has no other verb-like word.
IRREGULAR_PAST = frozenset("""made held led began built took gave sent won brought spent met sought wrote ran grew rose
    fell fought bought chose drew drove froze hid knew lost paid sold told thought understood went withdrew upheld
    overtook undertook underwent struck swore stood sank shot slid spread shut""".split())


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Porter stem, cached: every content word of every claim check passes here."""
    return _nltk()[2].stem(word)


def stopwords() -> frozenset[str]:
    """NLTK's English stopwords plus connectives a paraphrase adds freely (claim analysis)."""
    return _nltk()[1]


def is_ordinary(word: str) -> bool:
    """Did punkt's training text use ``word`` in lower case (a common word)?

    Punkt keeps per-word orthographic statistics; a word never seen in lower
    case (Huawei, Nvidia) is a name even as the first word of a sentence.
    """
    from nltk.tokenize import punkt

    params = getattr(_nltk()[0], "_params", None)
    return bool(params and params.ortho_context.get(word, 0) & getattr(punkt, "_ORTHO_LC", 56))


PUNKT_PIECE = 20_000  # characters per punkt call (see _pieces)


def _pieces(line: str) -> list[tuple[int, str]]:
    """A line cut into pieces of at most PUNKT_PIECE characters, at whitespace where there is some.

    punkt costs ~50 µs per potential sentence end, and nltk stops any regex
    search after 5 s with TimeoutError: a 200 KB line of ". . ." took 4.9 s
    here, and a 2 MB one crashed `briefer index`.  Cutting is deterministic
    (same text, same spans); only a sentence longer than a piece is split.
    """
    pieces: list[tuple[int, str]] = []
    start = 0
    while len(line) - start > PUNKT_PIECE:
        cut = line.rfind(" ", start + PUNKT_PIECE // 2, start + PUNKT_PIECE)
        cut = cut + 1 if cut > start else start + PUNKT_PIECE
        pieces.append((start, line[start:cut]))
        start = cut
    pieces.append((start, line[start:]))
    return pieces


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence boundaries as offsets into ``text`` (``text[s:e]`` is the sentence).

    Lines are split first (the corpus puts each heading and paragraph on its
    own line, and headings have no full stop), then punkt splits each line
    (in pieces, if it is very long: :func:`_pieces`); it knows abbreviations
    like "U.S." and "Dr.".  Spans are trimmed of whitespace so citation
    offsets are exact.
    """
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n\r\u2028\u2029]+", text):
        for offset, piece in _pieces(line.group()):
            for s, e in _nltk()[0].span_tokenize(piece):
                seg = piece[s:e]
                s, e = s + len(seg) - len(seg.lstrip()), e - (len(seg) - len(seg.rstrip()))
                if e > s:
                    s, e = line.start() + offset + s, line.start() + offset + e
                    if spans and _continues(text, spans[-1], s):
                        spans[-1] = (spans[-1][0], e)
                    else:
                        spans.append((s, e))
    return spans


_COUNTRY_ABBREVIATION = re.compile(r"(?:\bU\.S|\bU\.K|\bE\.U)\.$")
# No sentence opens with a closing bracket, a comma-like mark or a lower-case word; a
# list's "b." or "iv." does, and stays apart.
_NOT_AN_OPENING = re.compile(r"[)\]},;:]|(?!(?:[a-z]|[ivx]{1,4})\.(?:\s|$))[a-z]")


def _continues(text: str, prev: tuple[int, int], start: int) -> bool:
    """Did punkt end a sentence that goes on?

    Two kinds of false end, both measured on crs-sample and the fetched sets:
    - at a dotted token punkt does not know, when what follows opens no sentence
      (a lower-case word, a closing bracket, a comma: "(part III, section 3.a." |
      "), and the data ...") or, inside brackets, is a number ("(e.g., S.
      1272/H.R." | "2665, ...)"); a list's "b." keeps its own line;
    - after "U.S." before a noun ("the five U.S." | "Territories among ...").
      It splits before a capitalised word it has not seen inside sentences; a
      new sentence after "U.S." opens with a function word ("The", "It", "In")
      far more often than with a noun, so only those keep the split.
    """
    if text[prev[1]:start].count("\n"):
        return False
    after = text[start:start + 40]
    before = text[prev[0]:prev[1]]
    if _NOT_AN_OPENING.match(after) or after[:1].isdigit() and before.count("(") > before.count(")"):
        return True
    if not _COUNTRY_ABBREVIATION.search(text, prev[0], prev[1]):
        return False
    word = re.match(r"[A-Z][\w'\u2019-]*", after)
    return bool(word) and word.group(0).lower() not in stopwords()


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` (see :func:`sentence_spans`)."""
    return [text[s:e] for s, e in sentence_spans(text)]


_LETTERS = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*")


def words(text: str) -> list[str]:
    """The words of ``text``, lower-cased, in order, little words kept: for rules that compare how two
    texts order their words (:func:`terms` drops the little words and stems the rest).

    A curly apostrophe is read as a straight one, as :func:`stopwords` reads it: a model sentence
    often types "Huawei's" where its source has "Huawei’s", and the two are one word."""
    return [w.lower().replace("\u2019", "'") for w in _LETTERS.findall(text)]


# Sentence shape: what the evidence rules (``textclean``, ``tablerows``) count words with.
#: A sentence end, after any closing quote or bracket.
TERMINAL = re.compile(r"[.!?][\u201d\u2019\"')\]]*$")
#: Words as written (case kept), and figures with their signs: "$25.2", "97%".
WORD_TOKENS = re.compile(r"[^\W\d_][\w'\u2019.-]*|\d[\d,.%$]*", re.UNICODE)
#: The little words of a heading ("Office of the Chief ...") and of a name run.
SMALL_WORDS = frozenset("a an and as at but by for from in into nor of on or the to with vs via per".split())
#: Verbs a statement may have where no -ed or -s form shows one ("The plan remains ...").
AUXILIARIES = frozenset("is are was were be been being has have had will would can could may might must "
                        "shall should do does did remains remain became become includes include said says".split())


# Index terms ------------------------------------------------------------------
_WORD = re.compile(r"[\w%$.-]+", re.UNICODE)
INDEX_STOPWORDS = frozenset(
    "a an and are as at be been but by can could did do does for from had has have how in into is it its of on or "
    "our should so such than that the their them then there these they this those to was we were what when where "
    "which while who whom why will with would about after also any between both each more most other over same some "
    "under up very you your".split()
)
_NORMALISED: dict[str, str] = {}  # raw lower-case word -> index term ("" for stopwords)


def index_stem(word: str) -> str:
    """A deliberately light suffix stripper, shared by BM25 and evidence scoring.

    Porter (:func:`stem`) conflates more ("restriction" and "restrict"), which a
    claim check wants and a ranker does not: with Porter stems and either stopword
    list, BM25 found the right document first for 30 or 28 of bench's 40 retrieval
    probes instead of 31, and in its top three for 36 instead of 38 (a scratch run
    on 2026-11-30; facts in the evidence were 66/103 either way).
    """
    for suffix in ("ingly", "ings", "ing", "edly", "ied", "ies", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    # A final silent "e" goes too, so "vote"/"voted" and "charge"/"charged" meet.
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def _normalise(raw: str) -> str:
    word = raw.strip(".-")
    return index_stem(word) if word and word not in INDEX_STOPWORDS else ""


def terms(text: str) -> list[str]:
    """Index terms of ``text``: lower-cased words, stopwords dropped, lightly stemmed.

    Memoised per distinct word: tokenising 100k chunks is mostly dictionary hits."""
    if len(_NORMALISED) > 2_000_000:
        _NORMALISED.clear()
    out = []
    for raw in _WORD.findall(text.lower()):
        term = _NORMALISED.get(raw)
        if term is None:
            term = _NORMALISED[raw] = _normalise(raw)
        if term:
            out.append(term)
    return out
