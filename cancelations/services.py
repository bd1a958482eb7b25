"""Writes to cancelations: create, update, cancel again, reinstate; history and notices.

Every write goes through `cancelation_create` or `cancelation_update` (the API,
the admin's forms and actions, the shell), so the rules below, the history and
the notices hold wherever a cancelation is changed.

The rules between `active`, `canceled_*` and `reinstated_*`:

- An active cancelation has a reason (`reason_id` / `reason_slug`), a
  `canceled_at`, and no `reinstated_*`.
- Reinstating is `active=false` on an active cancelation: `reinstated_at`
  defaults to now, `reinstated_by` to the caller. An inactive cancelation always
  has its `reinstated_at`, not before `canceled_at`.
- An inactive cancelation cannot be reinstated again (`active=false` once more);
  its `reinstated_*` may still be corrected.
- Canceling again is `active=true` on an inactive cancelation: the same record
  becomes active again, `reinstated_*` are cleared (the history keeps them) and
  `canceled_at/by/in` default to now and the caller.
- `reinstated_*` sent for an active cancelation without `active=false` is refused.
- At most one active cancelation per (cancelable_type, cancelable_id): the database
  guarantees it; the loser of a race gets an error naming `cancelable_id`.

A broken rule raises CancelationRuleError (a ValidationError) naming the parameter at fault;
the API's exception handler answers it invalid-param, the admin shows it on the form.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError as DRFValidationError

from cancelations.models import Cancelation, CancelationChange, CancelationNoticeProblem, CancelationReason
from planocore.api.fields import api_datetime

logger = logging.getLogger("cancelations")

# The fields a caller may set, in the seed's order (`reason` stands for reason_id/reason_slug).
FIELDS = (
    "cancelable_type",
    "cancelable_id",
    "key",
    "reason",
    "reason_text",
    "reason_note",
    "canceled_at",
    "canceled_by",
    "canceled_in",
    "reinstated_at",
    "reinstated_by",
    "reinstated_note",
    "active",
)
REINSTATED_FIELDS = ("reinstated_at", "reinstated_by", "reinstated_note")
ADMIN = "admin"


class CancelationRuleError(ValidationError):
    """A value or a combination of values the rules refuse; `param` names the parameter at fault.

    `clashing_pk`: the other cancelation the values clash with (the record's active one), when known.
    """

    def __init__(self, param: str, message: str, *, clashing_pk: int | None = None) -> None:
        super().__init__({param: [message]})
        self.param = param
        self.text = message
        self.clashing_pk = clashing_pk


@dataclass(frozen=True)
class Actor:
    """Who makes a change and through what.

    by: a user id or an application slug. via: the application slug, or "admin".
    """

    by: str
    via: str = ""
    user: Any = None

    @classmethod
    def from_principal(cls, principal, application: str | None = None) -> "Actor":
        """The caller of an API request (`application` is the request's `application` param)."""
        if principal is None:
            return cls(by="system")
        if principal.application_token is not None:
            slug = principal.application_token.application.slug
            return cls(by=slug, via=slug)
        user = principal.user
        if principal.session is not None:
            session_app = principal.session.application
            via = application or (session_app.slug if session_app is not None else "")
            return cls(by=str(user.pk), via=via, user=user)
        # Staff using the browsable API with their admin session.
        return cls(by=str(user.pk), via=application or ADMIN, user=user)

    @classmethod
    def for_admin(cls, user) -> "Actor":
        """A staff member working in the admin."""
        return cls(by=str(user.pk), via=ADMIN, user=user)


@dataclass
class Plan:
    """The values a change writes, what changed, and the transition it makes (if any)."""

    values: dict[str, Any]
    changes: dict[str, list[Any]]
    transition: str | None  # "canceled", "reinstated" or None


def _shown(name: str, value: Any) -> Any:
    """A value as the history (JSON) keeps it."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, CancelationReason):
        return value.slug
    return value


def _resolve_reason(data: dict, current: CancelationReason | None) -> CancelationReason | None:
    reason = data.get("reason", current)
    by_id = by_slug = None
    if data.get("reason_id") is not None:
        by_id = CancelationReason.objects.filter(pk=data["reason_id"]).first()
        if by_id is None:
            raise CancelationRuleError(
                "reason_id",
                f"no cancelation reason has id {data['reason_id']}; "
                "see /documentation/list_items/cancelation_reason.",
            )
        reason = by_id
    if data.get("reason_slug"):
        by_slug = CancelationReason.objects.filter(slug=data["reason_slug"]).first()
        if by_slug is None:
            raise CancelationRuleError(
                "reason_slug",
                f"no cancelation reason has slug '{data['reason_slug']}'; "
                "see /documentation/list_items/cancelation_reason.",
            )
        if by_id is not None and by_id.pk != by_slug.pk:
            raise CancelationRuleError(
                "reason_slug",
                f"'{by_slug.slug}' is not the reason of reason_id {by_id.pk} ('{by_id.slug}'); "
                "pass one of them or two that agree.",
            )
        reason = by_slug
    if reason is not None and reason != current and not reason.active:
        param = "reason_slug" if by_slug is not None else "reason_id"
        raise CancelationRuleError(
            param, f"the reason '{reason.slug}' is no longer offered; choose an active one."
        )
    return reason


def cancelation_plan(*, cancelation: Cancelation | None, data: dict, actor: Actor) -> Plan:
    """Check a change against the rules and return what it would write; raise CancelationRuleError.

    `data` holds the parameters given (absent ones keep their value): the model's
    fields, with the reason as `reason_id`, `reason_slug` or `reason` (an object).
    Reads only; the admin's forms call it to show errors next to the fields.
    """
    now = timezone.now()
    creating = cancelation is None
    current: dict[str, Any] = (
        {name: getattr(cancelation, name) for name in FIELDS}
        if cancelation is not None
        else {
            "cancelable_type": None,
            "cancelable_id": None,
            "key": "",
            "reason": None,
            "reason_text": "",
            "reason_note": "",
            "canceled_at": None,
            "canceled_by": "",
            "canceled_in": "",
            "reinstated_at": None,
            "reinstated_by": "",
            "reinstated_note": "",
            "active": False,
        }
    )
    given = {name for name in FIELDS if name in data and name != "reason"}
    new = dict(current)
    for name in given:
        new[name] = data[name]
    if creating and "active" not in data:
        new["active"] = True
    for name in (
        "key",
        "reason_text",
        "reason_note",
        "canceled_by",
        "canceled_in",
        "reinstated_by",
        "reinstated_note",
    ):
        if new[name] is None:
            new[name] = ""

    for name in ("cancelable_type", "cancelable_id"):
        if new[name] in (None, ""):
            raise CancelationRuleError(name, f"the param `{name}` is required to create a cancelation.")
    if new["cancelable_type"] not in settings.CANCELABLE_TYPES:
        allowed = ", ".join(settings.CANCELABLE_TYPES)
        raise CancelationRuleError(
            "cancelable_type", f"'{new['cancelable_type']}' cannot be canceled; use one of: {allowed}."
        )

    new["reason"] = _resolve_reason(data, current["reason"])
    if new["reason"] != current["reason"] and "reason_text" not in data:
        new["reason_text"] = new["reason"].text if new["reason"] is not None else ""

    was_active = bool(current["active"]) and not creating
    transition = None
    if new["active"]:
        sent_reinstated = [name for name in REINSTATED_FIELDS if name in given and new[name]]
        if sent_reinstated:
            raise CancelationRuleError(
                sent_reinstated[0],
                "only a reinstated cancelation has reinstated_*; pass active=false with it to reinstate.",
            )
        if not was_active:
            # Canceling: a new cancelation, or an inactive one canceled again.
            transition = "canceled"
            for name in REINSTATED_FIELDS:
                new[name] = None if name == "reinstated_at" else ""
            if "canceled_at" not in given:
                new["canceled_at"] = now
            if "canceled_by" not in given:
                new["canceled_by"] = actor.by
            if "canceled_in" not in given:
                new["canceled_in"] = actor.via
        if new["reason"] is None:
            raise CancelationRuleError(
                "reason_id",
                "a reason is needed to cancel: pass reason_id or reason_slug "
                "(see /documentation/list_items/cancelation_reason).",
            )
        if new["canceled_at"] is None:
            raise CancelationRuleError("canceled_at", "an active cancelation needs its canceled time.")
    else:
        if was_active:
            transition = "reinstated"
            if "reinstated_at" not in given:
                new["reinstated_at"] = now
            if "reinstated_by" not in given:
                new["reinstated_by"] = actor.by
        elif creating:
            # Recording a cancelation that was already reinstated (history brought over).
            if new["reason"] is None:
                raise CancelationRuleError("reason_id", "a reason is needed: pass reason_id or reason_slug.")
            if new["reinstated_at"] is None:
                raise CancelationRuleError(
                    "reinstated_at",
                    "a cancelation created with active=false was already reinstated: pass its reinstated_at.",
                )
            if "canceled_by" not in given:
                new["canceled_by"] = actor.by
            if "canceled_in" not in given:
                new["canceled_in"] = actor.via
        elif "active" in data:
            when = api_datetime(current["reinstated_at"]) if current["reinstated_at"] else "earlier"
            raise CancelationRuleError(
                "active",
                f"this cancelation was already reinstated ({when}); it cannot be reinstated twice. "
                "Pass active=true to cancel again.",
            )
        if new["reinstated_at"] is None:
            raise CancelationRuleError("reinstated_at", "a reinstated cancelation keeps its reinstated time.")
    if new["canceled_at"] and new["reinstated_at"] and new["reinstated_at"] < new["canceled_at"]:
        raise CancelationRuleError("reinstated_at", "must not be before canceled_at.")

    changes = {
        name: [_shown(name, current[name]) if not creating else None, _shown(name, new[name])]
        for name in FIELDS
        if creating or new[name] != current[name]
    }
    if creating:
        changes = {name: pair for name, pair in changes.items() if pair[1] not in (None, "")}
    return Plan(values=new, changes=changes, transition=transition)


def _other_active(values: dict, exclude_pk: int | None) -> Cancelation | None:
    qs = Cancelation.objects.filter(
        cancelable_type=values["cancelable_type"], cancelable_id=values["cancelable_id"], active=True
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.only("pk").first()


def active_clash(*, values: dict, cancelation: Cancelation | None = None) -> CancelationRuleError | None:
    """The error saving `values` (a plan's) would meet: the record already has another active
    cancelation (its pk in `clashing_pk`); None when there is none. For forms (beside the field)."""
    if not values.get("active"):
        return None
    other = _other_active(values, cancelation.pk if cancelation is not None else None)
    return _already_active_error(values, other) if other is not None else None


def _already_active_error(values: dict, other: Cancelation | None) -> CancelationRuleError:
    which = f" (cancelation {other.pk})" if other is not None else ""
    return CancelationRuleError(
        "cancelable_id",
        f"{values['cancelable_type']} {values['cancelable_id']} already has an active cancelation{which}; "
        "reinstate it or update it instead.",
        clashing_pk=other.pk if other is not None else None,
    )


def _save(cancelation: Cancelation, plan: Plan, *, creating: bool) -> None:
    claims_record = creating or any(
        name in plan.changes for name in ("active", "cancelable_type", "cancelable_id")
    )
    if plan.values["active"] and claims_record:
        # A friendly error for the common case; the unique index below settles races.
        other = _other_active(plan.values, None if creating else cancelation.pk)
        if other is not None:
            raise _already_active_error(plan.values, other)
    for name, value in plan.values.items():
        setattr(cancelation, name, value)
    try:
        # A savepoint, so that losing a race leaves the caller's transaction usable.
        with transaction.atomic():
            if creating:
                cancelation.save()
            else:
                cancelation.save(update_fields=[*plan.changes, "updated_at"])
    except IntegrityError as exc:
        # The partial unique index caught a concurrent cancel of the same record.
        if "cancelation_one_active_per_cancelable" in str(exc) or "UNIQUE" in str(exc).upper():
            raise _already_active_error(plan.values, None) from None
        raise


def _record(cancelation: Cancelation, plan: Plan, *, actor: Actor, action: str) -> CancelationChange:
    return CancelationChange.objects.create(
        cancelation=cancelation,
        action=action,
        changes=plan.changes,
        changed_by=actor.by,
        changed_by_user=actor.user if getattr(actor.user, "pk", None) else None,
        changed_in=actor.via,
        changed_at=timezone.now(),
    )


@transaction.atomic
def cancelation_create(*, data: dict, actor: Actor) -> Cancelation:
    """Create a cancelation (active unless `active=false` is given), record it, and send its notice."""
    plan = cancelation_plan(cancelation=None, data=data, actor=actor)
    cancelation = Cancelation()
    _save(cancelation, plan, creating=True)
    _record(cancelation, plan, actor=actor, action=CancelationChange.Action.CREATE)
    if plan.transition is not None:
        send_notices(cancelation=cancelation, transition=plan.transition)
    return cancelation


@transaction.atomic
def cancelation_update(*, cancelation: Cancelation, data: dict, actor: Actor) -> Cancelation:
    """Apply the given params to a cancelation under a row lock; record the change; send notices.

    The lock makes concurrent updates of one cancelation take turns, so each
    transition (canceled, reinstated) happens, and is announced, exactly once.
    """
    locked = (
        Cancelation.objects.select_for_update(of=("self",)).select_related("reason").get(pk=cancelation.pk)
    )
    plan = cancelation_plan(cancelation=locked, data=data, actor=actor)
    if not plan.changes:
        return locked
    _save(locked, plan, creating=False)
    action = {
        "canceled": CancelationChange.Action.CANCEL,
        "reinstated": CancelationChange.Action.REINSTATE,
    }.get(plan.transition, CancelationChange.Action.UPDATE)
    _record(locked, plan, actor=actor, action=action)
    if plan.transition is not None:
        send_notices(cancelation=locked, transition=plan.transition)
    return locked


def cancelation_reinstate(*, cancelation: Cancelation, actor: Actor, note: str = "") -> Cancelation:
    """Reinstate an active cancelation (the admin action)."""
    return cancelation_update(
        cancelation=cancelation, data={"active": False, "reinstated_note": note}, actor=actor
    )


def cancelation_cancel(*, cancelation: Cancelation, actor: Actor, note: str = "") -> Cancelation:
    """Cancel a reinstated cancelation's record again (the admin action); `note` becomes reason_note."""
    data: dict[str, Any] = {"active": True}
    if note:
        data["reason_note"] = note
    return cancelation_update(cancelation=cancelation, data=data, actor=actor)


# --- Notices -----------------------------------------------------------------------


def _notice_text(cancelation: Cancelation, transition: str) -> tuple[str, str]:
    subject_of = f"{cancelation.cancelable_type} {cancelation.cancelable_id}"
    if transition == "canceled":
        subject = f"{subject_of} canceled"
        lines = [
            f"{subject_of} was canceled: {cancelation.reason_text or cancelation.reason_slug}.",
            f"By {cancelation.canceled_by or 'unknown'} in {cancelation.canceled_in or 'unknown'} "
            f"at {cancelation.canceled_at:%Y-%m-%d %H:%M} UTC.",
        ]
        if cancelation.reason_note:
            lines.append(f"Note: {cancelation.reason_note}")
    else:
        subject = f"{subject_of} reinstated"
        lines = [
            f"{subject_of} was reinstated (its cancelation is no longer active).",
            f"By {cancelation.reinstated_by or 'unknown'} at {cancelation.reinstated_at:%Y-%m-%d %H:%M} UTC.",
        ]
        if cancelation.reinstated_note:
            lines.append(f"Note: {cancelation.reinstated_note}")
    return subject, "\n".join(lines)


def _email_recipients(cancelable_type: str) -> str:
    value = settings.CANCELATION_NOTICE_EMAILS.get(cancelable_type) or ""
    if isinstance(value, (list, tuple)):
        value = ",".join(value)
    # Several addresses for one type are separated by ";" in the environment variable.
    return ",".join(part.strip() for part in value.replace(";", ",").split(",") if part.strip())


def notice_data(*, cancelation: Cancelation, transition: str) -> list[dict]:
    """The notifications (as notification_create data) a transition announces."""
    subject, body = _notice_text(cancelation, transition)
    common: dict[str, Any] = {
        "key": f"cancelation-{transition}",
        "notifyable_type": "Cancelation",
        "notifyable_id": cancelation.pk,
        "email_subject": subject,
        "email_body": body,
    }
    if cancelation.cancelable_type == "Order":
        common["olio_id"] = str(cancelation.cancelable_id)
    elif cancelation.cancelable_type == "Tour":
        common["tour_id"] = str(cancelation.cancelable_id)
    notices = []
    if settings.CANCELATION_NOTICE_GLIP_TEAM:
        notices.append(
            {**common, "notification_type": "glip", "team_name": settings.CANCELATION_NOTICE_GLIP_TEAM}
        )
    recipients = _email_recipients(cancelation.cancelable_type)
    if recipients:
        notices.append({**common, "notification_type": "email", "email_to": recipients})
    return notices


def _problem_text(exc: Exception) -> str:
    """The validation error's messages as one line (DRF's detail or Django's messages)."""
    detail = getattr(exc, "detail", None)
    if detail is None:
        detail = getattr(exc, "message_dict", None) or getattr(exc, "messages", None) or str(exc)

    def flatten(value) -> list[str]:
        if isinstance(value, dict):
            return [text for item in value.values() for text in flatten(item)]
        if isinstance(value, (list, tuple)):
            return [text for item in value for text in flatten(item)]
        return [str(value)]

    return " ".join(flatten(detail))[:2000]


def _record_problem(cancelation: Cancelation, transition: str, notification_type: str, problem: str) -> None:
    CancelationNoticeProblem.objects.create(
        cancelation=cancelation, transition=transition, notification_type=notification_type, problem=problem
    )


def send_notices(*, cancelation: Cancelation, transition: str) -> None:
    """Create the transition's notifications in the current transaction (the outbox sends them after commit).

    Written with the cancelation, so a rolled-back change announces nothing and a
    committed one cannot lose its notice. A notice that cannot be made (say the
    Glip team is missing), or a transition with no notice configured at all, must
    not undo the cancelation: it is recorded as a CancelationNoticeProblem (shown
    on the cancelation's admin page and in the admin's "Notice problems" list) and
    logged.
    """
    from notifications.services import notification_create

    notices = notice_data(cancelation=cancelation, transition=transition)
    if not notices:
        logger.warning("Cancelation %s (%s): no notice is configured.", cancelation.pk, transition)
        _record_problem(
            cancelation,
            transition,
            "",
            f"No notice is configured for {cancelation.cancelable_type} cancelations: set "
            f"CANCELATION_NOTICE_GLIP_TEAM, or an address for {cancelation.cancelable_type} in "
            "CANCELATION_NOTICE_EMAILS.",
        )
    for data in notices:
        kind = data["notification_type"]
        try:
            with transaction.atomic():
                notification_create(data=data)
        except (ValidationError, DRFValidationError) as exc:
            # Settings that name a missing Glip team or a bad address: say which, once per notice.
            logger.warning(
                "Cancelation %s (%s): the %s notice was not made: %s",
                cancelation.pk,
                transition,
                kind,
                getattr(exc, "detail", exc),
            )
            where = (
                "CANCELATION_NOTICE_GLIP_TEAM"
                if kind == "glip"
                else f"CANCELATION_NOTICE_EMAILS[{cancelation.cancelable_type}]"
            )
            _record_problem(cancelation, transition, kind, f"{_problem_text(exc)} Check the setting {where}.")
        except Exception:
            logger.exception(
                "Could not create the %s notice of cancelation %s (%s).",
                kind,
                cancelation.pk,
                transition,
            )
            _record_problem(
                cancelation,
                transition,
                kind,
                "The notice could not be created (an unexpected error; see the server log).",
            )


@transaction.atomic
def notice_problems_mark_handled(*, queryset, user, note: str) -> int:
    """Resolve notices not made by hand (who, when, `note`); how many were still open."""
    return queryset.filter(resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolved_by=user, resolution=(note.strip() or "Marked handled.")[:500]
    )
