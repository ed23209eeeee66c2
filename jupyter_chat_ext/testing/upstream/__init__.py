"""Fake upstream model servers speaking the OpenAI (`/v1`) and Ollama (`/api`) wire formats.

Three ways to run one, all with the same switches (`set_faults`, `update_settings`, `reset`)
and records (`requests`, `disconnects`, `wait_for_disconnects`):

- `FakeUpstream`: inside the test's event loop (`async with FakeUpstream() as up`);
- `UpstreamThread`: in a background thread, for synchronous tests;
- `UpstreamProcess` / `python -m jupyter_chat_ext.testing.upstream`: in another process,
  driven over `POST /_control` (`RemoteUpstream` drives one started elsewhere).
"""

from .content import ECHO_PREFIX, compose, embedding, reasoning_for, reply_for, split_chunks
from .faults import Faults, RefusedPort, refused_url
from .process import RemoteUpstream, UpstreamProcess
from .records import Disconnect, RecordedRequest
from .server import FakeUpstream
from .state import Settings
from .thread import UpstreamThread

__all__ = [
    "ECHO_PREFIX",
    "Disconnect",
    "FakeUpstream",
    "Faults",
    "RecordedRequest",
    "RefusedPort",
    "RemoteUpstream",
    "Settings",
    "UpstreamProcess",
    "UpstreamThread",
    "compose",
    "embedding",
    "reasoning_for",
    "refused_url",
    "reply_for",
    "split_chunks",
]
