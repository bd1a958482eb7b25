"""A small threaded HTTP server for provider fakes.

Each fake subclasses FakeServer and registers handlers with `route(method,
pattern)`. Every request is recorded (`received`); faults can be queued:
`fail_next(status, body, headers, times)` answers errors, `hang_next(seconds)`
answers slowly. Fakes run on 127.0.0.1 on a free port; `url` is their base.

Run one on its own (for bench scripts and demos):
    python -m tests.fakes.ringcentral --port 9100
"""

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.time)

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    content_type: str = "application/json"


@dataclass
class _Fault:
    reply: Reply | None
    delay: float
    times: int
    path_pattern: str | None


Handler = Callable[[Received, dict[str, str]], Reply]


class FakeServer:
    """A provider fake: routes, recorded requests and queued faults."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes: list[tuple[str, re.Pattern, Handler]] = []
        self.received: list[Received] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self.host, self.port = host, port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.register()

    def register(self) -> None:
        """Register the fake's routes (subclasses)."""

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method.upper(), re.compile(f"^{pattern}$"), handler))

    # --- faults ---------------------------------------------------------------
    def fail_next(
        self,
        status: int,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        times: int = 1,
        path: str | None = None,
    ) -> None:
        """Answer the next `times` requests (matching `path` regex if given) with this error."""
        with self._lock:
            self._faults.append(_Fault(Reply(status, body, headers or {}), 0.0, times, path))

    def hang_next(self, seconds: float, *, times: int = 1, path: str | None = None) -> None:
        """Wait `seconds` before answering the next `times` requests normally."""
        with self._lock:
            self._faults.append(_Fault(None, seconds, times, path))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.path_pattern is None or re.search(fault.path_pattern, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def requests_to(self, method: str, pattern: str) -> list[Received]:
        regex = re.compile(pattern)
        return [r for r in self.received if r.method == method.upper() and regex.search(r.path)]

    # --- serving --------------------------------------------------------------
    def dispatch(self, received: Received) -> Reply:
        with self._lock:
            self.received.append(received)
        fault = self._take_fault(received.path)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.reply is not None:
                return fault.reply
        for method, regex, handler in self.routes:
            match = regex.match(received.path)
            if match and method == received.method:
                return handler(received, match.groupdict())
        return Reply(404, {"errors": [{"code": "not_found", "title": "No such route in the fake"}]})

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> "FakeServer":
        fake = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                received = Received(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                reply = fake.dispatch(received)
                payload = (
                    reply.raw
                    if reply.raw is not None
                    else (b"" if reply.body is None else json.dumps(reply.body).encode())
                )
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, format, *args):  # noqa: A002 - keep test output quiet
                pass

        self._server = ThreadingHTTPServer((self.host, self.port), RequestHandler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def serve_forever_cli(self) -> None:
        """Run in the foreground until interrupted (python -m tests.fakes.<name>)."""
        self.start()
        print(f"{type(self).__name__} listening on {self.url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            self.stop()
