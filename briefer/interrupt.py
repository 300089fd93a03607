"""Ctrl-C that is never lost inside llama.cpp.

Python runs a signal handler between bytecodes.  When that happens inside a
ctypes callback (llama-cpp-python's log callback runs for every llama.cpp log
line, e.g. throughout model loading; the abort callback runs after every graph
node), the ``KeyboardInterrupt`` it raises is printed as "Exception ignored"
and *swallowed*: the run went on and overwrote the memo.  So the CLI's handler
also sets a flag, and the pipeline's progress calls and the model loaders call
:func:`check`, which raises ``KeyboardInterrupt`` again at a safe place.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_flag = threading.Event()


def requested() -> bool:
    return _flag.is_set()


def request() -> None:
    _flag.set()


def clear() -> None:
    _flag.clear()


def check() -> None:
    """Raise ``KeyboardInterrupt`` if Ctrl-C was pressed since :func:`clear`."""
    if _flag.is_set():
        raise KeyboardInterrupt


def settle() -> None:
    """The command has decided to exit 130: from here on SIGINT is ignored and the flag cleared,
    so a second Ctrl-C while the process winds down cannot raise where nothing catches it."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    _flag.clear()


def is_guard_handler(handler: object) -> bool:
    return handler is _on_sigint


def _on_sigint(signum: int, frame: object) -> None:
    _flag.set()
    raise KeyboardInterrupt


@contextmanager
def guard() -> Iterator[None]:
    """For a whole command: Ctrl-C raises as usual *and* is remembered (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _flag.clear()
    previous = signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield  # no check() after: a Ctrl-C swallowed once the outputs were written changes nothing
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)


@contextmanager
def deferred() -> Iterator[None]:
    """Around a C call that runs Python callbacks (model loading): Ctrl-C only sets the
    flag, and ``KeyboardInterrupt`` is raised once the call has returned."""
    mine = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, lambda *_: _flag.set()) if mine else None
    try:
        yield
    finally:
        if mine:
            signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)
    check()
