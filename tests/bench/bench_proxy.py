"""Proxy overhead: the fake upstream called directly and through a real Jupyter Server, one run.

    PYTHONPATH=. python tests/bench/bench_proxy.py [--scale 1.0]

Starts the fake upstream in its own process and ``jupyter server`` with the extension pointed at
it, then sends the same requests to both: a 200-chunk stream and a non-streamed reply, at
concurrency 1, 10 and 50, to ``/v1/chat/completions`` (DIRECT) and to
``/chat-ext/openai/v1/chat/completions`` (PROXY); then 200-chunk answers through the extension's
own ``/chat-ext/api/chat/completions`` (which also stores them), as follow-ups in one chat and as
new chats (each then named by the same upstream). It prints time to the first
content chunk (TTFT; for a non-streamed reply, to the response headers) and total time, p50 and
p99, the proxy's ADDED time, requests per second, the server's CPU time per streamed request
(from /proc/<pid>/stat) and whether every proxied stream carried the same chunks in the same
order as its direct twin. Each row has a target, a ratio to DIRECT and PASS or FAIL.
For the non-streamed c=50 batch it also shows floors: the same batch through bare Tornado
relays with the same transport and nothing of Jupyter or the extension (bare_relay.py), one a
``tornado.web`` handler and one Tornado's HTTP server alone; through the least Jupyter API
handler, authenticated and authorized, in the same server (jupyter_relay.py); and, where nginx
is installed, through nginx (nginx_floor.py), a relay that spends next to no CPU.
It is a report, run by hand: it exits 0 whatever the figures (1 only if it could not run).
The file name keeps it out of pytest's collection.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from jupyter_relay import PATH as JUPYTER_RELAY
from jupyter_relay import UPSTREAM
from nginx_floor import start_nginx_relay
from proxy_load import (
    Call,
    LoadClient,
    Sample,
    chat_api_stream,
    openai_body,
    openai_plain,
    openai_stream,
    pct,
    run_batch,
    run_paired,
)

from jupyter_chat_ext.testing.upstream import UpstreamProcess

ROOT = Path(__file__).resolve().parents[2]
BENCH = Path(__file__).resolve().parent
TOKEN = "bench-proxy-token"
CHUNKS = 200
STREAM_MODEL = f"fake-chat+chunks-{CHUNKS}"
PLAIN_MODEL = "fake-chat"
# (concurrency, requests) per batch and kind. A p99 needs a window long enough that one
# scheduler or collector hiccup is not most of its tail: 300 non-streamed requests at c=50 were
# over in about 0.1 s. These make each c=50 column last 1 to 3 s, and each of its slices hold
# four rounds of 50 or more, so that the start of a slice (50 requests at once) is not most
# of it either.
LEVELS = {
    "stream": ((1, 200), (10, 200), (50, 800)),
    "plain": ((1, 200), (10, 600), (50, 3000)),
}
CHAT_API_REQUESTS = 100
WARMUP = 20
# The server freezes its start-up objects out of the garbage collector once, this long after
# it is ready: a one-off pause of ~0.1 s that the figures of a running server leave out.
GC_FREEZE_DELAY = 2.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name may hold spaces; the fields after its closing parenthesis do not.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


async def floor_rows(calls: dict[str, Call], direct: Call, count: int) -> list[Row]:
    """The same batch through bare_relay.py's relays: what Tornado alone, with this
    transport, adds (with a RequestHandler, and with none); and through nginx. Each is paired
    with a direct batch of its own, in slices as the proxy's, so that its figure stands on
    the same footing: unpaired, one batch's p99 moved by 10 ms or more from the next's."""
    rows = []
    for layer, call in calls.items():
        await run_batch(call, 100, 50)  # its connections, both ways, as the others had theirs
        d, b = await run_paired((direct, call), count, 50)
        added = pct(b.total(), 99) - pct(d.total(), 99)
        rows.append(
            Row(
                f"plain c50 FLOOR {layer} ADDED total p99 (ms), req/s",
                f"{added:+.1f}, {b.rps:.0f}",
                "-",
                ratio(pct(b.total(), 99), pct(d.total(), 99)),
                "info" if not b.errors else "FAIL",
            )
        )
    return rows


def start_bare_relay(openai_url: str) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    """bare_relay.py's two relays: {"tornado.web": url, "HTTPServer": url}."""
    ports = {"tornado.web": free_port(), "HTTPServer": free_port()}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    script = Path(__file__).with_name("bare_relay.py")
    argv = [sys.executable, str(script), *map(str, ports.values()), openai_url]
    proc = subprocess.Popen(argv, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            for port in ports.values():
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            time.sleep(0.05)
            continue
        return proc, {k: f"http://127.0.0.1:{p}/v1/chat/completions" for k, p in ports.items()}
    proc.kill()
    raise RuntimeError("the bare relays did not start in 30 s")


def start_server(workdir: Path, openai_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(ROOT), str(BENCH), os.environ.get("PYTHONPATH")) if p
        ),
        UPSTREAM: openai_url,
        "JUPYTER_CONFIG_DIR": str(workdir / "config"),
        "JUPYTER_DATA_DIR": str(workdir / "data"),
        "JUPYTER_RUNTIME_DIR": str(workdir / "runtime"),
    }
    args = [
        sys.executable,
        "-m",
        "jupyter_server",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={workdir}",
        "--ServerApp.jpserver_extensions={'jupyter_chat_ext': True, 'jupyter_relay': True}",
        f"--ChatExtApp.db_url=sqlite:///{workdir / 'c.db'}",
        "--ChatExtApp.local_model=",
        "--ChatExtApp.local_embedding_model=",
        f"--ChatExtApp.openai_api_base_urls={openai_url}",
        f"--ChatExtApp.gc_freeze_delay={GC_FREEZE_DELAY}",
        "--log-level=WARN",
    ]
    if os.geteuid() == 0:
        args.append("--allow-root")
    log = (workdir / "server.log").open("wb")
    proc = subprocess.Popen(args, env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            r = httpx.get(
                f"{base}/chat-ext/api/users/me",
                headers={"Authorization": f"token {TOKEN}"},
                timeout=1,
            )
            if r.status_code == 200:
                # Counted from when the server became ready, which this answer follows.
                time.sleep(GC_FREEZE_DELAY + 0.5)
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    proc.terminate()
    proc.wait(10)
    tail = (workdir / "server.log").read_text(errors="replace")[-2000:]
    raise RuntimeError(f"jupyter server did not become ready in 60 s:\n{tail}")


@dataclass
class Row:
    name: str
    figure: str
    target: str
    ratio: str
    verdict: str


def ratio(proxy: float, direct: float) -> str:
    return f"x{proxy / direct:.2f}" if direct and not math.isnan(direct) else "-"


def verdict(ok: bool | None) -> str:
    return "info" if ok is None else ("PASS" if ok else "FAIL")


async def bench(
    args: argparse.Namespace, up_url: str, base: str, pid: int, bare_urls: dict[str, str]
) -> list[Row]:
    direct_url = f"{up_url}/chat/completions"
    proxy_url = f"{base}/chat-ext/openai/v1/chat/completions"
    chat_url = f"{base}/chat-ext/api/chat/completions"
    rows: list[Row] = []
    lost = reordered = compared = 0
    failures: list[str] = []
    direct = LoadClient()
    proxy = LoadClient({"Authorization": f"token {TOKEN}"})
    try:
        for kind, model, stream in (
            ("stream", STREAM_MODEL, True),
            ("plain", PLAIN_MODEL, False),
        ):
            fetch = openai_stream if stream else openai_plain

            def caller(
                client: LoadClient,
                url: str,
                tag: str,
                fetch: Callable[..., Awaitable[Sample]] = fetch,
                model: str = model,
                stream: bool = stream,
            ) -> Call:
                # Each request says something different, so a swapped or mixed-up stream
                # would not match its direct twin.
                return lambda n: fetch(client, url, openai_body(model, f"{tag} {n}", stream))

            # Warm-up: connections, the server's model list and its code paths.
            await run_batch(caller(direct, direct_url, "warm"), WARMUP, 5)
            await run_batch(caller(proxy, proxy_url, "warm"), WARMUP, 5)
            for concurrency, count in LEVELS[kind]:
                count = max(concurrency, int(count * args.scale))
                tag = f"{kind} c{concurrency}"
                cpu0 = cpu_seconds(pid)
                d, p = await run_paired(
                    (caller(direct, direct_url, tag), caller(proxy, proxy_url, tag)),
                    count,
                    concurrency,
                )
                # The server idles while DIRECT runs, so this is the proxied requests' CPU.
                cpu = cpu_seconds(pid) - cpu0
                failures += [f"direct {tag} {e}" for e in d.errors]
                failures += [f"proxy {tag} {e}" for e in p.errors]
                lost += len(d.samples) - len(p.samples)
                for i, sample in p.samples.items():
                    twin = d.samples.get(i)
                    if twin is None:
                        continue
                    compared += 1
                    if stream and len(twin.pieces) != CHUNKS:
                        failures.append(f"direct {tag} #{i}: {len(twin.pieces)} chunks")
                    if sample.pieces != twin.pieces:
                        if sorted(sample.pieces) == sorted(twin.pieces):
                            reordered += 1
                        else:
                            lost += 1
                added_ttft50 = pct(p.ttft(), 50) - pct(d.ttft(), 50)
                added_ttft99 = pct(p.ttft(), 99) - pct(d.ttft(), 99)
                added_tot50 = pct(p.total(), 50) - pct(d.total(), 50)
                added_tot99 = pct(p.total(), 99) - pct(d.total(), 99)
                first = "TTFT" if stream else "headers"
                for label, b in (("DIRECT", d), ("PROXY", p)):
                    rows.append(
                        Row(
                            f"{tag} {label} {first} p50/p99, total p50/p99 (ms)",
                            f"{pct(b.ttft(), 50):.1f}/{pct(b.ttft(), 99):.1f}, "
                            f"{pct(b.total(), 50):.1f}/{pct(b.total(), 99):.1f}",
                            "-",
                            "-"
                            if label == "DIRECT"
                            else ratio(pct(p.total(), 50), pct(d.total(), 50)),
                            "info",
                        )
                    )
                ttft_target = "-"
                ttft_ok: bool | None = None
                if stream and concurrency == 1:
                    ttft_target = "<=2 / <=5"
                    ttft_ok = added_ttft50 <= 2 and added_ttft99 <= 5
                rows.append(
                    Row(
                        f"{tag} ADDED {first} p50/p99 (ms)",
                        f"{added_ttft50:+.1f}/{added_ttft99:+.1f}",
                        ttft_target,
                        ratio(pct(p.ttft(), 50), pct(d.ttft(), 50)),
                        verdict(ttft_ok),
                    )
                )
                tot_ok = added_tot99 <= 15 if concurrency == 50 else None
                rows.append(
                    Row(
                        f"{tag} ADDED total p50/p99 (ms)",
                        f"{added_tot50:+.1f}/{added_tot99:+.1f}",
                        "p99 <=15" if concurrency == 50 else "-",
                        ratio(pct(p.total(), 99), pct(d.total(), 99)),
                        verdict(tot_ok),
                    )
                )
                if not stream and concurrency == 50:
                    floors = {k: caller(direct, url, tag) for k, url in bare_urls.items()}
                    floors["Jupyter handler"] = caller(proxy, f"{base}/{JUPYTER_RELAY}", tag)
                    rows += await floor_rows(floors, caller(direct, direct_url, tag), count)
                rps_ok = p.rps >= 0.6 * d.rps if stream and concurrency == 50 else None
                rows.append(
                    Row(
                        f"{tag} req/s DIRECT / PROXY",
                        f"{d.rps:.0f} / {p.rps:.0f}",
                        ">=60% direct" if rps_ok is not None else "-",
                        ratio(p.rps, d.rps),
                        verdict(rps_ok),
                    )
                )
                if stream and concurrency == 1:
                    # Sequential requests, so the server's CPU time is all theirs.
                    per = cpu / max(1, len(p.samples)) * 1000
                    rows.append(
                        Row(
                            f"server CPU per {CHUNKS}-chunk proxied request",
                            f"{per:.2f} ms",
                            "<=5 ms",
                            "-",
                            verdict(per <= 5),
                        )
                    )
        # The extension's own API: two messages stored per request, in a new chat each time
        # (which also names the chat afterwards, from the same upstream) or in one chat.
        chat = lambda i: chat_api_stream(  # noqa: E731
            proxy, chat_url, {"model": STREAM_MODEL, "content": f"chat api {i}"}
        )
        await run_batch(chat, WARMUP // 2, 1)
        count = max(1, int(CHAT_API_REQUESTS * args.scale))
        d = await run_batch(
            lambda i: openai_stream(
                direct, direct_url, openai_body(STREAM_MODEL, f"chat api {i}", True)
            ),
            count,
            1,
        )
        c = await run_batch(chat, count, 1)
        chat_id = (await proxy.post_json(f"{base}/chat-ext/api/chats", {}))["id"]
        follow = await run_batch(
            lambda i: chat_api_stream(
                proxy,
                chat_url,
                {"model": STREAM_MODEL, "content": f"follow-up {i}", "chat_id": chat_id},
            ),
            count,
            1,
        )
        chat_failures = [f"chat api {e}" for e in c.errors + follow.errors]
        for i, sample in c.samples.items():
            twin = d.samples.get(i)
            if twin is not None and "".join(sample.pieces) != "".join(twin.pieces):
                chat_failures.append(f"chat api #{i}: text differs from direct")
        failures += chat_failures
        direct_ttft = pct(d.ttft(), 50)
        for label, batch, target in (("follow-up", follow, True), ("new chat", c, False)):
            added = pct(batch.ttft(), 50) - direct_ttft
            rows.append(
                Row(
                    f"chat API c1 {label} DIRECT / CHAT TTFT p50/p99 (ms)",
                    f"{direct_ttft:.1f}/{pct(d.ttft(), 99):.1f} / "
                    f"{pct(batch.ttft(), 50):.1f}/{pct(batch.ttft(), 99):.1f}",
                    "-",
                    "-",
                    "info",
                )
            )
            rows.append(
                Row(
                    f"chat API c1 {label} ADDED TTFT p50 (ms)",
                    f"{added:+.1f}",
                    "<=10" if target else "-",
                    ratio(pct(batch.ttft(), 50), direct_ttft),
                    verdict(added <= 10) if target else "info",
                )
            )
        rows.append(
            Row(
                "chat API answers failed or unlike direct (of sent)",
                f"{len(chat_failures)} ({2 * count})",
                "0",
                "-",
                verdict(not chat_failures),
            )
        )
        rows.append(
            Row(
                "chat API c1 total p50/p99 (ms)",
                f"{pct(c.total(), 50):.1f}/{pct(c.total(), 99):.1f}",
                "-",
                ratio(pct(c.total(), 50), pct(d.total(), 50)),
                "info",
            )
        )
    finally:
        await direct.aclose()
        await proxy.aclose()
    rows.append(
        Row(
            "proxied streams lost / reordered (of compared)",
            f"{lost} / {reordered} ({compared})",
            "0 / 0",
            "-",
            verdict(lost == 0 and reordered == 0 and len(failures) == len(chat_failures)),
        )
    )
    for line in failures[:10]:
        print(f"  failure: {line}")
    if len(failures) > 10:
        print(f"  ... {len(failures) - 10} more failures")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply every request count (0.2: quick look)"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="chat-ext-proxy-") as tmp,
        UpstreamProcess("--model", PLAIN_MODEL, "--model", STREAM_MODEL) as up,
    ):
        proc, base = start_server(Path(tmp), up.openai_url)
        bare, bare_urls = start_bare_relay(up.openai_url)
        nginx = start_nginx_relay(up.openai_url, Path(tmp) / "nginx", free_port())
        if nginx is not None:
            bare_urls["nginx"] = nginx[1]
        try:
            rows = asyncio.run(bench(args, up.openai_url, base, proc.pid, bare_urls))
        finally:
            for relay in (bare, nginx[0] if nginx else None):
                if relay is not None:
                    relay.terminate()
                    relay.wait(10)
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    load = os.getloadavg()[0]
    print(
        f"machine: {os.cpu_count()} CPUs, load {load:.1f}; client, fake upstream and server "
        f"share them; run time {time.perf_counter() - started:.0f} s"
    )
    for row in rows:
        print(f"{row.name:<58} {row.figure:>26} {row.target:>13} {row.ratio:>7}  {row.verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
