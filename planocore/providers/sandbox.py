"""The sandbox: stand-ins for every provider, so the whole product runs locally with no credentials.

settings.PROVIDER_BACKENDS picks these wherever a provider has no credentials:

- `SandboxBackend` (every outbox channel) records what would be sent and returns
  a synthetic id. It fails on purpose when told to: staff's switch for the
  channel (`SandboxFailure`, edited in the admin under Outbox → Sandbox failures,
  stored in the database and cached as its docstring says), or a payload key
  `sandbox_fail` of "retryable" or "permanent" (with an optional
  `sandbox_retry_after` in seconds).
- `SandboxTeamsBackend` (`glip_teams`) lists the documented sandbox teams
  (SANDBOX_GLIP_TEAMS after the teams apps declare), so the Glip
  import works with no RingCentral credentials.
- `SandboxClientsBackend` (`messaging_clients`) keeps each user's messaging
  clients in this process's memory and pages them like Sunshine Conversations.
"""

import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sunshine_conversations_client import Client, ClientCreate, ClientListResponse

from planocore.declarations import declared
from planocore.providers.base import ProviderBackend, ProviderError, ProviderResult, TeamsPage


class SandboxBackend(ProviderBackend):
    name = "sandbox"
    label = "the sandbox"

    def build(self, *, channel, action, payload, secrets):
        return {"channel": channel, "action": action, "payload": payload}

    def call(self, built, *, secrets):
        failure = built["payload"].get("sandbox_fail")
        retry_after = built["payload"].get("sandbox_retry_after")
        switch = _switched_on(built["channel"])
        if switch is not None and failure not in ("retryable", "permanent"):
            failure, retry_after = switch.mode, switch.retry_after_seconds
        if failure in ("retryable", "permanent"):
            source = "the channel's switch in the admin" if switch is not None else "the payload"
            raise ProviderError(
                f"Sandbox told to fail ({failure}) by {source}.",
                retryable=failure == "retryable",
                retry_after=retry_after,
                http_status=503 if failure == "retryable" else 400,
            )
        return built

    def parse(self, raw):
        return ProviderResult(
            message_id=f"sandbox-{uuid.uuid4().hex}",
            response={"sandbox": True, "would_send": raw},
        )


@dataclass(frozen=True)
class Switch:
    mode: str
    retry_after_seconds: int | None


def _switched_on(channel: str) -> Switch | None:
    """Staff's failure switch for the channel when it is on, else None (cached: no query a send)."""
    from planocore.outbox.models import SandboxFailure  # models load after the registry's imports

    switch = SandboxFailure.switched_on().get(channel)
    return Switch(*switch) if switch else None


# --- Glip teams ---------------------------------------------------------------------
# The sandbox's team list (chat id, name, description), documented in docs/glip.md.
# The teams apps declare (`sandbox_glip_teams()` on their AppConfig, planocore.declarations:
# the team cancelation notices go to) are listed first, whatever their names.
SANDBOX_GLIP_TEAMS = [
    ("sandbox-general", "General", "Everyone: the sandbox's general team."),
    ("sandbox-operations", "Operations", "Operations staff."),
    ("sandbox-support", "Support", "Customer support."),
]


def sandbox_teams() -> list[dict]:
    """The team records the sandbox lists, shaped like RingCentral's (id, name, type, status...)."""
    teams = [team for _, declare in declared("sandbox_glip_teams") for team in declare()]
    names = {name for _, name, _ in teams}
    teams += [team for team in SANDBOX_GLIP_TEAMS if team[1] not in names]
    return [
        {"id": chat_id, "name": name, "description": text, "type": "Team", "public": True, "status": "Active"}
        for chat_id, name, text in teams
    ]


class SandboxTeamsBackend:
    """Backend `glip_teams` with no RingCentral credentials: the sandbox's teams, in pages."""

    name = "sandbox-teams"

    def list_teams_page(
        self, *, extension_id: int | None, page_token: str | None = None, record_count: int = 100
    ) -> TeamsPage:
        teams = sandbox_teams()
        start = int(page_token) if page_token and page_token.isdigit() else 0
        end = start + max(1, record_count)
        return TeamsPage(records=teams[start:end], next_page_token=str(end) if end < len(teams) else None)


# --- messaging clients ----------------------------------------------------------------
class SandboxClientsBackend:
    """Backend `messaging_clients` with no Sunshine Conversations credentials.

    Keeps each user's clients in this process's memory (gone on restart; each
    server process has its own) and answers like SC: a new client is pending
    (active at once with an `immediate` confirmation), a
    list is a cursor page (page[after]/page[before] are client ids, oldest
    first), an `sdk` client cannot be removed.
    """

    name = "sandbox-clients"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[str, list[dict]] = {}

    def is_configured(self) -> bool:
        return True

    def create_client(self, *, external_id: str, client: ClientCreate) -> Client:
        criteria = client.match_criteria.actual_instance.to_dict()
        now = datetime.now(UTC).isoformat()
        # An `immediate` confirmation links at once (SC confirms it by webhook; the
        # sandbox has none, so it answers active); any other waits for the user.
        immediate = client.confirmation.type == "immediate"
        record = {
            "id": uuid.uuid4().hex[:24],
            "type": criteria.get("type"),
            "status": "active" if immediate else "pending",
            "integrationId": criteria.get("integrationId"),
            "externalId": criteria.get("phoneNumber") or criteria.get("address"),
            "lastSeen": now,
            **({"linkedAt": now} if immediate else {}),
        }
        with self._lock:
            self._clients.setdefault(external_id, []).append(record)
        return Client.from_dict(record)

    def list_clients(
        self, *, external_id: str, after: str | None, before: str | None, size: int
    ) -> ClientListResponse:
        with self._lock:
            clients = list(self._clients.get(external_id, []))
        ids = [c["id"] for c in clients]
        for param, cursor in (("page[after]", after), ("page[before]", before)):
            if cursor and cursor not in ids:
                raise ProviderError(
                    f"The sandbox has no client {cursor!r} to page from ({param}).",
                    retryable=False,
                    http_status=400,
                    response={"errors": [{"code": "bad_request", "title": "Invalid page query parameters"}]},
                )
        if before:
            end = ids.index(before)
            start = max(0, end - size)
        else:
            start = ids.index(after) + 1 if after else 0
            end = start + size
        page = clients[start:end]
        more_after, more_before = end < len(clients), start > 0 and bool(page)
        meta: dict = {"hasMore": more_before if before else more_after}
        if page and more_after:
            meta["afterCursor"] = page[-1]["id"]
        if page and more_before:
            meta["beforeCursor"] = page[0]["id"]
        return ClientListResponse.from_dict({"clients": page, "meta": meta})

    def remove_client(self, *, external_id: str, client_id: str) -> None:
        with self._lock:
            clients = self._clients.get(external_id, [])
            client = next((c for c in clients if c["id"] == client_id), None)
            if client is None:
                raise ProviderError(
                    "The sandbox has no such client.",
                    retryable=False,
                    http_status=404,
                    response={"errors": [{"code": "client_not_found", "title": "Client not found"}]},
                )
            if client["type"] == "sdk":
                raise ProviderError(
                    "Cannot remove a client of type 'sdk'.",
                    retryable=False,
                    http_status=400,
                    response={"errors": [{"code": "bad_request", "title": "Cannot remove an sdk client"}]},
                )
            clients.remove(client)
