"""Writes of the glip app: messages into the outbox, outcomes back, teams from RingCentral."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from glip.models import GlipMessage, GlipTeam
from planocore.delivery import NEEDS_SOMEONE
from planocore.outbox import services as outbox
from planocore.outbox.models import ExternalRequest
from planocore.providers import ratelimit, transport
from planocore.providers.base import ProviderError
from planocore.providers.registry import get_backend
from planocore.providers.ringcentral.models import RingCentralExtension

logger = logging.getLogger("glip")


# --- messages -----------------------------------------------------------------------
@sensitive_variables("rc_password")
@transaction.atomic
def glip_message_create(
    *,
    team: GlipTeam,
    text: str,
    extension: RingCentralExtension | None = None,
    rc_password: str = "",
    priority: int = 0,
    sent_by=None,
    application=None,
) -> GlipMessage:
    """Save a GlipMessage; its post goes into the outbox in the same transaction.

    The post_save receiver enqueues the post from the saved message alone. A
    one-time `rc_password` is never stored on the message: it is written here,
    encrypted, on the outgoing request (the sender reads it there and wipes it
    once sent), in the same transaction, so the send after the commit has it.
    """
    message = GlipMessage.objects.create(
        team=team,
        text=text,
        extension=extension,
        priority=priority,
        sent_by=sent_by if getattr(sent_by, "pk", None) else None,
        application=application,
    )  # the post_save receiver enqueues the post (glip_message_enqueue_post)
    if rc_password:
        outbox.add_secrets(source=message, secrets={"password": rc_password})
    return message


@transaction.atomic
def glip_message_enqueue_post(*, message: GlipMessage) -> ExternalRequest:
    """Put the message's post in the outbox (payload per docs/ARCHITECTURE.md)."""
    return outbox.enqueue(
        channel="glip",
        action="post",
        payload={"chat_id": message.team.chat_id, "text": message.text, "extension_id": message.extension_id},
        priority=message.priority,
        source=message,
        recipient=f"{message.team.name} (chat {message.team.chat_id})",
    )


@transaction.atomic
def glip_message_record_outcome(*, request: ExternalRequest) -> None:
    """Show its latest request's state (post id, error) on the message, unless a later request replaced it."""
    if request.superseded_by_id is not None:
        return
    fields = {"status": request.status, "last_error": request.last_error[:2000], "updated_at": timezone.now()}
    if request.status == ExternalRequest.Status.SENT:
        fields.update(post_id=request.provider_message_id, sent_at=request.sent_at or timezone.now())
    GlipMessage.objects.filter(pk=request.object_id).update(**fields)


@transaction.atomic
def glip_message_retry(*, message: GlipMessage) -> bool:
    """Put a failed or abandoned message's post back in line (staff); False when there is none.

    The message follows its request (queued again) through `outcome_recorded`.
    """
    request = (
        message.external_requests.filter(status__in=NEEDS_SOMEONE, superseded_by__isnull=True)
        .order_by("-id")
        .first()
    )
    return request is not None and outbox.retry_now(request) > 0


# --- the team import ------------------------------------------------------------------
@dataclass
class ImportReport:
    """What one import run did (or, with dry_run, would do)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    skipped: list[str] = field(default_factory=list)
    extensions: int = 0
    pages: int = 0
    waited_seconds: float = 0.0
    dry_run: bool = False

    def counts(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deactivated": self.deactivated,
            "skipped": len(self.skipped),
        }

    def __str__(self) -> str:
        text = ", ".join(f"{value} {name}" for name, value in self.counts().items())
        return f"{text} ({self.pages} pages from {self.extensions} extension(s))"


class ImportFailed(Exception):
    """The import could not finish (RingCentral refused or stayed unavailable)."""


IMPORT_PAGE_SIZE = 100
IMPORT_MAX_TRIES_PER_PAGE = 6


def import_sources() -> list[RingCentralExtension | None]:
    """The default extensions to import from; None stands for settings.RINGCENTRAL_JWT alone.

    A default extension with credentials of its own logs in with them; one
    without uses settings.RINGCENTRAL_JWT (once, however many there are).
    """
    sources: list[RingCentralExtension | None] = []
    uses_settings_jwt = False
    for ext in RingCentralExtension.objects.filter(is_default=True, active=True).order_by("pk"):
        if not (ext.jwt or ext.password):
            if uses_settings_jwt:
                continue
            uses_settings_jwt = True
        sources.append(ext)
    return sources or [None]


def _fetch_page(
    *,
    source: RingCentralExtension | None,
    page_token: str | None,
    report: ImportReport,
    sleep: Callable[[float], None],
):
    """One page; waits out the budget and 429s, retries 5xx with backoff.

    The transport takes each call from the extension's budget; when it is spent
    (or a penalty runs) no call is made, and the wait is slept here without
    counting a try. A 429's penalty is applied by `transport.penalize` (as the
    outbox does for its sends); the next call then waits it out, through the
    budget, or here when the backend keeps none.
    """
    backend = get_backend("glip_teams")
    attempt = 0
    while True:
        try:
            return backend.list_teams_page(
                extension_id=source.pk if source else None,
                page_token=page_token,
                record_count=IMPORT_PAGE_SIZE,
            )
        except ProviderError as exc:
            if isinstance(exc, ratelimit.BudgetExhausted):
                delay = exc.retry_after
            else:
                attempt += 1
                if not exc.retryable or attempt >= IMPORT_MAX_TRIES_PER_PAGE:
                    raise ImportFailed(exc.message) from None
                penalty = transport.penalize(exc, key=None)
                if penalty:  # the budget makes the next call wait
                    logger.warning("Team list rate-limited; waiting %.1fs (Retry-After)", penalty)
                    continue
                if exc.http_status == 429:  # a backend that keeps no budget: wait here
                    delay = transport.penalty_seconds(exc)
                else:
                    delay = max(min(30.0, 2.0**attempt), exc.retry_after or 0.0)
                logger.warning("Team list page failed (%s); trying again in %.1fs", exc.message, delay)
            report.waited_seconds += delay
            sleep(delay)
    raise AssertionError("unreachable")


def _apply_page(
    records: list[dict],
    *,
    source: RingCentralExtension | None,
    report: ImportReport,
    names: dict[str, str],
) -> None:
    """Create or update the page's teams, matched by chat id.

    `names` maps every team name known so far to its chat id (the database plus
    this run), so a name taken by another chat is reported and skipped instead
    of breaking the unique constraint.
    """
    now = timezone.now()
    by_chat = {t.chat_id: t for t in GlipTeam.objects.filter(chat_id__in=[str(r.get("id")) for r in records])}
    seen: list[int] = []
    for record in records:
        chat_id, name = str(record.get("id") or ""), (record.get("name") or "").strip()[:255]
        if not chat_id or not name or record.get("type", "Team") != "Team":
            continue
        values = {
            "name": name,
            "description": record.get("description") or "",
            "public": bool(record.get("public")),
            "active": record.get("status", "Active") != "Archived",
        }
        holder = names.get(name)
        if holder is not None and holder != chat_id:
            report.skipped.append(f"{name!r} (chat {chat_id}): the name belongs to chat {holder}")
            continue
        team = by_chat.get(chat_id)
        if team is None:
            report.created += 1
            names[name] = chat_id
            if not report.dry_run:
                GlipTeam.objects.create(
                    chat_id=chat_id, source_extension=source, last_imported_at=now, **values
                )
            continue
        changed = [k for k, v in values.items() if getattr(team, k) != v]
        if not changed:
            report.unchanged += 1
            seen.append(team.pk)
            continue
        if "active" in changed and not values["active"]:
            report.deactivated += 1
        else:
            report.updated += 1
        if "name" in changed:
            names.pop(team.name, None)
            names[name] = chat_id
        if not report.dry_run:
            for key in changed:
                setattr(team, key, values[key])
            team.last_imported_at = now
            team.save(update_fields=[*changed, "last_imported_at", "updated_at"])
    if seen and not report.dry_run:
        GlipTeam.objects.filter(pk__in=seen).update(last_imported_at=now)


def glip_teams_import(
    *,
    dry_run: bool = False,
    progress: Callable[[ImportReport, int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> ImportReport:
    """Import the teams of every default extension from RingCentral; safe to run again.

    Reads the team list through the `glip_teams` backend (settings.PROVIDER_BACKENDS):
    RingCentral's, or with no RingCentral credentials the sandbox's documented
    teams (docs/glip.md). Pages through GET /team-messaging/v1/teams per default extension and
    creates or updates GlipTeam records by chat id: a renamed team is updated, an
    archived one deactivated (and reactivated if it comes back). Every team the
    list holds is imported, public teams the extension has not joined included:
    the list does not say which ones it has joined. Teams missing from the list
    are left as they are. Each page is written in its own transaction, so an
    interrupted run keeps what it did and the next run carries on. Raises
    ImportFailed when RingCentral refuses or stays unavailable.
    """
    report = ImportReport(dry_run=dry_run)
    names = dict(GlipTeam.objects.values_list("name", "chat_id"))
    for source in import_sources():
        report.extensions += 1
        page_token: str | None = None
        seen_tokens: set[str] = set()
        while True:
            page = _fetch_page(source=source, page_token=page_token, report=report, sleep=sleep)
            report.pages += 1
            with transaction.atomic():
                _apply_page(page.records, source=source, report=report, names=names)
            if progress is not None:
                progress(report, len(page.records))
            page_token = page.next_page_token
            if not page_token or page_token in seen_tokens:  # a looping token must not hang the import
                break
            seen_tokens.add(page_token)
    logger.info("Glip team import%s: %s", " (dry run)" if dry_run else "", report)
    return report
