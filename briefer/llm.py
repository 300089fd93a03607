"""The chat model: one loaded GGUF for the whole memo, through llama-cpp-python.

``ChatModel`` is the small protocol the pipeline needs, so tests pass a fake
that replays queued answers.  ``LlamaChatModel`` uses the chat template stored
in the GGUF (``create_chat_completion`` picks it up from the metadata) and
relies on llama-cpp-python's prefix matching to reuse the KV cache between
sections: every section's prompt starts with the same system message.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from . import interrupt
from .errors import ModelError
from .modelfile import check_fits, default_models_dir, file_sha256, read_gguf_header, resolve_model_path
from .paraphrase import GuardProcessor, WordForms

#: Tiny models loop without it; recorded in the JSON record so a replay can match.
REPEAT_PENALTY = 1.15
ZWSP = "\u200b"


@dataclass
class ChatResult:
    text: str
    prompt_tokens: int = 0  # tokens in the prompt sent
    prompt_evaluated: int = 0  # of those, tokens actually evaluated (rest came from the KV cache)
    completion_tokens: int = 0
    prompt_seconds: float = 0.0
    generation_seconds: float = 0.0
    finish_reason: str = ""
    copied: int = 0  # of completion_tokens, those the batch decoder fed from the prompt (a copied line's tail)


class ChatModel(Protocol):
    """What the pipeline needs from a model: ``LlamaChatModel`` here, ``briefer.remote.RemoteChatModel``
    (a server), the tests' fake; :func:`briefer.backends.make_chat_model` picks one.  An optional
    ``choose(messages, options)`` gives a grammar-constrained answer (see :mod:`briefer.entail`)."""

    info: dict

    def chat(self, messages: list[dict], *, max_tokens: int, temperature: float, seed: int) -> ChatResult: ...


def chat_all(model: ChatModel, conversations: list[list[dict]], *, max_tokens: int, temperature: float,
             seed: int, together: bool = True) -> list[ChatResult]:
    """Answer every conversation: together where the backend can (``chat_many``), else one by one."""
    many = getattr(model, "chat_many", None) if together else None
    if many is not None:
        return many(conversations, max_tokens=max_tokens, temperature=temperature, seed=seed)
    return [model.chat(m, max_tokens=max_tokens, temperature=temperature, seed=seed) for m in conversations]


def gpu_available() -> bool:
    """A GPU offload build of llama.cpp *and* a device present.

    ``llama_supports_gpu_offload`` alone only says how the library was built; a
    CUDA build on a machine without a GPU would still fail to offload.
    """
    try:
        import llama_cpp

        if not llama_cpp.llama_supports_gpu_offload():
            return False
    except Exception:  # noqa: BLE001 - any failure means "no GPU"
        return False
    if sys.platform == "darwin":
        return True  # Metal
    return any(Path(p).exists() for p in ("/dev/nvidia0", "/dev/kfd")) or any(Path("/dev/dri").glob("renderD*"))


def choose_gpu_layers(requested: int | None) -> int:
    if requested is not None:
        return requested
    return -1 if gpu_available() else 0


def gpu_offload_supported() -> bool:
    """Whether this llama-cpp-python build can offload to a GPU at all (CUDA, Metal, Vulkan...)."""
    try:
        import llama_cpp

        return bool(llama_cpp.llama_supports_gpu_offload())
    except Exception:  # noqa: BLE001 - not installed or broken: no GPU
        return False


GPU_INSTALL_HINT = ('reinstall llama-cpp-python with GPU support, e.g. CMAKE_ARGS="-DGGML_CUDA=on" '
                    'pip install llama-cpp-python --no-cache-dir --force-reinstall (README, "GPU")')


def gpu_layers_warning(requested: int | None) -> str | None:
    """A warning when GPU layers were asked for but cannot be offloaded, else None."""
    if not requested:
        return None
    if not gpu_offload_supported():
        return (f"--gpu-layers {requested} has no effect: this llama-cpp-python build is CPU-only, so the model "
                f"runs on the CPU. To use a GPU, {GPU_INSTALL_HINT}.")
    if not gpu_available():
        return (f"--gpu-layers {requested}: this llama-cpp-python build supports GPU offload, but no GPU device "
                "was found (/dev/nvidia0, /dev/kfd or /dev/dri/renderD*); llama.cpp may fall back to the CPU.")
    return None


class LlamaChatModel:
    """A GGUF chat model kept loaded for the whole memo."""

    def __init__(self, path: Path, *, n_ctx: int, n_threads: int, n_gpu_layers: int, seed: int = 42) -> None:
        import llama_cpp

        self.path = path
        size = path.stat().st_size
        header = read_gguf_header(path)
        check_fits(path, header, n_ctx=n_ctx, gpu_layers=n_gpu_layers)
        try:
            with interrupt.deferred():  # a Ctrl-C during loading lands in llama.cpp's log callback
                self._llm = self._load(llama_cpp, path, n_ctx, n_threads, n_gpu_layers, seed)
        except (ValueError, RuntimeError, OSError) as exc:
            hint = ""
            if n_ctx > 8192:
                hint = f" The context size n_ctx={n_ctx} may need more memory than available; lower --n-ctx (BRIEFER_N_CTX)."
            raise ModelError(
                f"Could not load model {path} ({size / 1e6:.0f} MB): llama.cpp rejected it ({exc}); the file may be "
                f"truncated, corrupt or of an unsupported architecture.{hint} Pass another GGUF with --model PATH."
            ) from None
        self._init_rest(llama_cpp, path, size, header, n_ctx, n_threads, n_gpu_layers)

    @staticmethod
    def _load(llama_cpp, path: Path, n_ctx: int, n_threads: int, n_gpu_layers: int, seed: int):
        return llama_cpp.Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, n_threads_batch=n_threads,
                               n_gpu_layers=n_gpu_layers, seed=seed, verbose=False)

    def _init_rest(self, llama_cpp, path: Path, size: int, header, n_ctx: int, n_threads: int, n_gpu_layers: int) -> None:
        train_ctx = header.arch_value("context_length") or n_ctx
        self.info = {
            "path": str(path),
            "name": path.name,
            "size": size,
            "n_ctx": n_ctx,
            "n_ctx_train": train_ctx,
            "threads": n_threads,
            "gpu_layers": n_gpu_layers,
            "gpu_offload": bool(n_gpu_layers) and gpu_available(),
            "chat_format": getattr(self._llm, "chat_format", None),
            "llama_cpp_python": llama_cpp.__version__,
        }

        self._interrupted = False
        self._abort = llama_cpp.ggml_abort_callback(lambda _data: self._interrupted)  # keep a reference
        llama_cpp.llama_set_abort_callback(self._llm.ctx, self._abort, None)
        vocab = llama_cpp.llama_model_get_vocab(self._llm.model)
        control = {t for i in range(self._llm.n_vocab()) if llama_cpp.llama_vocab_is_control(vocab, i)
                   and len(t := self._llm._model.token_get_text(i)) > 1}
        # One alternation, longest first (Gemma has 6000+ control tokens, <unused0>...).
        self._control = re.compile("|".join(map(re.escape, sorted(control, key=len, reverse=True)))) if control else None

    def defang(self, text: str) -> str:
        """Break up control-token strings (``<|im_start|>``...) that occur in prompt text.

        llama-cpp-python tokenizes the formatted chat with ``special=True``, so
        a corpus document containing ``<|im_end|><|im_start|>system`` would
        otherwise open a real system turn.  A zero-width space after the first
        character makes it ordinary text; only the model's view changes, the
        quotes and offsets in the record come from the document itself.
        """
        if self._control is None:
            return text
        return self._control.sub(lambda m: m.group(0)[0] + ZWSP + m.group(0)[1:], text)

    @contextmanager
    def _ctrl_c_aborts(self) -> Iterator[None]:
        """Make Ctrl-C stop llama.cpp within one graph node instead of after a whole batch.

        Python runs signal handlers only between bytecodes, so a plain
        KeyboardInterrupt waits until ``llama_decode`` returns: 10 s and more
        for a 512-token prompt batch on two busy cores.  During a call, SIGINT
        only sets a flag; llama.cpp's abort callback (run on this thread after
        every graph node) reads it, the decode stops, and we raise
        KeyboardInterrupt ourselves.
        """
        log = logging.getLogger("llama-cpp-python")  # llama.cpp's log lines go through its level
        level = log.level

        def on_sigint(*_: object) -> None:
            self._interrupted = True
            interrupt.request()
            log.setLevel(logging.CRITICAL)  # the aborted decode logs an "error" the analyst need not see

        self._interrupted = False
        previous = signal.getsignal(signal.SIGINT)
        # Leave an application's own handler alone; ours (briefer.interrupt's) is taken over.
        mine = threading.current_thread() is threading.main_thread() and (
            previous is signal.default_int_handler or interrupt.is_guard_handler(previous))
        if mine:
            signal.signal(signal.SIGINT, on_sigint)
        try:
            yield
        except Exception:
            if not self._interrupted:
                raise  # an aborted decode surfaces as RuntimeError("llama_decode returned 2")
        finally:
            if mine:
                signal.signal(signal.SIGINT, previous)
            log.setLevel(level)
        if self._interrupted:
            self._llm.reset()  # the aborted batch left the KV cache half-written: never reuse it
            if getattr(self, "_batch", None) is not None:
                self._batch.reset()
            raise KeyboardInterrupt

    adapt_threads = False
    copy_guard = False  # forbid long verbatim runs through the prompt (briefer/paraphrase.py)

    def _retune_threads(self, llama_cpp) -> None:
        """Follow the machine's load between answers: llama.cpp's OpenMP threads spin while
        waiting for each other, so one thread too many on a busy machine costs far more than
        one too few (see settings.auto_threads)."""
        from .settings import auto_threads

        threads = auto_threads()
        if threads != self.info.get("threads_now", self.info["threads"]):
            llama_cpp.llama_set_n_threads(self._llm.ctx, threads, threads)
            if getattr(self, "_batch", None) is not None:
                self._batch.set_threads(threads)
            self.info["threads_now"] = threads
            self.info.setdefault("thread_changes", []).append(threads)

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def chat(self, messages: list[dict], *, max_tokens: int, temperature: float, seed: int) -> ChatResult:
        import llama_cpp
        from llama_cpp import LogitsProcessorList

        ctx = self._llm.ctx
        if self.adapt_threads:
            self._retune_threads(llama_cpp)
        llama_cpp.llama_perf_context_reset(ctx)
        t0 = time.perf_counter()
        try:
            with self._ctrl_c_aborts():
                out = self._llm.create_chat_completion(
                    messages=[{**m, "content": self.defang(m["content"])} for m in messages],
                    max_tokens=max_tokens,
                    temperature=temperature,
                    seed=seed,
                    repeat_penalty=REPEAT_PENALTY,
                    logits_processor=LogitsProcessorList([GuardProcessor(self.word_forms())]) if self.copy_guard else None,
                )
        except ValueError as exc:
            raise context_error(exc, n_ctx=self.info["n_ctx"], max_tokens=max_tokens,
                                n_ctx_train=self.info.get("n_ctx_train")) from None
        wall = time.perf_counter() - t0
        perf = llama_cpp.llama_perf_context(ctx)
        usage = out.get("usage", {})
        choice = out["choices"][0]
        return ChatResult(
            text=choice["message"].get("content") or "",
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            prompt_evaluated=int(perf.n_p_eval),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            prompt_seconds=perf.t_p_eval_ms / 1000.0,
            generation_seconds=max(0.0, wall - perf.t_p_eval_ms / 1000.0),
            finish_reason=choice.get("finish_reason") or "",
        )

    def chat_many(self, conversations: list[list[dict]], *, max_tokens: int, temperature: float,
                  seed: int) -> list[ChatResult]:
        """Answer several chats at once, decoded side by side (``briefer/batchgen.py``).

        Falls back to one chat after another where batching does not apply: sampling
        with a temperature, or a chat format not taken from the model's own template.
        """
        formatter = self._formatter()
        if temperature != 0.0 or formatter is None or len(conversations) < 2:
            return [self.chat(m, max_tokens=max_tokens, temperature=temperature, seed=seed) for m in conversations]
        from .batchgen import Request

        requests = []
        for messages in conversations:
            r = formatter(messages=[{**m, "content": self.defang(m["content"])} for m in messages])
            tokens = self._llm.tokenize(r.prompt.encode("utf-8"), add_bos=not r.added_special, special=True)
            if len(tokens) + max_tokens > self.info["n_ctx"]:
                raise context_error(ValueError(f"Requested tokens ({len(tokens) + max_tokens}) exceed context window "
                                               f"of {self.info['n_ctx']}"), n_ctx=self.info["n_ctx"],
                                    max_tokens=max_tokens, n_ctx_train=self.info.get("n_ctx_train"))
            stops = [r.stop] if isinstance(r.stop, str) else list(r.stop or [])
            requests.append(Request(tokens, stops))
        with self._ctrl_c_aborts():
            outputs = self._batcher().run(requests, max_tokens=max_tokens, penalty=REPEAT_PENALTY)
        return [ChatResult(text=o.text, prompt_tokens=len(r.tokens), prompt_evaluated=o.evaluated,
                           completion_tokens=o.generated, prompt_seconds=o.prompt_seconds,
                           generation_seconds=o.generation_seconds, finish_reason=o.finish_reason, copied=o.copied)
                for r, o in zip(requests, outputs)]

    def _formatter(self):
        """The chat template's formatter, as llama-cpp-python builds it, or None for other chat formats."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        llm = self._llm
        template = llm.metadata.get("tokenizer.chat_template")
        if llm.chat_format != "chat_template.default" or not template:
            return None
        def text(token_id: int) -> str:
            return llm._model.token_get_text(token_id) if token_id != -1 else ""

        return Jinja2ChatFormatter(template=template, eos_token=text(llm.token_eos()), bos_token=text(llm.token_bos()),
                                   stop_token_ids=[llm.token_eos()])

    def _batcher(self):
        if getattr(self, "_batch", None) is None:
            from .batchgen import BatchDecoder

            self._batch = BatchDecoder(self._llm, self.info.get("threads_now", self.info["threads"]), self._abort,
                                       self.word_forms() if self.copy_guard else None)
        return self._batch

    def word_forms(self) -> WordForms:
        """The vocabulary read as words, for the copy guard (``briefer/paraphrase.py``); built once."""
        if getattr(self, "_forms", None) is None:
            self._forms = WordForms.of_model(self._llm)
        return self._forms

    def choose(self, messages: list[dict], options: tuple[str, ...]) -> str:
        """Answer with exactly one of ``options``: generation constrained by a GBNF grammar.

        Used by the entailment check (``briefer/entail.py``): a free-form reply
        ("Yes, but…") would have to be guessed at; a grammar makes it one word.
        """
        import llama_cpp

        rule = " | ".join('"' + o.replace('"', '\\"') + '"' for o in options)
        grammar = llama_cpp.LlamaGrammar.from_string(f"root ::= {rule}", verbose=False)
        with self._ctrl_c_aborts():
            out = self._llm.create_chat_completion(
                messages=[{**m, "content": self.defang(m["content"])} for m in messages],
                max_tokens=max(len(self._llm.tokenize(o.encode(), add_bos=False)) for o in options) + 1,
                temperature=0.0, grammar=grammar)
        text = (out["choices"][0]["message"].get("content") or "").strip()
        return text if text in options else options[-1]


def context_error(exc: ValueError, *, n_ctx: int, max_tokens: int, n_ctx_train: int | None = None) -> Exception:
    """llama-cpp-python's "Requested tokens (N) exceed context window of C" as a one-line ModelError
    that names the context size needed (prompt + answer, rounded up to 512); other ValueErrors unchanged."""
    found = re.search(r"Requested tokens \((\d+)\) exceed context window of (\d+)", str(exc))
    if not found:
        return exc
    prompt, window = int(found.group(1)), int(found.group(2)) or n_ctx
    needed = -(-(prompt + max_tokens) // 512) * 512
    limit = f" (the model was trained for {n_ctx_train})" if n_ctx_train and needed > n_ctx_train else ""
    return ModelError(f"The prompt needs {prompt} tokens plus up to {max_tokens} for the answer, but the model's context "
                      f"is {window} tokens. Use --n-ctx {needed} or more (BRIEFER_N_CTX){limit}, or fewer evidence "
                      "sentences per section.")


def load_chat_model(path: str | Path | None, *, n_ctx: int, n_threads: int, gpu_layers: int | None, seed: int,
                    adapt_threads: bool = False, models_dir: Path | None = None,
                    copy_guard: bool = False) -> LlamaChatModel:
    """Load the chat model; ``adapt_threads`` (threads not set by the analyst) re-measures the
    free cores before each answer and changes the thread count if the machine got busier or idler."""
    resolved = resolve_model_path(path, models_dir)
    model = LlamaChatModel(resolved, n_ctx=n_ctx, n_threads=n_threads, n_gpu_layers=choose_gpu_layers(gpu_layers), seed=seed)
    model.adapt_threads = adapt_threads
    model.copy_guard = copy_guard
    return model


def describe_model(path: str | Path | None, *, threads: int, gpu_layers: int | None,
                   models_dir: Path | None = None) -> dict:
    """What `briefer models` prints: no model load needed."""
    from . import catalog

    resolved = resolve_model_path(path, models_dir)
    try:
        import llama_cpp

        version = llama_cpp.__version__
        offload = bool(llama_cpp.llama_supports_gpu_offload())
    except Exception:  # noqa: BLE001
        version, offload = "not installed", False
    layers = choose_gpu_layers(gpu_layers)
    device = gpu_available()
    if not offload:
        gpu = f"none: this llama-cpp-python build is CPU-only; to use a GPU, {GPU_INSTALL_HINT}"
    elif not device:
        gpu = "this build can offload, but no GPU device was found"
    else:
        gpu = f"this build can offload and a GPU is present; {'all' if layers < 0 else layers} layers offloaded"
    return {
        "gpu": gpu,
        "path": str(resolved),
        "size": resolved.stat().st_size,
        "sha256": file_sha256(resolved, models_dir or default_models_dir()),
        "llama_cpp_python": version,
        "threads": threads,
        "gpu_offload_supported": offload,
        "gpu_layers": layers,
        "offloaded": layers != 0 and offload and device,
        "cpu_count": os.cpu_count(),
        "models": ", ".join(f"{m['name']}{' (default)' if m['default'] else ''}: "
                            f"{'installed' if m['installed'] else 'not installed: ' + m['install']}" for m in catalog.listing()),
    }
