"""Progress on stderr: what the pipeline's callback events look like to the analyst.

The core never prints.  It calls ``progress(event, **info)`` (``pipeline.py``,
``index.py``); the CLI passes a :class:`Reporter`.  Text from files (titles,
warnings) is escaped so brackets in it are never read as Rich markup.
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.markup import escape

from . import interrupt


class Reporter:
    """The pipeline's progress callback.

    One line per stage (model, index summary, section) always.  Counts and rates
    (``embedded 96/500 chunks, 41.3/s``) only when ``live``: stderr is a terminal
    (rewritten in place) or ``--progress`` was given (a line every 2 s).  With
    ``announce``, a long embedding job is announced even when not live, so a
    command never embeds silently.  Every call also checks for a Ctrl-C that
    llama.cpp swallowed (:mod:`briefer.interrupt`).
    """

    NOUNS = {"read": ("read", "files"), "embed": ("embedded", "chunks"), "sentences": ("embedded", "sentences")}

    def __init__(self, console: Console, live: bool | None = None, *, announce: bool = False) -> None:
        self.console = console
        self.tty = console.is_terminal
        self.live = self.tty if live is None else live
        self.announce = announce
        self._stage: str | None = None
        self._t0 = self._last = 0.0
        self._c0 = 0
        self._sections_t0: float | None = None
        self._open = False  # a \r line is on screen

    def _line(self, text: str, **kw: Any) -> None:
        self._close()
        self.console.print(text, highlight=False, soft_wrap=True, **kw)

    def _close(self) -> None:
        if self._open:
            self.console.file.write("\n")
            self.console.file.flush()
            self._open = False

    def __call__(self, event: str, **info: Any) -> None:
        interrupt.check()
        if event == "warning":
            self._line(f"[yellow]warning:[/yellow] {escape(info['message'])}")
        elif event == "wait":
            self._line(f"waiting: {info['message']}", markup=False)
        elif event == "notice":
            self._line(f"note: {info['message']}", markup=False)
        elif event == "indexed":
            mode = "hybrid BM25 + embeddings" if info.get("dense") else "BM25"
            self._line(f"index: {info['summary']} ({mode})", markup=False)
        elif event == "model":
            self._line(f"model: {info['message']}", markup=False)
        elif event == "section":
            self._section(info)
        elif event == "index":
            self._count(info["stage"], info["current"], info["total"])

    def _section(self, info: dict) -> None:
        now = time.perf_counter()
        rate = ""
        if self._sections_t0 is None:
            self._sections_t0 = now
        elif self.live:
            done = info["current"] - 1
            rate = f"  ({(now - self._sections_t0) / done:.1f} s/section so far)"
        self._line(f"[{info['current']}/{info['total']}] {info['title']}{rate}", markup=False)

    def _count(self, stage: str, current: int, total: int) -> None:
        now = time.perf_counter()
        verb, noun = self.NOUNS.get(stage, (stage, "items"))
        if stage != self._stage:
            self._close()
            # The first event of a stage comes after its first step: the rate is measured from there.
            self._stage, self._t0, self._c0, self._last = stage, now, current, 0.0
            if stage == "embed" and self.announce and not self.live and total:
                self._line(f"embedding {total} chunks first (once per corpus change; `briefer index` does it "
                           "ahead of time, --progress shows the count)", markup=False)
        if not self.live:
            if stage == "embed" and current == total and total:
                self._line(f"embedded {total} chunks", markup=False)
            return
        if current < total and now - self._last < (0.2 if self.tty else 2.0):
            return
        self._last = now
        rate = f", {(current - self._c0) / (now - self._t0):.1f}/s" if current > self._c0 and now > self._t0 else ""
        text = f"{verb} {current}/{total} {noun}{rate}"
        if self.tty:
            self.console.file.write("\r" + text + "\x1b[K")
            self.console.file.flush()
            self._open = True
            if current >= total:
                self._close()
        else:
            self._line(text, markup=False)
