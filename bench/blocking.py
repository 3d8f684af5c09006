"""Does anything block the event loop? A health check's latency under load.

Starts the real server (``python -m export_hub serve``) on loopback against a
fresh database (SQLite by default; ``--database-url`` names an empty
PostgreSQL database), signs a
company up through the pages, then for ``--seconds`` runs in parallel:

- ``--uploaders`` clients posting one large image (``--megapixels``, a small
  PNG that decodes to many pixels) to the JSON API again and again;
- ``--loggers`` clients logging in (right password, fresh session each time);
- one client calling ``/healthz`` every 10 ms, measuring its latency.

Goal: the health check's p99 stays under 50 ms. Everything goes through the
server's CLI and HTTP, so ``--server-root`` may name another checkout of the
code (e.g. the one before a change) to compare. Prints progress to stderr and
one JSON line last: health p50/p99/max (ms), counts of uploads, log-ins and
health checks (by status) and the duration.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import io
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from cryptography.fernet import Fernet
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
TOKEN_RE = re.compile(r'id="new-token">([^<]+)<')
PASSWORD = "bench-password-42"  # noqa: S105 - a throwaway bench account
EMAIL = "bench@example.kr"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def big_png(megapixels: float) -> bytes:
    side = int((megapixels * 1_000_000) ** 0.5)
    out = io.BytesIO()
    Image.new("RGB", (side, side), (10, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def server_env(database_url: str, port: int, tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "EXPORT_HUB_DATABASE__URL": database_url,
            "EXPORT_HUB_WEB__PORT": str(port),
            "EXPORT_HUB_WEB__HOST": "127.0.0.1",
            "EXPORT_HUB_WEB__SESSION_KEY": Fernet.generate_key().decode(),
            "EXPORT_HUB_WEB__UPLOAD_DIR": str(tmp / "uploads"),
            "EXPORT_HUB_WEB__UPLOAD_MAX_BYTES": str(20 * 1024 * 1024),
            "EXPORT_HUB_SECURITY__SECRET_KEYS": json.dumps(
                [Fernet.generate_key().decode()]
            ),
            "EXPORT_HUB_JOBS__EMBEDDED": "false",
            "EXPORT_HUB_LOG_LEVEL": "WARNING",
        }
    )
    return env


def client() -> aiohttp.ClientSession:
    # Cookies from an IP address (127.0.0.1) are dropped unless unsafe=True.
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def csrf(http: aiohttp.ClientSession, base: str, path: str) -> str:
    async with http.get(base + path) as resp:
        match = CSRF_RE.search(await resp.text())
    if match is None:
        raise RuntimeError(f"no CSRF token on {path}")
    return match.group(1)


async def log_in(http: aiohttp.ClientSession, base: str) -> int:
    token = await csrf(http, base, "/login")
    data = {"email": EMAIL, "password": PASSWORD, "csrf_token": token}
    async with http.post(base + "/login", data=data, allow_redirects=False) as resp:
        await resp.read()
        return resp.status


async def prepare(base: str) -> tuple[str, int]:
    """Sign a company up, create one product, issue an API token."""
    async with client() as http:
        token = await csrf(http, base, "/signup")
        signup = {
            "email": EMAIL,
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "name_ko": "벤치기업",
            "name_en": "Bench Co",
            "brn": "3058112341",
            "csrf_token": token,
        }
        async with http.post(base + "/signup", data=signup) as resp:
            if resp.status != 200:
                errors = re.findall(
                    r'class="field-error"[^>]*>([^<]+)', await resp.text()
                )
                raise RuntimeError(f"sign-up answered {resp.status}: {errors}")
        token = await csrf(http, base, "/account/tokens")
        data = {"label": "bench", "csrf_token": token}
        async with http.post(base + "/account/tokens", data=data) as resp:
            match = TOKEN_RE.search(await resp.text())
        if match is None:
            raise RuntimeError("no API token issued")
        api_token = match.group(1)
        product = {
            "sku": "BENCH-1",
            "name_ko": "벤치 제품",
            "name_en": "Bench product",
            "description_ko": "설명",
            "description_en": "Description",
            "category": "식품/차",
            "brand": "Bench",
            "country_of_origin": "KR",
            "gtin": "8801234567893",
            "hs_code": "0902100000",
            "cost_krw": "4500",
            "price_krw": "9000",
            "weight_g": "120",
            "length_mm": "180",
            "width_mm": "80",
            "height_mm": "60",
            "quantity": "10",
            "condition": "new",
        }
        headers = {"Authorization": f"Bearer {api_token}"}
        async with http.post(
            base + "/api/v1/products", json=product, headers=headers
        ) as resp:
            body = await resp.json()
            if resp.status != 201:
                raise RuntimeError(f"product creation answered {resp.status}: {body}")
        return api_token, int(body["id"])


async def hammer(
    base: str, api_token: str, product_id: int, image: bytes, args: argparse.Namespace
) -> dict[str, object]:
    stop = time.monotonic() + args.seconds
    counts: collections.Counter[str] = collections.Counter()
    latencies: list[float] = []

    async def uploader() -> None:
        headers = {"Authorization": f"Bearer {api_token}"}
        async with client() as http:
            while time.monotonic() < stop:
                form = aiohttp.FormData()
                form.add_field(
                    "images", image, filename="big.png", content_type="image/png"
                )
                url = f"{base}/api/v1/products/{product_id}/images"
                async with http.post(url, data=form, headers=headers) as resp:
                    await resp.read()
                    counts[f"upload_{resp.status}"] += 1

    async def logger() -> None:
        while time.monotonic() < stop:
            async with client() as http:
                counts[f"login_{await log_in(http, base)}"] += 1

    async def health() -> None:
        async with client() as http:
            while time.monotonic() < stop:
                started = time.perf_counter()
                async with http.get(base + "/healthz") as resp:
                    await resp.read()
                latencies.append((time.perf_counter() - started) * 1000)
                counts[f"health_{resp.status}"] += 1
                await asyncio.sleep(0.01)

    async def progress() -> None:
        while time.monotonic() < stop:
            await asyncio.sleep(5)
            recent = sorted(latencies[-200:]) or [0.0]
            p99 = recent[max(0, int(len(recent) * 0.99) - 1)]
            log(f"  {dict(counts)} health p99 (last 200) {p99:.1f} ms")

    started = time.monotonic()
    await asyncio.gather(
        health(),
        progress(),
        *(uploader() for _ in range(args.uploaders)),
        *(logger() for _ in range(args.loggers)),
    )
    ordered = sorted(latencies)
    return {
        "health_p50_ms": round(statistics.median(ordered), 2),
        "health_p99_ms": round(ordered[max(0, int(len(ordered) * 0.99) - 1)], 2),
        "health_max_ms": round(ordered[-1], 2),
        "goal_p99_ms": 50,
        "counts": dict(sorted(counts.items())),
        "seconds": round(time.monotonic() - started, 2),
    }


async def wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    async with client() as http:
        for _ in range(300):
            if server.poll() is not None:
                raise RuntimeError("the server stopped while starting")
            try:
                async with http.get(base + "/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the server did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--uploaders", type=int, default=4)
    parser.add_argument("--loggers", type=int, default=4)
    parser.add_argument("--megapixels", type=float, default=36.0)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--server-root", type=Path, default=ROOT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        url = args.database_url or f"sqlite+aiosqlite:///{tmp / 'bench.sqlite3'}"
        port = free_port()
        env = server_env(url, port, tmp)
        env["PYTHONPATH"] = str(args.server_root)
        python = sys.executable
        cwd = args.server_root
        log(f"migrating {url.split('@')[-1]}")
        subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [python, "-m", "export_hub", "db", "upgrade"], env=env, cwd=cwd, check=True
        )
        image = big_png(args.megapixels)
        log(f"image: {args.megapixels} MP, {len(image) / 1024:.0f} KiB as PNG")
        server = subprocess.Popen(  # noqa: S603 - our own interpreter
            [python, "-m", "export_hub", "serve", "--port", str(port)],
            env=env,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            asyncio.run(wait_ready(base, server))
            api_token, product_id = asyncio.run(prepare(base))
            log(f"hammering for {args.seconds:.0f} s")
            result = asyncio.run(hammer(base, api_token, product_id, image, args))
        finally:
            server.terminate()
            server.wait(timeout=30)
    result["server_root"] = str(args.server_root)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
