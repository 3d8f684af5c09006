"""Korean-first user interface text.

Templates call ``t("ko text", "en text")``; the request's language (session,
then ``?lang=``, default Korean) picks one. Keeping both texts side by side at
the call site keeps them in step.
"""

from __future__ import annotations

from export_hub.errors import Text

LANGUAGES = ("ko", "en")
DEFAULT_LANGUAGE = "ko"


def pick(lang: str, ko: str, en: str) -> str:
    return en if lang == "en" else ko


def text(lang: str, message: Text) -> str:
    return message.get(lang)


def normalise_language(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE
