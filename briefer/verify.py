"""Post-hoc verification: keep only memo sentences their cited text supports.

The generator is a 135M-parameter model: it paraphrases, swaps numbers and
names, loops and babbles.  Trust is the product, so nothing it writes reaches
the memo unchecked.  Checks are deliberately lexical and explainable (no second
model): a reviewer can see *why* a sentence was dropped from ``checks``
(missing numbers, missing names, content-word overlap).  A sentence is
supported only when all three hold against the text it cites:

* every number (percentages, money, years, counts) appears there, after
  normalising "145%"/"145 percent", "$1.5 billion"/"1.5 billion dollars",
  "3,000"/"3000";
* every named entity (capitalised names, acronyms, model numbers like A100)
  appears there, with a small alias table (U.S. = United States, China ~
  Chinese) and possessives tolerated; a negation the cited text lacks is
  reported here too, because "did not impose" vs "imposed" flips the claim
  while keeping every word;
* at least ``OVERLAP_THRESHOLD`` of the sentence's content words (stopwords
  removed, Porter-stemmed) occur there.
"""

from __future__ import annotations

import functools
import importlib.util
import itertools
import os
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Iterable, Sequence

from briefer.errors import BrieferError
from briefer.schema import CheckResult, Evidence

SUPPORTED = "supported"
UNSUPPORTED = "unsupported"
ORIGIN_MODEL = "model"
ORIGIN_EXTRACTED = "extracted"

# Calibrated on the sample corpus (see the report in tests/test_verify.py's
# calibration comment): for every corpus sentence we measured its overlap with
# the best *other* single sentence and best pair of other sentences (impostor
# support), and the overlap of 24 hand-written faithful paraphrases with their
# source sentence.  Impostors: median 0.33, 95th pct 0.50 (pairs 0.56);
# paraphrases: min 0.62, median 0.80.  0.6 sits between the two populations
# and numbers/entities catch most of the remaining impostors.
OVERLAP_THRESHOLD: float = float(os.environ.get('BRIEFER_T', '0.7'))
# Fragments like "China." trivially overlap 100%: require a real claim.
MIN_CONTENT_WORDS = 3
# Two sentences whose content words/numbers overlap this much say the same thing.
NEAR_DUPLICATE = 0.8
# is_relevant: the best single evidence sentence must contain this share of the
# question's content words (and at least two of them).  Calibrated with
# on-/off-topic questions against the sample corpus: on-topic best >= 0.44,
# off-topic (EU AI Act, Federal Reserve, sourdough, Tesla batteries) <= 0.33.
RELEVANCE_MIN_SHARE = 0.4
# A passage counts towards a multi-citation claim only if it alone holds this
# share of the sentence's content words (see _check).
MEMBER_MIN = float(os.environ.get('BRIEFER_M', '0.5'))
_PAIR_POOL = 8  # candidates combined for multi-citation support (28 pairs)

_MARKER_RE = re.compile(r"\[\s*[A-Za-z0-9]{1,12}(?:\s*[,;]\s*[A-Za-z0-9]{1,12})*\s*\]")
_TOKEN_RE = re.compile(r"(?:[^\W\d_]\.){2,}|[^\W_]+(?:'[^\W_]+)*")
_NUM_RE = re.compile(
    r"(?<![\w.,])(?P<cur>US\$|\$|€|£|¥)?\s?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|"
    r"(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty"
    r"|sixty|seventy|eighty|ninety|hundred)\b)"
    r"(?:\s?(?P<scale>thousand|million|billion|trillion)\b|(?P<abbr>bn|mn|m|b|k)\b)?"
    r"(?:\s?(?P<pct>%|percent\b|per\s?cent\b|percentage\s+points?\b))?"
    r"(?:\s?(?P<cur2>dollars?|usd|yuan|rmb|renminbi|euros?|pounds?)\b)?",
    re.IGNORECASE,
)
_WORD_NUMS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}
_WORD_NUMS.update({w: 10 * i for i, w in enumerate(
    "twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)})
_WORD_NUMS["hundred"] = 100
_SCALES = {"thousand": 10**3, "k": 10**3, "million": 10**6, "m": 10**6, "mn": 10**6,
           "billion": 10**9, "bn": 10**9, "b": 10**9, "trillion": 10**12}
_CURRENCIES = {"$": "USD", "us$": "USD", "dollar": "USD", "dollars": "USD", "usd": "USD",
               "€": "EUR", "euro": "EUR", "euros": "EUR", "£": "GBP", "pound": "GBP",
               "pounds": "GBP", "¥": "CNY", "yuan": "CNY", "rmb": "CNY", "renminbi": "CNY"}
# Names the corpus writes several ways; a member of a group matches any other.
_ALIASES = [{"us", "usa", "united states", "america", "american", "americans"},
            {"china", "chinese", "prc"}, {"eu", "european union"}, {"uk", "britain", "british"},
            {"japan", "japanese"}, {"korea", "korean"}, {"taiwan", "taiwanese"},
            {"russia", "russian"}, {"india", "indian"}, {"netherlands", "dutch"}]
_NEGATIONS = {"not", "no", "never", "none", "nor", "neither", "without", "cannot"}
# Words that frame a question rather than name its topic.
_FRAME = {"say", "said", "says", "describe", "explain", "mention", "according", "corpus",
          "document", "documents", "source", "sources", "tell", "happen", "happened"}


@dataclass
class VerifiedSentence:
    """One memo sentence after verification, ready for rendering/review."""

    text: str
    citations: list[str]  # evidence keys
    status: str  # SUPPORTED / UNSUPPORTED
    origin: str  # ORIGIN_MODEL / ORIGIN_EXTRACTED
    checks: dict  # CheckResult.as_dict()


@dataclass(frozen=True)
class _Num:
    value: Decimal
    pct: bool
    currency: str | None
    surface: str


@dataclass(frozen=True)
class _Analysis:
    numbers: tuple[_Num, ...]
    entities: tuple[tuple[str, tuple[str, ...]], ...]  # (surface, normalised tokens)
    words: frozenset[str]  # every normalised token
    content: frozenset[str]  # stemmed non-stopword tokens
    phrase: str  # " tok tok ... " for multi-word alias lookup
    negations: frozenset[str]  # stem each negation applies to ('*' if none)


# ---------------------------------------------------------------- resources
def _nltk_dirs() -> list[str]:
    """NLTK data folders: $NLTK_DATA, then the copy shipped in llama-index-core.

    find_spec does not import llama_index.core (slow); we only need its path.
    """
    dirs = [os.environ["NLTK_DATA"]] if os.environ.get("NLTK_DATA") else []
    spec = importlib.util.find_spec("llama_index.core")
    for loc in (spec.submodule_search_locations or []) if spec else []:
        dirs.append(os.path.join(loc, "_static", "nltk_cache"))
    return dirs


@functools.lru_cache(maxsize=1)
def _nltk() -> tuple:
    """Load punkt_tab and stopwords from disk; never download (no network)."""
    try:
        import nltk
        from nltk.corpus import stopwords
        from nltk.stem import PorterStemmer
        from nltk.tokenize.punkt import PunktTokenizer
    except ImportError as exc:  # pragma: no cover - dependency of llama-index-core
        raise BrieferError("nltk is not installed; reinstall briefer's dependencies") from exc
    for path in _nltk_dirs():
        if path not in nltk.data.path:
            nltk.data.path.append(path)
    try:
        punkt = PunktTokenizer("english")
        stop = frozenset(w.replace("’", "'") for w in stopwords.words("english"))
    except LookupError as exc:
        raise BrieferError("NLTK punkt_tab/stopwords data not found (it ships with "
                           "llama-index-core); reinstall llama-index-core or set NLTK_DATA") from exc
    return punkt, stop, PorterStemmer()


def _stopwords() -> frozenset[str]:
    return _nltk()[1]


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _nltk()[2].stem(word)


@functools.lru_cache(maxsize=65536)
def _ordinary(word: str) -> bool:
    """True if punkt's training data saw ``word`` in lower case (a common word).

    Punkt keeps orthographic statistics per word type; a word never seen lower
    case (Huawei, Nvidia, Chinese) is a name even at the start of a sentence.
    """
    from nltk.tokenize.punkt import _ORTHO_LC

    params = getattr(_nltk()[0], "_params", None)
    return bool(params and params.ortho_context.get(word, 0) & _ORTHO_LC)


# ---------------------------------------------------------------- sentences
def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence boundaries as ``(start, end)`` offsets into ``text``.

    Every line is split separately (the corpus puts headings and paragraphs on
    their own lines, and a heading has no full stop), then punkt splits the
    line; punkt knows abbreviations such as "U.S." and "Dr.".  Spans are
    trimmed so ``text[s:e]`` is exactly the sentence, which keeps citation
    offsets exact.
    """
    punkt = _nltk()[0]
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n\r\u2028\u2029]+", text):
        base = line.start()
        for s, e in punkt.span_tokenize(line.group()):
            seg = line.group()[s:e]
            lead = len(seg) - len(seg.lstrip())
            trail = len(seg) - len(seg.rstrip())
            if e - trail > s + lead:
                spans.append((base + s + lead, base + e - trail))
    return spans


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` (see :func:`sentence_spans`)."""
    return [text[s:e] for s, e in sentence_spans(text)]


def _strip_markers(sentence: str) -> str:
    """Remove citation markers like "[K3F]" and tidy the whitespace they leave."""
    text = _MARKER_RE.sub(" ", sentence)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


# ----------------------------------------------------------------- analysis
def _norm(token: str) -> str:
    """Lower-case, drop dots of acronyms (U.S. -> us) and possessive 's."""
    tok = token.lower().replace(".", "")
    return tok[:-2] if tok.endswith("'s") else tok.rstrip("'")


def _numbers(text: str) -> tuple[_Num, ...]:
    out = []
    for m in _NUM_RE.finditer(text):
        raw = m.group("num").lower().replace(",", "")
        try:
            value = Decimal(_WORD_NUMS[raw]) if raw in _WORD_NUMS else Decimal(raw)
        except InvalidOperation:  # pragma: no cover - regex only admits numerals
            continue
        scale = (m.group("scale") or m.group("abbr") or "").lower()
        if scale:
            value *= _SCALES[scale]
        cur = (m.group("cur") or m.group("cur2") or "").lower()
        out.append(_Num(value.normalize(), bool(m.group("pct")), _CURRENCIES.get(cur),
                        m.group(0).strip()))
    return tuple(out)


def _is_entity(surface: str, norm: str, initial: bool) -> bool:
    """Names, acronyms and model numbers; sentence-initial common words are not."""
    letters = [c for c in surface if c.isalpha()]
    if not letters or norm in _stopwords():
        return False
    if any(c.isdigit() for c in surface):  # A100, H20, R1, 5G
        return True
    if len(letters) >= 2 and all(c.isupper() for c in letters):  # AMD, BIS, U.S.
        return True
    if not surface[0].isupper():
        return False
    return not initial or not _ordinary(norm)


@functools.lru_cache(maxsize=8192)
def _analyse(text: str) -> _Analysis:
    text = text.replace("’", "'").replace("‘", "'")
    stop = _stopwords()
    words, content, negations = set(), set(), set()
    scope = 0  # tokens left in which a negation looks for the word it negates
    entities: list[tuple[str, tuple[str, ...]]] = []
    run: list[tuple[int, int, str]] = []  # (start, end, norm) of the current name run
    prev_end = 0

    def close_run() -> None:
        if run:
            entities.append((text[run[0][0]:run[-1][1]], tuple(n for _, _, n in run)))
            run.clear()

    for m in _TOKEN_RE.finditer(text):
        surface, norm = m.group(), _norm(m.group())
        gap = text[prev_end:m.start()]
        initial = prev_end == 0 or bool(re.search(r"[.!?:;\"“(]", gap))
        prev_end = m.end()
        words.add(norm)
        if norm in _NEGATIONS or norm.endswith("n't"):
            if scope:
                negations.add("*")
            scope = 4
        elif norm not in stop and len(norm) > 1 and not norm.isdigit():
            content.add(_stem(norm))
            if scope:
                negations.add(_stem(norm))
                scope = 0
        elif scope:
            scope -= 1
            if not scope:
                negations.add("*")
        if _is_entity(surface, norm, initial):
            if run and gap.strip() not in ("", "-"):
                close_run()
            run.append((m.start(), m.end(), norm))
        else:
            close_run()
    close_run()
    if scope:
        negations.add("*")
    phrase = " " + " ".join(_norm(t) for t in _TOKEN_RE.findall(text)) + " "
    return _Analysis(_numbers(text), tuple(entities), frozenset(words), frozenset(content),
                     phrase, frozenset(negations))


def _has_token(norm: str, cited: _Analysis) -> bool:
    if norm in cited.words or _stem(norm) in cited.content:
        return True
    for group in _ALIASES:
        if norm in group:
            return any(f" {alias} " in cited.phrase for alias in group)
    return False


def _has_number(num: _Num, cited: _Analysis) -> bool:
    return any(c.value == num.value and (c.pct or not num.pct)
               and not (num.currency and c.currency and num.currency != c.currency)
               for c in cited.numbers)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# -------------------------------------------------------------------- checks
def _overlap(s: _Analysis, c: _Analysis) -> float:
    return len(s.content & c.content) / len(s.content) if s.content else 0.0


def _check(sentence: str, cited: Sequence[str]) -> tuple[CheckResult, list[int]]:
    """check_sentence, also returning the indices of the cited texts that count.

    With several cited texts, only those sharing at least ``MEMBER_MIN`` of the
    sentence's content words count as support.  Otherwise a sentence could be
    stitched from a passage about Baidu and a list that mentions Alibaba
    ("Alibaba opted for Huawei chips"); an extra irrelevant citation is simply
    ignored rather than failing the sentence.
    """
    s = _analyse(_strip_markers(sentence))
    per = {i: _analyse(t) for i, t in enumerate(cited) if t and t.strip()}
    used = [i for i in per if _overlap(s, per[i]) >= MEMBER_MIN] if len(per) > 1 else list(per)
    if not used and per:
        used = [max(per, key=lambda i: _overlap(s, per[i]))]
    c = _analyse("\n".join(cited[i] for i in used))
    missing_numbers = _unique(n.surface for n in s.numbers if not _has_number(n, c))
    missing_entities = _unique(re.sub(r"'s\b", "", surface) for surface, toks in s.entities
                               if not all(_has_token(t, c) for t in toks))
    # Negation must match in scope: "did not impose" needs the cited text to
    # negate "impose" (not "not as powerful"), and a claim the cited text
    # negates ("not as powerful") must stay negated in the sentence.
    if (any(n not in c.negations and not (n == "*" and c.negations) for n in s.negations)
            or (c.negations - {"*"}) & s.content - s.negations):
        missing_entities.append("(negation)")
    overlap = _overlap(s, c) if used else 0.0
    ok = (bool(used) and not missing_numbers and not missing_entities
          and len(s.content) >= MIN_CONTENT_WORDS and overlap >= OVERLAP_THRESHOLD)
    return CheckResult(SUPPORTED if ok else UNSUPPORTED, missing_numbers, missing_entities,
                       overlap), used


def check_sentence(sentence: str, cited: Sequence[str]) -> CheckResult:
    """Is ``sentence`` supported by the cited texts (joined)?  See module doc."""
    return _check(sentence, cited)[0]


def best_support(sentence: str, candidates: Sequence[Evidence],
                 max_cites: int = 2) -> tuple[list[Evidence], CheckResult]:
    """Attach citations after generation: the fewest candidates that support it.

    A single supporting sentence is preferred (tighter citation); only if none
    exists are combinations of up to ``max_cites`` candidates tried, since a
    model sentence often fuses two source sentences.  Only candidates that
    could count as support on their own (``MEMBER_MIN``) are combined.
    Returns ``([], unsupported result)`` when nothing supports the sentence.
    """
    cands = list({e.key: e for e in candidates if e.text.strip()}.values())
    if not cands or max_cites < 1:
        return [], check_sentence(sentence, [])
    singles = [(check_sentence(sentence, [e.text]), e) for e in cands]
    good = [x for x in singles if x[0].supported]
    if good:
        res, ev = max(good, key=lambda x: (x[0].overlap, x[1].score))
        return [ev], res
    order = {e.key: i for i, e in enumerate(cands)}
    pool = sorted((x for x in singles if x[0].overlap >= MEMBER_MIN),
                  key=lambda x: x[0].overlap, reverse=True)[:_PAIR_POOL]
    for size in range(2, min(max_cites, len(pool)) + 1):
        best: tuple[CheckResult, list[Evidence]] | None = None
        for combo in itertools.combinations(pool, size):
            evs = sorted((e for _, e in combo), key=lambda e: order[e.key])
            res = check_sentence(sentence, [e.text for e in evs])
            if res.supported and (best is None or res.overlap > best[0].overlap):
                best = (res, evs)
        if best:
            return best[1], best[0]
    return [], check_sentence(sentence, [])


def _signature(text: str) -> frozenset[str]:
    """Content words plus numbers: what a sentence claims, for duplicate tests."""
    a = _analyse(_strip_markers(text))
    return a.content | {f"#{n.value}{'%' if n.pct else ''}" for n in a.numbers}


def _near_duplicate(sig: frozenset[str], seen: Sequence[frozenset[str]]) -> bool:
    """Same claim again: most of the shorter one's words are in the other."""
    for other in seen:
        small = min(len(sig), len(other))
        if small and len(sig & other) / small >= NEAR_DUPLICATE:
            return True
        if not small and sig == other:
            return True
    return False


def _question_terms(question: str) -> frozenset[str]:
    return _analyse(question).content - {_stem(w) for w in _FRAME}


# ------------------------------------------------------------------ sections
def verify_section(answer: Sequence[tuple[str, list[str]]], evidence: Sequence[Evidence],
                   question: str, *, keep_unsupported: bool = False, min_sentences: int = 2,
                   max_extracted: int = 4) -> list[VerifiedSentence]:
    """Turn the model's cited sentences into a section a reader can trust.

    Each sentence is checked against what it cites; failing that, citations
    are re-attached from all evidence (the model often cites the wrong key);
    failing that it is dropped (or kept, flagged, for review).  Repeats from
    looping generation are removed.  If fewer than ``min_sentences`` supported
    sentences remain, the most question-relevant evidence sentences are quoted
    verbatim (origin "extracted") until the section has ``max(min_sentences,
    max_extracted)`` supported sentences, adding at most ``max_extracted``.
    """
    evs = list({e.key: e for e in evidence if e.text and e.text.strip()}.values())
    if not evs:
        return []
    by_key = {e.key: e for e in evs}
    out: list[VerifiedSentence] = []
    seen: list[frozenset[str]] = []
    for raw, keys in answer:
        text = _strip_markers(raw or "")
        sig = _signature(text)
        if not re.search(r"[^\W\d_]", text) or _near_duplicate(sig, seen):
            continue
        cited = [by_key[k] for k in _unique(keys or []) if k in by_key]
        res, used = _check(text, [e.text for e in cited])
        if res.supported:  # drop cited keys that do not support it
            cited = [cited[i] for i in used]
        else:
            chosen, alt = best_support(text, evs)
            if alt.supported:
                cited, res = chosen, alt
        if res.supported or keep_unsupported:
            seen.append(sig)
            out.append(VerifiedSentence(text, [e.key for e in cited], res.status,
                                        ORIGIN_MODEL, res.as_dict()))
    n_supported = sum(v.status == SUPPORTED for v in out)
    if n_supported >= min_sentences:
        return out
    terms = _question_terms(question)
    top = max(max(e.score for e in evs), 0.0) or 1.0

    def share(e: Evidence) -> float:
        return len(terms & _analyse(e.text).content) / len(terms) if terms else 0.0

    pool = [e for e in evs if share(e) > 0] or evs
    # Relevance: question-word coverage first, retrieval score as tie-breaker.
    pool.sort(key=lambda e: share(e) + 0.3 * max(e.score, 0.0) / top, reverse=True)
    cited_keys = {k for v in out if v.status == SUPPORTED for k in v.citations}
    added, target = 0, max(min_sentences, max_extracted)
    for e in pool:
        if added >= max_extracted or n_supported >= target:
            break
        text, sig = e.text.strip(), _signature(e.text)
        if (e.key in cited_keys or _near_duplicate(sig, seen)
                or not re.search(r"[.!?][\"”’')\]]*$", text)  # headings are not claims
                or len(_analyse(text).content) < MIN_CONTENT_WORDS):
            continue
        res = check_sentence(text, [e.text])
        if res.supported:
            seen.append(sig)
            out.append(VerifiedSentence(text, [e.key], SUPPORTED, ORIGIN_EXTRACTED,
                                        res.as_dict()))
            added += 1
            n_supported += 1
    return out


def is_relevant(question: str, evidence: Sequence[Evidence]) -> bool:
    """Does the evidence address the question at all (else: refuse politely)?

    Retrieval always returns *something*, and generic words ("AI", "models")
    match everywhere in a themed corpus, so word overlap alone is fooled.
    Two tests, both required:

    1. Specific terms must be present: every number in the question, and at
       least half the tokens of each name/acronym run (so "Xi Jinping" matches
       "President Xi", but "EU AI Act" does not match a corpus that only says
       "AI").  Names are what make a question about *this* corpus or another.
    2. One evidence sentence must contain at least ``RELEVANCE_MIN_SHARE`` of
       the question's content words (and at least two), so the question's
       topic co-occurs in one place rather than as scattered common words.
    """
    q = _analyse(question)
    terms = _question_terms(question) | {f"#{n.value}" for n in q.numbers}
    texts = [e.text for e in evidence if e.text and e.text.strip()]
    if not terms or not texts:
        return False
    pooled = _analyse("\n".join(texts))
    if not all(_has_number(n, pooled) for n in q.numbers):
        return False
    for _, toks in q.entities:
        if 2 * sum(_has_token(t, pooled) for t in toks) < len(toks):
            return False
    best = 0
    for text in texts:
        a = _analyse(text)
        best = max(best, len(terms & (a.content | {f"#{n.value}" for n in a.numbers})))
    return best >= min(2, len(terms)) and best / len(terms) >= RELEVANCE_MIN_SHARE
