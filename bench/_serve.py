"""Serving the app for the HTTP benchmarks: a free port, gunicorn on loopback, and wrk.

Shared by ``http_load.py``, ``drills.py`` and ``capacity.py``. All traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require_wrk() -> None:
    """Exit with the fix when wrk is not installed."""
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk")
        sys.exit(1)


def start_gunicorn(env: dict[str, str], port: int, *, workers: int, threads: int = 4,
                   log: Path | None = None, wait_s: float = 90.0) -> subprocess.Popen[bytes]:
    """gunicorn (gthread) serving ``service:create_app()`` on loopback, once /healthz answers.

    ``env`` is added to this process's environment (``DATABASE_URL``, ``SECRET_KEY``, ...);
    ``log`` collects gunicorn's output (else it goes to this process's).
    """
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "gthread",
               "--threads", str(threads), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
               "service:create_app()"]
    full_env = {**os.environ, **env}
    if log is None:
        proc = subprocess.Popen(command, env=full_env, cwd=ROOT)
    else:
        with log.open("ab") as sink:
            proc = subprocess.Popen(command, env=full_env, cwd=ROOT, stdout=sink, stderr=sink)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    proc.wait(timeout=30)
    msg = f"gunicorn did not answer /healthz within {wait_s:.0f} s"
    raise RuntimeError(msg)


def worker_pids(master: int) -> list[int]:
    """The pids of the gunicorn workers of ``master``."""
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True,
                         text=True, check=False).stdout
    return sorted(int(p) for p in out.split())


def wrk_command(url: str, *, connections: int, seconds: float, threads: int = 1,
                script: Path | None = None, timeout_s: float | None = None,
                script_args: tuple[str, ...] = ()) -> list[str]:
    """The wrk command line (``--latency`` always; ``script_args`` go to the Lua script)."""
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{int(seconds)}s",
           "--latency"]
    if timeout_s is not None:
        cmd += ["--timeout", f"{timeout_s:g}s"]
    if script is not None:
        cmd += ["-s", str(script)]
    cmd.append(url)
    if script_args:
        cmd += ["--", *script_args]
    return cmd


def socket_errors(out: str) -> int:
    """wrk's socket errors (connect, read, write, timeout) in all."""
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                     out)
    return sum(int(g) for g in sock.groups()) if sock else 0


def run_wrk(url: str, connections: int, seconds: int, script: Path | None) -> dict[str, float]:
    """One wrk run: ``rps``, ``p50`` and ``p99`` (ms), ``errors`` (socket and non-2xx/3xx)."""
    cmd = wrk_command(url, connections=connections, seconds=seconds, script=script)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99 = float(m.group(1)) * _UNITS[m.group(2)] if m else float("inf")
    m50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p50 = float(m50.group(1)) * _UNITS[m50.group(2)] if m50 else float("inf")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + socket_errors(out)
    return {"rps": rps, "p50": p50, "p99": p99, "errors": errors}
