"""What a text claims, in the terms the support checks compare: numbers, names, content words, negations.

Why apart from :mod:`briefer.claims`: the analysis is shared.  The checks in
``claims.py`` compare a sentence's analysis with its cited text's; the
evidence ranking (``evidence.py``), the relevance tests (``relevance.py``) and
the quoting rules (``quoting.py``) read the same analysis and need none of the
verdicts.  :func:`analyse` is cached, so a sentence analysed for one of them
is not analysed again for another.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal

from briefer.textanalysis import is_ordinary, stem, stopwords

_TOKEN_RE = re.compile(r"(?:[^\W\d_]\.){2,}|[^\W_]+(?:'[^\W_]+)*")
_WORD_NUMS = dict(zip("two three four five six seven eight nine ten eleven twelve twenty thirty "
                      "forty fifty sixty seventy eighty ninety hundred".split(),
                      [*range(2, 13), *range(20, 100, 10), 100]))
_NUM_RE = re.compile(
    r"(?<![\w.,])(?P<cur>US\$|\$|€|£|¥)?\s?"
    rf"(?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|(?:{'|'.join(_WORD_NUMS)})\b)"
    r"(?:\s?(?P<scale>thousand|million|billion|trillion)\b|(?P<abbr>bn|mn|m|b|k)\b)?"
    r"(?:\s?(?P<pct>%|percent\b|per\s?cent\b|percentage\s+points?\b))?"
    r"(?:\s?(?P<cur2>dollars?|usd|yuan|rmb|renminbi|euros?|pounds?)\b)?", re.IGNORECASE)
# Spelled-out numbers, scales and units are checked as numbers, not as words
# ("145 percent" vs "145%" must not lose overlap).
_NUMBER_WORDS = {*_WORD_NUMS, "thousand", "million", "billion", "trillion", "bn", "percent",
                 "cent", "percentage", "dollar", "dollars", "usd", "yuan", "rmb",
                 "renminbi", "euro", "euros", "pound", "pounds"}
_SCALES = {"thousand": 10**3, "k": 10**3, "million": 10**6, "m": 10**6, "mn": 10**6,
           "billion": 10**9, "bn": 10**9, "b": 10**9, "trillion": 10**12}
_CURRENCIES = {"$": "USD", "us$": "USD", "dollar": "USD", "dollars": "USD", "usd": "USD",
               "€": "EUR", "euro": "EUR", "euros": "EUR", "£": "GBP", "pound": "GBP",
               "pounds": "GBP", "¥": "CNY", "yuan": "CNY", "rmb": "CNY", "renminbi": "CNY"}
# Spellings of one name share a canonical content word ("@us").  Demonyms are
# deliberately not aliases: "The Chinese government imposed bans" must not be
# supported by "the US imposed bans on China's access" (an actor swap).
ALIAS = {w.replace("_", " "): "@" + group.split()[0] for group in (
    "us usa america united_states", "china prc", "eu european_union",
    "uk britain united_kingdom", "ai artificial_intelligence") for w in group.split()}
_NEGATIONS = {"not", "no", "never", "none", "nor", "neither", "without", "cannot"}


@dataclass(frozen=True)
class Num:
    """A number as claimed: 145% and "145 percent" are the same Num."""

    value: Decimal
    pct: bool
    currency: str | None
    surface: str


@dataclass(frozen=True)
class Analysis:
    """What a text claims, in the terms the checks compare (see :func:`analyse`)."""

    numbers: tuple[Num, ...]
    entities: tuple[tuple[str, tuple[str, ...]], ...]  # (surface, normalised tokens)
    words: frozenset[str]  # every normalised token
    content: frozenset[str]  # stemmed non-stopwords, aliases canonical
    negations: frozenset[str]  # the stem each negation applies to ("*": unknown)

    @property
    def facts(self) -> frozenset[str]:
        """Content words plus numbers: what the text claims."""
        return self.content | {f"#{n.value:f}{'%' * n.pct}" for n in self.numbers}


@functools.lru_cache(maxsize=1)
def demonyms() -> dict[str, str]:
    """Demonym stem -> its country's content word ("chines" -> "@china")."""
    pairs = ("chinese china", "american us", "americans us", "british uk", "japanese japan",
             "korean korea", "taiwanese taiwan", "russian russia", "indian india",
             "dutch netherlands", "german germany", "french france")
    return {stem(d): ALIAS.get(c) or stem(c) for d, c in (p.split() for p in pairs)}


def _norm(token: str) -> str:
    """Lower-case, drop acronym dots (U.S. -> us) and a possessive 's."""
    tok = token.lower().replace(".", "")
    return tok[:-2] if tok.endswith("'s") else tok.rstrip("'")


def _numbers(text: str) -> tuple[Num, ...]:
    out = []
    for m in _NUM_RE.finditer(text):
        raw = m.group("num").lower().replace(",", "")
        value = Decimal(_WORD_NUMS.get(raw, raw)) * _SCALES.get(
            (m.group("scale") or m.group("abbr") or "").lower(), 1)
        currency = _CURRENCIES.get((m.group("cur") or m.group("cur2") or "").lower())
        out.append(Num(value.normalize(), bool(m.group("pct")), currency, m.group(0).strip()))
    return tuple(out)


def _is_entity(surface: str, norm: str, initial: bool) -> bool:
    """Names, acronyms and model numbers; sentence-initial common words are not."""
    letters = [c for c in surface if c.isalpha()]
    acronym = len(letters) > 1 and surface.isupper()
    if not letters or norm in stopwords() and not acronym:  # "US" yes, "I"/"A" no
        return False
    if acronym or any(c.isdigit() for c in surface):
        return True  # A100, H20, AMD, U.S.
    return surface[0].isupper() and (not initial or not is_ordinary(norm))


@functools.lru_cache(maxsize=8192)
def analyse(text: str) -> Analysis:
    """Numbers, name runs, content words and negation scopes of ``text``.

    Cached: the same evidence sentence is analysed for every memo sentence
    checked against it.
    """
    text = text.replace("’", "'").replace("‘", "'")
    toks = [[m.start(), m.end(), _norm(m.group())] for m in _TOKEN_RE.finditer(text)]
    for i in range(len(toks) - 2, -1, -1):  # merge "United States" into one token
        if f"{toks[i][2]} {toks[i + 1][2]}" in ALIAS and not text[toks[i][1]:toks[i + 1][0]].strip():
            toks[i: i + 2] = [[toks[i][0], toks[i + 1][1], f"{toks[i][2]} {toks[i + 1][2]}"]]
    words, content, negations, entities = set(), set(), set(), []
    run: list[list] = []  # consecutive name tokens, reported as one entity
    scope, prev_end = 0, 0  # scope: tokens left in which a negation finds its word
    for start, end, norm in toks:
        surface, gap, prev_end = text[start:end], text[prev_end:start], end
        initial = not words or bool(re.search(r"[.!?:;\"“(]", gap))
        words.add(norm)
        canon = ALIAS.get(norm) if norm != "us" or surface.isupper() else None  # "let us"
        if norm in _NEGATIONS or norm.endswith("n't"):
            negations |= {"*"} if scope else set()  # the previous one negated nothing
            scope = 4
        elif scope == 4 and norm in ("only", "just", "merely", "simply"):
            scope = 0  # "not only X but also Y" asserts X
        elif canon or not (norm in stopwords() or norm in _NUMBER_WORDS or len(norm) < 2
                           or norm.isdigit()):
            content.add(canon or stem(norm))
            negations |= {canon or stem(norm)} if scope else set()
            scope = 0
        elif scope:
            scope -= 1
            negations |= set() if scope else {"*"}
        if _is_entity(surface, norm, initial):
            if run and gap.strip() not in ("", "-"):
                entities.append(run)
                run = []
            run.append([start, end, norm])
        elif run:
            entities.append(run)
            run = []
    entities += [run] if run else []
    return Analysis(_numbers(text),
                    tuple((text[r[0][0]:r[-1][1]], tuple(t[2] for t in r)) for r in entities),
                    frozenset(words), frozenset(content),
                    frozenset(negations | ({"*"} if scope else set())))


def has_token(norm: str, cited: Analysis) -> bool:
    """Does ``cited`` contain the name token ``norm`` (as spelt, stemmed or aliased)?"""
    if norm in ALIAS:
        return ALIAS[norm] in cited.content
    return norm in cited.words or stem(norm) in cited.content


def has_number(num: Num, cited: Analysis) -> bool:
    """Same value; a percentage needs a percentage; currencies must not clash."""
    return any(c.value == num.value and (c.pct or not num.pct)
               and not (num.currency and c.currency and num.currency != c.currency)
               for c in cited.numbers)
