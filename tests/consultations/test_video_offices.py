"""Video links by office setting, and the shipped offices file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jwt
import pydantic
import pytest
from pydantic import SecretStr

from export_hub.consultations.models import VideoMode
from export_hub.consultations.offices import OfficeSpec, read_closures, read_offices
from export_hub.consultations.video import make_video_link
from export_hub.errors import Conflict
from export_hub.settings import ConsultationSettings

START = dt.datetime(2026, 12, 3, 7, 0, tzinfo=dt.UTC)
END = START + dt.timedelta(hours=1)
SECRET = "a-test-only-jitsi-secret-of-40-bytes-xx"


def test_self_hosted_jitsi_gets_a_room_bound_jwt() -> None:
    settings = ConsultationSettings(
        jitsi_app_secret=SecretStr(SECRET),
        jitsi_app_id="export-hub",
        jitsi_base_url="https://meet.agency.example",
    )
    link = make_video_link(VideoMode.JITSI_JWT, settings, START, END)
    base, _, token = link.url.partition("?jwt=")
    room = base.rsplit("/", 1)[1]
    assert base.startswith("https://meet.agency.example/ExportHub-")
    assert len(room.removeprefix("ExportHub-")) == 32  # 128 bits, hex
    claims = jwt.decode(
        token,
        SECRET,
        algorithms=["HS256"],
        audience="jitsi",
        options={"verify_nbf": False, "verify_exp": False},
    )
    assert claims["room"] == room
    assert claims["iss"] == "export-hub"
    assert claims["sub"] == "meet.agency.example"
    assert claims["nbf"] == int(START.timestamp()) - 15 * 60
    assert claims["exp"] == int(END.timestamp()) + 30 * 60
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            token,
            SECRET[::-1],
            algorithms=["HS256"],
            audience="jitsi",
            options={"verify_nbf": False, "verify_exp": False},
        )
    other = make_video_link(VideoMode.JITSI_JWT, settings, START, END)
    assert other.url != link.url


def test_jitsi_without_a_strong_secret_is_refused_clearly() -> None:
    with pytest.raises(Conflict) as info:
        make_video_link(VideoMode.JITSI_JWT, ConsultationSettings(), START, END)
    assert "jitsi_app_secret" in info.value.message.en
    weak = ConsultationSettings(jitsi_app_secret=SecretStr("short"))
    with pytest.raises(Conflict, match="32"):
        make_video_link(VideoMode.JITSI_JWT, weak, START, END)


def test_meet_jit_si_rooms_are_unguessable_and_say_the_moderator_logs_in() -> None:
    links = {
        make_video_link(VideoMode.MEET_JIT_SI, ConsultationSettings(), START, END).url
        for _ in range(50)
    }
    assert len(links) == 50
    link = make_video_link(VideoMode.MEET_JIT_SI, ConsultationSettings(), START, END)
    assert link.url.startswith("https://meet.jit.si/ExportHub-")
    assert link.note is not None
    assert "log" in link.note.en


def test_pasted_links_are_used_as_they_are() -> None:
    url = "https://zoom.us/j/123456789"
    assert (
        make_video_link(VideoMode.PASTED, ConsultationSettings(), START, END, url).url
        == url
    )
    with pytest.raises(Conflict):
        make_video_link(VideoMode.PASTED, ConsultationSettings(), START, END, "")


def test_the_shipped_offices_and_closures_are_valid() -> None:
    offices = read_offices(Path("config/offices.toml"))
    assert [o.code for o in offices] == ["LAX", "FRA", "SGN", "SHA", "JKT", "TYO"]
    assert {o.time_zone for o in offices} == {
        "America/Los_Angeles",
        "Europe/Berlin",
        "Asia/Ho_Chi_Minh",
        "Asia/Shanghai",
        "Asia/Jakarta",
        "Asia/Tokyo",
    }
    assert {o.country for o in offices} == {"US", "DE", "VN", "CN", "ID", "JP"}
    # Only one-off days are configured; public holidays come from the library.
    assert {o.code: [d.date for d in o.closed_dates] for o in offices}["FRA"] == [
        dt.date(2026, 12, 24)
    ]
    assert read_closures(Path("config/closures.toml")) == []


def test_a_bad_office_is_refused_with_the_reason() -> None:
    base = {
        "code": "XYZ",
        "name_ko": "x",
        "name_en": "x",
        "city": "x",
        "country": "DE",
        "languages": ["ko"],
    }
    with pytest.raises(pydantic.ValidationError, match="unknown IANA time zone"):
        OfficeSpec.model_validate(base | {"time_zone": "Europe/Frankfurt"})
    with pytest.raises(pydantic.ValidationError, match="5-minute grid"):
        OfficeSpec.model_validate(
            base
            | {
                "time_zone": "Europe/Berlin",
                "rules": [{"weekdays": [0], "start": "09:07", "end": "12:00"}],
            }
        )
    with pytest.raises(pydantic.ValidationError, match="pasted_video_link"):
        OfficeSpec.model_validate(
            base | {"time_zone": "Europe/Berlin", "video_mode": "pasted"}
        )


def test_the_moderator_note_comes_in_the_reader_language() -> None:
    from export_hub.consultations.video import video_note

    url = make_video_link(VideoMode.MEET_JIT_SI, ConsultationSettings(), START, END).url
    assert "로그인" in video_note(url, "ko")
    assert "logs in" in video_note(url, "en")
    assert "로그인" not in video_note(url, "en")
    assert video_note("https://zoom.us/j/1", "en") == ""
