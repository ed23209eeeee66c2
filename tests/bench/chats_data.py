"""The chats benchmark's data set: realistic chats for two users, written straight into SQLite."""

from __future__ import annotations

import itertools
import json
import random
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

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
