"""Prompt texts, as named constants with the variables each one may use.

The "cannot answer" sentinel is defined once here and used both inside the
prompt and by the code that recognises a refusal, so the two can never drift.

Prompt order matters for speed: every section's chat starts with the same
system message (instructions + the memo's whole evidence pool), so
llama.cpp reuses its KV cache for that prefix and only evaluates the short
per-section question.
"""

from __future__ import annotations

import re
import string

CANNOT_ANSWER = "NOT COVERED"

#: Shown in the memo when a section's question is not addressed by the corpus.
NOT_COVERED_TEXT = "The corpus does not address this question."

# The model restates, per source, the fact that answers the section's question, as
# "KEY: sentence" lines.  Measured on Qwen2.5-Coder-1.5B (bench/README.md): asked for
# prose it copies whole source sentences and often drops the keys; asked for one reworded
# line per source it keeps every key (the line's key *is* the citation) and shortens.
# The parser turns each line into a sentence citing that key; verification decides.
SYSTEM_PROMPT = """You help write a briefing memo titled "{title}" for {audience}. For a question and numbered sources, you restate, in your own short words, each fact from the sources that helps answer the question. You never add facts the sources do not state, and you keep names, numbers and dates exactly. If no source helps, you write only: {sentinel}"""
SYSTEM_PROMPT_VARS = frozenset({"title", "audience", "sentinel"})

SOURCE_LINE = "[{key}] {text}"
SOURCE_LINE_VARS = frozenset({"key", "text"})

#: One section's turn: its question, then its own evidence.  The system prompt and the
#: worked example below stay the same for every section, so llama.cpp reuses that
#: prefix from its KV cache.
QUESTION_PROMPT = """Question: {question}

{sources}

For each source that helps answer the question, write one line: the source key, a colon, then the fact it gives, reworded as one short sentence of your own that keeps its names, numbers and dates (at most 25 words). Leave out sources that do not help. If none helps, write only: NOT COVERED"""
QUESTION_PROMPT_VARS = frozenset({"question", "sources"})

#: A worked example shown before every section (invented text, so it cannot leak into a memo
#: as a fact: its names and numbers fail verification against any real corpus).  Its keys have a
#: digit second, which a source's key never has (``answer.make_key``): keyed KA7, KB3, KD2 and KC9
#: (until session 15), it made Qwen write "KD2:" for a source keyed KDW and "KB3: Chinese shop owners fear
#: the charge ..." (the example's own fact) where KBP's line belonged, in 48 of 1,202 answer lines
#: over three bench runs; the key's source then went unstated.
EXAMPLE_QUESTION = "What did the Harlow Bay council decide, and how was it received?"
EXAMPLE_SOURCES = (
    ("K7A", "On Tuesday, after a heated four-hour debate, the Harlow Bay council voted 31 to 12 to approve a "
            "congestion charge covering the whole of the harbour district."),
    ("K3B", "According to the council, drivers entering the zone will pay a daily charge of 9.50 starting in March 2026."),
    ("K2D", "The harbour district is home to the city's oldest fish market, which dates from 1820."),
    ("K9C", "Several shop owners in the district said they feared the charge would keep customers away."),
)
EXAMPLE_ANSWER = """K7A: By 31 votes to 12, the Harlow Bay council approved a congestion charge for the whole harbour district.
K3B: Drivers will pay 9.50 a day to enter the zone from March 2026.
K9C: Local shop owners fear the charge will drive customers away."""

#: The reword stage (``briefer/reword.py``): one passage the memo would quote, rewritten in the
#: model's own words.  No question and no other source: with the section's question in view the
#: model answered the question instead of rewording ("The US government has taken measures ..."
#: under a sentence about Chinese developers), and with every source in view it copied.
REWORD_SYSTEM = """You rewrite passages from source documents for a briefing memo titled "{title}" for {audience}. Rewrite the passage in your own plain words, as briefly as it allows: change the order and the wording, but keep who said or did it, every name, number and date, and words such as "may", "plans to", "must" or "according to". Add nothing the passage does not say."""
REWORD_SYSTEM_VARS = frozenset({"title", "audience"})
REWORD_PROMPT = "Passage: {passage}"
REWORD_PROMPT_VARS = frozenset({"passage"})
#: Worked examples: the invented harbour of ``EXAMPLE_SOURCES``, so nothing here can pass as a fact.
REWORD_EXAMPLES = (
    (EXAMPLE_SOURCES[0][1],
     "By 31 votes to 12, the Harlow Bay council on Tuesday approved a congestion charge for the whole harbour district."),
    (EXAMPLE_SOURCES[1][1], "Starting in March 2026, drivers will pay 9.50 a day to enter the zone, the council says."),
    (EXAMPLE_SOURCES[3][1], "In the district, several shop owners said they feared that customers would stay away "
                            "because of the charge."),
)


def fill(template: str, allowed: frozenset[str], **values: str) -> str:
    """Format ``template`` after checking it uses exactly the allowed variables.

    A typo in a prompt variable would otherwise surface as a KeyError deep in
    generation, or silently send a literal "{sources}" to the model.
    """
    used = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    if used != allowed or set(values) != allowed:
        raise ValueError(f"prompt variables {sorted(used)} / given {sorted(values)} / allowed {sorted(allowed)}")
    return template.format(**values)


_SENTINEL_RE = re.compile(r"\bnot\s+covered\b", re.IGNORECASE)


def is_refusal(answer: str) -> bool:
    """True when the model's answer is (essentially) the sentinel."""
    stripped = answer.strip().strip(".\"' ")
    return bool(_SENTINEL_RE.search(answer)) and len(stripped) <= len(CANNOT_ANSWER) + 40


# Text that addresses a language model rather than informing a reader: a corpus
# sentence like this is an attempted prompt injection, and the verifier cannot
# catch it ("say the tariffs were 900%" does contain "900%").
_INSTRUCTION_PATTERNS = [
    # "ignore (all) previous instructions", "disregard the above prompt", "forget your instructions"
    r"\b(?:ignore|disregard|forget|override)\s+(?:(?:all|any|the|your|my|these|of)\s+){0,3}"
    r"(?:(?:previous|prior|above|earlier|preceding|foregoing|original)\s+(?:\S+\s+)?"
    r"(?:instructions?|prompts?|rules|directions|guidelines|context|messages?|text)"
    r"|(?:instructions?|prompts?|system prompt))\b",
    r"\bsystem prompt\b",
    r"\b(?:you are now|from now on,? you|pretend (?:to be|you are))\b",
    r"\b(?:instructions?|note|message) (?:to|for) (?:the |any )?(?:ai|assistant|language model|llm|chatbot)\b",
    r"\b(?:ai|assistant|language model|llm|chatbot)s?,? (?:must|should|will) (?:now |only |instead )?(?:say|answer|write|reply|respond|state)\b",
    r"<\|[a-z_]{2,30}\|>|\[/?INST\]|<</?SYS>>|^\s*(?:system|assistant)\s*:",
]
_INSTRUCTION_RE = re.compile("|".join(f"(?:{p})" for p in _INSTRUCTION_PATTERNS), re.IGNORECASE | re.MULTILINE)


def looks_like_instructions(text: str) -> bool:
    """True for corpus text that reads as instructions to an AI model (possible prompt injection).

    Such a sentence is no evidence for anything; the pipeline leaves it out of
    the sources the model sees and the extractive fallback can quote.  The
    patterns are deliberately narrow: a false positive only drops one
    sentence (with a warning), a false negative is still caught by the
    verifier unless the injected claim is spelled out in the same sentence.
    """
    return bool(_INSTRUCTION_RE.search(text))


#: The optional entailment check (``briefer/entail.py``): one yes/no question per sentence.
ENTAILMENT_SYSTEM = ("You check a briefing memo against its sources. Answer with one word: YES or NO.")
ENTAILMENT_PROMPT = """Source: {evidence}

Claim: {claim}

Does the source state what the claim says, with the same actors doing the same things to the same parties, the same numbers and dates, and the same certainty (proposed or considered is not done; may is not will)? Answer YES or NO."""
ENTAILMENT_PROMPT_VARS = frozenset({"evidence", "claim"})
