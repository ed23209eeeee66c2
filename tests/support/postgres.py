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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from jupyter_chat_ext.migrations import HEAD


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Empties a database that a finished test leaves at the schema's head, for the next test; raises
# (and so keeps it from being lent again) when it is not at the head, or when something still
# holds a table. Deleting rows, with the foreign keys' triggers off, is a few milliseconds
# where dropping a database, making one and migrating it take a quarter of a second.
_EMPTY = f"""SET lock_timeout = '2s';
DO $$
DECLARE version text; name text;
BEGIN
  IF to_regclass('public.alembic_version') IS NULL THEN RAISE EXCEPTION 'not migrated'; END IF;
  SELECT version_num INTO version FROM alembic_version;
  IF version IS DISTINCT FROM '{HEAD}' THEN RAISE EXCEPTION 'at revision %', version; END IF;
  SET LOCAL session_replication_role = replica;
  FOR name IN SELECT tablename FROM pg_tables
      WHERE schemaname = 'public' AND tablename <> 'alembic_version' LOOP
    EXECUTE format('DELETE FROM %I', name);
  END LOOP;
END $$;"""


class PostgresServer:
    """Starts a private cluster (as the postgres user when run as root) and makes databases."""

    def __init__(self) -> None:
        self.url = os.environ.get("CHAT_EXT_TEST_PG_URL", "")
        self._dir: Path | None = None
        self._ctl = _bin("pg_ctl")
        self._emptied: list[str] = []

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

    @contextmanager
    def lent_database(self) -> Iterator[str]:
        """An empty database for one test: one an earlier test left at the schema's head,
        emptied, else a new one. Some 400 tests ask for one; a new one each would be 4 GB of
        files, made and migrated a quarter of a second at a time."""
        url = self._emptied.pop() if self._emptied else self.new_database()
        yield url
        psql = _bin("psql") or "psql"
        emptied = subprocess.run(
            [psql, url, "-q", "-v", "ON_ERROR_STOP=1"], input=_EMPTY, text=True, capture_output=True
        )
        if emptied.returncode == 0:
            self._emptied.append(url)

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
