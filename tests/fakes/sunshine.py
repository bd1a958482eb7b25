"""A local fake of Sunshine Conversations v2, following
/work/shared/contracts/sunshine-conversations-v2-excerpt.yaml.

Routes (all under /v2/apps/{appId}, basic auth with the fake's key id and secret):
    GET    /users/{userIdOrExternalId}                      getUser
    POST   /users/{userIdOrExternalId}/clients              createClient (201, status pending)
    GET    /users/{userIdOrExternalId}/clients              listClients (page[after|before|size])
    DELETE /users/{userIdOrExternalId}/clients/{clientId}   removeClient
    POST   /conversations/{conversationId}/messages         postMessage (201)
Errors use the contract's shape: {"errors": [{"code": ..., "title": ...}]}.

Run on its own:  python -m tests.fakes.sunshine --port 9200 [--user 1]
"""

import argparse
import base64
import itertools
import threading
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from tests.fakes.base import FakeServer, Received, Reply

APP_ID = "5d8cff3cd55b040010928b5b"
KEY_ID = "app_5d8cff3cd55b040010928b5c"
SECRET = "fake-sunshine-secret-not-real"

MATCH_TYPES = {
    "mailgun": "address",
    "messagebird": "phoneNumber",
    "twilio": "phoneNumber",
    "whatsapp": "phoneNumber",
}
CONFIRMATION_TYPES = {"immediate", "userActivity", "prompt"}


def _error(status: int, code: str, title: str, headers: dict | None = None) -> Reply:
    return Reply(status, {"errors": [{"code": code, "title": title}]}, headers or {})


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{datetime.now(UTC).microsecond // 1000:03d}Z"


class SunshineFake(FakeServer):
    """State: users (by id and externalId), their clients in creation order, posted messages."""

    def __init__(self, *args, app_id: str = APP_ID, key_id: str = KEY_ID, secret: str = SECRET, **kwargs):
        self.app_id, self.key_id, self.secret = app_id, key_id, secret
        self._ids = itertools.count(1)
        self._state_lock = threading.Lock()
        self._generation = 0
        self._local = threading.local()
        self.reset()
        super().__init__(*args, **kwargs)

    # --- state helpers for tests ------------------------------------------------
    def reset(self) -> None:
        """Forget users, clients, messages, recorded requests and queued faults."""
        self.users: dict[str, dict] = {}  # SC user id -> user
        self.clients: dict[str, list[dict]] = {}  # SC user id -> clients, oldest first
        self.messages: dict[str, list[dict]] = {}  # conversation id -> messages
        self.conversations: set[str] = set()
        self._generation += 1
        if hasattr(self, "received"):
            self.received.clear()
            self.clear_faults()

    def new_id(self) -> str:
        """A 24-hex record id; later ids sort after earlier ones (like ObjectIds)."""
        return f"{0x5E0000000000000000000000 + next(self._ids):024x}"

    def add_user(self, external_id: str) -> dict:
        user = {"id": self.new_id(), "externalId": str(external_id), "signedUpAt": _now(), "identities": []}
        with self._state_lock:
            self.users[user["id"]] = user
            self.clients[user["id"]] = []
        return user

    def add_client(self, external_id: str, **fields) -> dict:
        user = self.find_user(str(external_id))
        assert user is not None, f"add_user({external_id!r}) first"
        client = {"id": self.new_id(), "type": "sdk", "status": "active", "linkedAt": _now(), **fields}
        with self._state_lock:
            self.clients[user["id"]].append(client)
        return client

    def add_conversation(self, conversation_id: str) -> None:
        self.conversations.add(conversation_id)

    def find_user(self, id_or_external_id: str) -> dict | None:
        if id_or_external_id in self.users:
            return self.users[id_or_external_id]
        return next((u for u in self.users.values() if u["externalId"] == id_or_external_id), None)

    def clients_of(self, external_id: str) -> list[dict]:
        user = self.find_user(str(external_id))
        return list(self.clients.get(user["id"], [])) if user else []

    # --- routes -----------------------------------------------------------------
    def register(self) -> None:
        base = r"/v2/apps/(?P<app_id>[^/]+)"
        user = base + r"/users/(?P<user>[^/]+)"
        self.route("GET", user, self._guard(self.get_user))
        self.route("POST", user + "/clients", self._guard(self.create_client))
        self.route("GET", user + "/clients", self._guard(self.list_clients))
        self.route("DELETE", user + r"/clients/(?P<client_id>[^/]+)", self._guard(self.remove_client))
        self.route(
            "POST",
            base + r"/conversations/(?P<conversation_id>[^/]+)/messages",
            self._guard(self.post_message),
        )

    def dispatch(self, received: Received) -> Reply:
        self._local.generation = self._generation
        return super().dispatch(received)

    def _guard(self, handler):
        def guarded(received: Received, params: dict[str, str]) -> Reply:
            if self._local.generation != self._generation:
                # A slow request (hang_next) outlived its test: it must not touch the next test's state.
                return _error(503, "fake_reset", "The fake was reset while this request waited")
            expected = "Basic " + base64.b64encode(f"{self.key_id}:{self.secret}".encode()).decode()
            if received.headers.get("authorization") != expected:
                return _error(401, "unauthorized", "Authorization is required")
            if params["app_id"] != self.app_id:
                return _error(404, "app_not_found", "App not found")
            with self._state_lock:
                return handler(received, params)

        return guarded

    def _user_or_404(self, params) -> dict | Reply:
        user = self.find_user(params["user"])
        return user if user is not None else _error(404, "user_not_found", "User not found")

    def get_user(self, received: Received, params) -> Reply:
        user = self._user_or_404(params)
        if isinstance(user, Reply):
            return user
        return Reply(200, {"user": {**user, "profile": {}, "metadata": {}}})

    def create_client(self, received: Received, params) -> Reply:
        user = self._user_or_404(params)
        if isinstance(user, Reply):
            return user
        try:
            body = received.json()
            criteria, confirmation, target = body["matchCriteria"], body["confirmation"], body["target"]
            kind = criteria["type"]
            field = MATCH_TYPES[kind]
            assert criteria.get("integrationId") and criteria.get(field)
            assert confirmation["type"] in CONFIRMATION_TYPES
            assert target["conversationId"]
        except (ValueError, KeyError, TypeError, AssertionError):
            return _error(400, "bad_request", "Invalid client create body")
        client = {
            "id": self.new_id(),
            "type": kind,
            "status": "pending",
            "integrationId": criteria["integrationId"],
            "externalId": criteria[field],
        }
        self.clients[user["id"]].append(client)
        return Reply(201, {"client": client})

    def list_clients(self, received: Received, params) -> Reply:
        user = self._user_or_404(params)
        if isinstance(user, Reply):
            return user
        query = {key: values[-1] for key, values in received.query.items()}
        after, before = query.get("page[after]"), query.get("page[before]")
        try:
            size = int(query.get("page[size]", 25))
            assert 1 <= size <= 100 and not (after and before)
        except (ValueError, AssertionError):
            return _error(400, "bad_request", "Invalid page query parameters")
        clients = self.clients[user["id"]]
        ids = [c["id"] for c in clients]
        if (after and after not in ids) or (before and before not in ids):
            return _error(400, "bad_request", "Invalid page query parameters")
        if before:
            end = ids.index(before)
            start = max(0, end - size)
        else:
            start = ids.index(after) + 1 if after else 0
            end = start + size
        page = clients[start:end]
        has_more_after = end < len(clients)
        has_more_before = start > 0 and bool(page)
        meta: dict = {"hasMore": has_more_before if before else has_more_after}
        links: dict = {}
        path = f"{self.url}/v2/apps/{self.app_id}/users/{params['user']}/clients"
        if page and has_more_after:
            meta["afterCursor"] = page[-1]["id"]
            links["next"] = f"{path}?{urlencode({'page[after]': page[-1]['id'], 'page[size]': size})}"
        if page and has_more_before:
            meta["beforeCursor"] = page[0]["id"]
            links["prev"] = f"{path}?{urlencode({'page[before]': page[0]['id'], 'page[size]': size})}"
        return Reply(200, {"clients": page, "meta": meta, "links": links})

    def remove_client(self, received: Received, params) -> Reply:
        user = self._user_or_404(params)
        if isinstance(user, Reply):
            return user
        clients = self.clients[user["id"]]
        client = next((c for c in clients if c["id"] == params["client_id"]), None)
        if client is None:
            return _error(404, "client_not_found", "Client not found")
        if client["type"] == "sdk":
            return _error(400, "bad_request", "Cannot remove a client of type 'sdk'")
        clients.remove(client)
        return Reply(200, {})

    def post_message(self, received: Received, params) -> Reply:
        conversation_id = params["conversation_id"]
        if self.conversations and conversation_id not in self.conversations:
            return _error(404, "conversation_not_found", "Conversation not found")
        try:
            body = received.json()
            author, content = body["author"], body["content"]
            assert author["type"] in ("business", "user")
            assert content["type"] == "text" and content.get("text")
        except (ValueError, KeyError, TypeError, AssertionError):
            return _error(400, "bad_request", "Invalid message")
        message = {
            "id": self.new_id(),
            "received": _now(),
            "author": author,
            "content": content,
            "source": {"type": "api:conversations"},
        }
        self.messages.setdefault(conversation_id, []).append(message)
        return Reply(201, {"messages": [message]})


@pytest.fixture(scope="session")
def _sunshine_server():
    fake = SunshineFake().start()
    yield fake
    fake.stop()


@pytest.fixture
def sunshine_fake(_sunshine_server, settings):
    """The Sunshine Conversations fake, empty, with settings pointing the real backend at it."""
    from planocore.providers import sunshine
    from planocore.providers.registry import reset_backends

    fake = _sunshine_server
    fake.reset()
    settings.SUNSHINE_CONVERSATIONS_HOST = fake.url
    settings.SUNSHINE_CONVERSATIONS_APP_ID = fake.app_id
    settings.SUNSHINE_CONVERSATIONS_KEY_ID = fake.key_id
    settings.SUNSHINE_CONVERSATIONS_SECRET = fake.secret
    settings.PROVIDER_BACKENDS = {
        **settings.PROVIDER_BACKENDS,
        "conversation": "planocore.providers.sunshine.ConversationBackend",
        "messaging_clients": "planocore.providers.sunshine.ClientsBackend",
    }
    reset_backends()
    sunshine.reset_clients()
    yield fake
    fake.reset()
    reset_backends()
    sunshine.reset_clients()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=9200)
    parser.add_argument("--app-id", default=APP_ID)
    parser.add_argument("--key-id", default=KEY_ID)
    parser.add_argument("--secret", default=SECRET)
    parser.add_argument("--user", action="append", default=[], help="an externalId to create (repeatable)")
    parser.add_argument(
        "--control", action="store_true", help="also serve /_fake/log, /_fake/chaos, /_fake/clear"
    )
    args = parser.parse_args()
    fake = SunshineFake(port=args.port, app_id=args.app_id, key_id=args.key_id, secret=args.secret)
    for external_id in args.user:
        fake.add_user(external_id)
    print(f"app id {fake.app_id}, key id {fake.key_id}, secret {fake.secret}", flush=True)
    fake.serve_forever_cli(control=args.control)


if __name__ == "__main__":
    main()
