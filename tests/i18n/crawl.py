"""Walking the pages a role reaches: the nav, then each page's own links one
level down; the visible text of each page (tags, scripts and styles removed).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import aiohttp

from export_hub.labels import DOMAINS

HREF_RE = re.compile(r'<a\b[^>]*\bhref="([^"#]*)"', re.IGNORECASE)
NAV_RE = re.compile(r"<nav\b.*?</nav>", re.IGNORECASE | re.DOTALL)
#: Scripts, styles, comments, and elements marked as English content (the
#: marketplace content is English by design, e.g. ``<pre lang="en">``).
HIDDEN_RE = re.compile(
    r"<(script|style)\b.*?</\1>|<!--.*?-->|<(\w+)\b[^>]*\blang=\"en\"[^>]*>.*?</\2>",
    re.IGNORECASE | re.DOTALL,
)
TAG_RE = re.compile(r"<[^>]+>")
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
WORD_RE = re.compile(r"[A-Za-z][A-Za-z_.]*[A-Za-z]")

#: Links a crawl does not follow: leaving, switching language, files, JSON.
SKIPPED = re.compile(
    r"^/(logout|static/|api/|uploads/|images/)|\.(csv|xlsx|ics|json|png|jpe?g|svg)(\?|$)"
    r"|[?&](lang|format)=|/export|/download|/ical|/openapi"
)

#: Codes that are also ordinary English words or names a page may show
#: legitimately in Korean mode (marketplace content is English by design).
#: Everything else in the vocabulary must never appear as a visible word.
#: ``quantity`` is also a column name of the stock and import files.
AMBIGUOUS = frozenset(
    {"ok", "new", "used", "edit", "order", "user", "job", "end", "quantity"}
)


def visible_text(body: str) -> str:
    """The words a reader sees: no tags, scripts or styles."""
    return html.unescape(TAG_RE.sub(" ", HIDDEN_RE.sub(" ", body)))


def raw_codes() -> set[str]:
    """Stored codes that must never be visible as words in Korean pages."""
    codes = {code for vocabulary in DOMAINS.values() for code in vocabulary}
    return {c for c in codes if c not in AMBIGUOUS and len(c) > 2}


EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def found_codes(text: str, codes: set[str]) -> set[str]:
    """The codes of ``codes`` that ``text`` shows as words (e-mail addresses
    such as ``staff@...`` are names, not codes)."""
    text = EMAIL_RE.sub(" ", text)
    return {w for w in WORD_RE.findall(text) if w in codes}


def utc_shown(text: str) -> list[str]:
    """Places the text shows a UTC time: ``UTC``, ``+00:00``, ``...Z``."""
    hits = re.findall(r".{0,40}(?:\bUTC\b|\+00:00|\d\d:\d\dZ\b).{0,20}", text)
    return [h.strip() for h in hits]


def _same_site(base: str, href: str) -> str | None:
    url = urljoin(base + "/", href)
    parts = urlsplit(url)
    if parts.netloc != urlsplit(base).netloc:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return None if SKIPPED.search(path) else path


def _shape(path: str) -> str:
    # One detail page per shape: /staff/listings/12 and /staff/listings/13 alike.
    return re.sub(r"\d+", "N", path.split("?")[0]) + ("?" if "?" in path else "")


@dataclass
class Crawl:
    """The pages one logged-in client reached, with their visible text."""

    base: str
    pages: dict[str, str] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)

    async def run(self, http: aiohttp.ClientSession, limit: int = 80) -> None:
        home = await self._get(http, "/")
        nav_html = " ".join(NAV_RE.findall(home or ""))
        first = self._links(nav_html)
        seen_shapes: set[str] = set()
        second: list[str] = []
        for path in first:
            body = await self._get(http, path)
            for link in self._links(body or ""):
                shape = _shape(link)
                if link in self.pages or link in first or shape in seen_shapes:
                    continue
                seen_shapes.add(shape)
                second.append(link)
        for path in second[:limit]:
            await self._get(http, path)

    def _links(self, body: str) -> list[str]:
        found = (_same_site(self.base, h) for h in HREF_RE.findall(body))
        return list(dict.fromkeys(p for p in found if p))

    async def _get(self, http: aiohttp.ClientSession, path: str) -> str | None:
        if path in self.pages:
            return None
        async with http.get(self.base + path) as resp:
            body = await resp.text()
            if resp.status >= 500:
                self.failures[path] = resp.status
            if resp.status != 200 or "text/html" not in resp.content_type:
                return None
        self.pages[path] = visible_text(body)
        return body


async def login(
    http: aiohttp.ClientSession, base: str, email: str, password: str
) -> None:
    """Log in through the form, then choose Korean."""
    async with http.get(base + "/login") as resp:
        token = CSRF_RE.search(await resp.text())
    assert token, "no CSRF token on /login"
    form = {"email": email, "password": password, "csrf_token": token.group(1)}
    async with http.post(base + "/login", data=form, allow_redirects=False) as resp:
        assert resp.status == 303, await resp.text()
    async with http.get(base + "/?lang=ko") as resp:
        assert resp.status == 200
