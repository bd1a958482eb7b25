"""A notice that cannot be made is kept for staff: on the cancelation's page and in "Notice problems"."""

import pytest

from cancelations.models import Cancelation, CancelationNoticeProblem
from cancelations.services import Actor, cancelation_create, cancelation_update
from notifications.models import Notification

pytestmark = pytest.mark.django_db

PROBLEMS = "/admin/cancelations/cancelationnoticeproblem/"


def _cancel(reason, **data) -> Cancelation:
    data = {"cancelable_type": "Order", "cancelable_id": 10, "reason_id": reason.pk, **data}
    return cancelation_create(data=data, actor=Actor(by="planox2", via="planox2"))


def test_a_missing_team_and_a_bad_address_are_recorded(reason, settings, admin_client):
    settings.CANCELATION_NOTICE_GLIP_TEAM = "No Such Team"
    settings.CANCELATION_NOTICE_EMAILS = {"Order": "not-an-address"}
    cancelation = _cancel(reason)
    assert cancelation.active and not Notification.objects.exists()
    problems = list(cancelation.notice_problems.order_by("notification_type"))
    assert [(p.notification_type, p.transition) for p in problems] == [
        ("email", "canceled"),
        ("glip", "canceled"),
    ]
    assert "'No Such Team' is not an active Glip team" in problems[1].problem
    assert problems[1].problem.endswith("Check the setting CANCELATION_NOTICE_GLIP_TEAM.")
    assert "CANCELATION_NOTICE_EMAILS[Order]" in problems[0].problem

    html = admin_client.get(f"/admin/cancelations/cancelation/{cancelation.pk}/change/").content.decode()
    assert "None yet." not in html
    assert "Glip notice (canceled) not made:" in html and "Email notice (canceled) not made:" in html
    assert f'href="{PROBLEMS}?q={cancelation.pk}"' in html

    html = admin_client.get(PROBLEMS, {"q": cancelation.pk}).content.decode()
    assert (
        html.count("No Such Team") == 1
        and f"/admin/cancelations/cancelation/{cancelation.pk}/change/" in html
    )


def test_no_notice_configured_is_recorded_on_each_transition(reason, settings):
    settings.CANCELATION_NOTICE_GLIP_TEAM = ""
    settings.CANCELATION_NOTICE_EMAILS = {"Tour": "tours@example.com"}
    cancelation = _cancel(reason)
    cancelation_update(
        cancelation=cancelation, data={"active": False}, actor=Actor(by="planox2", via="planox2")
    )
    problems = list(cancelation.notice_problems.order_by("id").values_list("notification_type", "transition"))
    assert problems == [("", "canceled"), ("", "reinstated")]
    assert (
        "No notice is configured for Order cancelations" in CancelationNoticeProblem.objects.first().problem
    )


def test_a_rolled_back_cancelation_keeps_no_problem(reason, settings):
    from django.db import transaction

    settings.CANCELATION_NOTICE_GLIP_TEAM = "No Such Team"
    with pytest.raises(RuntimeError), transaction.atomic():
        _cancel(reason)
        raise RuntimeError
    assert not CancelationNoticeProblem.objects.exists()


def test_the_admin_save_warns(reason, settings, admin_client):
    settings.CANCELATION_NOTICE_GLIP_TEAM = "No Such Team"
    settings.CANCELATION_NOTICE_EMAILS = {}
    response = admin_client.post(
        "/admin/cancelations/cancelation/add/",
        {
            "cancelable_type": "Order",
            "cancelable_id": 77,
            "reason": reason.pk,
            "active": "on",
            "changes-TOTAL_FORMS": 0,
            "changes-INITIAL_FORMS": 0,
        },
        follow=True,
    )
    text = response.content.decode()
    assert Cancelation.objects.filter(cancelable_id=77).exists(), text[:3000]
    assert "The glip notice was not made: &#x27;No Such Team&#x27; is not an active Glip team" in text


def test_problems_are_in_the_dashboards_failures_block(reason, settings, admin_client):
    settings.CANCELATION_NOTICE_GLIP_TEAM = "No Such Team"
    settings.CANCELATION_NOTICE_EMAILS = {}
    cancelations = [_cancel(reason, cancelable_id=n) for n in range(1, 8)]
    response = admin_client.get("/admin/")
    [block] = [
        b for b in response.context["dashboard"]["failures"] if b.title == "Cancelation notices not made"
    ]
    assert block.list_url == f"{PROBLEMS}?problem=open" and block.count == 7
    # The five newest of the seven, newest first, each linking its cancelation's page.
    shown = [c.pk for c in reversed(cancelations[2:])]
    assert [f.url for f in block.failures] == [
        f"/admin/cancelations/cancelation/{pk}/change/" for pk in shown
    ]
    assert block.failures[0].label == f"Cancelation #{shown[0]}: glip notice (canceled) not made"
    assert "'No Such Team' is not an active Glip team" in block.failures[0].detail
    html = response.content.decode()
    heading = 'Cancelation notices not made: <span class="failure-count">7</span>'
    assert f'<a href="{PROBLEMS}?problem=open">{heading}</a>' in html
    assert all(f'href="{f.url}"' in html for f in block.failures)
    assert f'href="/admin/cancelations/cancelation/{cancelations[1].pk}/change/"' not in html


def test_a_notice_problem_marked_handled_leaves_the_failures_block_and_stays_findable(
    reason, settings, admin_client
):
    settings.CANCELATION_NOTICE_GLIP_TEAM = "No Such Team"
    settings.CANCELATION_NOTICE_EMAILS = {}
    cancelation = _cancel(reason, cancelable_id=5)
    problem = cancelation.notice_problems.get()
    admin_client.post(
        PROBLEMS,
        {"action": "mark_handled", "_selected_action": [problem.pk], "apply": "1", "note": "Team renamed."},
    )
    problem.refresh_from_db()
    assert problem.resolved_at is not None and problem.resolution == "Team renamed."
    assert problem.resolved_by.username == "admin"
    [block] = [
        b
        for b in admin_client.get("/admin/").context["dashboard"]["failures"]
        if b.title == "Cancelation notices not made"
    ]
    assert block.count == 0 and block.failures == []
    found = admin_client.get(PROBLEMS, {"problem": "resolved"}).context["cl"].result_list
    assert [p.pk for p in found] == [problem.pk]
