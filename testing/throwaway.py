"""Throwaway servers for tests, benchmarks and drills: PostGIS, a streaming replica, Redis.

Nothing here is used by the service. :func:`start_postgis` finds Debian's PostgreSQL binaries,
makes a cluster in a temporary folder on a free loopback port, creates a database with the
``postgis`` extension, and removes it all on :meth:`ThrowawayPostgis.stop`. PostgreSQL refuses
to run as root, so under root the server runs as the ``postgres`` system user.
:func:`start_replica` adds a streaming replica of such a server (``pg_basebackup -R`` with a
replication slot); :func:`start_redis` runs Debian's ``redis-server`` on a loopback port.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
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
    opts: str = ""

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        return ["runuser", "-u", self.run_as, "--", *cmd] if self.run_as else cmd

    def pg_ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run ``pg_ctl -D <datadir> ARGS`` (``start`` gets the server options and log)."""
        extra = ["-o", self.opts, "-l", str(self.root / "server.log")] if "start" in args \
            or "restart" in args else []
        return subprocess.run(  # noqa: S603 - fixed argv of PostgreSQL tools
            self._cmd("pg_ctl", "-D", str(self.datadir), *extra, *args),
            check=False, capture_output=True, text=True, timeout=timeout, cwd=self.root,
        )

    def restart(self, *, mode: str = "fast") -> None:
        """``pg_ctl restart -m MODE`` and wait until the server accepts connections."""
        self.pg_ctl("-m", mode, "-w", "-t", "60", "restart")

    def psql(self, sql: str, *, dbname: str | None = None) -> str:
        """Run one SQL statement with ``psql`` and return its unaligned output."""
        user = self.url.split("://", 1)[1].split("@", 1)[0]
        db = dbname or self.url.rsplit("/", 1)[1]
        proc = subprocess.run(  # noqa: S603 - fixed argv of PostgreSQL tools
            self._cmd("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", user, "-d", db,
                      "-Atq", "-c", sql),
            check=False, capture_output=True, text=True, timeout=60, cwd=self.root,
        )
        if proc.returncode != 0:
            msg = f"psql failed: {(proc.stderr or proc.stdout).strip()[-400:]}"
            raise StoreUnavailableError(msg)
        return proc.stdout.strip()

    def kill(self) -> None:
        """Stop the server at once (``-m immediate``), keeping its data."""
        self.pg_ctl("-m", "immediate", "-w", "stop")

    def start(self) -> None:
        """Start the server again after :meth:`kill` and wait until it answers."""
        self.pg_ctl("-w", "-t", "60", "start")

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
    opts = (
        f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={root} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        "-c max_connections=100 -c shared_buffers=256MB"
    )
    server = ThrowawayPostgis(
        url=f"postgresql+psycopg://{user}@127.0.0.1:{port}/{dbname}",
        root=root, datadir=datadir, bindir=bindir, port=port, run_as=run_as, opts=opts,
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
    run("pg_ctl", "-D", str(datadir), "-o", opts, "-l", str(root / "server.log"), "-w",
        "-t", "60", "start")
    run("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", user, dbname)
    run("psql", "-h", "127.0.0.1", "-p", str(port), "-U", user, "-d", dbname, "-q",
        "-c", "CREATE EXTENSION IF NOT EXISTS postgis")
    return server


def start_replica(primary: ThrowawayPostgis) -> ThrowawayPostgis:
    """Start a streaming replica of a throwaway server (``pg_basebackup -R``, own slot).

    The replica is a hot standby on its own loopback port; its ``url`` names the same
    database as the primary's. A replication slot keeps the WAL it has not yet received, so
    it catches up after :meth:`ThrowawayPostgis.kill` and :meth:`ThrowawayPostgis.start`.

    Raises
    ------
    StoreUnavailableError
        When the base backup or the start fails, with the tool's message.
    """
    root = Path(tempfile.mkdtemp(prefix="cg-replica-"))
    if primary.run_as:
        pw = pwd.getpwnam(primary.run_as)
        os.chown(root, pw.pw_uid, pw.pw_gid)
    port = _free_port()
    opts = (
        f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={root} "
        "-c fsync=off -c hot_standby=on -c hot_standby_feedback=on -c max_connections=100 "
        "-c shared_buffers=128MB"
    )
    user = primary.url.split("://", 1)[1].split("@", 1)[0]
    replica = ThrowawayPostgis(
        url=primary.url.replace(f":{primary.port}/", f":{port}/"), root=root,
        datadir=root / "data", bindir=primary.bindir, port=port, run_as=primary.run_as,
        opts=opts,
    )
    backup = subprocess.run(  # noqa: S603 - fixed argv of PostgreSQL tools
        replica._cmd("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", user,
                     "-D", str(replica.datadir), "-R", "-X", "stream", "-c", "fast", "-C", "-S",
                     f"cg_replica_{port}", "--no-sync"),
        check=False, capture_output=True, text=True, timeout=300, cwd=root,
    )
    if backup.returncode != 0:
        replica.stop()
        msg = f"pg_basebackup failed: {(backup.stderr or backup.stdout).strip()[-800:]}"
        raise StoreUnavailableError(msg)
    started = replica.pg_ctl("-w", "-t", "60", "start")
    if started.returncode != 0:
        log = (root / "server.log").read_text(errors="replace") if \
            (root / "server.log").exists() else started.stderr
        replica.stop()
        msg = f"the replica did not start: {log.strip()[-800:]}"
        raise StoreUnavailableError(msg)
    return replica


def wait_replayed(
    primary: ThrowawayPostgis, replica: ThrowawayPostgis, *, timeout_s: float = 30.0,
) -> None:
    """Wait until ``replica`` has replayed all that ``primary`` has written so far.

    Raises
    ------
    StoreUnavailableError
        When it has not within ``timeout_s`` seconds (replay paused, or the replica down).
    """
    lsn = primary.psql("SELECT pg_current_wal_insert_lsn()")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        done = replica.psql(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn")
        if done == "t":
            return
        time.sleep(0.05)
    msg = f"the replica on port {replica.port} did not replay {lsn} within {timeout_s} s"
    raise StoreUnavailableError(msg)


def redis_available() -> str | None:
    """``None`` when a throwaway ``redis-server`` can be started here, else why not."""
    if shutil.which("redis-server") is None:
        return "redis-server not found (Debian: apt-get install redis-server)"
    return None


@dataclass
class ThrowawayRedis:
    """A running ``redis-server`` on a loopback port (persistent only if asked)."""

    url: str
    port: int
    root: Path
    proc: subprocess.Popen[bytes] | None = None
    persist: bool = False

    def start(self) -> None:
        """Start (or start again) the server on the same port and wait until it answers."""
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argv
            [str(shutil.which("redis-server")), "--port", str(self.port), "--bind",
             "127.0.0.1", "--save", "", "--appendonly", "yes" if self.persist else "no",
             "--appendfsync", "everysec", "--dir", str(self.root),
             "--logfile", str(self.root / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            with contextlib.suppress(OSError), \
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.025)
        msg = f"redis-server did not start on port {self.port}: see {self.root / 'redis.log'}"
        raise StoreUnavailableError(msg)

    def kill(self) -> None:
        """Stop the server at once (its data is lost: nothing is persisted)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def restart(self) -> None:
        """Kill the server and start it again on the same port."""
        self.kill()
        self.start()

    def stop(self) -> None:
        """Stop the server and delete its folder."""
        self.kill()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> ThrowawayRedis:
        """Use as a context manager that stops the server at exit."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop the server."""
        self.stop()


def start_redis(*, persist: bool = False) -> ThrowawayRedis:
    """Start a throwaway ``redis-server`` on a free loopback port.

    With ``persist``, an append-only file (fsync every second) keeps the data across
    :meth:`ThrowawayRedis.restart`, as a production Redis would.

    Raises
    ------
    StoreUnavailableError
        When ``redis-server`` is missing or does not start.
    """
    reason = redis_available()
    if reason:
        raise StoreUnavailableError(reason)
    port = _free_port()
    server = ThrowawayRedis(url=f"redis://127.0.0.1:{port}/0", port=port,
                            root=Path(tempfile.mkdtemp(prefix="cg-redis-")), persist=persist)
    server.start()
    return server
