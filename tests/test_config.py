"""Every setting is documented (config docstring and README), and bad values are clear."""

from __future__ import annotations

from pathlib import Path

import pytest

import service.config
from service.config import SETTINGS
from service.config import load_settings

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_setting_documented(name: str) -> None:
    var = SETTINGS[name][0]
    assert f"``{var}``" in (service.config.__doc__ or ""), var
    assert var in README.read_text(encoding="utf-8"), f"{var} missing from README.md"


def test_environment_then_overrides(tmp_path: Path) -> None:
    env = {"DATABASE_URL": "sqlite:///env.db", "COMMONGROUND_GEOCODER": "nominatim"}
    settings = load_settings(env, {"DATABASE_URL": "sqlite:///override.db"},
                             instance_path=tmp_path)
    assert settings["DATABASE_URL"] == "sqlite:///override.db"
    assert settings["GEOCODER"] == "nominatim"
    assert settings["SECRET_KEY"]
    default = load_settings({}, instance_path=tmp_path)
    assert default["DATABASE_URL"] == f"sqlite:///{tmp_path / 'commonground.db'}"


def test_bad_geocoder_is_named() -> None:
    with pytest.raises(ValueError, match=r"COMMONGROUND_GEOCODER='google' is not known; choose"):
        load_settings({"COMMONGROUND_GEOCODER": "google"})
