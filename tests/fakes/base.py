"""A small threaded HTTP server for provider fakes.

Each fake subclasses FakeServer and registers handlers with `route(method,
pattern)`. Every request is recorded (`received`); faults can be queued:
`fail_next(status, body, headers, times)` answers errors, `hang_next(seconds)`
answers slowly; `set_chaos(...)` answers a random share of matching requests with
500s, 429s with Retry-After, or hangs (wait, then 504 without handling the request,
so a client that gave up has sent nothing). Each recorded request keeps the status
it got (`status`), the fault it met (`fault`: "", "error", "rate-limit", "hang"),
the Retry-After given and the JSON answered (`reply`). Fakes run on 127.0.0.1 on a
free port; `url` is their base.

Run one on its own (for bench scripts and demos):
    python -m tests.fakes.ringcentral --port 9100 [--control]
With `--control` the fake also serves, unrecorded (bench/drillkit.py uses them):
    GET  /_fake/log?since=N   recorded requests from number N on (secret-looking keys dropped)
    POST /_fake/chaos         JSON: the keyword arguments of `set_chaos` ({} turns it off)
    POST /_fake/clear         drop queued faults and chaos
"""

import contextlib
import json
import random
import re
import socket
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
    status: int | None = None  # the status answered (None while being handled)
    fault: str = ""  # "", "error", "rate-limit", "hang" (a fault that answered it)
    retry_after: float | None = None  # the Retry-After answered with a 429
    reply: Any = None  # the JSON body answered
    peer: str = ""  # the client's host:port: two requests on one kept-alive connection share it

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


@dataclass
class Chaos:
    """Random faults for requests whose path matches `path` (every request when None)."""

    error_share: float = 0.0  # answered 500
    rate_limit_share: float = 0.0  # answered 429 with Retry-After: retry_after
    retry_after: float = 2.0
    hang_share: float = 0.0  # wait hang_seconds, then 504 without handling the request
    hang_seconds: float = 0.0
    path: str | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)  # noqa: S311 - test faults, not crypto

    def pick(self, path: str) -> str:
        if self.path is not None and not re.search(self.path, path):
            return ""
        roll = self._random.random()
        for kind, share in (
            ("error", self.error_share),
            ("rate-limit", self.rate_limit_share),
            ("hang", self.hang_share),
        ):
            if roll < share:
                return kind
            roll -= share
        return ""


_SECRET_KEYS = frozenset({"key", "api_key", "password", "access_token", "refresh_token", "authorization"})


def _public(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _public(v) for k, v in value.items() if str(k).lower() not in _SECRET_KEYS}
    if isinstance(value, list):
        return [_public(v) for v in value]
    return value


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now: the one helper tests and bench scripts share."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


Handler = Callable[[Received, dict[str, str]], Reply]


class FakeServer:
    """A provider fake: routes, recorded requests and queued faults."""

    server_class: type[ThreadingHTTPServer] = ThreadingHTTPServer  # an IPv6 subclass serves on "::1"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes: list[tuple[str, re.Pattern, Handler]] = []
        self.received: list[Received] = []
        self._faults: list[_Fault] = []
        self.chaos: Chaos | None = None
        self.control = False  # serve /_fake/ (the CLI's --control)
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

    def set_chaos(self, **options: Any) -> None:
        """Answer a random share of requests with faults (see `Chaos`); no options turns it off."""
        with self._lock:
            self.chaos = Chaos(**options) if options else None

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self.chaos = None

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
        if self.control and received.path.startswith("/_fake/"):
            return self._control(received)
        with self._lock:
            self.received.append(received)
        reply = self._answer(received)
        received.status = reply.status
        if reply.status == 429 and not received.fault:
            received.fault = "rate-limit"
        if received.retry_after is None and "Retry-After" in reply.headers:
            with contextlib.suppress(ValueError):
                received.retry_after = float(reply.headers["Retry-After"])
        received.reply = reply.body
        return reply

    def _answer(self, received: Received) -> Reply:
        fault = self._take_fault(received.path)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.reply is not None:
                received.fault = "rate-limit" if fault.reply.status == 429 else "error"
                return fault.reply
        chaos = self.chaos
        kind = chaos.pick(received.path) if chaos is not None and fault is None else ""
        if kind:
            received.fault = kind
            if kind == "error":
                return Reply(500, {"errors": [{"code": "chaos", "title": "Injected server error"}]})
            if kind == "rate-limit":
                return Reply(
                    429,
                    {"errors": [{"code": "chaos", "title": "Injected rate limit"}]},
                    {"Retry-After": f"{chaos.retry_after:g}"},
                )
            time.sleep(chaos.hang_seconds)
            return Reply(504, {"errors": [{"code": "chaos", "title": "Injected hang (not handled)"}]})
        for method, regex, handler in self.routes:
            match = regex.match(received.path)
            if match and method == received.method:
                return handler(received, match.groupdict())
        return Reply(404, {"errors": [{"code": "not_found", "title": "No such route in the fake"}]})

    def log_entries(self, since: int = 0) -> list[dict[str, Any]]:
        """Recorded requests from number `since` on, as JSON-ready dicts (no secret-looking keys)."""
        with self._lock:
            chosen = list(enumerate(self.received))[since:]
        entries = []
        for number, r in chosen:
            try:
                body = _public(r.json())
            except ValueError:
                body = None
            entries.append(
                {
                    "n": number,
                    "method": r.method,
                    "path": r.path,
                    "at": r.at,
                    "status": r.status,
                    "fault": r.fault,
                    "retry_after": r.retry_after,
                    "body": body,
                    "reply": _public(r.reply),
                }
            )
        return entries

    def _control(self, received: Received) -> Reply:
        if received.path == "/_fake/log" and received.method == "GET":
            since = int(received.query.get("since", ["0"])[0])
            entries = self.log_entries(since)
            return Reply(200, {"received": entries, "next": since + len(entries)})
        if received.path == "/_fake/chaos" and received.method == "POST":
            try:
                self.set_chaos(**(received.json() or {}))
            except (TypeError, ValueError) as exc:
                return Reply(400, {"error": str(exc)})
            return Reply(200, {"chaos": bool(self.chaos)})
        if received.path == "/_fake/clear" and received.method == "POST":
            self.clear_faults()
            return Reply(200, {"cleared": True})
        return Reply(404, {"error": "no such control route"})

    @property
    def port_number(self) -> int:
        """The port the fake listens on (a free one picked at start when `port` was 0)."""
        assert self._server is not None, "start() the fake first"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._server.server_address[1]}"

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
                    peer="%s:%s" % self.client_address[:2],  # noqa: UP031
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

        self._server = self.server_class((self.host, self.port), RequestHandler)
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

    def serve_forever_cli(self, *, control: bool = False) -> None:
        """Run in the foreground until interrupted or SIGTERM (python -m tests.fakes.<name>).

        `control` serves the /_fake/ routes (log, chaos, clear).
        """
        import signal

        def interrupt(signum, frame):
            raise KeyboardInterrupt

        self.control = control
        signal.signal(signal.SIGTERM, interrupt)
        self.start()
        print(f"{type(self).__name__} listening on {self.url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            self.stop()
