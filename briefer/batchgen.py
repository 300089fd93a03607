"""Several chats decoded together: one llama.cpp batch carries a token of every section per step.

Why: on a CPU, generating one token reads every weight of the model from
memory once; the arithmetic is idle most of that time.  Decoding the six
sections of a memo side by side (one sequence each, in one llama.cpp context
with a unified KV cache) reads the weights once per step for all six, so the
memo's generation takes little more than its longest section instead of the
sum of all.  The shared prefix (system prompt and worked example) is
evaluated once and shared by every sequence (``llama_memory_seq_cp``), and
kept for the next call, as llama-cpp-python's own prefix cache does.

Sampling is what ``create_chat_completion`` does at temperature 0 with a
repeat penalty: llama.cpp's penalty over the last 64 *generated* tokens
(positive logits divided, negative multiplied), then the most likely token.
Batched matrix products may round differently from one-at-a-time decoding, so
a memo can differ in a word from the sequential one; both are verified alike.
llama-cpp-python has no high-level API for this, hence the low-level calls.
The rules that need no model (the penalty, stop strings, the loop check) are
in ``briefer/decode_rules.py``.

**Copied lines are fast-forwarded** (:class:`CopyTracker`).  The model often
restates a long report sentence word for word, and a copy is shown as the
quote it copies (``quoting.quote_instead``), so decoding its tail one token at
a time buys nothing.  Once ``COPY_RUN`` answer tokens in a row repeat the
section's own prompt, the rest of that prompt line is fed in the next batch,
where it costs what prompt tokens cost (about a quarter of a generated token
here).  This is prompt-lookup decoding without the check: the check is not
needed because a copied line becomes the verbatim quote either way.

With ``BRIEFER_COPY_GUARD`` the opposite happens: a long verbatim run is cut
short and the model must reword (``briefer/paraphrase.py``); nothing is then
fast-forwarded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .decode_rules import first_stop, penalise, repeated_line
from .paraphrase import CopyGuard, RunTracker, WordForms

N_BATCH = 512
# Answer tokens repeating the section's prompt in a row before the rest of the copied line is
# fed at once.  16 tokens is about 12 words: a summary shares shorter runs with its source
# ("The U.S. Space Force is the sixth branch of the Armed Forces." is 13), a copy longer ones.
COPY_RUN = 16
# A fed line's tail does not count against the answer's ``max_tokens`` (the cap bounds the time
# decoding takes, and fed tokens cost a fraction); the answer's whole text, fed or decoded, stays
# within this many times ``max_tokens``, which is what the context is sized for.
FED_ALLOWANCE = 2


@dataclass
class Request:
    tokens: list[int]  # the formatted chat prompt
    stops: list[str]  # stop strings of the chat format ("<|im_end|>", ...)


@dataclass
class Output:
    text: str
    finish_reason: str
    generated: int
    evaluated: int  # prompt tokens this request caused to be evaluated
    prompt_seconds: float
    generation_seconds: float
    copied: int = 0  # of the generated tokens, those fed from the prompt by the copy fast-forward


class CopyTracker(RunTracker):
    """Follows the answer's verbatim run through its section's own prompt tokens (see the module doc)."""

    def __init__(self, prompt: list[int], start: int, is_newline: Callable[[int], bool],
                 end_line: Callable[[int], list[int]] = lambda t: [t]) -> None:
        super().__init__(prompt, is_newline, start)
        self.end_line = end_line

    def rest_of_line(self) -> list[int]:
        """The prompt tokens that finish the line being copied (through its newline), once the run is long."""
        if not self.runs:
            return []
        q, n = max(self.runs.items(), key=lambda kv: (kv[1], -kv[0]))
        if n < COPY_RUN:
            return []
        rest = []
        for t in self.prompt[q + 1:]:
            if self.is_newline(t):
                self.runs = {}
                # End the line as the answer's lines end: the source list's last line ends in a
                # blank line, and after one the model went on with the prompt ("NOT COVERED").
                return rest + self.end_line(t)
            rest.append(t)
        return []  # the prompt's last line is the chat template's, not a source


class BatchDecoder:
    """A second llama.cpp context over an already loaded model, with one sequence per request."""

    def __init__(self, llm, n_threads: int, abort: Callable | None = None, forms: WordForms | None = None) -> None:
        import llama_cpp

        self._lc = llama_cpp
        self._llm = llm
        self._threads = n_threads
        self._abort = abort  # a ggml_abort_callback; kept referenced by the caller
        self._ctx = None
        self._n_ctx = 0
        self._n_seq = 0
        self._prefix: list[int] = []  # tokens held by sequence 0 from the last call
        self._vocab = llama_cpp.llama_model_get_vocab(llm.model)
        self._n_vocab = llama_cpp.llama_vocab_n_tokens(self._vocab)
        self._newline: dict[int, bool] = {}
        self._forms = forms  # with the copy guard on: the vocabulary as words; None: copies are fast-forwarded

    def close(self) -> None:
        if self._ctx is not None:
            self._lc.llama_free(self._ctx)
            self._ctx = None

    def set_threads(self, n: int) -> None:
        self._threads = n
        if self._ctx is not None:
            self._lc.llama_set_n_threads(self._ctx, n, n)

    def reset(self) -> None:
        """Forget the KV cache (after an aborted decode it is half-written)."""
        if self._ctx is not None:
            self._lc.llama_memory_clear(self._lc.llama_get_memory(self._ctx), True)
        self._prefix = []

    def _ensure(self, n_ctx: int, n_seq: int) -> None:
        if self._ctx is not None and n_ctx <= self._n_ctx and n_seq <= self._n_seq:
            return
        self.close()
        lc = self._lc
        p = lc.llama_context_default_params()
        p.n_ctx = -(-n_ctx // 1024) * 1024
        p.n_batch = p.n_ubatch = N_BATCH
        p.n_seq_max = max(n_seq, self._n_seq)
        p.kv_unified = True  # sequences share cells: the common prefix is stored once
        p.n_threads = p.n_threads_batch = self._threads
        ctx = lc.llama_init_from_model(self._llm.model, p)
        if not ctx:
            raise RuntimeError(f"llama.cpp could not create a context of {p.n_ctx} tokens for {n_seq} sequences")
        if self._abort is not None:
            lc.llama_set_abort_callback(ctx, self._abort, None)
        self._ctx, self._n_ctx, self._n_seq, self._prefix = ctx, p.n_ctx, p.n_seq_max, []

    def run(self, requests: list[Request], *, max_tokens: int, penalty: float,
            stop_copies: bool = False) -> list[Output]:
        """Generate every request's answer together (greedy, repeat penalty).  ``stop_copies``: an
        answer that copies a line of its prompt ends there (finish reason "copy") instead of being
        fast-forwarded; the reword stage (``briefer/reword.py``) has no use for a copy."""
        n = len(requests)
        prefix = _common_prefix([r.tokens for r in requests])
        room = max_tokens * (FED_ALLOWANCE if COPY_RUN else 1)
        need = len(prefix) + sum(len(r.tokens) - len(prefix) + room for r in requests) + 8
        self._ensure(need, n)
        t0 = time.perf_counter()
        evaluated = self._prefill(requests, prefix)
        t1 = time.perf_counter()
        outputs = self._generate(requests, max_tokens, penalty, len(prefix), stop_copies)
        t2 = time.perf_counter()
        total = sum(evaluated) or 1
        return [Output(text, reason, gen, ev, (t1 - t0) * ev / total, (t2 - t1) / n, copied)
                for (text, reason, gen, copied), ev in zip(outputs, evaluated)]

    def _prefill(self, requests: list[Request], prefix: list[int]) -> list[int]:
        """Evaluate the shared prefix once (reusing the last call's), then every request's own tail."""
        lc = self._lc
        mem = lc.llama_get_memory(self._ctx)
        keep = len(_common_prefix([self._prefix, prefix])) if self._prefix else 0
        for s in range(1, self._n_seq):
            lc.llama_memory_seq_rm(mem, s, -1, -1)
        lc.llama_memory_seq_rm(mem, 0, keep, -1)
        evaluated = [0] * len(requests)
        self._decode_chunks([(0, i, t) for i, t in enumerate(prefix) if i >= keep], want_last=False)
        evaluated[0] += len(prefix) - keep
        self._prefix = list(prefix)
        for s in range(1, len(requests)):
            lc.llama_memory_seq_cp(mem, 0, s, -1, -1)
        tails = [(s, len(prefix) + j, t) for s, r in enumerate(requests) for j, t in enumerate(r.tokens[len(prefix):])]
        self._last_logits = self._decode_chunks(tails, want_last=True)
        for s, r in enumerate(requests):
            evaluated[s] += len(r.tokens) - len(prefix)
        return evaluated

    def _decode_chunks(self, items: list[tuple[int, int, int]], want_last: bool) -> dict[int, np.ndarray]:
        """Decode (seq, pos, token) items in batches; return each sequence's logits at its last item."""
        last = {}
        if want_last:
            for k, (s, _, _) in enumerate(items):
                last[s] = k
        logits: dict[int, np.ndarray] = {}
        for start in range(0, len(items), N_BATCH):
            part = items[start:start + N_BATCH]
            flags = [want_last and last[s] == start + k for k, (s, _, _) in enumerate(part)]
            rows = self._decode(part, flags)
            logits.update(zip([s for (s, _, _), f in zip(part, flags) if f], rows))
        return logits

    def _decode(self, items: list[tuple[int, int, int]], outputs: list[bool]) -> list[np.ndarray]:
        lc = self._lc
        batch = lc.llama_batch_init(max(1, len(items)), 0, 1)
        try:
            for k, (s, pos, tok) in enumerate(items):
                batch.token[k], batch.pos[k], batch.n_seq_id[k] = tok, pos, 1
                batch.seq_id[k][0] = s
                batch.logits[k] = outputs[k]
            batch.n_tokens = len(items)
            rc = lc.llama_decode(self._ctx, batch)
            if rc != 0:
                raise RuntimeError(f"llama_decode returned {rc}")
            return [np.ctypeslib.as_array(lc.llama_get_logits_ith(self._ctx, k), shape=(self._n_vocab,)).copy()
                    for k in range(len(items)) if outputs[k]]
        finally:
            lc.llama_batch_free(batch)

    def _generate(self, requests: list[Request], max_tokens: int, penalty: float,
                  prefix_len: int = 0, stop_copies: bool = False) -> list[tuple[str, str, int, int]]:
        lc = self._lc
        gen: list[list[int]] = [[] for _ in requests]
        copied = [0] * len(requests)
        done: dict[int, tuple[str, str]] = {}
        logits = self._last_logits
        pos = [len(r.tokens) for r in requests]
        guards = [CopyGuard(r.tokens, self._forms) if self._forms is not None else None for r in requests]
        trackers = [CopyTracker(r.tokens, prefix_len, self._is_newline, self._one_newline)
                    if COPY_RUN and self._forms is None else None for r in requests]
        while len(done) < len(requests):
            step: list[tuple[int, int, int]] = []
            for s, r in enumerate(requests):
                if s in done:
                    continue
                scores = penalise(logits[s], gen[s], penalty)
                tok = int(np.argmax(guards[s].apply(scores) if guards[s] is not None else scores))
                if lc.llama_vocab_is_eog(self._vocab, tok):
                    done[s] = (self._text(gen[s]), "stop")
                    continue
                new = [tok]
                if guards[s] is not None:
                    guards[s].push(tok)
                if trackers[s] is not None:
                    trackers[s].push(tok)
                    rest = trackers[s].rest_of_line()
                    if rest and stop_copies:
                        gen[s].append(tok)
                        done[s] = (self._text(gen[s]), "copy")
                        continue
                    new += rest[:max(0, FED_ALLOWANCE * max_tokens - len(gen[s]) - 1)]
                    copied[s] += len(new) - 1
                gen[s] += new
                text = self._text(gen[s])
                cut = first_stop(text, r.stops)
                loop = repeated_line(text)
                if cut >= 0:
                    done[s] = (text[:cut], "stop")
                elif loop >= 0:  # the model writes its lines again: the rest would be the same loop
                    done[s] = (text[:loop], "stop")
                elif len(gen[s]) - copied[s] >= max_tokens or len(gen[s]) >= FED_ALLOWANCE * max_tokens:
                    done[s] = (text, "length")
                else:
                    step += [(s, pos[s] + j, t) for j, t in enumerate(new)]
                    pos[s] += len(new)
            if step:  # a fast-forwarded line makes a step long: decoded in N_BATCH chunks like a prompt
                logits = self._decode_chunks(step, want_last=True)
        return [(*done[s], len(gen[s]), copied[s]) for s in range(len(requests))]

    def _one_newline(self, tok: int) -> list[int]:
        """``tok`` (it holds a newline) with what follows its first newline dropped: ".\\n\\n" becomes ".\\n"."""
        text = self._llm.detokenize([tok])
        if text.count(b"\n") == 1 and text.endswith(b"\n"):
            return [tok]
        return self._llm.tokenize(text[:text.index(b"\n") + 1], add_bos=False, special=False)

    def _is_newline(self, tok: int) -> bool:
        if tok not in self._newline:
            self._newline[tok] = b"\n" in self._llm.detokenize([tok])
        return self._newline[tok]

    def _text(self, tokens: list[int]) -> str:
        return self._llm.detokenize(tokens).decode("utf-8", errors="ignore")


def _common_prefix(seqs: list[list[int]]) -> list[int]:
    """The longest common prefix, leaving every sequence at least one token of its own
    (its last prompt token must be decoded in its own sequence to give its first logits)."""
    if not seqs:
        return []
    n = min(len(s) for s in seqs)
    first = seqs[0]
    k = 0
    while k < n and all(s[k] == first[k] for s in seqs):
        k += 1
    return first[:min(k, n - 1)]
