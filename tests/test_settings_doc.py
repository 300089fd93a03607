"""The one settings object is the documented one: every field has a row in the README."""

from __future__ import annotations

from pathlib import Path

from briefer.settings import Settings


def test_every_setting_is_documented_in_the_readme():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    missing = [name for name in Settings.model_fields if f"`BRIEFER_{name.upper()}`" not in readme]
    assert not missing, f"settings without a README row: {missing}"
