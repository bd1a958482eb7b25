"""A local fake of Mandrill's messages API (https://mandrillapp.com/api/docs/messages.JSON.html).

`POST /api/1.0/messages/send.json` with `{"key": ..., "message": {...}}` answers, like
Mandrill, a list with one `{email, status, _id, reject_reason}` per recipient
(status `sent`, `queued`, `rejected` or `invalid`). A wrong key answers HTTP 500
`{"status": "error", "code": -1, "name": "Invalid_Key", ...}`, a message without
recipients HTTP 500 `ValidationError`, as Mandrill does. Faults (errors, 429 with
Retry-After, slow answers) come from FakeServer.

    python -m tests.fakes.mandrill --port 9200
"""

import argparse
import re
import uuid

import pytest

from tests.fakes.base import FakeServer, Received, Reply

API_KEY = "fake-mandrill-key-0123456789"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _error(code: int, name: str, message: str) -> Reply:
    return Reply(500, {"status": "error", "code": code, "name": name, "message": message})


class MandrillFake(FakeServer):
    """Mandrill's messages/send.json, with per-address outcomes.

    `reject(email, reason)` makes an address come back `rejected`; `queue(email)`
    makes it `queued`; malformed addresses come back `invalid`.
    """

    api_key = API_KEY

    def register(self) -> None:
        self.reset()
        self.route("POST", r"/api/1\.0/messages/send\.json", self._send)
        self.route("POST", r"/api/1\.0/users/ping\.json", self._ping)

    def reset(self) -> None:
        """Forget outcomes set per address, what was received and queued faults."""
        self.rejected: dict[str, str] = {}
        self.queued: set[str] = set()
        self.received.clear()
        self.clear_faults()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/1.0"

    def reject(self, email: str, reason: str = "hard-bounce") -> None:
        self.rejected[email.lower()] = reason

    def queue(self, email: str) -> None:
        self.queued.add(email.lower())

    def sent_messages(self) -> list[dict]:
        """The `message` objects of every send call received (the key left out)."""
        return [
            (r.json() or {}).get("message", {}) for r in self.requests_to("POST", r"messages/send\.json$")
        ]

    def _authorized(self, received: Received) -> tuple[dict | None, Reply | None]:
        try:
            body = received.json()
        except ValueError:
            return None, _error(-2, "ValidationError", "You must specify a key value")
        if not isinstance(body, dict) or body.get("key") != self.api_key:
            return None, _error(-1, "Invalid_Key", "Invalid API key")
        return body, None

    def _ping(self, received: Received, params: dict) -> Reply:
        _, refusal = self._authorized(received)
        return refusal or Reply(200, "PONG!")

    def _send(self, received: Received, params: dict) -> Reply:
        body, refusal = self._authorized(received)
        if refusal is not None:
            return refusal
        message = body.get("message")
        if not isinstance(message, dict) or not isinstance(message.get("to"), list) or not message["to"]:
            return _error(
                -2, "ValidationError", "Validation error: {'message':{'to':'Please enter an array'}}"
            )
        results = []
        for recipient in message["to"]:
            email = str(recipient.get("email", "")) if isinstance(recipient, dict) else ""
            key = email.lower()
            if not _EMAIL.match(email):
                results.append({"email": email, "status": "invalid", "_id": uuid.uuid4().hex})
            elif key in self.rejected:
                results.append(
                    {
                        "email": email,
                        "status": "rejected",
                        "_id": uuid.uuid4().hex,
                        "reject_reason": self.rejected[key],
                    }
                )
            else:
                status = "queued" if key in self.queued else "sent"
                results.append(
                    {"email": email, "status": status, "_id": uuid.uuid4().hex, "reject_reason": None}
                )
        return Reply(200, results)


@pytest.fixture(scope="session")
def _mandrill_server():
    fake = MandrillFake().start()
    yield fake
    fake.stop()


@pytest.fixture
def mandrill_fake(_mandrill_server, settings):
    """The running MandrillFake, emptied, with the settings pointing the email channel at it."""
    from planocore.providers.registry import reset_backends

    fake = _mandrill_server
    fake.reset()
    settings.MANDRILL_API_KEY = fake.api_key
    settings.MANDRILL_API_URL = fake.api_url
    settings.ANYMAIL = {
        **settings.ANYMAIL,
        "MANDRILL_API_KEY": fake.api_key,
        "MANDRILL_API_URL": fake.api_url,
        "REQUESTS_TIMEOUT": 2.0,
    }
    settings.EMAIL_BACKEND = "planocore.providers.email.MandrillBackend"
    settings.PROVIDER_BACKENDS = {
        **settings.PROVIDER_BACKENDS,
        "email": "planocore.providers.email.EmailBackend",
    }
    reset_backends()
    yield fake
    fake.reset()
    reset_backends()


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the Mandrill fake on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--control", action="store_true", help="also serve /_fake/log, /_fake/chaos, /_fake/clear"
    )
    args = parser.parse_args()
    fake = MandrillFake(port=args.port)
    print(f"API key: {fake.api_key}", flush=True)
    fake.serve_forever_cli(control=args.control)


if __name__ == "__main__":
    main()
