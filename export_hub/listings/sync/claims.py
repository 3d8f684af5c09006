"""Per-seller leases: one run at a time touches a seller account's listings.

A claim is a row in ``sync_claims`` keyed by the seller account. Taking it is
an INSERT (or a conditional UPDATE of an expired or orphaned claim) in its own
short transaction, so it works the same on SQLite and PostgreSQL and for every
runner (embedded, procrastinate worker, CLI). The lease is renewed while the
run works; a crashed run's claim expires, and one left by a dead process on
this host is taken over at once.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from export_hub.db import transaction, utcnow
from export_hub.listings.models import SyncClaim

HOST = socket.gethostname()


def new_owner() -> str:
    """This run's claim owner: ``host:pid:token``."""
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _orphaned(owner: str) -> bool:
    """The claiming process ran on this host and is gone."""
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


async def claim(
    sessions: async_sessionmaker[AsyncSession],
    account_id: int,
    owner: str,
    *,
    lease: dt.timedelta,
    now: dt.datetime | None = None,
) -> bool:
    """Take the seller account's claim for ``owner``; ``False`` if another
    live run holds it."""
    now = now or utcnow()
    try:
        async with transaction(sessions) as db:
            db.add(
                SyncClaim(
                    seller_account_id=account_id,
                    owner=owner,
                    claimed_at=now,
                    expires_at=now + lease,
                )
            )
        return True
    except IntegrityError:
        pass
    async with transaction(sessions) as db:
        held = await db.scalar(
            select(SyncClaim).where(SyncClaim.seller_account_id == account_id)
        )
        if held is None:
            db.add(
                SyncClaim(
                    seller_account_id=account_id,
                    owner=owner,
                    claimed_at=now,
                    expires_at=now + lease,
                )
            )
            return True
        if held.owner != owner and held.expires_at > now and not _orphaned(held.owner):
            return False
        taken = await db.execute(
            update(SyncClaim)
            .where(
                SyncClaim.seller_account_id == account_id,
                SyncClaim.owner == held.owner,
            )
            .values(owner=owner, claimed_at=now, expires_at=now + lease)
        )
        return bool(taken.rowcount)  # type: ignore[attr-defined]


async def renew(
    sessions: async_sessionmaker[AsyncSession],
    account_id: int,
    owner: str,
    *,
    lease: dt.timedelta,
) -> bool:
    """Extend the lease; ``False`` if the claim was lost (stop working)."""
    async with transaction(sessions) as db:
        done = await db.execute(
            update(SyncClaim)
            .where(SyncClaim.seller_account_id == account_id, SyncClaim.owner == owner)
            .values(expires_at=utcnow() + lease)
        )
        return bool(done.rowcount)  # type: ignore[attr-defined]


async def release(
    sessions: async_sessionmaker[AsyncSession], account_id: int, owner: str
) -> None:
    async with transaction(sessions) as db:
        await db.execute(
            delete(SyncClaim).where(
                SyncClaim.seller_account_id == account_id, SyncClaim.owner == owner
            )
        )
