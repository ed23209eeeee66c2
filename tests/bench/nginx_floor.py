"""A floor below any Python server: nginx relaying the same batch to the same upstream, with
kept-alive connections both ways and no access log. Shown only where nginx is installed
(Debian's nginx-light); nothing else needs it.

A relay that spends almost no CPU shows what the c=50 figures can read on this machine when
the relay's own work is taken away: what is left is the client's and the upstream's share of
the same cores, and the scheduler's noise.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

CONFIG = """\
daemon off;
master_process off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    upstream fake {{ server {upstream}; keepalive 128; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://fake;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
        }}
    }}
}}
"""


def start_nginx_relay(
    openai_url: str, tmp: Path, port: int
) -> tuple[subprocess.Popen[bytes], str] | None:
    """nginx in front of the upstream: (process, chat completions URL), or None without nginx."""
    binary = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if binary is None:
        return None
    up = urlsplit(openai_url)
    tmp.mkdir(parents=True, exist_ok=True)
    conf = tmp / "nginx.conf"
    conf.write_text(CONFIG.format(tmp=tmp, upstream=up.netloc, port=port))
    proc = subprocess.Popen(
        [binary, "-p", str(tmp), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            time.sleep(0.05)
            continue
        return proc, f"http://127.0.0.1:{port}{up.path}/chat/completions"
    proc.kill()
    proc.wait()
    return None
