"""Video meeting links, made when a booking is confirmed.

Three modes, chosen per office (:class:`VideoMode`):

- ``jitsi_jwt``: the agency's own Jitsi Meet with token authentication. Each
  booking gets an unguessable room and an HS256 JWT valid only for that room,
  from 15 minutes before the start (``nbf``) to 30 minutes after the end
  (``exp``), signed with ``consultations.jitsi_app_secret``.
- ``meet_jit_si``: the public meet.jit.si with an unguessable room name. Since
  2023 a meeting there only starts once a moderator has logged in (Google,
  GitHub or Facebook); the office host must do so.
- ``pasted``: the office's own Zoom or Teams link, used as is.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

import jwt

from export_hub.consultations.models import VideoMode
from export_hub.errors import Conflict, Text
from export_hub.settings import ConsultationSettings

JWT_EARLY = dt.timedelta(minutes=15)
JWT_LATE = dt.timedelta(minutes=30)
MEET_JIT_SI = "https://meet.jit.si"
#: HS256 keys shorter than the hash are weak (RFC 7518, section 3.2).
MIN_SECRET_BYTES = 32

MEET_JIT_SI_NOTE = Text(
    "meet.jit.si 회의는 주최자(사무소)가 Google·GitHub 계정으로 로그인해야 시작됩니다.",
    "A meet.jit.si meeting starts only once its moderator (the office) logs in "
    "with a Google or GitHub account.",
)


@dataclass(frozen=True)
class VideoLink:
    url: str
    note: Text | None = None


def video_note(url: str, lang: str) -> str:
    """What a participant should know about the link, in ``lang`` ("" if nothing)."""
    return MEET_JIT_SI_NOTE.get(lang) if url.startswith(MEET_JIT_SI + "/") else ""


def new_room_name() -> str:
    """128 random bits: a room nobody can guess."""
    return "ExportHub-" + secrets.token_hex(16)


def jitsi_problem(settings: ConsultationSettings) -> Text | None:
    """Why ``jitsi_jwt`` links cannot be made with ``settings``, or ``None``.

    The office settings form refuses the mode for the same reason, so a
    confirmation never meets it.
    """
    secret = settings.jitsi_app_secret.get_secret_value()
    if not secret:
        return Text(
            "Jitsi 서명 키(consultations.jitsi_app_secret)가 설정되지 않았습니다.",
            "The Jitsi signing secret (consultations.jitsi_app_secret) "
            "is not configured.",
        )
    if len(secret.encode()) < MIN_SECRET_BYTES:
        return Text(
            "Jitsi 서명 키는 32바이트 이상이어야 합니다(RFC 7518).",
            "The Jitsi signing secret must be at least 32 bytes (RFC 7518).",
        )
    return None


def jitsi_token(
    settings: ConsultationSettings, room: str, start: dt.datetime, end: dt.datetime
) -> str:
    """An HS256 JWT for one room, valid around ``[start, end)``."""
    secret = settings.jitsi_app_secret.get_secret_value()
    claims = {
        "aud": "jitsi",
        "iss": settings.jitsi_app_id,
        "sub": urlsplit(settings.jitsi_base_url).hostname or "*",
        "room": room,
        "nbf": int((start - JWT_EARLY).timestamp()),
        "exp": int((end + JWT_LATE).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def make_video_link(
    mode: VideoMode,
    settings: ConsultationSettings,
    start: dt.datetime,
    end: dt.datetime,
    pasted_link: str = "",
) -> VideoLink:
    """The link for a meeting at ``[start, end)``.

    Raises :class:`Conflict` when the office's mode cannot make one (no Jitsi
    secret configured, no pasted link).
    """
    if mode is VideoMode.JITSI_JWT:
        problem = jitsi_problem(settings)
        if problem is not None:
            raise Conflict(problem)
        room = new_room_name()
        token = jitsi_token(settings, room, start, end)
        return VideoLink(f"{settings.jitsi_base_url.rstrip('/')}/{room}?jwt={token}")
    if mode is VideoMode.MEET_JIT_SI:
        return VideoLink(f"{MEET_JIT_SI}/{new_room_name()}", MEET_JIT_SI_NOTE)
    if not pasted_link:
        raise Conflict(
            Text(
                "사무소의 화상회의 링크가 비어 있습니다. "
                "사무소 설정에서 입력해 주세요.",
                "The office's meeting link is empty. Enter it in the office settings.",
            )
        )
    return VideoLink(pasted_link)
