"""bench/own_words.py and bench/answer_variants.py: why the memo's sentences are quotes, counted from kept records."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_own_words_sorts_each_answer_sentence_by_what_became_of_it(monkeypatch):
    """bench/own_words.py: the model's answer, parsed as the pipeline parses it, against the sources in its prompt."""
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    from own_words import classify

    prompt = ("Question: What happened?\n\n"
              "[KAB] According to the council, drivers will pay a daily charge of 9.50 from March 2026.\n"
              "[KCD] The charge covers the whole of the harbour district.\n"
              "[KEF] Traffic in the zone fell by 18 percent during the pilot.")
    answer = ("KAB: Drivers will pay a daily charge.\n"
              "KCD: The charge covers the whole of the harbour district.\n"
              "KEF: During the pilot, traffic in the zone fell by 18 percent.\n"
              "KZZ: Something citing no source.")
    record = {"sections": [{"model_output": answer, "prompt": [{"role": "user", "content": prompt}], "sentences": []},
                           {"model_output": None, "prompt": None, "sentences": []}]}
    counts = classify(record)
    assert counts == {"figures dropped": 1, "copy": 1, "kept": 1, "other": 1}


def test_answer_variants_change_only_the_instruction(monkeypatch):
    """bench/answer_variants.py compares instructions on the same prompts: the system prompt, worked
    example, question and sources must reach the model unchanged, under the pipeline's answer cap."""
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    from answer_variants import VARIANTS, replay, vary
    from own_words import classify

    from briefer.answer import build_messages, system_prompt
    from briefer.llm import ChatResult
    from briefer.schema import Evidence

    source = "On March 3, the council voted 31 to 12 to approve a congestion charge for the harbour district."
    evidence = [Evidence(key="KQX", document="a.txt", title="A", start=0, end=len(source), text=source),
                Evidence(key="KRW", document="a.txt", title="A", start=200, end=230, text="Shops fear fewer customers.")]
    shipped = build_messages(system_prompt("Memo", "a minister"), "What did the council decide?", evidence)
    short = vary(shipped, "short")
    assert short[:-1] == shipped[:-1] and vary(shipped, "shipped") == shipped
    assert short[-1]["content"].startswith(shipped[-1]["content"].split("For each source")[0])
    assert short[-1]["content"].endswith(VARIANTS["short"]) and "[KQX] " + source in short[-1]["content"]

    class Fake:
        def chat_many(self, chats, *, max_tokens, temperature, seed):
            self.seen = (chats, max_tokens)
            return [ChatResult(text="KQX: The council approved a charge for the harbour district by 31 votes to 12 "
                                    "on March 3.", finish_reason="stop") for _ in chats]

    record = {"settings": {"max_tokens": None},
              "sections": [{"prompt": shipped, "model_output": "KQX: " + source, "sentences": []}]}
    fake = Fake()
    out = replay(fake, record, "short")
    assert fake.seen == ([short], 160)  # compose.answer_cap: 2 sources x 40 tokens, at least 160
    assert record["sections"][0]["model_output"] == "KQX: " + source  # the kept record is not touched
    assert classify(record)["copy"] == 1 and classify(out)["kept"] == 1


def test_copy_onset_counts_copies_before_and_after_an_answers_first_copy(monkeypatch):
    """Qwen's copying feeds on itself; own_words.copy_onset counts the lines on either side of the first copy."""
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    from own_words import copy_onset

    prompt = ("Question: What happened?\n\n"
              "[KAB] The council voted 31 to 12 to approve a congestion charge for the harbour district.\n"
              "[KCD] The charge covers the whole of the harbour district and starts in March 2026.\n"
              "[KEF] Traffic in the zone fell by 18 percent during the pilot, the council said.")
    answer = ("KAB: By 31 votes to 12, the council approved a harbour district congestion charge.\n"
              "KCD: The charge covers the whole of the harbour district and starts in March 2026.\n"
              "KEF: Traffic in the zone fell by 18 percent during the pilot, the council said.")
    record = {"sections": [{"model_output": answer, "prompt": [{"role": "user", "content": prompt}]},
                           {"model_output": "NOT COVERED", "prompt": None}]}
    assert copy_onset(record) == {"before": 2, "before copies": 1, "after": 1, "after copies": 1}
