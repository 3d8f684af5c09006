"""CPU-heavy work (password hashing, image decoding) off the event loop.

One :class:`CpuWork` per process runs such calls in worker threads (argon2 and
Pillow's decoders release the GIL), at most ``limit`` at once, so a burst of
uploads or log-ins queues for a slot instead of stalling every other request.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class CpuWork:
    """A bounded gate in front of :func:`asyncio.to_thread`."""

    def __init__(self, limit: int = 0):
        #: How many calls may run at once. By default one less than the CPUs:
        #: the event loop keeps a core (measured with ``bench/blocking.py``).
        self.limit = limit or max(1, (os.cpu_count() or 1) - 1)
        self._slots = asyncio.Semaphore(self.limit)

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(*args, **kwargs)`` in a thread once a slot is free."""
        async with self._slots:
            return await asyncio.to_thread(fn, *args, **kwargs)
