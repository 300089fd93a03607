"""The optional entailment check: YES keeps a sentence, anything else removes it."""

from __future__ import annotations

from fakes import FakeLLM

from briefer.entail import entailment_messages, entails
from briefer.schema import Evidence
from briefer.verify import ORIGIN_EXTRACTED, verify_section

SOURCE = "The Commerce Department considered new limits on exports of AI chips to China in 2025."


def test_only_a_clear_yes_counts():
    for answer, expected in [("YES", True), ("Yes.", True), ("NO", False), ("No, it was only considered.", False),
                             ("", False), ("Maybe", False), ("**YES**", True)]:
        assert entails(FakeLLM(default=answer), [SOURCE], "claim") is expected, answer


def test_constrained_choice_is_used_when_the_backend_offers_it():
    class Chooser:
        def __init__(self) -> None:
            self.asked = []

        def choose(self, messages, options):
            self.asked.append((messages, options))
            return "NO"

    model = Chooser()
    assert entails(model, [SOURCE], "The department imposed limits.") is False
    messages, options = model.asked[0]
    assert options == ("YES", "NO") and "imposed limits" in messages[-1]["content"] and SOURCE in messages[-1]["content"]


def test_prompt_carries_evidence_and_claim_on_one_line_each():
    messages = entailment_messages(["a\nb", "c"], "x\ny")
    assert "Source: a b c" in messages[-1]["content"] and "Claim: x y" in messages[-1]["content"]


def test_a_rejected_sentence_is_replaced_by_the_quoted_evidence():
    ev = [Evidence("KAA", "d.txt", "D", 0, len(SOURCE), SOURCE, 1.0),
          Evidence("KBB", "d.txt", "D", 100, 160, "Officials said the review would finish by the end of the year.", 0.5)]
    claim = "The Commerce Department imposed new limits on exports of AI chips to China in 2025."
    out = verify_section([(claim, ["KAA"])], ev, "What did the Commerce Department do about chips?",
                         entail=lambda text, quotes: "imposed" not in text)
    assert all(v.origin == ORIGIN_EXTRACTED for v in out) and out[0].text == SOURCE
    kept = verify_section([(claim, ["KAA"])], ev, "What did the Commerce Department do about chips?",
                          keep_unsupported=True, entail=lambda text, quotes: False)
    assert kept[0].status == "unsupported" and kept[0].checks["entailment"] is False


def test_the_real_backend_answers_with_exactly_one_of_the_options(fast_model_path):
    from briefer.llm import LlamaChatModel

    model = LlamaChatModel(fast_model_path, n_ctx=512, n_threads=1, n_gpu_layers=0)
    answer = model.choose([{"role": "user", "content": "Is 2 larger than 1? Answer YES or NO."}], ("YES", "NO"))
    assert answer in ("YES", "NO")
    assert isinstance(entails(model, [SOURCE], "The department imposed limits."), bool)
