"""A local RingCentral, following ../shared/contracts/ringcentral-*.yaml, over real HTTP.

Endpoints:
- POST /restapi/oauth/token: JWT bearer, password and refresh_token grants, with the
  client's HTTP Basic credentials checked; answers TokenInfo with expiring tokens.
- GET /team-messaging/v1/teams: TMTeamList paged by recordCount (max 250) and
  pageToken (navigation.nextPageToken/prevPageToken): the teams the user is a member
  of plus the public ones, oldest first.
- POST /team-messaging/v1/chats/{chatId}/posts: 201 TMPostInfo; unknown chat → 404.
- POST /restapi/v1.0/account/{accountId}/extension/{extensionId}/sms (JSON) and
  .../mms (multipart: a JSON part plus attachments, at most 10 and 1,500,000 bytes).
- GET /_media/{name}: not RingCentral's; serves files added with `add_media` so MMS
  tests have a media_url to fetch.
- Webhook subscriptions (ringcentral-webhooks-notes.yaml): POST /restapi/v1.0/subscription
  first makes the handshake, a real POST to `deliveryMode.address` with a
  `Validation-Token` header (the create fails, SUB-525, unless the answer echoes it
  within 3 s, under 1024 bytes); GET (list, one), POST .../renew, DELETE. Kept in
  `subscriptions`; `blacklist(id)` marks one Blacklisted. `deliver_sms(text=, from_=)`
  POSTs an InstantMessageEvent to every active subscription's address with its
  Verification-Token (over real HTTP) and returns the answers.

API calls need a valid `Authorization: Bearer` access token (401 otherwise). What
it accepted is kept in `posts`, `sms`, `mms`, `logins`; every request in
`received`. Faults: `fail_next(429, headers={"Retry-After": "1"})`, `hang_next(s)`.

Rate limits as RingCentral applies them: every call of a throttling group (the
token endpoint: Auth; the others: Medium) is counted per user in a rolling
window, and every answer carries X-Rate-Limit-Group, -Limit, -Remaining and
-Window. `set_rate_limit(group, n, window=, enforce=True)` sets the limit (what
the headers say, so lowering it there is how RingCentral lowers an app's limit);
with `enforce` a call beyond the limit gets 429 with Retry-After (the penalty,
`penalty_seconds`), and any call during the penalty gets 429 and restarts it.

    python -m tests.fakes.ringcentral --port 9100 --teams 120 [--rate-limit Medium=40 --enforce]
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import itertools
import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests

from tests.fakes.base import FakeServer, Received, Reply

CLIENT_ID = "fake-rc-client-id"
CLIENT_SECRET = "fake-rc-client-secret"
DEFAULT_JWT = "fake-rc-jwt-default-extension"
DEFAULT_OWNER = "100001"
MMS_MAX_BYTES = 1_500_000
MMS_MAX_ATTACHMENTS = 10
# RingCentral's default plan: calls per user per 60 s, by throttling group.
RATE_LIMITS = {"Light": 50, "Medium": 40, "Heavy": 10, "Auth": 5}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _error(status: int, code: str, message: str, **extra) -> Reply:
    body = {
        "errorCode": code,
        "message": message,
        "errors": [{"errorCode": code, "message": message, **extra}],
    }
    return Reply(status, body)


def _oauth_error(status: int, error: str, description: str) -> Reply:
    return Reply(status, {"error": error, "error_description": description, "errors": []})


@dataclass
class FakeTeam:
    id: str
    name: str
    public: bool = False
    status: str = "Active"
    description: str = ""
    members: set[str] = field(default_factory=lambda: {DEFAULT_OWNER})
    created: float = field(default_factory=time.time)

    def info(self) -> dict[str, Any]:
        stamp = datetime.fromtimestamp(self.created, UTC).isoformat().replace("+00:00", "Z")
        return {
            "id": self.id,
            "type": "Team",
            "public": self.public,
            "name": self.name,
            "description": self.description,
            "status": self.status,
            "creationTime": stamp,
            "lastModifiedTime": _now(),
        }


class RingCentralFake(FakeServer):
    """RingCentral's OAuth, Team Messaging and SMS/MMS endpoints, in memory."""

    access_token_ttl = 3600
    refresh_token_ttl = 604800

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.client_id, self.client_secret = CLIENT_ID, CLIENT_SECRET
        self.default_jwt = DEFAULT_JWT
        self._ids = itertools.count(int(time.time()) % 100000 * 1000)
        self._data_lock = threading.Lock()
        self.reset()
        super().__init__(host, port)

    def reset(self) -> None:
        """Forget everything (users, tokens, teams, what was received, queued faults)."""
        self.jwts: dict[str, str] = {DEFAULT_JWT: DEFAULT_OWNER}  # assertion → owner id
        self.users: dict[tuple[str, str], tuple[str, str]] = {}  # (username, ext) → (password, owner)
        self.tokens: dict[str, tuple[str, float]] = {}  # access token → (owner, expires at)
        self.refresh_tokens: dict[str, tuple[str, float]] = {}
        self.teams: list[FakeTeam] = []
        self.media: dict[str, tuple[bytes, str]] = {}
        self.posts: list[dict[str, Any]] = []
        self.sms: list[dict[str, Any]] = []
        self.mms: list[dict[str, Any]] = []
        self.logins: list[dict[str, str]] = []
        self.subscriptions: dict[str, dict[str, Any]] = {}  # id → SubscriptionInfo (+ verificationToken)
        self.handshakes: list[dict[str, Any]] = []  # what each handshake got back
        self.rate_limits: dict[str, int] = dict(RATE_LIMITS)
        self.rate_window = 60.0
        self.enforce_rate_limits = False
        self.penalty_seconds = 60.0
        self._rate_calls: dict[tuple[str, str], list[float]] = {}  # (user, group) → accepted call times
        self._penalties: dict[tuple[str, str], float] = {}  # (user, group) → penalty end
        if hasattr(self, "_faults"):
            self.clear_faults()
            self.received.clear()

    def start(self) -> RingCentralFake:
        super().start()
        server = self._server
        # A client dropping a kept-alive connection is normal, not an error to print.
        server.handle_error = lambda request, client_address: None
        accept = server.get_request

        def get_request():
            # Headers and body go out in two writes: without TCP_NODELAY the
            # second waits for the client's delayed ACK (~40 ms a call).
            sock, address = accept()
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock, address

        server.get_request = get_request
        return self

    # --- set-up helpers ---------------------------------------------------------
    def add_jwt(self, jwt: str, owner_id: str) -> None:
        self.jwts[jwt] = owner_id

    def add_user(self, *, username: str, extension: str, password: str, owner_id: str) -> None:
        """A user who can log in with the password grant (username = login phone number)."""
        self.users[(username.lstrip("+"), extension)] = (password, owner_id)

    def add_team(
        self,
        chat_id: str,
        name: str,
        *,
        public: bool = False,
        status: str = "Active",
        description: str = "",
        members: set[str] | None = None,
    ) -> FakeTeam:
        team = FakeTeam(
            chat_id, name, public, status, description, set(members or {DEFAULT_OWNER}), time.time()
        )
        self.teams.append(team)
        return team

    def team(self, chat_id: str) -> FakeTeam:
        return next(t for t in self.teams if t.id == chat_id)

    def add_media(self, name: str, content: bytes, content_type: str) -> str:
        """Serve a file for MMS tests; returns its URL."""
        self.media[name] = (content, content_type)
        return f"{self.url}/_media/{name}"

    def expire_access_tokens(self) -> None:
        """Make every access token stale (refresh tokens stay good)."""
        with self._data_lock:
            self.tokens = {k: (owner, 0.0) for k, (owner, _) in self.tokens.items()}

    def revoke_all_tokens(self) -> None:
        with self._data_lock:
            self.tokens.clear()
            self.refresh_tokens.clear()

    def posts_to(self, chat_id: str) -> list[dict[str, Any]]:
        return [p for p in self.posts if p["chat_id"] == chat_id]

    def set_rate_limit(
        self,
        group: str = "Medium",
        limit: int | None = None,
        *,
        window: float | None = None,
        enforce: bool = True,
    ) -> None:
        """Set a group's limit (and the window): the headers say it, and `enforce` answers 429 beyond it."""
        with self._data_lock:
            if limit is not None:
                self.rate_limits[group] = limit
            if window is not None:
                self.rate_window = window
            self.enforce_rate_limits = enforce

    @staticmethod
    def rate_group(path: str) -> str | None:
        """The throttling group of a path (the contract's x-throttling-group), None for the fake's own."""
        if path == "/restapi/oauth/token":
            return "Auth"
        if path.startswith(("/restapi/", "/team-messaging/")):
            return "Medium"
        return None

    def _answer(self, received: Received) -> Reply:
        group = self.rate_group(received.path)
        if group is None:
            return super()._answer(received)
        key = ("app" if group == "Auth" else self._owner(received) or "anonymous", group)
        now = received.at
        with self._data_lock:
            limit = self.rate_limits[group]
            calls = [t for t in self._rate_calls.get(key, []) if t > now - self.rate_window]
            refused = self.enforce_rate_limits and (
                now < self._penalties.get(key, 0.0) or len(calls) >= limit
            )
            if refused:
                self._penalties[key] = now + self.penalty_seconds  # a call in the penalty restarts it
            else:
                calls.append(now)
            self._rate_calls[key] = calls
        headers = {
            "X-Rate-Limit-Group": group,
            "X-Rate-Limit-Limit": str(limit),
            "X-Rate-Limit-Remaining": str(max(0, limit - len(calls))),
            "X-Rate-Limit-Window": str(max(1, round(self.rate_window))),
        }
        if refused:
            received.fault = "rate-limit"
            reply = _error(429, "CMN-301", f"Request rate exceeded (group {group})")
            reply.headers = {**headers, "Retry-After": f"{self.penalty_seconds:g}"}
            return reply
        reply = super()._answer(received)
        return dataclasses.replace(reply, headers={**headers, **reply.headers})

    # --- routes -------------------------------------------------------------------
    def register(self) -> None:
        self.route("POST", r"/restapi/oauth/token", self.token)
        self.route("GET", r"/team-messaging/v1/teams", self.list_teams)
        self.route("POST", r"/team-messaging/v1/chats/(?P<chat_id>[^/]+)/posts", self.create_post)
        self.route(
            "POST", r"/restapi/v1\.0/account/(?P<account>[^/]+)/extension/(?P<ext>[^/]+)/sms", self.send_sms
        )
        self.route(
            "POST", r"/restapi/v1\.0/account/(?P<account>[^/]+)/extension/(?P<ext>[^/]+)/mms", self.send_mms
        )
        self.route("GET", r"/_media/(?P<name>[^/]+)", self.get_media)
        subscriptions = r"/restapi/v1\.0/subscription"
        self.route("POST", subscriptions, self.create_subscription)
        self.route("GET", subscriptions, self.list_subscriptions)
        self.route("GET", subscriptions + r"/(?P<sid>[^/]+)", self.read_subscription)
        self.route("POST", subscriptions + r"/(?P<sid>[^/]+)/renew", self.renew_subscription)
        self.route("DELETE", subscriptions + r"/(?P<sid>[^/]+)", self.delete_subscription)

    def _issue(self, owner: str) -> Reply:
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        now = time.time()
        with self._data_lock:
            self.tokens[access] = (owner, now + self.access_token_ttl)
            self.refresh_tokens[refresh] = (owner, now + self.refresh_token_ttl)
        return Reply(
            200,
            {
                "access_token": access,
                "token_type": "bearer",
                "expires_in": self.access_token_ttl,
                "refresh_token": refresh,
                "refresh_token_expires_in": self.refresh_token_ttl,
                "scope": "SMS TeamMessaging ReadAccounts",
                "owner_id": owner,
                "endpoint_id": "fake-endpoint",
            },
        )

    def token(self, received: Received, groups: dict[str, str]) -> Reply:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if received.headers.get("authorization", "") != f"Basic {expected}":
            return _oauth_error(401, "invalid_client", "Invalid client credentials")
        if "application/x-www-form-urlencoded" not in received.headers.get("content-type", ""):
            return Reply(415, {"error": "invalid_request", "error_description": "Unsupported Media Type"})
        form = {k: v[0] for k, v in parse_qs(received.body.decode()).items()}
        grant = form.get("grant_type", "password")
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            owner = self.jwts.get(form.get("assertion", ""))
            if owner is None:
                return _oauth_error(400, "invalid_grant", "Invalid JWT token")
            self.logins.append({"grant": "jwt", "owner_id": owner})
            return self._issue(owner)
        if grant == "password":
            key = (form.get("username", "").lstrip("+"), form.get("extension", ""))
            user = self.users.get(key)
            if user is None or user[0] != form.get("password"):
                return _oauth_error(400, "invalid_grant", "Invalid resource owner credentials")
            self.logins.append({"grant": "password", "owner_id": user[1], "extension": key[1]})
            return self._issue(user[1])
        if grant == "refresh_token":
            with self._data_lock:
                entry = self.refresh_tokens.pop(form.get("refresh_token", ""), None)
            if entry is None or entry[1] < time.time():
                return _oauth_error(400, "invalid_grant", "Token not found")
            self.logins.append({"grant": "refresh_token", "owner_id": entry[0]})
            return self._issue(entry[0])
        return _oauth_error(400, "unsupported_grant_type", f"Unsupported grant type: {grant}")

    def _owner(self, received: Received) -> str | None:
        header = received.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        entry = self.tokens.get(header[7:])
        if entry is None or entry[1] < time.time():
            return None
        return entry[0]

    @staticmethod
    def _unauthorized() -> Reply:
        return _error(401, "TokenInvalid", "Token is not valid or expired")

    def list_teams(self, received: Received, groups: dict[str, str]) -> Reply:
        owner = self._owner(received)
        if owner is None:
            return self._unauthorized()
        try:
            count = int(received.query.get("recordCount", ["30"])[0])
            offset = int(base64.urlsafe_b64decode(received.query.get("pageToken", ["MA=="])[0]).decode())
        except ValueError:
            return _error(400, "CMN-101", "Parameter [recordCount] or [pageToken] value is invalid")
        if not 1 <= count <= 250:
            return _error(
                400, "CMN-101", "Parameter [recordCount] value is invalid", parameterName="recordCount"
            )
        visible = [t for t in self.teams if owner in t.members or t.public]
        page = visible[offset : offset + count]
        navigation: dict[str, str] = {}
        if offset + count < len(visible):
            navigation["nextPageToken"] = base64.urlsafe_b64encode(str(offset + count).encode()).decode()
        if offset > 0:
            navigation["prevPageToken"] = base64.urlsafe_b64encode(
                str(max(0, offset - count)).encode()
            ).decode()
        return Reply(200, {"records": [t.info() for t in page], "navigation": navigation})

    def create_post(self, received: Received, groups: dict[str, str]) -> Reply:
        owner = self._owner(received)
        if owner is None:
            return self._unauthorized()
        team = next((t for t in self.teams if t.id == groups["chat_id"]), None)
        if team is None:
            return _error(404, "CMN-102", "Resource for parameter [chatId] is not found.")
        try:
            body = received.json() or {}
        except ValueError:
            return _error(400, "CMN-101", "Request body is not valid JSON")
        text = body.get("text")
        if not text and not body.get("attachments"):
            return _error(400, "CMN-101", "At least one attribute should be provided (text or attachments)")
        if text and len(text) > 10000:
            return _error(400, "CMN-101", "Parameter [text] value is invalid", parameterName="text")
        post = {
            "id": str(next(self._ids)),
            "groupId": team.id,
            "isParent": True,
            "type": "TextMessage",
            "text": text or "",
            "creatorId": owner,
            "addedPersonIds": [],
            "creationTime": _now(),
            "lastModifiedTime": _now(),
            "attachments": [],
            "mentions": [],
        }
        self.posts.append({"chat_id": team.id, "text": post["text"], "owner_id": owner, "id": post["id"]})
        return Reply(201, post)

    def _message_info(self, owner: str, body: dict, attachments: list[dict]) -> dict[str, Any]:
        message_id = next(self._ids)
        return {
            "id": message_id,
            "uri": f"{self.url}/restapi/v1.0/account/~/extension/{owner}/message-store/{message_id}",
            "type": "SMS",
            "direction": "Outbound",
            "messageStatus": "Queued",
            "availability": "Alive",
            "from": {"phoneNumber": body["from"]["phoneNumber"], "extensionId": owner},
            "to": [{"phoneNumber": r["phoneNumber"]} for r in body["to"]],
            "subject": body.get("text", ""),
            "attachments": attachments,
            "creationTime": _now(),
            "lastModifiedTime": _now(),
            "readStatus": "Read",
            "priority": "Normal",
        }

    @staticmethod
    def _check_sms_body(body: Any, *, need_text: bool) -> Reply | None:
        if not isinstance(body, dict):
            return _error(400, "InvalidParameter", "Request body is not a JSON object")
        sender = (body.get("from") or {}).get("phoneNumber")
        recipients = body.get("to") or []
        if not sender:
            return _error(400, "InvalidParameter", "Parameter [from] is not set", parameterName="from")
        if not recipients or not all(isinstance(r, dict) and r.get("phoneNumber") for r in recipients):
            return _error(400, "InvalidParameter", "Parameter [to] is not set", parameterName="to")
        text = body.get("text") or ""
        if need_text and not text:
            return _error(400, "InvalidParameter", "Parameter [text] is not set", parameterName="text")
        if len(text) > 1000:
            return _error(400, "MSG-333", "The message text is too long", parameterName="text")
        return None

    def send_sms(self, received: Received, groups: dict[str, str]) -> Reply:
        owner = self._owner(received)
        if owner is None:
            return self._unauthorized()
        try:
            body = received.json()
        except ValueError:
            return _error(400, "InvalidParameter", "Request body is not valid JSON")
        problem = self._check_sms_body(body, need_text=True)
        if problem is not None:
            return problem
        info = self._message_info(owner, body, [])
        self.sms.append(
            {
                "owner_id": owner,
                "from": body["from"]["phoneNumber"],
                "to": [r["phoneNumber"] for r in body["to"]],
                "text": body["text"],
                "id": info["id"],
            }
        )
        return Reply(200, info)

    def send_mms(self, received: Received, groups: dict[str, str]) -> Reply:
        owner = self._owner(received)
        if owner is None:
            return self._unauthorized()
        content_type = received.headers.get("content-type", "")
        if not content_type.startswith(("multipart/form-data", "multipart/mixed")):
            return _error(415, "CMN-415", "Content type is not supported; send multipart")
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + received.body
        )
        body, files = None, []
        for part in message.iter_parts():
            payload = part.get_payload(decode=True) or b""
            if part.get_content_type() == "application/json" and body is None:
                try:
                    body = json.loads(payload)
                except ValueError:
                    return _error(400, "InvalidParameter", "The JSON part is not valid JSON")
            else:
                files.append(
                    {
                        "filename": part.get_filename() or "",
                        "content_type": part.get_content_type(),
                        "content": payload,
                    }
                )
        problem = self._check_sms_body(body, need_text=False)
        if problem is not None:
            return problem
        if not files:
            return _error(400, "InvalidParameter", "Parameter [attachments] is not set")
        if len(files) > MMS_MAX_ATTACHMENTS:
            return _error(400, "MSG-348", "Too many attachments")
        if sum(len(f["content"]) for f in files) > MMS_MAX_BYTES:
            return _error(400, "MSG-349", "The total size of attachments exceeds the limit")
        attachments = [
            {
                "id": next(self._ids),
                "type": "MmsAttachment",
                "contentType": f["content_type"],
                "size": len(f["content"]),
                "fileName": f["filename"],
            }
            for f in files
        ]
        info = self._message_info(owner, body, attachments)
        self.mms.append(
            {
                "owner_id": owner,
                "from": body["from"]["phoneNumber"],
                "to": [r["phoneNumber"] for r in body["to"]],
                "text": body.get("text", ""),
                "attachments": files,
                "id": info["id"],
            }
        )
        return Reply(200, info)

    # --- webhook subscriptions ---------------------------------------------------------
    def _public_subscription(self, info: dict[str, Any]) -> dict[str, Any]:
        mode = {k: v for k, v in info["deliveryMode"].items() if k != "verificationToken"}
        return {**{k: v for k, v in info.items() if k != "owner"}, "deliveryMode": mode}

    def _expiry(self, seconds: int) -> str:
        return datetime.fromtimestamp(time.time() + seconds, UTC).isoformat().replace("+00:00", "Z")

    def create_subscription(self, received: Received, groups: dict[str, str]) -> Reply:
        owner = self._owner(received)
        if owner is None:
            return self._unauthorized()
        body = received.json() if received.body else None
        mode = (body or {}).get("deliveryMode") if isinstance(body, dict) else None
        if not isinstance(mode, dict) or not body.get("eventFilters") or not mode.get("address"):
            return _error(400, "CMN-101", "eventFilters and deliveryMode.address are required")
        token = secrets.token_hex(8)
        try:
            answer = requests.post(mode["address"], headers={"Validation-Token": token}, timeout=3)
            size = len(answer.content) + sum(len(k) + len(v) + 4 for k, v in answer.headers.items())
            ok = answer.status_code == 200 and answer.headers.get("Validation-Token") == token and size < 1024
            self.handshakes.append({"address": mode["address"], "status": answer.status_code, "ok": ok})
        except requests.RequestException as exc:
            self.handshakes.append(
                {"address": mode["address"], "status": None, "ok": False, "error": str(exc)}
            )
            ok = False
        if not ok:
            return _error(400, "SUB-525", "WebHook server response is invalid")
        expires_in = int(body.get("expiresIn") or 604800)
        sid = f"sub-{next(self._ids)}"
        info = {
            "uri": f"{self.url}/restapi/v1.0/subscription/{sid}",
            "id": sid,
            "eventFilters": list(body["eventFilters"]),
            "disabledFilters": [],
            "expirationTime": self._expiry(expires_in),
            "expiresIn": expires_in,
            "status": "Active",
            "creationTime": _now(),
            "deliveryMode": {"transportType": "WebHook", **mode},
            "owner": owner,
        }
        with self._data_lock:
            self.subscriptions[sid] = info
        return Reply(200, self._public_subscription(info))

    def _subscription(self, received: Received, sid: str) -> dict[str, Any] | Reply:
        owner = self._owner(received)
        if owner is None:
            return self._unauthorized()
        info = self.subscriptions.get(sid)
        if info is None or info["owner"] != owner:
            return _error(404, "SUB-520", "Subscription not found")
        return info

    def list_subscriptions(self, received: Received, groups: dict[str, str]) -> Reply:
        owner = self._owner(received)
        if owner is None:
            return self._unauthorized()
        mine = [self._public_subscription(i) for i in self.subscriptions.values() if i["owner"] == owner]
        return Reply(200, {"records": mine})

    def read_subscription(self, received: Received, groups: dict[str, str]) -> Reply:
        info = self._subscription(received, groups["sid"])
        return info if isinstance(info, Reply) else Reply(200, self._public_subscription(info))

    def renew_subscription(self, received: Received, groups: dict[str, str]) -> Reply:
        info = self._subscription(received, groups["sid"])
        if isinstance(info, Reply):
            return info
        info["expirationTime"] = self._expiry(info["expiresIn"])
        return Reply(200, self._public_subscription(info))

    def delete_subscription(self, received: Received, groups: dict[str, str]) -> Reply:
        info = self._subscription(received, groups["sid"])
        if isinstance(info, Reply):
            return info
        with self._data_lock:
            self.subscriptions.pop(groups["sid"], None)
        return Reply(204, None)

    def blacklist(self, sid: str) -> None:
        self.subscriptions[sid]["status"] = "Blacklisted"

    def expire_soon(self, sid: str, seconds: int = 60) -> None:
        self.subscriptions[sid]["expirationTime"] = self._expiry(seconds)

    def sms_event(
        self, *, text: str, from_: str, to: str = "+16505550100", uuid: str | None = None, attachments=None
    ) -> dict[str, Any]:
        """An InstantMessageEvent as RingCentral delivers it (the contract's example's shape)."""
        message_id = str(next(self._ids))
        return {
            "uuid": uuid or secrets.token_hex(16),
            "event": f"/restapi/v1.0/account/37439510/extension/{DEFAULT_OWNER}"
            "/message-store/instant?type=SMS",
            "timestamp": _now(),
            "subscriptionId": "",
            "ownerId": DEFAULT_OWNER,
            "body": {
                "id": message_id,
                "to": [{"phoneNumber": to, "name": "PlanoCore", "target": True}],
                "from": {"phoneNumber": from_},
                "type": "SMS",
                "creationTime": _now(),
                "lastModifiedTime": _now(),
                "readStatus": "Unread",
                "priority": "Normal",
                "attachments": attachments
                or [{"id": message_id, "type": "Text", "contentType": "text/plain"}],
                "direction": "Inbound",
                "availability": "Alive",
                "subject": text,
                "messageStatus": "Received",
                "conversationId": "7265128936219380120",
            },
        }

    def deliver(self, event: dict[str, Any], *, token: str | None = None) -> list[requests.Response]:
        """POST `event` to every active subscription's address, as RingCentral does (its Verification-Token,
        or `token` when given); return the answers."""
        answers = []
        for info in list(self.subscriptions.values()):
            if info["status"] != "Active":
                continue
            headers = {
                "Content-Type": "application/json; charset=UTF-8",
                "User-Agent": "RingCentral-Webhook/8.3",
            }
            secret = token if token is not None else info["deliveryMode"].get("verificationToken")
            if secret:
                headers["Verification-Token"] = secret
            body = {**event, "subscriptionId": info["id"]}
            answers.append(
                requests.post(info["deliveryMode"]["address"], json=body, headers=headers, timeout=10)
            )
        return answers

    def deliver_sms(
        self, *, text: str, from_: str, to: str = "+16505550100", **kwargs
    ) -> list[requests.Response]:
        return self.deliver(self.sms_event(text=text, from_=from_, to=to), **kwargs)

    def get_media(self, received: Received, groups: dict[str, str]) -> Reply:
        entry = self.media.get(groups["name"])
        if entry is None:
            return Reply(404, {"error": "no such media"})
        return Reply(200, raw=entry[0], content_type=entry[1])


def point_settings_at(settings, fake: RingCentralFake) -> None:
    """Point a pytest-django `settings` at the fake and use the RingCentral backends."""
    settings.RINGCENTRAL_SERVER_URL = fake.url
    settings.RINGCENTRAL_CLIENT_ID = fake.client_id
    settings.RINGCENTRAL_CLIENT_SECRET = fake.client_secret
    settings.RINGCENTRAL_JWT = fake.default_jwt
    # The fake serves MMS media (add_media) over plain http on 127.0.0.1: an
    # IP-literal allow-list entry permits exactly that address and port.
    settings.MEDIA_URL_ALLOW_HTTP = True
    settings.MEDIA_URL_ALLOWED_HOSTS = [f"127.0.0.1:{fake.port_number}"]
    settings.PROVIDER_BACKENDS = {
        **settings.PROVIDER_BACKENDS,
        "glip": "planocore.providers.ringcentral.backends.GlipBackend",
        "sms": "planocore.providers.ringcentral.backends.SmsBackend",
        "mms": "planocore.providers.ringcentral.backends.MmsBackend",
        "glip_teams": "planocore.providers.ringcentral.backends.TeamsBackend",
    }


def _reset_clients() -> None:
    from planocore.providers.registry import reset_backends
    from planocore.providers.ringcentral.sessions import reset_sessions

    reset_backends()
    reset_sessions()


@pytest.fixture(scope="session")
def _ringcentral_server():
    fake = RingCentralFake().start()
    yield fake
    fake.stop()


@pytest.fixture
def ringcentral_fake(_ringcentral_server, settings):
    """A running RingCentralFake with settings pointing at it (RingCentral backends for glip/sms/mms).

    One server per test session, emptied for each test. The settings' JWT logs
    in as the fake's default owner; add teams with `add_team`, password users
    with `add_user`, media with `add_media`.
    """
    fake = _ringcentral_server
    fake.reset()
    point_settings_at(settings, fake)
    _reset_clients()
    try:
        yield fake
    finally:
        fake.reset()
        _reset_clients()


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the RingCentral fake on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--teams", type=int, default=5, help="how many teams to create")
    parser.add_argument(
        "--control", action="store_true", help="also serve /_fake/log, /_fake/chaos, /_fake/clear"
    )
    parser.add_argument(
        "--rate-limit",
        action="append",
        default=[],
        metavar="GROUP=N",
        help="a throttling group's limit per window, e.g. Medium=40 (repeatable)",
    )
    parser.add_argument("--rate-window", type=float, default=60.0, help="the rolling window, seconds (60)")
    parser.add_argument("--penalty", type=float, default=60.0, help="the 429 penalty, seconds (60)")
    parser.add_argument("--enforce", action="store_true", help="answer 429 beyond the limits")
    args = parser.parse_args()
    fake = RingCentralFake(port=args.port)
    fake.penalty_seconds = args.penalty
    for item in args.rate_limit:
        group, _, limit = item.partition("=")
        fake.set_rate_limit(group, int(limit), enforce=args.enforce)
    fake.set_rate_limit(window=args.rate_window, enforce=args.enforce)
    for number in range(1, args.teams + 1):
        fake.add_team(f"chat-{number}", f"Team {number}", public=number % 7 == 0)
    print(
        f"RINGCENTRAL_CLIENT_ID={fake.client_id} RINGCENTRAL_CLIENT_SECRET={fake.client_secret} "
        f"RINGCENTRAL_JWT={fake.default_jwt}",
        flush=True,
    )
    fake.serve_forever_cli(control=args.control)


if __name__ == "__main__":
    main()
