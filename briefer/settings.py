"""One typed settings object for the whole tool.

Precedence (highest first): explicit overrides (CLI options) > ``BRIEFER_*``
environment variables > the optional TOML config file > defaults.  The config
file is ``$BRIEFER_CONFIG`` or ``$BRIEFER_HOME/config.toml``.

``BRIEFER_HOME`` moves *all* state (index, converted models, locks), so tests
and parallel runs never touch the analyst's own files.
"""

from __future__ import annotations

import os
import time
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import ConfigError


def default_home() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "briefer"


def physical_cores() -> int:
    """Physical core count: llama.cpp gains nothing from hyper-threads, and
    llama-cpp-python's own default (half the logical CPUs) gives 1 thread on a
    2-core machine."""
    seen: set[tuple[str, str]] = set()
    try:
        phys = core = ""
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            key, value = key.strip(), value.strip()
            if key == "physical id":
                phys = value
            elif key == "core id":
                core = value
            elif not key and (phys or core):
                seen.add((phys, core))
                phys = core = ""
        if phys or core:
            seen.add((phys, core))
    except OSError:
        pass
    return max(1, len(seen) or (os.cpu_count() or 1))


def _cpu_jiffies() -> tuple[int, int] | None:
    """(busy, total) clock ticks of all CPUs since boot, from /proc/stat (Linux)."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = [int(x) for x in fh.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def free_cores(interval: float = 0.1) -> float | None:
    """CPUs left idle by *other* processes, measured over ``interval`` seconds.

    Samples /proc/stat before and after a short sleep (this process's own CPU
    time in between is subtracted); falls back to ``os.cpu_count() - loadavg``
    where /proc/stat is missing (macOS), and None where neither exists.
    """
    n_cpu = os.cpu_count() or 1
    a = _cpu_jiffies()
    if a is None:
        try:
            return max(0.0, n_cpu - os.getloadavg()[0])
        except (AttributeError, OSError):
            return None
    own0 = sum(os.times()[:2])
    time.sleep(interval)
    b = _cpu_jiffies()
    own = sum(os.times()[:2]) - own0
    if b is None or b[1] <= a[1]:
        return None
    busy_cpus = n_cpu * (b[0] - a[0]) / (b[1] - a[1]) - own / interval  # others' load, in CPUs
    return max(0.0, min(float(n_cpu), n_cpu - busy_cpus))


SPIN_BOUND = "10000"  # GOMP_SPINCOUNT briefer sets when the user set neither it nor OMP_WAIT_POLICY


def bound_openmp_spin() -> None:
    """Cap how long llama.cpp's OpenMP threads spin at a barrier before they sleep.

    libgomp spins 300,000 rounds by default (milliseconds): a thread whose partner
    lost its core to another process burns its own core waiting, so two threads on
    a busy 2-core machine were 4x slower than one.  With 10,000 rounds a waiting
    thread sleeps within a fraction of a millisecond and gives the core back.
    Measured here (2 cores, two CPU-bound processes): the memo took 171 s at
    2 threads against 260 s at 1 thread with the default spin, and idle runs were
    no slower (bench/busy_bench.py, README "Threads on a busy machine").
    libgomp reads the variable once, when llama.cpp's library is loaded, so this
    runs on ``import briefer``; a user's own GOMP_SPINCOUNT or OMP_WAIT_POLICY wins.
    """
    if "GOMP_SPINCOUNT" not in os.environ and "OMP_WAIT_POLICY" not in os.environ:
        os.environ["GOMP_SPINCOUNT"] = SPIN_BOUND


def openmp_waits_bounded() -> bool:
    """Whether OpenMP threads stop spinning soon (PASSIVE, or GOMP_SPINCOUNT <= 100k)."""
    policy = os.environ.get("OMP_WAIT_POLICY", "").strip().lower()
    if policy == "passive":
        return True
    raw = os.environ.get("GOMP_SPINCOUNT", "").strip().lower()
    scale = {"k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}.get(raw[-1:], 1) if raw else 1
    digits = raw[:-1] if scale > 1 else raw
    return digits.isdigit() and int(digits) * scale <= 100_000


_AUTO: dict[str, tuple[float, int]] = {}
AUTO_THREADS_TTL = 10.0  # seconds a measured thread count is reused within one process


def auto_threads() -> int:
    """Default thread count: the physical cores when OpenMP's spinning is bounded (the usual
    case, see :func:`bound_openmp_spin`), else the cores free right now, at least 1.

    With unbounded spinning a thread that has to share its core with another
    busy process makes *every* thread wait: on 2 cores with two CPU-bound
    processes running, 2 threads made the memo 4x slower than 1 (see README,
    "Threads on a busy machine").  Then a core counts as free when at least ~80%
    of it is idle, measured once per ``AUTO_THREADS_TTL`` seconds (100 ms of
    sampling).  ``--threads`` / ``BRIEFER_THREADS`` skip all this.
    """
    if openmp_waits_bounded():
        return physical_cores()
    now = time.monotonic()
    cached = _AUTO.get("threads")
    if cached and now - cached[0] < AUTO_THREADS_TTL:
        return cached[1]
    physical = physical_cores()
    free = free_cores()
    threads = physical if free is None else max(1, min(physical, int(free + 0.2)))
    _AUTO["threads"] = (now, threads)
    return threads


class Settings(BaseSettings):
    """Everything a run can be configured with; field ``x`` reads ``BRIEFER_X``."""

    model_config = SettingsConfigDict(env_prefix="BRIEFER_", extra="forbid")

    home: Path = default_home()
    corpus: Path = Path("corpus")
    out: Path = Path("briefs")
    model: str | None = None  # a model name (`briefer models`) or a GGUF path; None: the default model
    embed_model: Path | None = None  # None: all-MiniLM-L6-v2, converted on first use
    # Where named models are assembled, the default embedder converted and model hashes cached.
    # None: $BRIEFER_HOME/models. Homes that share one folder share one 1.1 GB copy of the model.
    models_dir: Path | None = None
    no_embeddings: bool = False  # BM25 only
    template_dir: Path | None = None  # analyst templates, searched before the shipped ones
    threads: int | None = Field(None, ge=1)  # None: briefer.settings.auto_threads
    gpu_layers: int | None = Field(None, ge=-1)  # None: all layers when a GPU is usable, else 0; -1: all
    n_ctx: int = Field(4096, ge=0)  # 0: the model's training context; checked against it and RAM in modelfile.py
    max_tokens: int | None = Field(None, ge=1)  # None: 40 per evidence sentence, at least 160 (compose.answer_cap)
    temperature: float = Field(0.0, ge=0.0)
    seed: int = 42
    top_k: int = Field(20, ge=1)  # passages retrieved per query (each question, and the section title)
    evidence_per_section: int = Field(8, ge=1)  # evidence sentences per section (+2 per extra question or question part)
    keep_unsupported: bool = False
    entailment: bool = False  # also check sentences with an entailment model (--entailment)
    batch_sections: bool = True  # decode a memo's sections side by side (in-process model); false: one after another
    reword: bool = False  # offer the model's own wording of each quote, one passage at a time (own words, less faithful, slower)
    copy_guard: bool = False  # forbid the in-process model to copy 8 tokens of its sources in a row (own words, less faithful)
    # Seconds a run waits for another run's lock on the same index before giving up.
    lock_timeout: float = Field(600.0, ge=0.0)
    # Per-file bounds (briefer.limits): a file over one is skipped with the reason, never parsed.
    max_file_mb: float = Field(200.0, gt=0.0)  # on disk, and a DOCX unpacked
    max_pdf_pages: int = Field(2000, ge=1)
    max_nesting: int = Field(1000, ge=1)  # HTML element depth
    extract_timeout: float = Field(120.0, gt=0.0)  # seconds to extract one file
    # An OpenAI-compatible server instead of in-process llama.cpp (briefer/backends.py); never a default host.
    llm_url: str | None = None  # chat, e.g. http://127.0.0.1:8000/v1
    llm_model: str | None = None  # the server's model name; None: the one model it lists
    llm_key: str | None = None  # sent as "Authorization: Bearer"; never written to the record
    embed_url: str | None = None  # embeddings server; None: in-process (BRIEFER_EMBED_MODEL is then its model name)
    embed_key: str | None = None
    llm_timeout: float = Field(300.0, gt=0.0)  # seconds per request (a CPU server may take minutes per answer)
    llm_retries: int = Field(3, ge=0)  # retries after a connection error or 5xx, with backoff
    # Where the index lives: unset for the SQLite index under BRIEFER_HOME, or postgresql://... (briefer.store).
    store_url: str | None = None

    @property
    def index_root(self) -> Path:
        return self.home / "indexes"

    @property
    def model_folder(self) -> Path:
        """``models_dir``, or the home's own ``models`` folder."""
        return self.models_dir or self.home / "models"

    @property
    def effective_threads(self) -> int:
        return self.threads or auto_threads()


def _config_file_values(overrides: dict[str, Any]) -> dict[str, Any]:
    explicit = os.environ.get("BRIEFER_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"Config file not found: {path} (from BRIEFER_CONFIG). Create it or unset BRIEFER_CONFIG.")
    else:
        home = overrides.get("home") or os.environ.get("BRIEFER_HOME") or default_home()
        path = Path(home) / "config.toml"
        if not path.is_file():
            return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Config file {path} is not valid TOML: {exc}") from None
    return data.get("briefer", data)


# Settings that also have a command-line option of the same name (for error messages).
CLI_OPTIONS = {"corpus", "out", "model", "embed_model", "template_dir", "threads", "gpu_layers", "n_ctx", "entailment"}


def load_settings(**overrides: Any) -> Settings:
    """Build settings; ``None`` overrides are ignored so CLI defaults don't mask env vars."""
    overrides = {k: v for k, v in overrides.items() if v is not None}
    file_values = _config_file_values(overrides)
    env_keys = {k[len("BRIEFER_"):].lower() for k in os.environ if k.startswith("BRIEFER_")}
    merged = {k: v for k, v in file_values.items() if k not in env_keys}
    merged.update(overrides)
    try:
        return Settings(**merged)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err.get("loc", ())) or "settings"
        where = f"--{field.replace('_', '-')}, " if field in CLI_OPTIONS else ""
        raise ConfigError(f"Invalid setting {field!r}: {err.get('msg')}. "
                          f"Check {where}BRIEFER_{field.upper()} or your config file.") from None
