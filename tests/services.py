"""Throwaway servers a fault test owns, so it can stop and start them without disturbing anyone:
a PostgreSQL cluster (initdb + pg_ctl in a temporary folder on a free port) and a redis-server.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from mail_support import free_port

# Starting or stopping either server takes a second or two; this covers a loaded machine.
SERVICE_TIMEOUT = 30


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def missing_services() -> str | None:
    """Why the throwaway servers cannot run here, or None."""
    if _postgres_bin() is None:
        return "no PostgreSQL binaries in /usr/lib/postgresql/*/bin"
    if shutil.which("redis-server") is None:
        return "no redis-server on the PATH"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser (initdb refuses root)"
    return None


class PostgresCluster:
    """A PostgreSQL cluster of its own in a temporary folder, listening on 127.0.0.1 only."""

    def __init__(self) -> None:
        binaries = _postgres_bin()
        assert binaries is not None, missing_services()
        self.bin = binaries
        self.port = free_port()
        # Not under pytest's tmp_path: its parents are private to root, and the server runs as postgres.
        self.directory = Path(tempfile.mkdtemp(prefix="twofactor-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, timeout=SERVICE_TIMEOUT, check=False)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            output = (result.stdout + result.stderr).decode(errors="replace")
            raise RuntimeError(f"{' '.join(args[:1])} failed: {output}\n{log}")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.directory} "
            "-c fsync=off -c full_page_writes=off -c max_connections=60"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "30", "start")

    def kill(self) -> None:
        """Stop at once, as a crash or a pulled cable would: no client is told."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        """Stop (if running) and delete the cluster."""
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError):
                self.kill()
        shutil.rmtree(self.directory, ignore_errors=True)


class RedisServer:
    """A redis-server of its own on a free port, without persistence."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + SERVICE_TIMEOUT
        while not self._answers():
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not answer")
            time.sleep(0.05)

    def _answers(self) -> bool:
        import socket

        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """Gone at once (SIGKILL): every connection drops."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=SERVICE_TIMEOUT)
        self.process = None
