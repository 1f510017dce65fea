"""The ``commonground`` console script: help, init-db, demo, and clear failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli import main
from store import Store


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("init-db", "demo", "serve"):
        assert command in result.output


@pytest.mark.parametrize("command", ["init-db", "demo", "serve"])
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_help_lists_the_commands_of_every_module() -> None:
    """The commands registered on first use are listed and have help, as before."""
    result = CliRunner().invoke(main, ["--help"])
    for command in ("ingest", "export", "recommend", "reach", "coverage", "map",
                    "create-user", "purge"):
        assert command in result.output
        assert CliRunner().invoke(main, [command, "--help"]).exit_code == 0


def test_data_commands_do_not_build_the_web_app(tmp_path: Path) -> None:
    """init-db, ingest and export start without Flask, folium or the pages.

    Building the web app at start-up cost about 5 s of CPU in every load (bench/ingest.py
    --bad-mb): only ``serve`` needs it.
    """
    table = tmp_path / "a.csv"
    table.write_text("id,name,category,lat,lon\na1,Club One,sport,53.48,-2.24\n",
                     encoding="utf-8")
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from service.cli import main\n"
        "url, table, out = sys.argv[1:]\n"
        "for args in (['init-db'], ['ingest', 'associations', table],\n"
        "             ['export', 'associations', '-o', out]):\n"
        "    result = CliRunner().invoke(main, ['--database-url', url, *args])\n"
        "    assert result.exit_code == 0, result.output\n"
        "print(','.join(m for m in ('flask', 'folium', 'service.web.app') if m in sys.modules))\n"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", code, f"sqlite:///{tmp_path / 'cli.db'}", str(table),
         str(tmp_path / "out.geojson")],
        capture_output=True, text=True, check=True, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(root)})
    assert done.stdout.strip() == ""
    assert (tmp_path / "out.geojson").read_text(encoding="utf-8").count("Club One") == 1


def test_bad_usage_exits_2() -> None:
    result = CliRunner().invoke(main, ["serve", "--port", "99999"])
    assert result.exit_code == 2
    assert "99999" in result.output


def test_init_db_then_demo_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    first = runner.invoke(main, ["--database-url", url, "init-db", "--json"])
    assert first.exit_code == 0, first.output
    info = json.loads(first.output)
    assert info["backend"] == "sqlite"
    assert info["interests"] >= 17
    demo = runner.invoke(main, ["--database-url", url, "demo", "--json"])
    assert demo.exit_code == 0, demo.output
    counts = json.loads(demo.output)
    assert counts["opportunities"]["inserted"] >= 600
    again = runner.invoke(main, ["--database-url", url, "demo", "--json"])
    assert again.exit_code == 0
    again_counts = json.loads(again.output)
    assert {a["role"] for a in again_counts.pop("demo_accounts")} == {
        "admin", "hotspot_lead", "association"}
    for table, c in again_counts.items():
        assert c.get("inserted", 0) == 0, table
        assert c.get("updated", 0) == 0, table
    assert Store(url).counts()["opportunities"] == counts["opportunities"]["inserted"]


def test_demo_before_init_db_says_what_to_do(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = CliRunner().invoke(main, ["--database-url", url, "demo"])
    assert result.exit_code == 1
    assert "run `commonground init-db`" in result.output


def test_init_db_unreachable_database_is_one_line_exit_1() -> None:
    """As a user would see it: a real process, one line on stderr, password hidden."""
    url = "postgresql+psycopg://cg:s3cret@127.0.0.1:1/commonground"
    proc = subprocess.run(
        [sys.executable, "-m", "service.cli", "init-db"],
        env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "s3cret" not in proc.stderr
    assert "postgresql+psycopg://cg:***@127.0.0.1:1/commonground" in lines[0]


def test_unsupported_database_url_is_clear() -> None:
    result = CliRunner().invoke(main, ["--database-url", "mysql://x@y/z", "init-db"])
    assert result.exit_code == 1
    assert "uses 'mysql'" in result.output


def test_access_log_keeps_no_location(caplog: pytest.LogCaptureFixture) -> None:
    """The development server's log line has neither the query string nor the client."""
    import io
    import logging

    from service.cli import PrivateRequestHandler

    handler = PrivateRequestHandler.__new__(PrivateRequestHandler)
    handler.path = "/api/recommendations?postcode=M15+4AB&lat=53.4&lon=-2.2"
    handler.command = "GET"
    handler.client_address = ("203.0.113.9", 5555)
    handler.requestline = "GET " + handler.path
    handler.request_version = "HTTP/1.1"
    handler.wfile = io.BytesIO()
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        handler.log_request(200)
    text = caplog.text
    assert "/api/recommendations" in text
    assert "M15" not in text
    assert "53.4" not in text
    assert "203.0.113.9" not in text
