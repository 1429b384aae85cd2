"""Throwaway servers for the tests of every tree: loopback ports, redis-server, a TCP proxy.

Import it as ``testing_support.servers`` (the root ``conftest.py`` makes the
package importable). Nothing here imports Flask or our packages.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import socket
import subprocess
import threading
import time
from typing import Callable


def wait_until(condition: Callable[[], bool], timeout: float = 5.0, interval: float = 0.05) -> bool:
    """Poll ``condition`` until it is true or ``timeout`` seconds passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def port_answers(port: int) -> bool:
    """Whether something accepts TCP connections on the loopback ``port``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def find_free_port(host: str = "127.0.0.1") -> int:
    """A loopback TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def redis_server_path() -> str | None:
    """The ``redis-server`` executable, or None when it is not installed."""
    found = shutil.which("redis-server")
    if found:
        return found
    return "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None


class RedisServer:
    """A throwaway ``redis-server`` on a loopback port: start, stop, stall, resume, restart."""

    def __init__(self, port: int, *extra_args: str) -> None:
        self.port = port
        self.extra_args = extra_args
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [redis_server_path() or "redis-server", "--port", str(self.port)]
        command += ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", *self.extra_args]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        if not wait_until(lambda: port_answers(self.port), timeout=10):
            self.stop()
            raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)  # a stalled server cannot exit
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        wait_until(lambda: not port_answers(self.port), timeout=5)

    def stall(self) -> None:
        """Freeze the server: connections stay open, nothing is answered."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def ping_calls(self) -> int:
        """How many PING commands this server has answered since it started."""
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)
        try:
            stats = client.info("commandstats")
        finally:
            client.close()
        return int(stats.get("cmdstat_ping", {}).get("calls", 0))


class TcpProxy:
    """A loopback TCP proxy to ``target`` that can be stalled, resumed, stopped and restarted.

    Stalled, it still accepts connections but forwards nothing in either
    direction (data waits in the socket buffers until it resumes).
    ``connections`` counts accepted connections and ``client_chunks`` the
    reads forwarded from clients to the target (about one per query).
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = find_free_port()
        self.connections = 0
        self.client_chunks = 0
        self._forwarding = threading.Event()
        self._forwarding.set()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None

    def start(self) -> None:
        self._stopping.clear()
        self._forwarding.set()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.settimeout(0.1)
        self._spawn(self._accept_loop, self._listener)

    def stall(self) -> None:
        self._forwarding.clear()

    def resume(self) -> None:
        self._forwarding.set()

    def stop(self) -> None:
        """Close the listener and every connection; bounded wait for the threads."""
        self._stopping.set()
        self._forwarding.set()
        with self._lock:
            sockets, self._sockets = list(self._sockets), set()
            threads, self._threads = self._threads, []
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in threads:
            thread.join(timeout=2)

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=2)
            except OSError:
                client.close()
                continue
            with self._lock:
                self.connections += 1
                self._sockets.update((client, upstream))
            self._spawn(self._pump, client, upstream)

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        peers = {client: upstream, upstream: client}
        with selectors.DefaultSelector() as selector:
            for sock in peers:
                sock.setblocking(False)
                selector.register(sock, selectors.EVENT_READ)
            while not self._stopping.is_set():
                if not self._forwarding.wait(timeout=0.1):
                    continue
                try:
                    for key, _ in selector.select(timeout=0.1):
                        source: socket.socket = key.fileobj  # type: ignore[assignment]
                        data = source.recv(65536)
                        if not data:
                            raise ConnectionError("closed")
                        if source is client:
                            with self._lock:
                                self.client_chunks += 1
                        target = peers[source]
                        target.setblocking(True)
                        target.sendall(data)
                        target.setblocking(False)
                except (OSError, ValueError, KeyError):
                    break
        for sock in peers:
            sock.close()
