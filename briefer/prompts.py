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

SYSTEM_PROMPT = """You write one section of a briefing memo titled "{title}" for {audience}.
Use only the numbered sources below. After every sentence, put the key of the source it comes from in square brackets, like [{example_key}].
Copy names and numbers exactly as the source gives them. Write 2 to 4 short sentences. Do not add anything the sources do not say.
If the sources do not answer the question, reply exactly: {sentinel}

Sources:
{sources}"""
SYSTEM_PROMPT_VARS = frozenset({"title", "audience", "example_key", "sentinel", "sources"})

SOURCE_LINE = "[{key}] {text}"
SOURCE_LINE_VARS = frozenset({"key", "text"})

QUESTION_PROMPT = "Question: {question}\nAnswer with sources:"
QUESTION_PROMPT_VARS = frozenset({"question"})


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
