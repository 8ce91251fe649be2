"""Files served on 127.0.0.1 only, for the download tests and the reliability trials: no test reaches the network."""

from __future__ import annotations

import contextlib
import functools
import socket
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _Quiet(SimpleHTTPRequestHandler):
    seen: list[str]

    def do_GET(self) -> None:  # noqa: N802 (name fixed by http.server)
        self.seen.append(self.path)
        super().do_GET()

    def log_message(self, *args: object) -> None:  # keep the test output quiet
        pass


@contextlib.contextmanager
def mirror(folder: Path) -> Iterator[tuple[str, list[str]]]:
    """Serve `folder` on a free port of 127.0.0.1 only; yields (base URL, paths requested)."""
    seen: list[str] = []
    handler = type("Handler", (_Quiet,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def closed_port_url(path: str) -> str:
    """A URL on a loopback port that was free a moment ago: a download from it is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/{path}"
