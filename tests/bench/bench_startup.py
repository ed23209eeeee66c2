"""Start-up cost of the extension: a Jupyter Server with it and without it, in the same run.

    PYTHONPATH=. python tests/bench/bench_startup.py [--rounds 7]

Alternates the two servers so that machine noise falls on both alike, and prints the median
time from process start to the first answered request, the idle memory (VmRSS) once ready,
the differences against their targets (≤ 300 ms, ≤ 80 MB), and whether torch or transformers
were loaded (they must not be, until a local model is used). A report: it always exits 0.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "bench-startup-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def heavy_modules_loaded(pid: int) -> bool:
    maps = Path(f"/proc/{pid}/maps").read_text()
    return "torch" in maps or "transformers" in maps


def start_once(with_extension: bool, workdir: Path) -> tuple[float, float, bool]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "JUPYTER_CONFIG_DIR": str(workdir / "config"),
        "JUPYTER_DATA_DIR": str(workdir / "data"),
        "JUPYTER_RUNTIME_DIR": str(workdir / "runtime"),
    }
    enabled = "True" if with_extension else "False"
    args = [
        sys.executable,
        "-m",
        "jupyter_server",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={workdir}",
        f"--ServerApp.jpserver_extensions={{'jupyter_chat_ext': {enabled}}}",
        f"--ChatExtApp.db_url=sqlite:///{workdir / 'chat.db'}",
    ]
    if os.geteuid() == 0:
        args.append("--allow-root")
    started = time.perf_counter()
    proc = subprocess.Popen(
        args, env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        url = f"http://127.0.0.1:{port}/api/status"
        deadline = started + 60
        while time.perf_counter() < deadline:
            try:
                if (
                    httpx.get(
                        url, headers={"Authorization": f"token {TOKEN}"}, timeout=1
                    ).status_code
                    == 200
                ):
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.01)
        else:
            raise RuntimeError("server did not start in 60 s")
        ready = time.perf_counter() - started
        api_ready = float("nan")
        if with_extension:
            # The extension's own API answers once its services are built, from a warm database
            # (a request that comes sooner waits for them).
            r = httpx.get(
                f"http://127.0.0.1:{port}/chat-ext/api/users/me",
                headers={"Authorization": f"token {TOKEN}"},
                timeout=30,
            )
            assert r.status_code == 200, r.text
            api_ready = time.perf_counter() - started
        time.sleep(1.0)
        return ready, api_ready, rss_mb(proc.pid), heavy_modules_loaded(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    results: dict[bool, list[tuple[float, float, float, bool]]] = {True: [], False: []}
    with tempfile.TemporaryDirectory(prefix="chat-ext-startup-") as tmp:
        for i in range(rounds + 1):
            for with_ext in (False, True) if i % 2 else (True, False):
                sample = start_once(with_ext, Path(tmp))
                if i:  # the first round warms the disk cache and creates the database
                    results[with_ext].append(sample)
    base_t = statistics.median(s[0] for s in results[False]) * 1000
    ext_t = statistics.median(s[0] for s in results[True]) * 1000
    api_t = statistics.median(s[1] for s in results[True]) * 1000
    base_m = statistics.median(s[2] for s in results[False])
    ext_m = statistics.median(s[2] for s in results[True])
    heavy = any(s[3] for s in results[True])
    rows = [
        ("server ready, without the extension (baseline)", f"{base_t:.0f} ms", "-", "info"),
        ("server ready, with the extension", f"{ext_t:.0f} ms", "-", "info"),
        ("added start-up time", f"{ext_t - base_t:+.0f} ms", "<= 300 ms", ext_t - base_t <= 300),
        ("chat-ext API answering, after the baseline", f"{api_t - base_t:+.0f} ms", "-", "info"),
        ("idle RSS without / with", f"{base_m:.0f} / {ext_m:.0f} MB", "-", "info"),
        ("added idle RSS", f"{ext_m - base_m:+.1f} MB", "<= 80 MB", ext_m - base_m <= 80),
        ("torch or transformers loaded at start", "yes" if heavy else "no", "no", not heavy),
    ]
    load = os.getloadavg()[0]
    print(f"{rounds} rounds each, medians; machine: {os.cpu_count()} CPUs, load {load:.1f}")
    for name, figure, target, ok in rows:
        verdict = ok if isinstance(ok, str) else ("PASS" if ok else "FAIL")
        print(f"{name:<50} {figure:>16} {target:>12}  {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
