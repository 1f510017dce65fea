"""A throwaway PostGIS server for tests and benchmarks: ``initdb`` + ``pg_ctl`` in a temp folder.

Nothing here is used by the service. It finds Debian's PostgreSQL binaries, makes a cluster in
a temporary folder on a free loopback port, creates a database with the ``postgis``
extension, and removes it all on :meth:`ThrowawayPostgis.stop`. PostgreSQL refuses to run as
root, so under root the server runs as the ``postgres`` system user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from store.errors import StoreUnavailableError


def _pg_bindir() -> Path | None:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


def postgis_available() -> str | None:
    """``None`` when a throwaway PostGIS can be started here, else the reason it cannot."""
    bindir = _pg_bindir()
    if bindir is None:
        return "PostgreSQL server binaries (initdb, pg_ctl) not found"
    version = bindir.parent.name
    if not list(Path(f"/usr/share/postgresql/{version}/extension").glob("postgis.control")):
        return f"the PostGIS extension is not installed for PostgreSQL {version} " \
               f"(Debian: apt-get install postgresql-{version}-postgis-3)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ThrowawayPostgis:
    """A running throwaway server. ``url`` is a SQLAlchemy URL for its ``commonground`` db."""

    url: str
    root: Path
    datadir: Path
    bindir: Path
    port: int
    run_as: str | None

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        return ["runuser", "-u", self.run_as, "--", *cmd] if self.run_as else cmd

    def stop(self) -> None:
        """Stop the server and delete its folder."""
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            subprocess.run(  # noqa: S603 - fixed argv of PostgreSQL tools
                self._cmd("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop"),
                check=False, capture_output=True, timeout=60,
            )
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> ThrowawayPostgis:
        """Use as a context manager that stops the server at exit."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop the server."""
        self.stop()


def start_postgis(*, dbname: str = "commonground") -> ThrowawayPostgis:
    """Start a throwaway PostGIS server and return where it is.

    Raises
    ------
    StoreUnavailableError
        When it cannot be started, with the reason (missing binaries or extension, or the
        server's own log).
    """
    reason = postgis_available()
    if reason:
        raise StoreUnavailableError(reason)
    bindir = _pg_bindir()
    assert bindir is not None  # noqa: S101 - checked by postgis_available
    run_as = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="cg-postgis-"))
    datadir = root / "data"
    if run_as:
        pw = pwd.getpwnam(run_as)
        os.chown(root, pw.pw_uid, pw.pw_gid)
    port = _free_port()
    user = run_as or pwd.getpwuid(os.geteuid()).pw_name
    server = ThrowawayPostgis(
        url=f"postgresql+psycopg://{user}@127.0.0.1:{port}/{dbname}",
        root=root, datadir=datadir, bindir=bindir, port=port, run_as=run_as,
    )

    def run(*args: str) -> None:
        proc = subprocess.run(  # noqa: S603 - fixed argv of PostgreSQL tools
            server._cmd(*args), check=False, capture_output=True, text=True, timeout=120,
            cwd=root,
        )
        if proc.returncode != 0:
            server.stop()
            msg = f"{args[0]} failed: {(proc.stderr or proc.stdout).strip()[-800:]}"
            raise StoreUnavailableError(msg)

    run("initdb", "-D", str(datadir), "-U", user, "--auth=trust", "-E", "UTF8",
        "--locale=C.UTF-8", "--no-sync")
    opts = (
        f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={root} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        "-c max_connections=100 -c shared_buffers=256MB"
    )
    run("pg_ctl", "-D", str(datadir), "-o", opts, "-l", str(root / "server.log"), "-w",
        "-t", "60", "start")
    run("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", user, dbname)
    run("psql", "-h", "127.0.0.1", "-p", str(port), "-U", user, "-d", dbname, "-q",
        "-c", "CREATE EXTENSION IF NOT EXISTS postgis")
    return server
