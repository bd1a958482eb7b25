"""One delivery vocabulary (issue 23): every state the API, the admin, the dashboard, /metrics and the
docs can show is a name of planocore/delivery.py, with its one meaning and colour."""

import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from glip.models import GlipMessage, GlipTeam
from notifications.models import Notification
from planocore import delivery
from planocore.delivery import COLOURS, MEANINGS, DeliveryState
from planocore.outbox.models import ExternalRequest

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
STATES = set(DeliveryState.values)


@pytest.fixture
def every_state(db):
    """A notification, a Glip message and an outgoing request in each state."""
    team = GlipTeam.objects.create(name="Editors", chat_id="chat-1")
    for state in DeliveryState.values:
        note = Notification.objects.create(notification_type="sms", status=state, phone_to="+12125550100")
        message = GlipMessage.objects.create(team=team, text=state)
        # Their saves queued a request each (sent after a commit this test never makes): set its state.
        ExternalRequest.objects.filter(object_id__in=[str(note.pk), str(message.pk)]).update(
            status=state, next_attempt_at=timezone.now() if state in delivery.WAITING else None
        )
        GlipMessage.objects.filter(pk=message.pk).update(status=state)
    return team


def test_the_vocabulary_has_one_meaning_and_one_colour_per_state():
    assert set(MEANINGS) == STATES and set(COLOURS) == STATES
    assert set(delivery.WAITING) | set(delivery.OPEN) | set(delivery.FINAL) == STATES
    assert set(delivery.NEEDS_SOMEONE) <= set(delivery.FINAL)
    # The models that send store the vocabulary itself.
    assert ExternalRequest.Status is DeliveryState and GlipMessage.Status is DeliveryState
    assert ExternalRequest._meta.get_field("status").choices == DeliveryState.choices


def test_the_api_shows_only_vocabulary_states(every_state, api):
    code, body = api.get("/api/v1/notifications", {"page[size]": 100, "view": "default-with-proof"})
    assert code == 200
    assert {n["status"] for n in body["data"]} == STATES
    proofs = {r["status"] for n in body["data"] for r in n["proof"]}
    assert proofs <= STATES and proofs
    code, body = api.get("/api/v1/glip/messages", {"page[size]": 100})
    assert code == 200 and {m["status"] for m in body["data"]} == STATES


def test_the_admin_shows_each_state_as_its_badge(every_state, admin_client):
    for url in (
        reverse("admin:outbox_externalrequest_changelist"),
        reverse("admin:notifications_notification_changelist"),
    ):
        html = admin_client.get(url).content.decode()
        # (each badge is django-unfold's label inside it, its meaning on hover)
        badge = (
            r'<span class="state-badge state-(\w+)" data-colour="(\w*)">'
            r'<span [^>]*title="[^"]*">\s*([^<]+?)\s*</span>'
        )
        badges = re.findall(badge, html)
        assert {state for state, _, _ in badges} == STATES, url
        for state, colour, label in badges:
            assert (colour, label) == (COLOURS[state], DeliveryState(state).label)
    # The status filters offer exactly the vocabulary.
    for url in (
        reverse("admin:outbox_externalrequest_changelist"),
        reverse("admin:notifications_notification_changelist"),
        reverse("admin:glip_glipmessage_changelist"),
    ):
        html = admin_client.get(url).content.decode()
        offered = set(re.findall(r"[?&]status(?:__exact)?=(\w+)", html))
        assert offered == STATES, (url, offered)


def test_the_dashboard_and_metrics_count_in_the_vocabulary(every_state, admin_client, client):
    board = admin_client.get(reverse("admin:index")).context["dashboard"]
    counted = set(board["outbox"]) & (STATES | {"pending", "succeeded", "waiting", "due"})
    assert counted - {"due"} == set(delivery.OPEN) | set(delivery.NEEDS_SOMEONE)
    text = client.get("/metrics").content.decode()
    families = {family.name: family for family in text_string_to_metric_families(text)}

    def statuses(name):
        return {sample.labels["status"] for sample in families[name].samples}

    # In flight and open problems; and every state among the requests made in the window.
    assert statuses("planocore_outbox_requests") == set(delivery.OPEN) | set(delivery.NEEDS_SOMEONE)
    assert statuses("planocore_outbox_recent_requests") == STATES


def test_the_docs_name_each_state_with_its_meaning():
    table = (ROOT / "docs/outbox.md").read_text()
    section = table[table.index("## Delivery states") : table.index("## Life of a request")]
    rows = dict(re.findall(r"^\| `(\w+)` \| \w+ \| (.+?) \|$", section, re.M))
    assert set(rows) == STATES
    for state, meaning in rows.items():
        assert meaning == MEANINGS[state], state


def test_no_second_name_for_a_state_is_left_in_the_templates():
    stale = re.compile(r"Failed for good|Failed, will be retried|Failing|status__exact=pending|>Pending<")
    for path in (ROOT / "templates").rglob("*.html"):
        assert not stale.search(path.read_text()), path
