"""The outbox admin: list, dashboard, search, detail without secrets, actions."""

import pytest
from django.urls import reverse
from django.utils import timezone

from planocore.outbox.models import ExternalRequest
from planocore.outbox.services import enqueue, send

pytestmark = pytest.mark.django_db

Status = ExternalRequest.Status
CHANGELIST = "admin:outbox_externalrequest_changelist"


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def _req(status=Status.QUEUED, **kw):
    return ExternalRequest.objects.create(
        channel=kw.pop("channel", "sms"),
        payload=kw.pop("payload_override", {"text": "hello"}),
        status=status,
        next_attempt_at=timezone.now(),
        **kw,
    )


def test_changelist_shows_dashboard_counts_without_full_count(admin_client, django_assert_max_num_queries):
    for status, n in [(Status.QUEUED, 3), (Status.FAILED, 2), (Status.ABANDONED, 1), (Status.SENT, 4)]:
        for _ in range(n):
            _req(status)
    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="outbox-queued">3<' in html
    assert 'class="outbox-failed">2<' in html
    assert 'class="outbox-abandoned">1<' in html
    assert response.context["cl"].show_full_result_count is False
    assert response.context["outbox_dashboard"] == {
        "queued": 3,
        "sending": 0,
        "retrying": 0,
        "failed": 2,
        "abandoned": 1,
    }


def test_changelist_filters_and_date_drilldown(admin_client):
    _req(Status.FAILED, channel="glip", priority=5)
    _req(Status.QUEUED, channel="sms")
    response = admin_client.get(reverse(CHANGELIST), {"status__exact": "failed", "channel__exact": "glip"})
    assert [r.channel for r in response.context["cl"].result_list] == ["glip"]
    year = timezone.now().year
    response = admin_client.get(reverse(CHANGELIST), {"created_at__year": year})
    assert response.status_code == 200 and len(response.context["cl"].result_list) == 2


def test_search_finds_a_provider_message_id_by_its_start(admin_client):
    target = _req(Status.SENT, provider_message_id="rc-msg-123")
    longer = _req(Status.SENT, provider_message_id="rc-msg-1234")
    response = admin_client.get(reverse(CHANGELIST), {"q": "rc-msg-1234"})
    assert [r.pk for r in response.context["cl"].result_list] == [longer.pk]
    response = admin_client.get(reverse(CHANGELIST), {"q": "rc-msg-12"})
    assert [r.pk for r in response.context["cl"].result_list] == [longer.pk, target.pk]
    response = admin_client.get(reverse(CHANGELIST), {"q": "msg-123"})  # not the start
    assert [r.pk for r in response.context["cl"].result_list] == []
    response = admin_client.get(reverse(CHANGELIST), {"q": str(target.pk)})
    assert target.pk in [r.pk for r in response.context["cl"].result_list]


def test_detail_shows_proof_and_attempts_but_never_secrets(admin_client, sandbox):
    request = enqueue(
        channel="glip",
        payload={"chat_id": "42", "text": "hi"},
        secrets={"password": "never-shown"},
        dispatch=False,
    )
    ExternalRequest.objects.filter(pk=request.pk).update(
        payload={"chat_id": "42", "text": "hi", "sandbox_fail": "permanent"}
    )
    send(request.pk)
    request.refresh_from_db()
    assert request.secret_payload  # still held (not sent)
    response = admin_client.get(reverse("admin:outbox_externalrequest_change", args=[request.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "never-shown" not in html
    assert request.secret_payload not in html
    assert "Sandbox told to fail" in html  # the attempt inline and last error
    assert "&quot;chat_id&quot;: &quot;42&quot;" in html  # payload pretty-printed
    assert 'name="secret_payload"' not in html


def test_retry_now_and_abandon_actions(admin_client, sandbox, django_capture_on_commit_callbacks):
    failed = _req(Status.FAILED, attempts=1, last_error="boom")
    done = _req(Status.SENT)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse(CHANGELIST),
            {"action": "retry_now", "_selected_action": [failed.pk, done.pk]},
            follow=True,
        )
    assert response.status_code == 200
    failed.refresh_from_db()
    assert failed.status == Status.SENT  # retried, and sent after the action's commit
    shown = [str(m) for m in response.context["messages"]]
    assert any("1 request(s) put back" in m for m in shown)
    assert f"Left alone: #{done.pk}: already sent, suppressed or being sent." in shown

    waiting = _req(Status.QUEUED)
    admin_client.post(reverse(CHANGELIST), {"action": "abandon", "_selected_action": [waiting.pk, done.pk]})
    waiting.refresh_from_db()
    done.refresh_from_db()
    assert waiting.status == Status.ABANDONED
    assert done.status == Status.SENT


@pytest.mark.django_db(transaction=True)  # the send runs when the retry commits, inside the request
def test_retry_banner_says_how_the_retry_ended(admin_client, sandbox):
    ok = _req(Status.FAILED, channel="sms", payload_override={"to": ["+12125550100"], "text": "hi"})
    refused = _req(
        Status.FAILED, channel="sms", payload_override={"to": ["+12125550101"], "sandbox_fail": "permanent"}
    )
    busy = _req(
        Status.FAILED,
        channel="sms",
        payload_override={"to": ["+12125550102"], "sandbox_fail": "retryable"},
        priority=5,  # retried by itself (priority 0 fails at once)
    )
    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "retry_now", "_selected_action": [ok.pk, refused.pk, busy.pk]},
        follow=True,
    )
    shown = [str(m) for m in response.context["messages"]]
    assert "3 request(s) put back in line to be sent now." in shown
    [ended] = [m for m in shown if m.startswith("How the retry ended")]
    assert ended.startswith(f"How the retry ended: 1 sent, 1 failed (#{refused.pk}: ")
    assert f", 1 retrying (#{busy.pk} failed again and waits for its next try: " in ended
    ok.refresh_from_db()
    assert ok.status == Status.SENT


def test_changelist_shows_provider_budgets(admin_client):
    from planocore.providers import ratelimit

    assert ratelimit.acquire("ringcentral:ext:3", "Medium", limit=40) == 0
    ratelimit.settle(
        "ringcentral:ext:3", "Medium", reserved=None, finished=ratelimit.clock(), reported_remaining=39
    )
    ratelimit.penalize("ringcentral:ext:3", 60, "Auth")
    response = admin_client.get(reverse(CHANGELIST))
    html = response.content.decode()
    assert 'id="provider-budgets"' in html
    budgets = {(b["account"], b["group"]): b for b in response.context["provider_budgets"]}
    medium = budgets[("ringcentral:ext:3", "Medium")]
    assert (medium["calls_last_minute"], medium["limit"], medium["remaining_reported"]) == (1, 40, 39)
    assert 'class="budget-remaining">39<' in html
    assert budgets[("ringcentral:ext:3", "Auth")]["penalty_until"] is not None


def test_callbacks_are_a_channel_staff_can_name_filter_and_chart(admin_client):
    """`callback` is a Channel like the providers': its label in the list, a choice of the
    channel filter and a row of the dashboard's charts, but no sandbox failure switch."""
    from planocore.dashboard import channel_days
    from planocore.outbox.models import SandboxFailure

    _req(Status.RETRYING, channel="callback", payload_override={"url": "https://app.example/hook"})
    _req(Status.QUEUED, channel="sms")

    response = admin_client.get(reverse(CHANGELIST), {"channel__exact": "callback"})
    assert [r.channel for r in response.context["cl"].result_list] == ["callback"]
    html = response.content.decode()
    assert "Application callback" in html
    assert "channel__exact=callback" in html  # the filter offers it
    assert ">callback<" not in html  # never the raw value as a label

    rows = {row["channel"]: row for row in channel_days(now=timezone.now())}
    assert rows["callback"]["label"] == "Application callback"
    assert rows["callback"]["days"][-1]["waiting"] == 1

    SandboxFailure.ensure_all()
    assert "callback" not in SandboxFailure.objects.values_list("channel", flat=True)
    assert SandboxFailure.objects.count() == 5
