"""The record of every job run: who or what started it, counts, outcome."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from export_hub.db import Base, utcnow


class JobRun(Base):
    """One run of one job, in whichever runner.

    ``counts`` is ``{action: {outcome: n}}`` (e.g. ``{"update_price": {"ok": 12,
    "failed": 1}}``); ``status`` is ``running``, ``succeeded``, ``failed`` or
    ``cancelled`` (shut down mid-run).
    """

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The registered job name (``pricing.fetch_rates``, ``sync.seller`` ...).
    kind: Mapped[str] = mapped_column(String(60), index=True)
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: ``schedule``, ``user``, ``cli``, ``job``.
    started_by: Mapped[str] = mapped_column(String(20), default="schedule")
    started_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    #: ``embedded``, ``worker`` (procrastinate) or ``foreground`` (CLI).
    runner: Mapped[str] = mapped_column(String(20), default="embedded")
    status: Mapped[str] = mapped_column(String(12), default="running", index=True)
    counts: Mapped[dict[str, dict[str, int]]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[dt.datetime | None]
    duration_seconds: Mapped[float | None]
    #: ``host:pid:token`` of the process running it (see :mod:`jobs.liveness`).
    owner: Mapped[str] = mapped_column(String(200), default="")
    #: Renewed while the run works; a stale one means its worker is gone.
    heartbeat_at: Mapped[dt.datetime | None]
