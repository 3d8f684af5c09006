"""Persistence plumbing: the declarative base, engines and sessions.

Query functions take an :class:`AsyncSession` and never commit; the web handler
or the job that owns the unit of work commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, ClassVar

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from export_hub.settings import Settings, async_url

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An aware UTC instant on every backend (SQLite stores no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: dt.datetime | None, dialect: Any
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC instant is required")
        return value.astimezone(dt.UTC)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Any
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime()}


#: Execution option marking a connection's transactions as read-only: on
#: SQLite they begin DEFERRED instead of taking the write lock.
READ_ONLY_OPTION = "export_hub_read_only"


def utcnow() -> dt.datetime:
    """The current instant in UTC (patch this module's clock in tests)."""
    return dt.datetime.now(dt.UTC)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(
    url: str, *, echo: bool = False, hide_parameters: bool = False
) -> AsyncEngine:
    """An async engine; SQLite gets foreign keys, WAL and a busy timeout;
    PostgreSQL goes through psycopg 3 (see :func:`async_url`).

    ``hide_parameters`` keeps bound values (personal data, tokens) out of
    SQLAlchemy's errors and logs, hence out of logged tracebacks (production).
    """
    if is_sqlite(url):
        engine = create_async_engine(
            url,
            echo=echo,
            hide_parameters=hide_parameters,
            connect_args={"timeout": 30},
        )
        _configure_sqlite(engine.sync_engine)
        return engine
    return create_async_engine(
        async_url(url),
        echo=echo,
        hide_parameters=hide_parameters,
        pool_pre_ping=True,
    )


def create_engine_for(settings: Settings) -> AsyncEngine:
    """The engine ``settings`` describe; SQL parameters hidden in production."""
    return create_engine(
        settings.database.url,
        echo=settings.database.echo,
        hide_parameters=settings.environment == "production",
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own transaction handling defers BEGIN and breaks
        # SAVEPOINT and locking; take control (SQLAlchemy docs, "pysqlite").
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock at BEGIN, so two writers serialise
        # instead of failing with "database is locked" on upgrade. A unit of
        # work that only reads (READ_ONLY) begins DEFERRED: under WAL it
        # neither waits for nor blocks the writer.
        read_only = conn.get_execution_options().get(READ_ONLY_OPTION, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def reading(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session for reads only: on SQLite it takes no write lock, so it
    never queues behind writers. Writing through it is a bug."""
    async with sessions() as session:
        await session.connection(execution_options={READ_ONLY_OPTION: True})
        yield session


@asynccontextmanager
async def transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session whose transaction commits on success and rolls back on error."""
    async with sessions() as session, session.begin():
        yield session
