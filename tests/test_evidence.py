"""Evidence selection: by meaning, diverse, each sentence once memo-wide; questions, findings, boilerplate."""

from __future__ import annotations

import numpy as np
from evidence_helpers import _spans

from briefer.boilerplate import allocate_unshared, drop_boilerplate
from briefer.evidence import Scored, _absorb, allocate, reading_order
from briefer.queries import evidence_slots, section_queries, sub_questions, subject_less
from briefer.schema import Evidence
from briefer.relevance import broadly_relevant
from briefer.verify import restates_question, verify_section


def _s(doc: str, start: int, rel: float, vec=None, text: str = "x") -> Scored:
    return Scored(doc, doc, start, start + 10, text, rel, None if vec is None else np.asarray(vec, dtype=np.float32))


def _sq(doc: str, start: int, per_query: list[float], vec=None) -> Scored:
    return Scored(doc, doc, start, start + 10, "x", max(per_query), None if vec is None else np.asarray(vec, dtype=np.float32),
                  tuple(per_query))


def test_a_different_fact_beats_a_near_copy_of_one_already_chosen():
    best = _s("a", 0, 0.90, [1, 0, 0])
    copy = _s("b", 0, 0.89, [0.99, 0.141, 0])
    other = _s("c", 0, 0.80, [0, 1, 0])
    assert allocate([[best, copy, other]], [2]) == [[best, other]]


def test_redundancy_is_memo_wide_not_per_section():
    fact = _s("a", 0, 0.9, [1, 0])
    same_fact = _s("b", 0, 0.9, [1, 0])  # the same fact in another document, wanted by section 2
    other = _s("c", 0, 0.85, [0, 1])
    out = allocate([[fact], [same_fact, other]], [1, 1])
    assert out == [[fact], [other]]


def test_candidates_far_below_the_best_are_not_used_as_padding():
    picked = allocate([[_s("a", 0, 0.9, [1, 0]), _s("b", 0, 0.3, [0, 1])]], [5])
    assert [p.document for p in picked[0]] == ["a"]


def test_each_sentence_goes_to_the_section_where_it_ranks_best():
    s1 = [_s("d", 0, 0.5, [0, 1]), _s("e", 0, 1.0, [1, 0])]  # d is 0.5 of section 1's best
    s2 = [_s("d", 0, 0.6, [0, 1]), _s("f", 0, 0.7, [0.6, 0.8])]  # and 0.86 of section 2's
    out = allocate([s1, s2], [2, 2])
    assert [c.document for c in out[0]] == ["e"]
    assert "d" in [c.document for c in out[1]]


def test_a_full_section_leaves_its_other_candidates_to_the_next():
    # Section 1 ranks both a and b above section 2, but has room for one: b goes to section 2
    # instead of section 2 staying empty.
    a, b = _s("a", 0, 1.0, [1, 0, 0]), _s("b", 0, 0.95, [0, 1, 0])
    a2, b2 = _s("a", 0, 0.7, [1, 0, 0]), _s("b", 0, 0.7, [0, 1, 0])
    out = allocate([[a, b], [a2, b2]], [1, 1])
    assert out == [[a], [b2]]


def test_questions_take_turns_within_a_section():
    q1_best = _sq("a", 0, [0.9, 0.1], [1, 0, 0])
    q1_next = _sq("b", 0, [0.85, 0.1], [0, 1, 0])
    q2_best = _sq("c", 0, [0.1, 0.6], [0, 0, 1])
    out = allocate([[q1_best, q1_next, q2_best]], [2], keep_margin=1.0)
    assert [c.document for c in out[0]] == ["a", "c"]


def test_overlapping_spans_are_used_once_memo_wide():
    a = Scored("d", "d", 0, 50, "x", 1.0)
    b = Scored("d", "d", 30, 80, "y", 1.0)  # an antecedent extension overlapping a
    assert allocate([[a], [b]], [1, 1]) == [[a], []]


def test_a_sentence_found_alone_and_with_its_antecedent_is_one_candidate_the_pair():
    alone = Scored("d", "d", 0, 40, "The rule came in 2024.", 0.9, None, (0.9,), 0.5)
    pair = Scored("d", "d", 0, 90, "The rule came in 2024. This rule targets model weights.", 0.7, None, (0.7,), 0.4)
    (only,) = _absorb([alone, pair])
    assert only is pair and only.relevance == 0.9 and only.meaning == 0.5


def test_sections_are_searched_by_their_questions_and_title_in_context():
    qs = section_queries("Chip controls", "China's response", ["How is China responding?", "How is China responding?"])
    assert qs == ["How is China responding?", "China's response — Chip controls"]


def test_a_question_that_names_no_subject_is_searched_as_the_topics():
    """Alone, "What risks should a staffer watch?" found Russian nuclear risk in a memo on China
    and was refused for want of evidence; the analyst meant the memo's subject."""
    for frame in ("What risks or uncertainties should a staffer keep an eye on?", "What happens next?",
                  "What are the key takeaways?", "What is the outlook for the coming year?"):
        assert subject_less(frame), frame
    for named in ("What should Congress watch?", "What causes vitamin D deficiency?", "How is China responding?",
                  "What risks do tariffs pose for farmers?"):
        assert not subject_less(named), named
    qs = section_queries("China as competitor", "Risks", ["What risks should a staffer keep an eye on?",
                                                           "How is China responding?"])
    assert qs == ["What risks should a staffer keep an eye on? — China as competitor", "How is China responding?",
                  "Risks — China as competitor"]


def test_a_question_asking_about_two_actions_is_searched_in_parts():
    """Searched whole, the closer half (R&D) took every slot of the section and the merger report none."""
    q = ("How is the federal government supporting research and development and overseeing corporate mergers, "
         "and what is changing?")
    assert sub_questions(q) == [
        "How is the federal government supporting research and development, and what is changing?",
        "How is the federal government overseeing corporate mergers, and what is changing?"]
    assert sub_questions("How are regulators tracking emissions and enforcing limits?") == [
        "How are regulators tracking emissions?", "How are regulators enforcing limits?"]
    for whole in ("What are the likely effects on US industries, prices, supply chains and trading partners?",
                  "What is happening, and why does it matter?",
                  "What changed during 2025 and following the ruling?"):
        assert sub_questions(whole) == [whole]
    assert len(section_queries("T", "S", [q])) == 3  # two parts and the title
    assert evidence_slots(8, [q]) == 10 and evidence_slots(8, ["What is happening?"]) == 8


def test_a_question_restated_is_not_a_finding():
    q = "What does the new rule restrict about frontier model weights?"
    assert restates_question("The new rule restricts frontier model weights.", q)
    assert not restates_question("The new rule bars exports of weights for models trained with over 10^26 operations.", q)


def test_a_sentence_restating_the_section_title_is_not_a_finding():
    """Seen in a trial memo: "The final scheme lists exemptions and discounts." under the section
    "Exemptions and discounts" passed, since the question alone did not use those words."""
    text = "The final scheme lists exemptions and discounts."
    ev = [Evidence("KAA", "d", "D", 0, 120, "The final scheme lists exemptions and discounts for residents, "
                   "buses and taxis.", score=0.9, meaning=0.6)]
    question = "What does the final scheme include?"
    kept = verify_section([(text, ["KAA"])], ev, question, min_sentences=0)
    assert [v.text for v in kept] == [text]  # against the question alone it adds words
    assert verify_section([(text, ["KAA"])], ev, question, min_sentences=0, title="Exemptions and discounts") == []


def test_broad_questions_pass_on_meaning_but_named_off_corpus_things_do_not():
    text = "Beijing urged firms to buy domestic accelerators from Huawei."
    ev = [Evidence("KAA", "d", "D", 0, 10, text, score=0.9, meaning=0.5)]
    assert broadly_relevant("What should policymakers watch next?", ev)
    # the plain cosine decides, not the bonus-laden selection score
    assert not broadly_relevant("What should policymakers watch next?", [Evidence("KAA", "d", "D", 0, 10, text, 0.9, 0.2)])
    # BM25-only runs (no cosine): the lexical share in the score
    assert broadly_relevant("What should policymakers watch next?", [Evidence("KAA", "d", "D", 0, 10, text, 0.5)], 0.3)
    assert not broadly_relevant("What did the ECB decide?", ev)  # names something the evidence lacks
    assert not broadly_relevant("What happened in 1999?", ev)  # a figure must match lexically
    assert broadly_relevant("What divides the two countries?", ev)  # "two" is no figure


def _at(doc: str, text: str, at: float, rel: float = 0.5, start: int = 0) -> Scored:
    return Scored(doc, doc, start, start + len(text), text, rel, at=at)


def test_boilerplate_shared_by_three_documents_is_dropped_everywhere():
    footer = "CRS serves as nonpartisan shared staff to congressional committees and Members of Congress."
    fact = "The court vacated the rule in February 2026, holding that it exceeds the agency's authority."
    sections = [[_at("a.md", footer, 0.3), _at("a.md", fact, 0.1, start=50)],
                [_at("b.md", footer, 0.95), _at("c.md", " ".join(footer.split()), 0.5)]]
    kept = drop_boilerplate(sections)
    assert [[c.text for c in sec] for sec in kept] == [[fact], []]


def test_a_footer_found_in_one_report_is_dropped_when_the_corpus_holds_it_elsewhere():
    """At ca64249 the CRS footer was a candidate from one report only and the model restated it
    ("CRS provides nonpartisan shared staff ..."); the corpus-wide search finds its copies."""
    from briefer.evidence import Gatherer
    from briefer.schema import Passage

    footer = "CRS serves as nonpartisan shared staff to congressional committees and Members of Congress."
    fact = "The court vacated the rule in February 2026, holding that it exceeds the agency's authority."

    class Corpus:  # BM25 over three reports and a twin of the first (twins are not other documents)
        dense = False
        texts = {"a.md": f"{fact} {footer}", "b.pdf": f"Tariffs rose. {footer}", "c.txt": f"{footer} Notes.",
                 "a.pdf": f"{fact} {footer}"}

        def search(self, query, k, mode="hybrid", query_vector=None):
            assert mode == "bm25"
            return [Passage(d, d, d, 0, len(t), t) for d, t in self.texts.items() if query.split()[0] in t][:k]

    gatherer = Gatherer(Corpus(), store=None, embedder=None, skip_documents={"a.pdf"})
    assert gatherer.copies(footer) == {"a.md", "b.pdf", "c.txt"}
    assert gatherer.copies(fact) == {"a.md"}
    picks = allocate_unshared([[_at("a.md", footer, 0.6, rel=0.9), _at("a.md", fact, 0.1, rel=0.8, start=50)]],
                              [2], gatherer.copies)
    assert [c.text for c in picks[0]] == [fact]


def test_a_statement_two_documents_quote_is_kept_unless_both_close_with_it():
    quote = "The minister said the charge would start in March 2026 for every vehicle entering the zone."
    assert len(drop_boilerplate([[_at("a.md", quote, 0.2), _at("b.md", quote, 0.9)]])[0]) == 2
    assert drop_boilerplate([[_at("a.md", quote, 0.85), _at("b.md", quote, 0.9)]]) == [[]]


def test_reading_order_puts_the_best_document_first_in_its_own_order():
    a1, a2 = _at("a.md", "A one.", 0.1, rel=0.6, start=10), _at("a.md", "A two.", 0.2, rel=0.7, start=90)
    b1 = _at("b.md", "B one.", 0.1, rel=0.9, start=40)
    assert reading_order([a2, b1, a1]) == [b1, a1, a2]


class _OnePassage:
    """A retriever that finds the whole of one document for any query (dense: the gatherer embeds)."""

    dense = True

    def __init__(self, text: str) -> None:
        self.text = text

    def search(self, query, k=5, mode="hybrid", query_vector=None):
        from types import SimpleNamespace

        return [SimpleNamespace(document="r.txt", title="R", start=0, end=len(self.text), score=1.0)]


def test_a_sentence_that_answers_outranks_one_restating_the_question_at_equal_cosine(monkeypatch):
    """Cosine to a broad question favours a sentence on its theme; the novelty term (the share of
    words the question lacks) lets the one that answers it win when their cosines tie."""
    from briefer.evidence import Gatherer
    from briefer.store import DocSentences

    theme = "The federal government supports research and development."
    answer = "Most of that money pays for laboratories, grants and new equipment."
    text = f"{theme} {answer}"
    vec = np.asarray([[1.0, 0.0]] * 2, dtype=np.float32)  # both sentences equally close to the question
    sents = DocSentences("r.txt", text, _spans(text), vec)
    store = type("Store", (), {"get": lambda self, path: sents})()
    embedder = type("Emb", (), {"embed": lambda self, texts: np.asarray([[1.0, 0.0]] * len(texts), dtype=np.float32)})()
    question = ["How does the federal government support research and development?"]
    cands, _ = Gatherer(_OnePassage(text), store, embedder).gather(question)
    assert [c.text for c in cands] == [answer, theme]
    monkeypatch.setattr("briefer.evidence.NOVELTY_WEIGHT", 0.0)
    cands, _ = Gatherer(_OnePassage(text), store, embedder).gather(question)
    assert [c.text for c in cands] == [theme, answer]  # shared words alone favour the restatement
