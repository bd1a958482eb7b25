"""The operations dashboard on the admin index, drawn from real rows, in a real browser."""

from datetime import timedelta

from django.utils import timezone

from cancelations.models import Cancelation, CancelationNoticeProblem
from notifications.models import Notification
from planocore.outbox import services
from planocore.outbox.models import ExternalRequest
from tests.browser.admin_pages import rows

Status = ExternalRequest.Status


def _request(channel, status, days_ago=0, **fields):
    row = ExternalRequest.objects.create(channel=channel, status=status, payload={}, **fields)
    created = timezone.now() - timedelta(days=days_ago, minutes=5)
    ExternalRequest.objects.filter(pk=row.pk).update(created_at=created)
    return row


def _traffic():
    """Two weeks of requests: sms every day (more each day), a few emails and Glip posts."""
    for days_ago in range(14):
        for _ in range(14 - days_ago):
            _request("sms", Status.SENT, days_ago)
        if days_ago % 3 == 0:
            _request("sms", Status.FAILED, days_ago, last_error="RingCentral: invalid number")
    for days_ago in (0, 1, 2, 5):
        _request("email", Status.SENT, days_ago)
        _request("glip", Status.SENT, days_ago)
    _request("email", Status.RETRYING, 0, attempts=1, next_attempt_at=timezone.now() - timedelta(minutes=12))


def _chart(page, kind: str) -> dict:
    """What chart.js drew in the dashboard's `kind` chart: its axes, labels, legend, data and bars."""
    return page.evaluate(
        """(kind) => {
            const chart = Chart.getChart(document.querySelector(`#dash-chart-${kind} canvas`));
            const x = chart.scales.x, y = chart.scales.y;
            const datasets = Object.fromEntries(chart.data.datasets.map(d => [d.label, d.data]));
            const sms = chart.data.datasets.findIndex(d => d.label === 'SMS');
            return {
                x: {display: !!x.options.display, title: x.options.title.text},
                y: {display: !!y.options.display, title: y.options.title.text, stacked: !!y.options.stacked,
                    max: y.max},
                labels: chart.data.labels,
                ticks: x.ticks.map(t => x.getLabelForValue(t.value)),
                legend: !!chart.options.plugins.legend.display,
                tooltip: !!chart.options.plugins.tooltip.enabled,
                datasets,
                bar_heights: chart.getDatasetMeta(sms).data.map(bar => Math.round(bar.height)),
            };
        }""",
        kind,
    )


def test_dashboard_draws_charts_from_real_rows(page, live_server, admin_login, shot):
    _traffic()
    admin_login()
    assert page.title() == "Operations | PlanoCore admin"  # (unfold's leading space is trimmed)
    assert page.locator("#site-name").inner_text() == "PlanoCore"

    sms = page.locator("#dash-channel-sms")
    assert sms.locator(".today-sent").inner_text() == "14"
    assert sms.locator(".today-failed").inner_text() == "1"
    # The charts (the chart.js unfold bundles): drawn, with both axes, a label per day, a legend
    # and every channel on one scale; the figures are the rows'.
    sent = _chart(page, "sent")
    assert sent["x"]["display"] and sent["y"]["display"] and sent["legend"]
    assert sent["y"]["stacked"] and sent["tooltip"]
    assert sent["x"]["title"] == "Day the request was made" and sent["y"]["title"] == "Requests"
    days = [(timezone.localdate() - timedelta(days=13 - n)).strftime("%a %-d %b") for n in range(14)]
    assert sent["labels"] == days
    assert sent["ticks"] == days  # every day labelled on the axis, oldest on the left
    assert sent["datasets"]["SMS"] == list(range(1, 15))  # one sent on the oldest day, fourteen today
    assert sent["datasets"]["MMS"] == [0] * 14  # a channel with no traffic: an empty series, no error
    assert sent["datasets"]["Email"][-1] == 1
    # One scale for every channel: the busiest day's stack (14 SMS, 1 email, 1 Glip) fits under its top.
    assert sent["y"]["max"] >= 16
    # Today's bar is drawn taller than the oldest day's.
    assert sent["bar_heights"][-1] > 5 * sent["bar_heights"][0] > 0
    failed = _chart(page, "failed")
    assert failed["datasets"]["SMS"][-1] == 1 and failed["datasets"]["SMS"][12] == 0
    page.locator("#dash-chart-sent").scroll_into_view_if_needed()

    assert page.locator("#dash-outbox .outbox-due").inner_text() == "1"
    assert page.locator("#dash-outbox .outbox-retrying").inner_text() == "1"
    assert "12" in page.locator("#dash-outbox .outbox-oldest").inner_text()
    assert "No provider calls counted this minute." in page.locator("#dash-budgets").inner_text()
    # The rest of the index (the apps) is still there, below, and the sidebar leads everywhere.
    assert page.locator("#nav-sidebar").get_by_role("link", name="Routes").is_visible()
    shot("dashboard")

    # A channel's name opens its outgoing requests.
    with page.expect_navigation():
        sms.locator("h3 a").click()
    assert "channel__exact=sms" in page.url


def test_failures_block_shows_abandoned_requests_and_production_notifications(
    page, live_server, admin_login, shot
):
    request = _request("sms", Status.FAILED, last_error="RingCentral: 400 invalid phone number")
    services.abandon_requests(queryset=ExternalRequest.objects.filter(pk=request.pk))
    _request("sms", Status.SENT)
    [failed] = Notification.objects.bulk_create(
        [
            Notification(
                notification_type="email",
                email_to="client@example.com",
                email_subject="Your tour is ready",
                status="sent",
                provider_status="rejected",
                provider_failed_at=timezone.now() - timedelta(hours=1),
            )
        ]
    )

    cancelation = Cancelation.objects.create(cancelable_type="Order", cancelable_id=10)
    CancelationNoticeProblem.objects.create(
        cancelation=cancelation,
        transition="canceled",
        notification_type="glip",
        problem="'No Such Team' is not an active Glip team.",
    )

    admin_login()
    block = page.locator("#dash-failures")
    text = block.inner_text()
    assert f"#{request.pk} SMS send" in text
    assert "RingCentral: 400 invalid phone number" in text
    assert f"#{failed.pk} Your tour is ready" in text
    assert "rejected: to client@example.com" in text
    assert page.locator("#dash-outbox .outbox-abandoned").inner_text() == "1"
    block.scroll_into_view_if_needed()
    shot("failures")

    # The heading opens the changelist filtered to exactly the problems it counts.
    heading = block.get_by_role("link", name="Outgoing requests failed or abandoned")
    counted = int(heading.locator(".failure-count").inner_text())
    with page.expect_navigation():
        heading.click()
    assert "problem=open" in page.url
    assert rows(page).count() == counted

    page.go_back()
    with page.expect_navigation():
        block.get_by_role("link", name="Production notifications (emails refused, failed or bounced)").click()
    assert page.url.endswith("/admin/notifications/productionnotification/?problem=open")
    assert rows(page).count() == 1

    page.go_back()
    with page.expect_navigation():
        block.get_by_role("link", name=f"#{failed.pk} Your tour is ready").click()
    assert page.url.endswith(f"/admin/notifications/notification/{failed.pk}/change/")

    page.go_back()
    assert "'No Such Team' is not an active Glip team." in block.inner_text()
    with page.expect_navigation():
        block.get_by_role(
            "link", name=f"Cancelation #{cancelation.pk}: glip notice (canceled) not made"
        ).click()
    assert page.url.endswith(f"/admin/cancelations/cancelation/{cancelation.pk}/change/")

    page.go_back()
    with page.expect_navigation():
        block.get_by_role("link", name="Cancelation notices not made").click()
    assert page.url.endswith("/admin/cancelations/cancelationnoticeproblem/?problem=open")
    assert rows(page).count() == 1
