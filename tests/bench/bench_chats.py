"""Chats benchmark: a real Jupyter Server over a large chat database, timed through its REST API.

    PYTHONPATH=. python tests/bench/bench_chats.py [--db sqlite|postgres|postgresql://...]

Seeds a fresh database straight through SQL (the server's owner with 10,000 chats of 10 messages
and one chat of 1,250 messages holding 30 MB; a second user with another 10,000 chats, to show
that every query is scoped by user), starts ``jupyter server`` on it with token login, and prints
one line per figure: value, target, ratio to an empty authenticated round trip, PASS or FAIL.
It is a report, run by hand: it exits 0 whatever the figures (1 only if it could not run).
The file name keeps it out of pytest's collection.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chats_data import (
    BIG_BYTES,
    BIG_MESSAGES,
    NO_HIT,
    OTHER_ONLY,
    OWNER,
    ROOT,
    TEXT_COMMON,
    TEXT_RARE,
    TITLE_COMMON,
    TITLE_RARE,
    DataSet,
    Seeder,
    check_columns,
    migrate,
    seed_postgres,
    seed_sqlite,
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, workdir: Path, db_url: str, code: Path):
        self.workdir = workdir
        self.db_url = db_url
        self.code = code
        self.token = os.urandom(16).hex()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/"
        self.log_path = workdir / "server.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 90) -> float:
        env = dict(os.environ)
        for name in ("config", "data", "runtime"):
            folder = self.workdir / "jupyter" / name
            folder.mkdir(parents=True, exist_ok=True)
            env[f"JUPYTER_{name.upper()}_DIR"] = str(folder)
        config = {"ServerApp": {"jpserver_extensions": {"jupyter_chat_ext": True}}}
        (self.workdir / "jupyter" / "config" / "jupyter_server_config.json").write_text(
            json.dumps(config)
        )
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(self.code), env.get("PYTHONPATH", "")) if p
        )
        args = [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",  # ServerApp.token's current name
            f"--ServerApp.root_dir={self.workdir}",
            f"--ChatExtApp.db_url={self.db_url}",
            f"--ChatExtApp.owner={OWNER}",
        ]
        if os.geteuid() == 0:
            args.append("--allow-root")
        log = self.log_path.open("wb")
        started = time.perf_counter()
        # Not started in the caller's folder: `python -m` puts it first on sys.path, where a
        # checkout's jupyter_chat_ext would shadow the one --code names.
        self.proc = subprocess.Popen(
            args, env=env, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT
        )
        import httpx

        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                raise RuntimeError(f"the server exited ({code})")
            try:
                r = httpx.get(self.base + "api/status", headers=self.headers, timeout=2)
                if r.status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the server did not answer within {timeout:.0f} s")

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def memory(self) -> dict[str, int]:
        """VmRSS and VmHWM (the peak) of the server process, in bytes."""
        out = {}
        if self.proc is None:
            return out
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0]) * 1024
        except OSError:
            pass
        return out

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


# -- measuring -----------------------------------------------------------------------------------


@dataclass
class Sample:
    times: list[float]  # seconds
    last: Any = None  # the last response's JSON, for sanity checks

    def pct(self, p: float) -> float:
        """Nearest-rank percentile, in milliseconds."""
        ordered = sorted(self.times)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000

    @property
    def n(self) -> int:
        return len(self.times)


def timed(
    client: Any,
    paths: Callable[[], tuple[str, dict[str, Any]]],
    n: int,
    *,
    warmup: int,
    budget: float,
    decode: bool = True,
) -> Sample:
    """n timed GETs after warmup untimed ones; stops early after ``budget`` seconds."""
    times: list[float] = []
    body = b"{}"
    deadline = time.perf_counter() + budget
    for i in range(warmup + n):
        path, params = paths()
        t0 = time.perf_counter()
        r = client.get(path, params=params)
        body = r.content
        elapsed = time.perf_counter() - t0
        if r.status_code != 200:
            raise RuntimeError(f"GET {path} {params} -> {r.status_code}: {body[:300]!r}")
        if i >= warmup:
            times.append(elapsed)
            if time.perf_counter() > deadline and len(times) >= 5:
                break
    return Sample(times, json.loads(body) if decode else None)


class Report:
    HEADER = ("measure", "n", "figure", "min", "target", "x baseline", "result")

    def __init__(self) -> None:
        self.rows: list[tuple[str, ...]] = []
        self.baseline = 0.0
        self.failed: list[str] = []
        self.passed = 0

    def _add(self, name: str, n: str, figure: str, low: str, target: str, ratio: str, ok: Any):
        result = "info" if ok is None else "PASS" if ok else "FAIL"
        if ok is True:
            self.passed += 1
        elif ok is False:
            self.failed.append(name)
        self.rows.append((name, n, figure, low, target, ratio, result))

    def timing(self, name: str, sample: Sample, target: float | None, p: float = 50) -> None:
        ms = sample.pct(p)
        ratio = f"{ms / self.baseline:.1f}x" if self.baseline else "-"
        self._add(
            f"{name} p{p:g}",
            str(sample.n),
            f"{ms:.2f} ms",
            f"{sample.pct(0):.2f}" if p == 50 else "",
            "-" if target is None else f"<= {target:g} ms",
            ratio,
            None if target is None else ms <= target,
        )

    def check(self, name: str, ok: bool, figure: str, target: str) -> None:
        self._add(name, "", figure, "", target, "-", ok)

    def print(self) -> None:
        widths = [max(len(r[i]) for r in [self.HEADER, *self.rows]) for i in range(7)]
        fmt = "  ".join(f"{{:{'<' if i == 0 else '>'}{w}}}" for i, w in enumerate(widths))
        print(fmt.format(*self.HEADER))
        print("  ".join("-" * w for w in widths))
        for row in self.rows:
            print(fmt.format(*row))


def measure(server: Server, data: DataSet, scale: float) -> Report:
    import httpx

    def n(count: int) -> int:
        return max(5, int(count * scale))

    rng = random.Random(7)
    api = "chat-ext/api/"
    report = Report()
    with httpx.Client(base_url=server.base, headers=server.headers, timeout=120) as client:

        def fixed(path: str, **params: Any) -> Callable[[], tuple[str, dict[str, Any]]]:
            return lambda: (path, params)

        base = timed(client, fixed("api/status"), n(500), warmup=50, budget=20, decode=False)
        report.baseline = base.pct(50)
        report.timing("baseline: Jupyter's GET /api/status", base, None)
        me = timed(client, fixed(api + "users/me"), n(300), warmup=20, budget=20)
        if me.last.get("username") != OWNER:
            raise RuntimeError(f"the server resolved the owner as {me.last!r}, not {OWNER!r}")
        report.timing("empty chat-ext handler: GET users/me", me, None)

        first = timed(client, fixed(api + "chats", limit=50), n(300), warmup=30, budget=30)
        report.timing("list first page ?limit=50", first, 5)
        report.timing("list first page ?limit=50", first, 15, p=95)

        # Walk 100 pages down by next_cursor, then time the page found there.
        cursor = first.last["next_cursor"]
        for _ in range(99):
            page = client.get(api + "chats", params={"limit": 50, "cursor": cursor}).json()
            cursor = page["next_cursor"]
        deep = timed(
            client, fixed(api + "chats", limit=50, cursor=cursor), n(100), warmup=10, budget=20
        )
        report.timing("list page 101 by cursor", deep, None)
        ids = [c["id"] for c in first.last["items"] + deep.last["items"]]
        owned = set(data.owner_chats) | {data.big_chat}
        report.check(
            "both pages hold only the owner's chats",
            len(ids) == 100 and set(ids) <= owned,
            f"{sum(i in owned for i in ids)}/{len(ids)}",
            "100/100",
        )

        def random_chat() -> tuple[str, dict[str, Any]]:
            return api + "chats/" + rng.choice(data.owner_chats), {}

        opened = timed(client, random_chat, n(300), warmup=30, budget=30)
        report.timing("open a random 10-message chat", opened, 5)
        report.timing("open a random 10-message chat", opened, None, p=95)

        big = timed(client, fixed(api + "chats/" + data.big_chat), n(15), warmup=2, budget=60)
        report.timing("open the 1,250-message chat (30 MB)", big, 100)
        report.timing("open the 1,250-message chat (30 MB)", big, None, p=95)
        tail = timed(
            client, fixed(api + "chats/" + data.big_chat, tail=100), n(30), warmup=3, budget=30
        )
        report.timing("open the 1,250-message chat's last 100 (?tail=100)", tail, 100)
        got = big.last["messages"]
        size = sum(len(m["content"]) for m in got)
        report.check(
            "the long chat's branch is complete",
            len(got) == BIG_MESSAGES and size == BIG_BYTES,
            f"{len(got)} msgs, {size / 2**20:.1f} MB",
            f"{BIG_MESSAGES} msgs, 30.0 MB",
        )

        def search(label: str, word: str, count: int, target: float) -> None:
            s = timed(client, fixed(api + "chats", q=word, limit=50), n(count), warmup=2, budget=40)
            hits = len(s.last["items"])
            expect = min(50, data.expect.get(word, 0))
            report.timing(f"{label} ?q={word} ({hits} hits)", s, target)
            if hits != expect:
                report.check(
                    f"?q={word} finds the chats it was planted in", False, f"{hits}", f"{expect}"
                )

        search("search titles, common word", TITLE_COMMON, 30, 50)
        search("search titles, rare word", TITLE_RARE, 15, 50)
        search("search text, common word", TEXT_COMMON, 30, 200)
        search("search text, rare word", TEXT_RARE, 15, 200)
        search("search text, no hits", NO_HIT, 15, 200)
        scoped = client.get(api + "chats", params={"q": OTHER_ONLY}).json()["items"]
        report.check(
            f"?q={OTHER_ONLY} (in the other user's titles only)",
            not scoped,
            f"{len(scoped)} hits",
            "0 hits",
        )

        # A download of every chat of the owner's, sent a page of chats at a time: the peak
        # memory below holds one page of them, not all.
        export = timed(client, fixed(api + "chats/export"), 3, warmup=0, budget=60)
        report.timing("export every chat (Download all)", export, None)
        exported = len(export.last["chats"])
        report.check(
            "the export holds every chat of the owner's",
            exported == len(data.owner_chats) + 1,
            f"{exported:,} chats",
            f"{len(data.owner_chats) + 1:,} chats",
        )

    mem = server.memory()
    if "VmHWM" in mem:
        peak = mem["VmHWM"] / 2**20
        report.check(
            f"server peak RSS (VmHWM; {mem['VmRSS'] / 2**20:.0f} MB at the end)",
            peak <= 300,
            f"{peak:.0f} MB",
            "<= 300 MB",
        )
    return report


# -- main ----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db",
        default="sqlite",
        help="sqlite (default), postgres (a throwaway local cluster) or a postgresql:// URL of "
        "an empty database",
    )
    parser.add_argument(
        "--code",
        type=Path,
        default=ROOT,
        help="the checkout whose jupyter_chat_ext is seeded and served (to measure a change "
        "made in a copy); default: this one",
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply every iteration count (e.g. 0.2)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    sys.path.insert(0, str(args.code.resolve()))

    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="chat-ext-bench-"))
    pg = None
    server = None
    try:
        check_columns()
        if args.db == "sqlite":
            path = workdir / "chat-ext.db"
            url = f"sqlite:///{path}"
        elif args.db == "postgres":
            sys.path.insert(1, str(ROOT))
            from tests.support.postgres import PostgresServer

            pg = PostgresServer()
            url = pg.new_database()
        elif args.db.startswith("postgresql"):
            url = args.db
        else:
            parser.error("--db takes sqlite, postgres or a postgresql:// URL")

        t0 = time.perf_counter()
        asyncio.run(migrate(url))
        t1 = time.perf_counter()
        seeder = Seeder()
        if url.startswith("sqlite"):
            data = seed_sqlite(path, seeder)
            where = f"{path} ({path.stat().st_size / 2**20:.0f} MB)"
        else:
            data = asyncio.run(seed_postgres(url, seeder))
            where = url
        t2 = time.perf_counter()
        rows = ", ".join(f"{v:,} {k}" for k, v in data.rows.items())
        import jupyter_chat_ext

        print(f"code: {Path(jupyter_chat_ext.__file__).parent}")
        print(f"database: {where}")
        print(f"seeded {rows}; {data.text_bytes / 2**20:.0f} MB of message text")
        print(f"seeding took {t2 - t0:.1f} s (migrations {t1 - t0:.1f} s, rows {t2 - t1:.1f} s)")

        server = Server(workdir, url, args.code.resolve())
        ready = server.start()
        mem = server.memory()
        print(
            f"server pid {server.proc.pid} ready in {ready:.1f} s, "
            f"RSS {mem.get('VmRSS', 0) / 2**20:.0f} MB after start"
        )
        t3 = time.perf_counter()
        load_before = os.getloadavg()[0]
        report = measure(server, data, args.scale)
        t4 = time.perf_counter()
        print()
        print(
            "n: timed requests after warm-up; min: the fastest, in ms; a target applies to the "
            "p50 unless the line says p95; x baseline: the figure over the baseline's p50"
        )
        report.print()
        print()
        # Latencies on a shared machine move with its load; the ratios to the baseline less so.
        print(
            f"machine: {os.cpu_count()} CPUs, load average {load_before:.1f} before measuring, "
            f"{os.getloadavg()[0]:.1f} after"
        )
        total = report.passed + len(report.failed)
        failed = f": {'; '.join(report.failed)}" if report.failed else ""
        print(
            f"summary: {report.passed}/{total} PASS, {len(report.failed)} FAIL{failed} "
            f"(measuring {t4 - t3:.0f} s, total {t4 - started:.0f} s)"
        )
        return 0
    except Exception as error:
        print(f"bench_chats could not run: {error}", file=sys.stderr)
        if server is not None:
            print(server.log_tail(), file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.stop()
        if pg is not None:
            pg.stop()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
