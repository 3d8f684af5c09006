"""Print fresh development secrets as ``KEY=value`` lines (``make run`` keeps
them in ``var/dev.env``, outside the repository)."""

from __future__ import annotations

import json

from export_hub.security import generate_fernet_key


def main() -> None:
    print(f"EXPORT_HUB_WEB__SESSION_KEY={generate_fernet_key()}")
    print(f"EXPORT_HUB_SECURITY__SECRET_KEYS='{json.dumps([generate_fernet_key()])}'")


if __name__ == "__main__":
    main()
