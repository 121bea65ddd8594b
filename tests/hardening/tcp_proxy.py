"""A small TCP proxy that tests switch on and off to cause outages.

The proxy listens on ``127.0.0.1:<free port>`` and forwards every connection to
a target (PostgreSQL, Redis). A test points the application at the proxy, never
at the shared service itself, and then simulates an outage without touching
the service:

- ``up()``: forward new connections.
- ``down()``: cut every open connection (TCP reset) and reset new ones at once,
  as a crashed server or a rebooting host would.
- ``blackhole()``: cut every open connection and accept new ones without ever
  answering, as a network partition does: clients wait for their own timeout.

Every thread is a daemon, polls a stop flag and is joined with a timeout, so
``close()`` returns in bounded time even when a client misbehaves.
"""

import contextlib
import enum
import selectors
import socket
import struct
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Self

_POLL_SECONDS = 0.1
_CHUNK_BYTES = 64 * 1024
_JOIN_SECONDS = 2.0
# Bounds a send to a peer that stopped reading (recv only runs when data waits).
_SEND_SECONDS = 5.0


class Mode(enum.Enum):
    UP = "up"
    DOWN = "down"
    BLACKHOLE = "blackhole"


def _reset(sock: socket.socket) -> None:
    """Close ``sock`` with a TCP reset instead of an orderly FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class _Pipe:
    """One client connection and its upstream connection, pumped by one thread."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client = client
        self.upstream = upstream
        self.closed = threading.Event()

    def cut(self) -> None:
        if not self.closed.is_set():
            self.closed.set()
            _reset(self.client)
            _reset(self.upstream)

    def pump(self) -> None:
        peer = {self.client: self.upstream, self.upstream: self.client}
        with selectors.DefaultSelector() as selector:
            try:
                selector.register(self.client, selectors.EVENT_READ)
                selector.register(self.upstream, selectors.EVENT_READ)
                while not self.closed.is_set():
                    for key, _events in selector.select(_POLL_SECONDS):
                        source: socket.socket = key.fileobj  # type: ignore[assignment]
                        data = source.recv(_CHUNK_BYTES)
                        if not data:
                            raise ConnectionAbortedError
                        peer[source].sendall(data)
            except (OSError, ValueError):
                pass  # either side went away, or cut() closed the sockets
            finally:
                self.cut()


class TcpProxy:
    """Forward ``127.0.0.1:<port>`` to ``target_host:target_port``."""

    def __init__(
        self, target_host: str, target_port: int, *, connect_timeout: float = 3.0
    ) -> None:
        self.target = (target_host, target_port)
        self.connect_timeout = connect_timeout
        self.mode = Mode.UP
        self.connections_total = 0
        self._lock = threading.Lock()
        self._pipes: set[_Pipe] = set()
        self._held: set[socket.socket] = set()
        self._threads: set[threading.Thread] = set()
        self._stop = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self._listener.settimeout(_POLL_SECONDS)
        self.port: int = self._listener.getsockname()[1]
        self._acceptor = threading.Thread(
            target=self._accept_loop, name=f"tcp-proxy-{self.port}", daemon=True
        )
        self._acceptor.start()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._pipes)

    def up(self) -> None:
        """Forward new connections again."""
        with self._lock:
            self.mode = Mode.UP
            held, self._held = self._held, set()
        for sock in held:
            _reset(sock)

    def down(self) -> None:
        """Cut every open connection and reset new ones."""
        self._switch(Mode.DOWN)

    def blackhole(self) -> None:
        """Cut every open connection and leave new ones unanswered."""
        self._switch(Mode.BLACKHOLE)

    def close(self) -> None:
        """Stop accepting, cut everything and join the threads (bounded)."""
        self._stop.set()
        self._switch(Mode.DOWN)
        with contextlib.suppress(OSError):
            self._listener.close()
        self._acceptor.join(_JOIN_SECONDS)
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(_JOIN_SECONDS)

    def _switch(self, mode: Mode) -> None:
        with self._lock:
            self.mode = mode
            pipes, self._pipes = self._pipes, set()
            held, self._held = self._held, set()
        for pipe in pipes:
            pipe.cut()
        for sock in held:
            _reset(sock)

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # listener closed
            client.settimeout(_SEND_SECONDS)
            with self._lock:
                self.connections_total += 1
                mode = self.mode
                if mode is Mode.BLACKHOLE:
                    self._held.add(client)
            if mode is Mode.DOWN:
                _reset(client)
            elif mode is Mode.UP:
                self._spawn(self._connect, client)

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        with self._lock:
            self._threads = {t for t in self._threads if t.is_alive()}
            self._threads.add(thread)
        thread.start()

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, self.connect_timeout)
        except OSError:
            _reset(client)
            return
        upstream.settimeout(_SEND_SECONDS)
        pipe = _Pipe(client, upstream)
        with self._lock:
            if self.mode is not Mode.UP:
                pipe.cut()
                return
            self._pipes.add(pipe)
        try:
            pipe.pump()
        finally:
            with self._lock:
                self._pipes.discard(pipe)
