"""A TCP relay in front of the test server, which a test turns on, off or cuts, as a network
between a kernel and its server would: the server itself goes on as it was."""

from __future__ import annotations

import contextlib
import socket
import threading


class Relay:
    """Forwards 127.0.0.1:``port`` to ``target_port``; refuses connections until ``start()``."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._hold_marker: bytes | None = None
        self._released = threading.Event()

    def __enter__(self) -> Relay:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Break every connection open now; new ones are relayed as before."""
        with self._lock:
            cut, self._open = self._open, set()
        for sock in cut:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def hold_after(self, marker: bytes) -> None:
        """Keep what the server sends back on the connection whose request holds ``marker``
        (a network that stalls) until ``release()``; the server writes on meanwhile."""
        self._released.clear()
        self._hold_marker = marker

    def release(self) -> None:
        self._hold_marker = None
        self._released.set()

    def stop(self) -> None:
        if self._listener is not None:
            # Shut down first: a socket closed while a thread waits in accept() stays bound.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        self.cut()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open |= {client, upstream}
            held = threading.Event()
            for source, sink, asking in ((client, upstream, True), (upstream, client, False)):
                args = (source, sink, asking, held)
                threading.Thread(target=self._pump, args=args, daemon=True).start()

    def _pump(
        self, source: socket.socket, sink: socket.socket, asking: bool, held: threading.Event
    ) -> None:
        try:
            while data := source.recv(65536):
                marker = self._hold_marker
                if asking and marker is not None and marker in data:
                    held.set()
                elif not asking and held.is_set():
                    self._released.wait()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
