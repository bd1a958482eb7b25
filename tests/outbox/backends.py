"""Backends for the outbox's own tests (not provider fakes: those live in tests/fakes/).

`ScriptedBackend` answers from a script the test sets and keeps every call, in
this process. `RecordingBackend` appends one line per send to the file named by
OUTBOX_TEST_RECORD_FILE, so tests can count sends made by other processes
(O_APPEND writes of one short line do not interleave); it sleeps
OUTBOX_TEST_SEND_DELAY seconds per send, to make a batch take time.
"""

import os
import threading
import time

from planocore.providers.base import ProviderBackend, ProviderError, ProviderResult


class ScriptedBackend(ProviderBackend):
    name = "scripted"
    requests_per_minute = None
    script: list = []  # ProviderError to raise or None to succeed, consumed in order
    calls: list = []
    lock = threading.Lock()

    @classmethod
    def reset(cls, *, script=None, requests_per_minute=None):
        cls.script = list(script or [])
        cls.calls = []
        cls.requests_per_minute = requests_per_minute

    def build(self, *, channel, action, payload, secrets):
        return {"payload": payload, "secrets": secrets}

    def call(self, built, *, secrets):
        with self.lock:
            self.calls.append(built)
            step = self.script.pop(0) if self.script else None
        if isinstance(step, ProviderError):
            raise step
        if isinstance(step, Exception):
            raise step
        return built

    def parse(self, raw):
        return ProviderResult(message_id=f"scripted-{len(self.calls)}", response={"echo": raw["payload"]})

    def rate_limit_key(self, *, payload):
        return payload.get("account")


class RecordingBackend(ProviderBackend):
    name = "recording"

    def build(self, *, channel, action, payload, secrets):
        return payload

    def call(self, built, *, secrets):
        delay = float(os.environ.get("OUTBOX_TEST_SEND_DELAY") or 0)
        if delay:
            time.sleep(delay)
        fd = os.open(os.environ["OUTBOX_TEST_RECORD_FILE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{built['n']} {os.getpid()}\n".encode())
        finally:
            os.close(fd)
        return built

    def parse(self, raw):
        return ProviderResult(message_id=f"rec-{raw['n']}", response={"n": raw["n"]})
