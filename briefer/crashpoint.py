"""Named points where the crash tests kill a run with SIGKILL, exactly there.

Killing a process "during the snapshot" by timing is flaky (the snapshot of a
small corpus takes milliseconds), so ``tests/test_crash.py`` sets
``BRIEFER_CRASH_AT=NAME`` (or ``NAME:N``, the N-th time the point is reached)
and the process kills itself with SIGKILL at that point: no cleanup, no
``finally``, no atexit, as with ``kill -9`` or a power cut.  Unset (always,
outside the tests) each call is one dictionary lookup.  It is not a setting:
nothing a user configures should stop briefer.

Points: ``read`` (a file extracted), ``embed`` (a batch of chunk vectors
committed), ``commit`` (inside the index transaction, before COMMIT),
``snapshot`` (search arrays written, not yet published), ``sentences`` (one
document's sentence vectors saved), ``section`` (a memo section answered),
``write`` (the first output file renamed into place, the others not yet).
"""

from __future__ import annotations

import os
import signal

ENV = "BRIEFER_CRASH_AT"
_seen: dict[str, int] = {}


def reached(name: str) -> None:
    """SIGKILL this process if ``BRIEFER_CRASH_AT`` names this point (and this is its N-th time)."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    point, _, nth = spec.partition(":")
    if point != name:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
