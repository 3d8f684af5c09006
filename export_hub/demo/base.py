"""What every demo step shares: the log-ins it prints and its signature.

A step takes the session factory and the settings, adds its data idempotently
(running it twice changes nothing) and returns the demo log-ins it wants
printed. The passwords are fixed demo-only values, never used outside a demo
database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from export_hub.settings import Settings


@dataclass(frozen=True)
class DemoLogin:
    """A demo account to print: role, e-mail, its demo-only password, a note."""

    role: str
    email: str
    password: str
    note: str = ""


DemoStep = Callable[
    [async_sessionmaker[AsyncSession], Settings], Awaitable[list[DemoLogin]]
]
