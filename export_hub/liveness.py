"""Who runs a long piece of work, and whether that process is still alive.

A run (a job run, a sync run) records its owner, ``host:pid:token``, and
renews a heartbeat while it works. A run whose heartbeat is older than the
allowed silence, or whose owner ran on this host and is gone (``kill -9``), has
lost its worker: housekeeping closes it as failed (``jobs/maintenance.py``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable

HOST = socket.gethostname()

log = logging.getLogger(__name__)


def new_owner() -> str:
    """This process's owner name for a new run: ``host:pid:token``."""
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def owner_gone(owner: str) -> bool:
    """The owner ran on this host and its process no longer exists.

    ``False`` when unknown: another host, an unreadable owner, or a process
    we may not signal (it exists).
    """
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != HOST or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


async def beat_forever(beat: Callable[[], Awaitable[None]], seconds: float) -> None:
    """Call ``beat`` every ``seconds`` until cancelled; a failed beat is
    logged and retried at the next one (the run itself goes on)."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await beat()
        except Exception:
            log.warning("heartbeat failed", exc_info=True)
