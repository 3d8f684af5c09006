"""Offices from ``config/offices.toml`` and agency closures from
``config/closures.toml``.

Public holidays are not configured: they come from the ``holidays`` library
(:mod:`public_holidays`). The files keep only one-off days: an office's extra
closed dates and the agency's own closures.

Loading is idempotent: offices are created when their code is new and left
alone otherwise (admins own them once loaded), unless ``replace`` is asked
for; one-off days are added when missing.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from export_hub.consultations.models import (
    AvailabilityRule,
    Blackout,
    Office,
    VideoMode,
)
from export_hub.consultations.public_holidays import is_supported_country
from export_hub.settings import PROJECT_ROOT


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _on_grid(value: dt.time) -> dt.time:
    if value.minute % 5 or value.second:
        raise ValueError("times must be on a 5-minute grid")
    return value


class RuleSpec(_Spec):
    weekdays: list[int] = Field(min_length=1)
    start: dt.time
    end: dt.time

    _grid = field_validator("start", "end")(_on_grid)

    @model_validator(mode="after")
    def _ordered(self) -> RuleSpec:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        if any(not 0 <= day <= 6 for day in self.weekdays):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        return self


class ClosedDaySpec(_Spec):
    """A one-off day without meetings (public holidays need no entry)."""

    date: dt.date
    name: str = Field(min_length=1, max_length=100)


class OfficeSpec(_Spec):
    code: str = Field(pattern=r"^[A-Z]{2,10}$")
    name_ko: str
    name_en: str
    city: str
    country: str = Field(pattern=r"^[A-Z]{2}$")
    time_zone: str
    languages: list[str]
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    notify_language: Literal["ko", "en"] = "ko"
    meeting_minutes: Literal[30, 60] = 60
    slot_step_minutes: int = Field(default=30, ge=5, le=60, multiple_of=5)
    buffer_before_minutes: int = Field(default=0, ge=0, le=120, multiple_of=5)
    buffer_after_minutes: int = Field(default=0, ge=0, le=120, multiple_of=5)
    min_notice_hours: int = Field(default=24, ge=0, le=24 * 14)
    horizon_days: int = Field(default=60, ge=1, le=365)
    max_per_day: int = Field(default=0, ge=0)
    max_per_company: int = Field(default=0, ge=0)
    video_mode: VideoMode = VideoMode.MEET_JIT_SI
    pasted_video_link: str = ""
    rules: list[RuleSpec] = Field(default_factory=list)
    #: One-off office-local dates without meetings, besides the country's
    #: public holidays.
    closed_dates: list[ClosedDaySpec] = Field(default_factory=list)

    @field_validator("country")
    @classmethod
    def _holidays_known(cls, value: str) -> str:
        if not is_supported_country(value):
            raise ValueError(f"no public holidays known for country {value!r}")
        return value

    @field_validator("time_zone")
    @classmethod
    def _zone_exists(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _link_when_pasted(self) -> OfficeSpec:
        if self.video_mode is VideoMode.PASTED and not self.pasted_video_link:
            raise ValueError("video_mode 'pasted' needs pasted_video_link")
        return self


class OfficesFile(_Spec):
    office: list[OfficeSpec]


class ClosuresFile(_Spec):
    closures: list[ClosedDaySpec] = Field(default_factory=list)


def _resolve(path: Path) -> Path:
    return path if path.is_absolute() else PROJECT_ROOT / path


def read_offices(path: Path) -> list[OfficeSpec]:
    """Parse and validate the offices file (raises ``pydantic.ValidationError``)."""
    with _resolve(path).open("rb") as fh:
        return OfficesFile.model_validate(tomllib.load(fh)).office


def read_closures(path: Path) -> list[ClosedDaySpec]:
    """The agency's one-off closures (Seoul dates) from ``path``."""
    with _resolve(path).open("rb") as fh:
        return ClosuresFile.model_validate(tomllib.load(fh)).closures


_OFFICE_FIELDS = (
    "name_ko name_en city country time_zone languages contact_name contact_email "
    "contact_phone notify_language meeting_minutes slot_step_minutes "
    "buffer_before_minutes buffer_after_minutes min_notice_hours horizon_days "
    "max_per_day max_per_company video_mode pasted_video_link"
).split()


async def load_offices(
    db: AsyncSession, specs: list[OfficeSpec], *, replace: bool = False
) -> list[Office]:
    """Create offices whose code is new (with rules and closed dates); with
    ``replace``, overwrite existing ones too. Returns the offices touched."""
    touched: list[Office] = []
    for spec in specs:
        office = await db.scalar(select(Office).where(Office.code == spec.code))
        if office is not None and not replace:
            continue
        if office is None:
            office = Office(code=spec.code)
            db.add(office)
        for name in _OFFICE_FIELDS:
            setattr(office, name, getattr(spec, name))
        await db.flush()
        await db.execute(
            delete(AvailabilityRule).where(AvailabilityRule.office_id == office.id)
        )
        for rule in spec.rules:
            for weekday in rule.weekdays:
                db.add(
                    AvailabilityRule(
                        office_id=office.id,
                        weekday=weekday,
                        start_time=rule.start,
                        end_time=rule.end,
                    )
                )
        await add_closed_days(db, spec.closed_dates, office_id=office.id)
        touched.append(office)
    await db.flush()
    return touched


async def add_closed_days(
    db: AsyncSession, days: list[ClosedDaySpec], *, office_id: int | None = None
) -> int:
    """Add the one-off days not yet there (``office_id`` None: an agency-wide
    closure, matched by Seoul date); returns how many were added."""
    rows = await db.execute(
        select(Blackout.date, Blackout.name).where(
            Blackout.office_id.is_(None)
            if office_id is None
            else Blackout.office_id == office_id
        )
    )
    existing: set[tuple[dt.date, str]] = {(day, name) for day, name in rows}
    added = 0
    for day in days:
        if (day.date, day.name) not in existing:
            db.add(Blackout(office_id=office_id, date=day.date, name=day.name))
            existing.add((day.date, day.name))
            added += 1
    return added
