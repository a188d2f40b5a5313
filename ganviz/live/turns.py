"""Fair turns at the server's training slots: many sessions, a few cores.

Each playing session trains in worker processes, and a worker wants a core of its own. A server has
`GANVIZ_MAX_TRAINING` slots (default: its number of cores). A session asks for its slots at every tick of
its page; it gets them while there are free ones, in the order sessions started waiting. A session that has
trained for `turn_s` while others wait gives its slots up and waits at the back, so with more playing sessions
than slots every session trains in turns. A session that stops asking (paused, or its tab closed) loses its
place after `forget_s`. One `Turns` serves every session of a server process: `SERVER_TURNS`.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

TURN_S = 10.0  # training time a session keeps its slots while others wait
FORGET_S = 15.0  # a session silent this long is out of the queue (a closed tab; a worker start takes seconds)
MAX_TRAINING_VARIABLE = "GANVIZ_MAX_TRAINING"


def max_training(environ=os.environ) -> int:
    """The server's training slots: GANVIZ_MAX_TRAINING if set (a whole number of at least 1), else its cores."""
    text = environ.get(MAX_TRAINING_VARIABLE, "").strip()
    if not text:
        return os.cpu_count() or 1
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{MAX_TRAINING_VARIABLE}={text!r}: set it to a whole number of workers, at least 1")
    return int(text)


@dataclass(frozen=True)
class Standing:
    """Where one session stands: training or waiting (its place, 1 = next), and the whole server's figures."""

    training: bool
    place: int  # 0 while training
    sessions_training: int
    sessions_waiting: int
    slots: int


class Turns:
    def __init__(self, slots: int, turn_s: float = TURN_S, forget_s: float = FORGET_S, clock=time.monotonic):
        self.slots, self.turn_s, self.forget_s, self._clock = slots, turn_s, forget_s, clock
        self._lock = threading.Lock()
        self._holding: dict[object, tuple[int, float]] = {}  # session -> (its slots, since when)
        self._waiting: dict[object, int] = {}  # session -> slots it asks for, in the order they started waiting
        self._asked: dict[object, float] = {}  # session -> when it last asked

    def ask(self, session, slots: int = 1) -> bool:
        """Whether `session` may train now with `slots` workers (at most all of them). Call it at every tick."""
        slots = max(1, min(slots, self.slots))
        with self._lock:
            now = self._clock()
            self._asked[session] = now
            self._forget_the_absent(now)
            if session in self._holding:
                _, since = self._holding[session]
                if not (self._waiting and now - since >= self.turn_s):
                    return True
                del self._holding[session]  # its turn is over: to the back of the queue
            self._waiting.setdefault(session, slots)
            self._grant(now)
            return session in self._holding

    def leave(self, session) -> None:
        """`session` stops training (paused): its slots go to the next in the queue."""
        with self._lock:
            self._holding.pop(session, None)
            self._waiting.pop(session, None)
            self._asked.pop(session, None)
            self._grant(self._clock())

    def standing(self, session) -> Standing:
        with self._lock:
            waiting = list(self._waiting)
            return Standing(
                training=session in self._holding,
                place=waiting.index(session) + 1 if session in self._waiting else 0,
                sessions_training=len(self._holding),
                sessions_waiting=len(waiting),
                slots=self.slots,
            )

    def _forget_the_absent(self, now: float) -> None:
        for session in [s for s, asked in self._asked.items() if now - asked > self.forget_s]:
            self._holding.pop(session, None)
            self._waiting.pop(session, None)
            del self._asked[session]

    def _grant(self, now: float) -> None:
        """Free slots to the waiting sessions, first come first served (a session never jumps the queue)."""
        free = self.slots - sum(slots for slots, _ in self._holding.values())
        for session, slots in list(self._waiting.items()):
            if slots > free:
                break
            del self._waiting[session]
            self._holding[session] = (slots, now)
            free -= slots


SERVER_TURNS = Turns(max_training())
