"""Issue 10, point 10: every command fails in one line when the store is unusable.

A database that cannot be reached and one where ``init-db`` was never run give exit 1 and one
line naming the fix, with the password hidden; never a traceback.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli import main

LIBRARIES = "associations-trafford/trafford_libraries.csv"


def _commands(tmp_path: Path) -> list[list[str]]:
    csv_file = tmp_path / "a.csv"
    csv_file.write_text("name,lat,lon\nA club,53.45,-2.3\n", encoding="utf-8")
    postcodes = tmp_path / "pc.csv"
    postcodes.write_text("postcode,lat,lon\nM32 0TH,53.45,-2.3\n", encoding="utf-8")
    return [
        ["recommend", "--postcode", "M32 0TH"],
        ["recommend", "--lat", "53.45", "--lon", "-2.3", "--json"],
        ["ingest", "associations", str(csv_file)],
        ["ingest", "postcodes", str(postcodes)],
        ["coverage"],
        ["suggest-sites"],
        ["export", "meetings", "-o", str(tmp_path / "out.csv"), "--format", "csv"],
        ["demo"],
    ]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _one_line_failure(result, *expected: str) -> str:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def test_uninitialised_store_says_run_init_db(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'never-initialised.db'}"
    for args in _commands(tmp_path):
        result = CliRunner().invoke(main, ["--database-url", url, *args])
        _one_line_failure(result, "init-db")


def test_unreachable_store_says_cannot_connect_and_hides_the_password(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://cg:s3cret-pw@127.0.0.1:{_closed_port()}/cg"
    for args in _commands(tmp_path):
        result = CliRunner().invoke(main, ["--database-url", url, *args])
        line = _one_line_failure(result, "cannot connect")
        assert "s3cret-pw" not in line


@pytest.mark.parametrize("command", ["init-db", "serve"])
def test_init_db_and_serve_stay_one_line(tmp_path: Path, command: str, monkeypatch) -> None:
    # ``serve`` sets COMMONGROUND_SECURE_COOKIES=0 in its own process's environment: here
    # that is pytest's, so give it the value now and have it taken back after the test.
    monkeypatch.setenv("COMMONGROUND_SECURE_COOKIES", "0")
    url = f"postgresql+psycopg://cg:s3cret-pw@127.0.0.1:{_closed_port()}/cg"
    result = CliRunner().invoke(main, ["--database-url", url, command])
    line = _one_line_failure(result, "cannot connect")
    assert "s3cret-pw" not in line
