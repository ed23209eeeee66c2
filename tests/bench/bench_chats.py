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
import itertools
import json
import math
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

OWNER = "benchuser"  # passed as --ChatExtApp.owner: the user every token request resolves to
OTHER = "otheruser"  # never logs in; its rows are there to prove the queries are scoped
CHATS_PER_USER = 10_000
MESSAGES_PER_CHAT = 10
BIG_MESSAGES = 1_250
BIG_BYTES = 30 * 1024 * 1024
BIG_TITLE = "Long running notebook review"
DAY_MS = 86_400_000

# Search words. None is a substring of any generated word, so each one's hits are exactly the
# rows it was planted in.
TITLE_COMMON = "kubernetes"  # ~4% of titles, never in message text
TITLE_RARE = "zanzibar"  # 3 titles per user, never in message text
TEXT_COMMON = "latency"  # ~3% of messages, never in titles
TEXT_RARE = "quetzal"  # 4 messages of the owner (old chats), 2 of the other user
NO_HIT = "xylograph"  # nowhere: a LIKE search reads every one of the owner's messages
OTHER_ONLY = "marmalade"  # only in the other user's titles: the owner must get nothing
MARKERS = (TITLE_COMMON, TITLE_RARE, TEXT_COMMON, TEXT_RARE, NO_HIT, OTHER_ONLY)

# The columns written, per table; checked against the ORM so that a schema change fails loudly
# here instead of seeding something the server no longer reads.
COLUMNS = {
    "users": ("id", "username", "name", "role", "created_at", "last_seen_at"),
    "tags": ("id", "user_id", "name", "key"),
    "chats": (
        "id",
        "user_id",
        "title",
        "folder_id",
        "pinned",
        "archived",
        "current_message_id",
        "created_at",
        "updated_at",
        "meta",
    ),
    "chat_tags": ("chat_id", "tag_id"),
    "messages": (
        "id",
        "chat_id",
        "user_id",
        "parent_id",
        "role",
        "content",
        "model",
        "created_at",
        "updated_at",
        "meta",
    ),
}


# -- text ----------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


DET = _words("the a this that each every some any our your its their one another no")
ADJ = _words("""
new old large small slow fast simple nested empty missing default local remote shared
private public final initial current previous next main extra typical broken stable strange
useful clean raw sorted unique optional invalid long short hidden visible global lazy strict
loose noisy quiet cheap expensive safe risky manual automatic daily weekly careful rough basic
complex stale fresh minor major hot cold warm dark bright""")
NOUN = _words("""
function loop variable table column index query server client request response file
folder notebook kernel cell plot chart figure model dataset sample row record field value key
list dictionary string number error warning message branch commit merge test fixture config
setting option user account password token session cache buffer queue thread process worker
task job schedule deadline meeting budget invoice report summary draft email letter essay
paragraph sentence word chapter story recipe garden kitchen oven dough flour sugar butter
travel ticket flight hotel museum city river mountain trail bike workout muscle habit sleep
coffee library package module import path script shell terminal container image volume network
port socket packet router firewall backup snapshot migration schema transaction lock timeout
retry deploy release version feature ticket review comment question answer idea plan goal
estimate metric graph histogram average median outlier gradient weight layer batch epoch
prompt embedding vector chunk document parser tokenizer encoder""")
VERB = _words("""
return store load parse build check split merge sort update fetch render send read
write open close scan match handle call raise catch compare convert format print count filter
group join map reduce clean train test measure plot draw cook bake slice mix plan book visit
pack walk explain describe review suggest improve fix break skip repeat copy move rename delete
create save restore deploy install upgrade configure start stop wrap log trace""")
PREP = _words(
    "in on with for from into over under after before between through without about by at"
)
ADV = _words("""
quickly usually often rarely probably already simply then still again really almost
carefully slowly twice first later soon instead""")
CONJ = _words("and but so because while although when unless since")

TITLE_WORDS = _words("""
Python pandas dataframe SQL query recipe travel Lisbon budget essay resume email
draft bug React component regex plot matplotlib garden workout plan summary meeting notes ideas
birthday gift story poem translation Spanish grammar interview questions Docker compose git
rebase conflict async tornado Jupyter widget notebook review outline lecture physics homework
taxes invoice landlord letter marathon training sourdough bread kitchen renovation CSV parsing
memory leak profiling benchmark Rust lifetimes TypeScript types FastAPI endpoint Postgres index
migration cron schedule""")

CODE = (
    "```python\ndef load(path):\n    with open(path) as f:\n        return json.load(f)\n```",
    "```sql\nSELECT id, title FROM chats WHERE user_id = ? ORDER BY updated_at DESC;\n```",
    '```bash\npip install -U "jupyterlab>=4" && jupyter lab --no-browser\n```',
    "```js\nconst rows = data.filter((r) => r.ok).map((r) => r.id);\n```",
)
MODELS = ("llama3.1:8b", "qwen2.5:14b", "gpt-4o-mini", "mistral-nemo")
TAG_NAMES = _words("""
work personal code writing research travel cooking health finance learning ideas
todo archive-me important reading""")


def _third_person(verb: str) -> str:
    return verb + ("es" if verb.endswith(("ch", "sh", "s", "x")) else "s")


class Corpus:
    """English-ish sentences: a fixed grammar over word lists, each list skewed so that a few
    words are common and most are rare, as in real text."""

    POOL = 30_000

    def __init__(self, rng: random.Random):
        self.rng = rng
        for word in itertools.chain(DET, ADJ, NOUN, VERB, PREP, ADV, CONJ, TITLE_WORDS):
            if any(marker in word.lower() for marker in MARKERS):
                raise AssertionError(f"{word!r} contains a search marker")
        slots = {"det": DET, "adj": ADJ, "noun": NOUN, "verb": VERB, "prep": PREP, "adv": ADV}
        slots["conj"] = CONJ
        self.slots = {}
        for name, words in slots.items():
            words = list(words)
            rng.shuffle(words)
            weights = list(itertools.accumulate((i + 1) ** -0.6 for i in range(len(words))))
            self.slots[name] = (words, weights)
        patterns = (
            "{Det} {adj} {noun} {verbs} {det} {noun} {prep} {det} {adj} {noun}.",
            "You can {verb} {det} {noun} {prep} {det} {noun} {adv}.",
            "{Det} {noun} {verbs} {adv} {conj} {det} {noun} {verbs} {det} {adj} {noun}.",
            "Why does {det} {noun} {verb} {prep} {det} {noun}?",
            "{Adv}, {det} {noun} {verbs} {det} {noun}.",
            "If {det} {noun} {verbs} {det} {noun}, {verb} {det} {adj} {noun} first.",
            "I {verb} {det} {adj} {noun} {prep} {det} {noun} {conj} it {verbs} {adv}.",
        )
        self.pool = [self._sentence(rng.choice(patterns)) for _ in range(self.POOL)]

    def _pick(self, slot: str) -> str:
        words, weights = self.slots[slot]
        return self.rng.choices(words, cum_weights=weights)[0]

    def _sentence(self, pattern: str) -> str:
        out = []
        for part in pattern.split("{")[1:]:
            name, _, rest = part.partition("}")
            key = name.lower()
            word = _third_person(self._pick("verb")) if key == "verbs" else self._pick(key)
            out.append((word.capitalize() if name[0].isupper() else word) + rest)
        return pattern.split("{")[0] + "".join(out)

    def text(self, lo: int, hi: int, *, code: bool = False) -> str:
        target = self.rng.randint(lo, hi)
        parts: list[str] = []
        size = 0
        while size < target:
            piece = self.rng.choice(self.pool)
            parts.append(piece)
            size += len(piece) + 1
        text = " ".join(parts)
        if code:
            snippet = self.rng.choice(CODE)
            text = text[: max(lo, hi - len(snippet) - 2)].rsplit(" ", 1)[0] + "\n\n" + snippet
        if len(text) > hi:
            text = text[:hi].rsplit(" ", 1)[0] + "."
        return text

    def long_text(self, size: int) -> str:
        """About ``size`` characters of paragraphs with an occasional code block."""
        out: list[str] = []
        total = -2  # the length of "\n\n".join(out)
        while total < size:
            if self.rng.random() < 0.08:
                piece = self.rng.choice(CODE)
            else:
                piece = " ".join(self.rng.choices(self.pool, k=self.rng.randint(3, 8)))
            out.append(piece)
            total += len(piece) + 2
        return "\n\n".join(out)[:size]

    def title(self) -> str:
        words = self.rng.sample(TITLE_WORDS, self.rng.randint(2, 5))
        words[0] = words[0][:1].upper() + words[0][1:]
        return " ".join(words)


def plant(text: str, word: str, rng: random.Random, hi: int = 400) -> str:
    sentence = rng.choice(
        (
            f"The {word} figure looks off.",
            f"Check the {word} first.",
            f"What about {word} here?",
        )
    )
    room = hi - len(sentence) - 1
    if len(text) > room:
        text = text[:room].rsplit(" ", 1)[0] + "."
    return f"{text} {sentence}"


# -- the data set --------------------------------------------------------------------------------


@dataclass(slots=True)
class ChatSpec:
    id: str
    user_id: str
    title: str
    pinned: bool
    archived: bool
    created_at: int
    updated_at: int
    gaps: list[int]
    tags: list[str]
    big: bool = False
    leaf: str | None = None


@dataclass
class DataSet:
    """What the seed wrote, as far as the measurements need to know."""

    owner_id: str
    other_id: str
    owner_chats: list[str] = field(default_factory=list)  # the 10-message ones
    big_chat: str = ""
    rows: dict[str, int] = field(default_factory=dict)
    text_bytes: int = 0
    expect: dict[str, int] = field(default_factory=dict)  # search word -> chats of the owner


class Seeder:
    def __init__(self, seed: int = 20261101):
        self.rng = random.Random(seed)
        self.corpus = Corpus(self.rng)
        self.now = int(time.time() * 1000)

    def new_id(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def plan(self) -> tuple[DataSet, list[tuple], list[tuple], list[ChatSpec], list[tuple]]:
        rng = self.rng
        owner_id, other_id = self.new_id(), self.new_id()
        data = DataSet(owner_id=owner_id, other_id=other_id)
        year_ago = self.now - 365 * DAY_MS
        # The server resolves the owner as (username=owner, name=owner, role=admin): matching
        # it exactly means the first request finds the row and writes nothing.
        users = [
            (owner_id, OWNER, OWNER, "admin", year_ago - DAY_MS, self.now - DAY_MS),
            (other_id, OTHER, "Other User", "user", year_ago - DAY_MS, self.now - DAY_MS),
        ]
        tags: list[tuple] = []
        tag_ids: dict[tuple[str, str], str] = {}
        for uid in (owner_id, other_id):
            for name in TAG_NAMES:
                tag_ids[uid, name] = tid = self.new_id()
                tags.append((tid, uid, name.capitalize(), name))

        specs: list[ChatSpec] = []
        for uid in (owner_id, other_id):
            chats = []
            for _ in range(CHATS_PER_USER):
                updated = rng.randint(year_ago, self.now - 3_600_000)
                gaps = [rng.randint(5_000, 180_000) for _ in range(MESSAGES_PER_CHAT - 1)]
                title = self.corpus.title()
                if rng.random() < 0.04:
                    title = f"{title} {TITLE_COMMON}"
                if uid == other_id and rng.random() < 0.03:
                    title = f"{OTHER_ONLY} {title}"
                tagged = rng.random() < 0.25
                chats.append(
                    ChatSpec(
                        id=self.new_id(),
                        user_id=uid,
                        title=title,
                        pinned=rng.random() < 0.02,
                        archived=rng.random() < 0.03,
                        created_at=updated - sum(gaps),
                        updated_at=updated,
                        gaps=gaps,
                        tags=rng.sample(TAG_NAMES, rng.randint(1, 3)) if tagged else [],
                    )
                )
            for spec in rng.sample(chats, 3):
                spec.title = f"Trip to {TITLE_RARE} {spec.title}"
                spec.archived = False
            specs.extend(chats)
        owner_chats = [s for s in specs if s.user_id == owner_id]
        data.owner_chats = [s.id for s in owner_chats]
        visible = [s for s in owner_chats if not s.archived]
        data.expect[TITLE_COMMON] = sum(TITLE_COMMON in s.title for s in visible)
        data.expect[TITLE_RARE] = sum(TITLE_RARE in s.title for s in visible)

        big_gaps = [rng.randint(20_000, 600_000) for _ in range(BIG_MESSAGES - 1)]
        big_updated = self.now - 3 * DAY_MS
        big = ChatSpec(
            id=self.new_id(),
            user_id=owner_id,
            title=BIG_TITLE,
            pinned=False,
            archived=False,
            created_at=big_updated - sum(big_gaps),
            updated_at=big_updated,
            gaps=big_gaps,
            tags=["work", "code"],
            big=True,
        )
        specs.append(big)
        data.big_chat = big.id
        # Real databases fill in time order, the two users' rows interleaved.
        specs.sort(key=lambda s: s.created_at)

        chat_tags = [(s.id, tag_ids[s.user_id, name]) for s in specs for name in s.tags]
        return data, users, tags, specs, chat_tags

    def messages(self, data: DataSet, specs: list[ChatSpec]) -> Iterator[tuple]:
        """Every message row, chat by chat; records each chat's leaf on its spec."""
        rng = self.rng
        # The rare word goes into old chats, so a search has to walk most of the list to find it.
        owner_old = sorted(
            (s for s in specs if s.user_id == data.owner_id and not s.big and not s.archived),
            key=lambda s: s.updated_at,
        )[:2000]
        other = [s for s in specs if s.user_id == data.other_id]
        rare = {(s.id, rng.randrange(MESSAGES_PER_CHAT)) for s in rng.sample(owner_old, 4)}
        rare |= {(s.id, rng.randrange(MESSAGES_PER_CHAT)) for s in rng.sample(other, 2)}
        data.expect[TEXT_RARE] = 4
        common_chats: set[str] = set()
        text_bytes = 0
        big_sizes = self._big_sizes()
        for spec in specs:
            parent = None
            at = spec.created_at
            count = BIG_MESSAGES if spec.big else MESSAGES_PER_CHAT
            for i in range(count):
                role = "user" if i % 2 == 0 else "assistant"
                if spec.big:
                    content = self.corpus.long_text(big_sizes[i])
                elif role == "user":
                    content = self.corpus.text(100, 300)
                else:
                    content = self.corpus.text(150, 400, code=rng.random() < 0.15)
                if not spec.big:
                    if (spec.id, i) in rare:
                        content = plant(content, TEXT_RARE, rng)
                    elif rng.random() < 0.03:
                        content = plant(content, TEXT_COMMON, rng)
                        if spec.user_id == data.owner_id and not spec.archived:
                            common_chats.add(spec.id)
                text_bytes += len(content)
                mid = self.new_id()
                meta = "{}"
                if role == "assistant":
                    usage = {"prompt_tokens": rng.randint(20, 4000), "completion_tokens": 0}
                    usage["completion_tokens"] = len(content) // 4
                    meta = json.dumps({"usage": usage})
                model = rng.choice(MODELS) if role == "assistant" else None
                yield (mid, spec.id, spec.user_id, parent, role, content, model, at, at, meta)
                parent = mid
                if i < count - 1:
                    at += spec.gaps[i]
            spec.leaf = parent
        data.expect[TEXT_COMMON] = len(common_chats)
        data.text_bytes = text_bytes

    def _big_sizes(self) -> list[int]:
        """Sizes summing to exactly BIG_BYTES: short questions, long answers."""
        rng = self.rng
        sizes = [
            rng.randint(100, 2000) if i % 2 == 0 else rng.randint(5_000, 90_000)
            for i in range(BIG_MESSAGES)
        ]
        answers = range(1, BIG_MESSAGES, 2)
        scale = (BIG_BYTES - sum(sizes[i] for i in range(0, BIG_MESSAGES, 2))) / sum(
            sizes[i] for i in answers
        )
        for i in answers:
            sizes[i] = max(1, int(sizes[i] * scale))
        sizes[-1] += BIG_BYTES - sum(sizes)
        return sizes


def chat_rows(specs: list[ChatSpec]) -> Iterator[tuple]:
    for s in specs:
        yield (s.id, s.user_id, s.title, None, s.pinned, s.archived, s.leaf, s.created_at,
               s.updated_at, "{}")  # fmt: skip


def check_columns() -> None:
    from jupyter_chat_ext.chats import orm as _chats  # noqa: F401  (registers the tables)
    from jupyter_chat_ext.core.orm import Base
    from jupyter_chat_ext.folders import orm as _folders  # noqa: F401
    from jupyter_chat_ext.users import orm as _users  # noqa: F401

    for name, columns in COLUMNS.items():
        actual = {c.name for c in Base.metadata.tables[name].columns}
        if actual != set(columns):
            raise SystemExit(
                f"The {name} table's columns changed ({sorted(actual)}); update COLUMNS and the "
                "row builders in tests/bench/bench_chats.py."
            )


class Counted:
    def __init__(self, rows: Iterable[tuple]):
        self.rows = iter(rows)
        self.count = 0

    def __iter__(self) -> Iterator[tuple]:
        for row in self.rows:
            self.count += 1
            yield row


def _insert_sql(table: str) -> str:
    cols = COLUMNS[table]
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"


def seed_sqlite(path: Path, seeder: Seeder) -> DataSet:
    data, users, tags, specs, chat_tags = seeder.plan()
    con = sqlite3.connect(path, isolation_level=None)
    try:
        # A throwaway file: no journal, no fsync. The server switches it back to WAL.
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA cache_size=-262144")
        con.execute("BEGIN")
        con.executemany(_insert_sql("users"), users)
        con.executemany(_insert_sql("tags"), tags)
        messages = Counted(seeder.messages(data, specs))
        # Messages first, since a chat's current_message_id is its last message's id; no
        # foreign keys are enforced on this connection.
        con.executemany(_insert_sql("messages"), messages)
        con.executemany(_insert_sql("chats"), chat_rows(specs))
        con.executemany(_insert_sql("chat_tags"), chat_tags)
        con.execute("COMMIT")
        con.execute("PRAGMA journal_mode=WAL")
    finally:
        con.close()
    data.rows = {
        "users": len(users),
        "tags": len(tags),
        "chats": len(specs),
        "chat_tags": len(chat_tags),
        "messages": messages.count,
    }
    return data


async def seed_postgres(url: str, seeder: Seeder) -> DataSet:
    import asyncpg

    data, users, tags, specs, chat_tags = seeder.plan()
    # Messages are generated before chats (a chat row needs its leaf's id), but chats must be
    # written first for the foreign key: hold the messages in memory, it is ~100 MB at most.
    messages = list(seeder.messages(data, specs))
    con = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        async with con.transaction():
            for table, rows in (
                ("users", users),
                ("tags", tags),
                ("chats", list(chat_rows(specs))),
                ("chat_tags", chat_tags),
                ("messages", messages),
            ):
                await con.copy_records_to_table(table, records=rows, columns=COLUMNS[table])
        # Autovacuum would do this within a minute of the load; do it now so plans are steady.
        await con.execute("ANALYZE")
    finally:
        await con.close()
    data.rows = {
        "users": len(users),
        "tags": len(tags),
        "chats": len(specs),
        "chat_tags": len(chat_tags),
        "messages": len(messages),
    }
    return data


async def migrate(url: str) -> None:
    from jupyter_chat_ext.core.db import create_engine
    from jupyter_chat_ext.migrations import migrate as run_migrations

    engine = create_engine(url)
    try:
        await run_migrations(engine)
    finally:
        await engine.dispose()


# -- the server ----------------------------------------------------------------------------------


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
