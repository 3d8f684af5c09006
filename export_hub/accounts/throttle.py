"""Failed log-in counting that holds under parallel guesses.

Each attempt is counted *before* the password is checked, by one atomic
upsert per key (``INSERT … ON CONFLICT DO UPDATE … RETURNING``, on SQLite and
PostgreSQL alike), and the upsert does nothing while the key is held back. So
however many guesses arrive at once, at most ``max_failures`` are checked
before the first wait, then one per wait. A correct password clears the
account-and-address key.

Keys: ``account:<e-mail>|<address>`` slows guessing one account from one
address without locking its owner out elsewhere (the right password from an
address without recent failures still works); ``address:<address>`` limits
failures from one address across accounts (a correct password takes its
attempt back). Waits double per failure up to a bound, so a
lock someone else caused is short and only grows while they keep guessing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Table, case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from export_hub.accounts.models import LoginThrottle

TABLE: Table = LoginThrottle.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class ThrottleRule:
    """``max_failures`` free tries, then waits from ``delay`` doubling to
    ``max_delay``; failures older than ``forget`` no longer count."""

    max_failures: int
    delay: dt.timedelta
    max_delay: dt.timedelta
    forget: dt.timedelta

    def wait_after(self, failures: int) -> dt.timedelta | None:
        """How long the key waits once it has ``failures`` failures."""
        if failures < self.max_failures:
            return None
        return self.wait_at(failures)

    def wait_at(self, failures: int) -> dt.timedelta:
        """The wait once at the limit or past it (``failures`` >= the limit)."""
        steps = min(max(failures - self.max_failures, 0), 30)
        wait: dt.timedelta = self.delay * (2**steps)
        return min(wait, self.max_delay)


def account_key(email: str, address: str) -> str:
    return f"account:{email.strip().lower()}|{address}"[:400]


def address_key(address: str) -> str:
    return f"address:{address}"[:400]


def _lock_expression(
    failures: ColumnElement[int], rule: ThrottleRule, now: dt.datetime
) -> ColumnElement[dt.datetime | None]:
    # The wait is computed here for every count it can take (it is bounded),
    # so the whole step stays one statement without SQL date arithmetic.
    whens: list[tuple[ColumnElement[bool], dt.datetime]] = []
    count = rule.max_failures
    while True:
        wait = rule.wait_at(count)
        whens.append((failures == count, now + wait))
        if wait >= rule.max_delay:
            break
        count += 1
    return case(
        (failures < rule.max_failures, None),
        *whens,
        else_=now + rule.max_delay,
    )


async def count_attempt(
    db: AsyncSession, key: str, rule: ThrottleRule, now: dt.datetime
) -> bool:
    """Count one attempt under ``key``; ``False`` (nothing counted) while the
    key is held back. Flushes one statement; the caller commits."""
    insert = (
        postgresql.insert(TABLE)
        if db.get_bind().dialect.name == "postgresql"
        else sqlite.insert(TABLE)
    )
    first_wait = rule.wait_after(1)
    stmt = insert.values(
        key=key,
        failures=1,
        last_failure_at=now,
        locked_until=None if first_wait is None else now + first_wait,
    )
    fresh = TABLE.c.last_failure_at.is_(None) | (
        TABLE.c.last_failure_at < now - rule.forget
    )
    failures = case((fresh, 1), else_=TABLE.c.failures + 1)
    upsert = stmt.on_conflict_do_update(
        index_elements=[TABLE.c.key],
        set_={
            "failures": failures,
            "last_failure_at": now,
            "locked_until": _lock_expression(failures, rule, now),
        },
        where=TABLE.c.locked_until.is_(None) | (TABLE.c.locked_until <= now),
    ).returning(TABLE.c.failures)
    counted = (await db.execute(upsert)).scalar_one_or_none()
    return counted is not None


async def locked_until(db: AsyncSession, keys: list[str]) -> dt.datetime | None:
    """The latest end of a wait among ``keys`` (for telling the user)."""
    rows = await db.scalars(
        select(LoginThrottle.locked_until).where(LoginThrottle.key.in_(keys))
    )
    found = [row for row in rows if row is not None]
    return max(found, default=None)


async def forgive(db: AsyncSession, key: str, rule: ThrottleRule) -> None:
    """Take back one counted attempt under ``key`` (it was a correct
    password), so many people signing in from one address never wait."""
    failures = LoginThrottle.failures
    await db.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key, failures > 0)
        .values(
            failures=failures - 1,
            locked_until=case(
                (failures - 1 < rule.max_failures, None),
                else_=LoginThrottle.locked_until,
            ),
        )
    )


async def clear(db: AsyncSession, key: str) -> None:
    """Forget ``key``'s failures (after a correct password)."""
    await db.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
