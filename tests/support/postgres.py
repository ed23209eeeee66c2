"""A throwaway PostgreSQL server on 127.0.0.1, or the one named by CHAT_EXT_TEST_PG_URL."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """Starts a private cluster (as the postgres user when run as root) and makes databases."""

    def __init__(self) -> None:
        self.url = os.environ.get("CHAT_EXT_TEST_PG_URL", "")
        self._dir: Path | None = None
        self._ctl = _bin("pg_ctl")

    @staticmethod
    def available() -> bool:
        return bool(os.environ.get("CHAT_EXT_TEST_PG_URL")) or _bin("initdb") is not None

    def _as_owner(self, args: list[str]) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *args]
        return args

    def start(self) -> str:
        if self.url:
            return self.url
        initdb = _bin("initdb")
        if initdb is None or self._ctl is None:
            raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql).")
        self._dir = Path(tempfile.mkdtemp(prefix="chat-ext-pg-"))
        data = self._dir / "data"
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self._dir, pw.pw_uid, pw.pw_gid)
        run = {"check": True, "capture_output": True}
        subprocess.run(
            self._as_owner(
                [initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
            ),
            **run,
        )
        port = _free_port()
        options = f"-p {port} -k {self._dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            self._as_owner(
                [
                    self._ctl,
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(self._dir / "log"),
                    "-w",
                    "start",
                ]
            ),
            **run,
        )
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        return self.url

    def new_database(self) -> str:
        """A fresh, empty database on the server; returns its URL."""
        name = "t_" + uuid.uuid4().hex[:12]
        base = self.start()
        psql = _bin("psql") or "psql"
        subprocess.run(
            [psql, base, "-q", "-c", f'CREATE DATABASE "{name}"'], check=True, capture_output=True
        )
        return base.rsplit("/", 1)[0] + "/" + name

    def stop(self) -> None:
        if self._dir is not None and self._ctl is not None:
            subprocess.run(
                self._as_owner(
                    [self._ctl, "-D", str(self._dir / "data"), "-m", "immediate", "stop"]
                ),
                capture_output=True,
            )
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
