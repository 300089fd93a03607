"""Fuzzing every format extractor (issue 12): bad bytes are skipped with a reason, never a crash.

The property runs in CI with a fixed seed (``derandomize``) and a bounded number
of examples; ``python bench/fuzz_bench.py`` runs the same strategies longer
(figures in the README, Reliability).  The strategies and the contract are in
``tests/fuzzcases.py``.
"""

from __future__ import annotations

from fuzzcases import CASES, check_extract
from hypothesis import HealthCheck, given, settings

CI_EXAMPLES = 150


@settings(max_examples=CI_EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(CASES)
def test_every_extractor_survives_hostile_bytes(case):
    suffix, raw = case
    check_extract(suffix, raw)
