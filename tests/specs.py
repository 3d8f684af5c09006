"""Where the marketplaces' official API models live, for the contract tests.

They are not part of this repository: they sit beside the checkout, at
``<repository root>/../shared/specs`` (the repository root is found from this
file, so any checkout or git worktree resolves it). When a model is missing a
test skips on a developer's machine but fails when the ``CI`` environment
variable is set (``CI=true``): in CI a skipped contract test would hide that
nothing was checked.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = next(
    parent
    for parent in Path(__file__).resolve().parents
    if (parent / "pyproject.toml").is_file()
)
SPECS = ROOT.parent / "shared" / "specs"


def in_ci() -> bool:
    """Whether ``CI`` is set to anything but an empty or false value."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_specs(*paths: Path) -> None:
    """Skip the calling test (fail it under CI) unless every path exists."""
    missing = [path for path in paths if not path.is_file()]
    if missing:
        specs_missing(missing)


def specs_missing(paths: list[Path]) -> NoReturn:
    message = (
        "official API models missing (expected at <repository root>/../shared/"
        f"specs): {', '.join(str(path) for path in paths)}"
    )
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
