"""The official models are found from the repository root wherever the
checkout lives; a missing one skips a test locally and fails it in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.specs import ROOT, SPECS, in_ci, require_specs


def test_the_specs_sit_beside_the_repository_root() -> None:
    assert (ROOT / "pyproject.toml").is_file()
    assert (ROOT / "tests" / "specs.py").is_file()
    assert SPECS == ROOT.parent / "shared" / "specs"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("1", True), ("yes", True), ("", False), ("false", False)],
)
def test_ci_is_read_from_the_environment(monkeypatch, value, expected) -> None:
    monkeypatch.setenv("CI", value)
    assert in_ci() is expected


def test_a_missing_model_skips_locally(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"missing.*absent\.json"):
        require_specs(tmp_path / "absent.json")


def test_a_missing_model_fails_in_ci(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CI", "true")
    present = tmp_path / "present.json"
    present.write_text("{}")
    require_specs(present)
    with pytest.raises(pytest.fail.Exception, match=r"absent\.json"):
        require_specs(present, tmp_path / "absent.json")
