"""The model *file*, checked before llama.cpp ever sees it.

Everything here reads the GGUF with plain Python (magic bytes, header and
metadata, tensor table) and compares it with the request and the machine
(context vs the model's training context, KV-cache size vs available RAM).
It is a module apart from llm.py on purpose: these checks must fail fast,
before any indexing or other work, with a one-line message that says what to
do.  None of it loads the model through llama.cpp, whose own failures are a
generic ValueError, or for an oversized context an allocation that swaps the
machine; llm.py calls ``check_fits`` just before ``llama_cpp.Llama``.
"""

from __future__ import annotations

import json
import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelError
from .fsutil import atomic_write_text, sha256_file

GGUF_MAGIC = b"GGUF"
INSTALL_HINT = "Pass --model NAME (see `briefer models`) or --model PATH to a .gguf file (or set BRIEFER_MODEL)."
GIB = 1024**3
# GGUF metadata value types -> struct format (8 = string and 9 = array are handled apart).
_GGUF_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


@dataclass
class GGUFHeader:
    """What we need from a GGUF before handing it to llama.cpp."""

    metadata: dict[str, object]  # scalar and string values (arrays are skipped)
    data_end: int | None  # offset where the last tensor ends; None if a tensor type is unknown to us

    def arch_value(self, key: str) -> object:
        return self.metadata.get(f"{self.metadata.get('general.architecture', '')}.{key}")


class _Truncated(Exception):
    pass


class _Cursor:
    """Little-endian reads over the mapped file; running off its end raises ``_Truncated``."""

    def __init__(self, buf: mmap.mmap, pos: int = 0) -> None:
        self.buf, self.pos = buf, pos

    def take(self, fmt: str):
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.buf):
            raise _Truncated
        (value,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return value

    def string(self) -> str:
        n = self.take("<Q")
        if self.pos + n > len(self.buf):
            raise _Truncated
        self.pos += n
        return bytes(self.buf[self.pos - n:self.pos]).decode("utf-8", "replace")

    def skip_array(self) -> None:
        kind, count = self.take("<I"), self.take("<Q")
        if kind in _GGUF_SCALARS:
            self.pos += struct.calcsize(_GGUF_SCALARS[kind]) * count
        elif kind == 8:
            for _ in range(count):
                n = self.take("<Q")  # not `self.pos += self.take()`: that reads pos before take() moves it
                self.pos += n
        elif kind == 9:
            for _ in range(count):
                self.skip_array()
        else:
            raise ValueError(f"unknown metadata array type {kind}")

    def metadata(self, n_kv: int) -> dict[str, object]:
        meta: dict[str, object] = {}
        for _ in range(n_kv):
            key, kind = self.string(), self.take("<I")
            if kind in _GGUF_SCALARS:
                meta[key] = self.take(_GGUF_SCALARS[kind])
            elif kind == 8:
                meta[key] = self.string()
            elif kind == 9:
                self.skip_array()
            else:
                raise ValueError(f"unknown metadata type {kind} for key {key!r}")
        return meta

    def tensors_end(self, n_tensors: int) -> int | None:
        """Where the last tensor ends, relative to the data section; None if a type is unknown to gguf."""
        from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

        end: int | None = 0
        for _ in range(n_tensors):
            self.string()
            dims = [self.take("<Q") for _ in range(self.take("<I"))]
            kind, offset = self.take("<I"), self.take("<Q")
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
        return end


def read_gguf_header(path: Path) -> GGUFHeader:
    """Parse the metadata and tensor table of a GGUF (v2/v3, little-endian) without loading it.

    Pure Python over an mmap, about 50 ms for a 100 MB model.  It lets us say
    "truncated" or "--n-ctx too large" in our own words *before* llama.cpp is
    involved: llama.cpp's own failures are a generic ValueError, and an
    oversized context simply allocates until the machine swaps.  (``gguf.GGUFReader``
    reads every element of every metadata array, the tokenizer's 151,000 tokens
    among them: 10 s against 0.1 s here for the 1.1 GB default model, session 24;
    and a file cut short fails inside numpy with a dtype ValueError.  We skip arrays.)
    """
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        cur = _Cursor(buf)
        try:
            if bytes(buf[:4]) != GGUF_MAGIC:
                raise ValueError("bad magic bytes")
            cur.pos = 4
            version = cur.take("<I")
            if version not in (2, 3):
                raise ValueError(f"unsupported GGUF version {version}")
            n_tensors, n_kv = cur.take("<Q"), cur.take("<Q")
            meta = cur.metadata(n_kv)
            end = cur.tensors_end(n_tensors)
        except _Truncated:
            raise ModelError(f"{path} is truncated: its {len(buf)} bytes end inside the GGUF header. "
                             "Re-download or reinstall the model.") from None
        align = int(meta.get("general.alignment", 32) or 32)
        data_start = -(-cur.pos // align) * align
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


def resolve_model_path(path: str | Path | None, models_dir: Path | None = None) -> Path:
    """Validate the model file before any other work, with a message that says what to do.

    ``path`` is a model name from :mod:`briefer.catalog` (None: the default
    model), whose pinned sha256 is checked here, or the path of any GGUF.
    ``models_dir`` is where a named model is assembled (None: the settings' folder).
    """
    from . import catalog

    if catalog.is_model_name(path):
        name = str(path) if path is not None else catalog.DEFAULT_MODEL
        folder = Path(models_dir) if models_dir is not None else default_models_dir()
        located, fresh = catalog.locate(name, folder)
        checked = resolve_model_path(located)
        catalog.verify(name, checked, file_sha256(checked, folder, just_computed=fresh))
        return checked
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


def default_models_dir() -> Path:
    """The models folder the settings name (BRIEFER_MODELS_DIR, or the home's ``models``)."""
    from .settings import load_settings

    return load_settings().model_folder


def file_sha256(path: Path, cache_dir: Path | None = None, just_computed: str | None = None) -> str:
    """sha256 of a (large) model file, cached by path, size and mtime under ``cache_dir``.

    Hashing a 100 MB–10 GB GGUF on every memo would cost seconds to minutes;
    the cache entry is invalidated as soon as the file's size or mtime changes.
    ``just_computed``: the hash was computed while writing the file; record it instead.
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
        if isinstance(known, dict) and isinstance(known.get(key), str) and not just_computed:
            return known[key]
    value = just_computed or sha256_file(path)
    if cache is not None:
        try:
            atomic_write_text(cache, json.dumps({**(known if isinstance(known, dict) else {}), key: value}, indent=1))
        except Exception:  # noqa: BLE001 - a cache we cannot write is only slower
            pass
    return value
