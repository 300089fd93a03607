"""Default thread count from the cores actually free (issue 10: llama.cpp's threads spin under contention)."""

from __future__ import annotations

import os

import pytest

from briefer import settings as settings_mod
from briefer.settings import auto_threads, free_cores, load_settings, physical_cores


spin_settings = pytest.mark.spin_settings  # the test reads or sets the OpenMP spin settings itself


@pytest.fixture(autouse=True)
def fresh_cache(request, monkeypatch):
    """Each test starts without a cached count; the free-core heuristic's tests run as if
    OpenMP spun without bound (the user set OMP_WAIT_POLICY=ACTIVE, say), unless marked
    ``spin_settings``."""
    if request.node.get_closest_marker("spin_settings") is None:
        monkeypatch.setattr(settings_mod, "openmp_waits_bounded", lambda: False)
    settings_mod._AUTO.clear()
    yield
    settings_mod._AUTO.clear()


@spin_settings
@pytest.mark.parametrize("env, bounded", [
    ({"GOMP_SPINCOUNT": "10000"}, True), ({"GOMP_SPINCOUNT": "100k"}, True), ({"GOMP_SPINCOUNT": "1M"}, False),
    ({"GOMP_SPINCOUNT": "infinite"}, False), ({"OMP_WAIT_POLICY": "PASSIVE"}, True),
    ({"OMP_WAIT_POLICY": "active"}, False), ({}, False),
])
def test_which_spin_settings_count_as_bounded(monkeypatch, env, bounded):
    for key in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert settings_mod.openmp_waits_bounded() is bounded


@spin_settings
def test_bounded_spin_uses_every_physical_core_even_when_busy(monkeypatch):
    monkeypatch.setattr(settings_mod, "openmp_waits_bounded", lambda: True)
    monkeypatch.setattr(settings_mod, "physical_cores", lambda: 2)
    monkeypatch.setattr(settings_mod, "free_cores", lambda interval=0.1: 0.0)
    assert auto_threads() == 2


@spin_settings
@pytest.mark.parametrize("env, expected", [({}, "10000"), ({"GOMP_SPINCOUNT": "500"}, "500"),
                                           ({"OMP_WAIT_POLICY": "ACTIVE"}, None)])
def test_import_bounds_the_spin_unless_the_user_chose(env, expected):
    """``import briefer`` sets GOMP_SPINCOUNT before llama.cpp's OpenMP runtime can read it;
    a user's own GOMP_SPINCOUNT or OMP_WAIT_POLICY is left alone."""
    import subprocess
    import sys

    base = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    code = "import os, briefer; print(os.environ.get('GOMP_SPINCOUNT'))"
    out = subprocess.run([sys.executable, "-c", code], env={**base, **env}, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(expected)


def test_free_cores_is_within_the_machine():
    free = free_cores(0.05)
    assert free is not None and 0.0 <= free <= (os.cpu_count() or 1)


@pytest.mark.parametrize("free, expected", [(0.0, 1), (0.3, 1), (0.85, 1), (1.85, 2), (64.0, None)])
def test_auto_threads_follows_free_cores(monkeypatch, free, expected):
    monkeypatch.setattr(settings_mod, "physical_cores", lambda: 4)
    monkeypatch.setattr(settings_mod, "free_cores", lambda interval=0.1: free)
    assert auto_threads() == (expected or 4)


def test_auto_threads_without_a_measurement_uses_physical_cores(monkeypatch):
    monkeypatch.setattr(settings_mod, "free_cores", lambda interval=0.1: None)
    assert auto_threads() == physical_cores()


def test_auto_threads_is_measured_once_per_ttl(monkeypatch):
    calls = []
    monkeypatch.setattr(settings_mod, "free_cores", lambda interval=0.1: calls.append(1) or 1.0)
    assert auto_threads() == auto_threads() == 1
    assert len(calls) == 1


def test_explicit_threads_win(monkeypatch):
    monkeypatch.setattr(settings_mod, "free_cores", lambda interval=0.1: 0.0)
    assert load_settings().effective_threads == 1
    assert load_settings(threads=3).effective_threads == 3
    monkeypatch.setenv("BRIEFER_THREADS", "2")
    assert load_settings().effective_threads == 2


def test_free_cores_subtracts_other_load(monkeypatch):
    """Two CPUs, half of all ticks busy during the sample, none of them ours: one CPU free."""
    samples = iter([(100, 1000), (200, 1200)])
    monkeypatch.setattr(settings_mod, "_cpu_jiffies", lambda: next(samples))
    monkeypatch.setattr(settings_mod.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(settings_mod.time, "sleep", lambda s: None)
    assert free_cores(0.1) == pytest.approx(1.0, abs=0.05)


def test_chat_model_follows_the_load_between_answers(monkeypatch):
    """With threads left to briefer, each answer re-measures the free cores and retunes llama.cpp."""
    from types import SimpleNamespace

    from briefer.llm import LlamaChatModel

    calls = []
    fake_lib = SimpleNamespace(llama_set_n_threads=lambda ctx, n, nb: calls.append((n, nb)))
    model = LlamaChatModel.__new__(LlamaChatModel)
    model._llm = SimpleNamespace(ctx="ctx")
    model.info = {"threads": 2}
    free = iter([0.1, 0.1, 1.9])
    monkeypatch.setattr(settings_mod, "physical_cores", lambda: 2)
    monkeypatch.setattr(settings_mod, "free_cores", lambda interval=0.1: next(free))
    for _ in range(3):
        settings_mod._AUTO.clear()
        model._retune_threads(fake_lib)
    assert calls == [(1, 1), (2, 2)]  # busy: down to 1; idle again: back to 2; unchanged: no call
    assert model.info["thread_changes"] == [1, 2]
