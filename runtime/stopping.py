"""Ctrl-C during training: stop at a step boundary, on every process at once, so the run can resume."""

from __future__ import annotations

import os
import signal
from types import FrameType


class Interrupted(Exception):
    """Raised by the loop at a step boundary once a stop was asked for (and, with DDP, agreed on)."""


class StopRequest:
    """Turns SIGINT and SIGTERM into a flag the loop reads between steps; a second Ctrl-C stops at once.

    Raising KeyboardInterrupt wherever the signal lands would leave DDP ranks in different collectives
    (one in a barrier, one in a gradient all-reduce) until the launcher kills them. SIGTERM only sets
    the flag: the launcher sends it to its workers right after they got the terminal's SIGINT.
    """

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, object] = {}
        self._owner = os.getpid()

    def install(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)

    def uninstall(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if os.getpid() != self._owner:
            # a forked child (a DataLoader worker) inherited this handler: it must still die when
            # terminated, or multiprocessing's exit hook waits for it forever
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True
