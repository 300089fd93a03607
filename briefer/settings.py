"""One typed settings object for the whole tool.

Precedence (highest first): explicit overrides (CLI options) > ``BRIEFER_*``
environment variables > the optional TOML config file > defaults.  The config
file is ``$BRIEFER_CONFIG`` or ``$BRIEFER_HOME/config.toml``.

``BRIEFER_HOME`` moves *all* state (index, converted models, locks), so tests
and parallel runs never touch the analyst's own files.
"""

from __future__ import annotations

import os
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


class Settings(BaseSettings):
    """Everything a run can be configured with; field ``x`` reads ``BRIEFER_X``."""

    model_config = SettingsConfigDict(env_prefix="BRIEFER_", extra="forbid")

    home: Path = default_home()
    corpus: Path = Path("corpus")
    out: Path = Path("briefs")
    model: Path | None = None  # None: the embedded default (SmolLM2-135M-Instruct)
    embed_model: Path | None = None  # None: all-MiniLM-L6-v2, converted on first use
    no_embeddings: bool = False  # BM25 only
    template_dir: Path | None = None  # analyst templates, searched before the shipped ones
    threads: int | None = Field(None, ge=1)  # None: physical cores
    gpu_layers: int | None = Field(None, ge=-1)  # None: all layers when a GPU is usable, else 0; -1: all
    n_ctx: int = Field(4096, ge=0)  # 0: the model's training context; checked against it and RAM in modelfile.py
    max_tokens: int = Field(120, ge=1)
    temperature: float = Field(0.0, ge=0.0)
    seed: int = 42
    top_k: int = Field(6, ge=1)  # passages retrieved per question
    evidence_per_section: int = Field(5, ge=1)  # evidence sentences kept per question
    keep_unsupported: bool = False
    # Seconds a run waits for another run's lock on the same index before giving up.
    lock_timeout: float = Field(30.0, ge=0.0)

    @property
    def index_root(self) -> Path:
        return self.home / "indexes"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def effective_threads(self) -> int:
        return self.threads or physical_cores()


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
CLI_OPTIONS = {"corpus", "out", "model", "embed_model", "template_dir", "threads", "gpu_layers", "n_ctx"}


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
