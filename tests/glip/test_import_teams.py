"""manage.py import_default_extensions_glip_teams against the RingCentral fake."""

import io
import time

import pytest
from django.core.management import CommandError, call_command

from glip import services
from glip.models import GlipTeam
from glip.services import glip_teams_import
from glip.tasks import import_default_extensions_glip_teams
from planocore.providers import ratelimit
from planocore.providers.ringcentral.models import RingCentralExtension

pytestmark = pytest.mark.django_db


@pytest.fixture
def many_teams(ringcentral_fake, monkeypatch):
    monkeypatch.setattr(services, "IMPORT_PAGE_SIZE", 4)
    for n in range(10):
        ringcentral_fake.add_team(f"chat-{n}", f"Team {n}", description=f"d{n}", public=n == 9)
    # A public team the default user is not a member of: the list shows it, so it is imported.
    ringcentral_fake.add_team("chat-public", "Everyone", public=True, members={"999"})
    # A private team of someone else: not in the list, not imported.
    ringcentral_fake.add_team("chat-private", "Secret", members={"999"})
    return ringcentral_fake


def _import(*args) -> str:
    out = io.StringIO()
    call_command("import_default_extensions_glip_teams", *args, stdout=out)
    return out.getvalue()


def test_import_over_several_pages_twice_leaves_the_same_teams(many_teams):
    printed = _import()
    assert "created 11, updated 0, unchanged 0, deactivated 0" in printed
    assert "3 page(s)" in printed
    pages = many_teams.requests_to("GET", "/team-messaging/v1/teams")
    assert [r.query.get("recordCount") for r in pages] == [["4"]] * 3
    assert "pageToken" not in pages[0].query and pages[1].query["pageToken"]
    first = list(GlipTeam.objects.order_by("chat_id").values_list("chat_id", "name", "active", "public"))
    assert len(first) == 11 and ("chat-public", "Everyone", True, True) in first
    assert not GlipTeam.objects.filter(chat_id="chat-private").exists()

    printed = _import()
    assert "created 0, updated 0, unchanged 11, deactivated 0" in printed
    assert (
        list(GlipTeam.objects.order_by("chat_id").values_list("chat_id", "name", "active", "public")) == first
    )


def test_rename_updates_and_archive_deactivates(many_teams):
    _import()
    many_teams.team("chat-1").name = "Team One"
    many_teams.team("chat-2").status = "Archived"
    printed = _import()
    assert "created 0, updated 1, unchanged 9, deactivated 1" in printed
    assert GlipTeam.objects.get(chat_id="chat-1").name == "Team One"
    assert not GlipTeam.objects.filter(name="Team 1").exists()
    assert GlipTeam.objects.get(chat_id="chat-2").active is False
    many_teams.team("chat-2").status = "Active"
    assert "updated 1" in _import()
    assert GlipTeam.objects.get(chat_id="chat-2").active is True


def test_dry_run_writes_nothing(many_teams):
    printed = _import("--dry-run")
    assert "Dry run" in printed and "created 11" in printed
    assert not GlipTeam.objects.exists()


def test_a_429_during_the_import_is_waited_out(many_teams):
    many_teams.fail_next(
        429,
        {"errorCode": "CMN-301", "message": "Request rate exceeded"},
        headers={"Retry-After": "1"},
        path="/team-messaging/v1/teams",
    )
    waits = []

    penalties = []

    def sleep(seconds):
        waits.append(seconds)
        penalties.append(ratelimit.penalty_remaining("ringcentral:default"))
        time.sleep(seconds)

    report = glip_teams_import(sleep=sleep)
    assert report.created == 11
    assert 0.9 <= sum(waits) <= 1.5 and report.waited_seconds == pytest.approx(sum(waits))
    calls = many_teams.requests_to("GET", "/team-messaging/v1/teams")
    assert len(calls) == 4  # the refused page, then the three pages
    assert penalties[0] > 0.9  # every worker stays away from this RingCentral user meanwhile


def test_a_429_through_the_command_really_waits(many_teams):
    many_teams.fail_next(429, None, headers={"Retry-After": "1"}, path="/team-messaging/v1/teams")
    calls_before = len(many_teams.requests_to("GET", "/team-messaging/v1/teams"))
    printed = _import()
    calls = many_teams.requests_to("GET", "/team-messaging/v1/teams")[calls_before:]
    assert "created 11" in printed
    assert calls[1].at - calls[0].at >= 1.0


def test_the_shared_budget_is_respected(many_teams, settings, monkeypatch):
    settings.RINGCENTRAL_BUDGETS = {**settings.RINGCENTRAL_BUDGETS, "Medium": 2}
    waits, ahead = [], [0.0]
    monkeypatch.setattr(ratelimit, "clock", lambda: time.time() + ahead[0])

    def sleep(seconds):
        waits.append(seconds)
        ahead[0] += seconds  # let the time pass

    report = glip_teams_import(sleep=sleep)
    assert report.created == 11 and len(waits) == 1


def test_permanent_refusal_fails_the_command(many_teams, settings):
    settings.RINGCENTRAL_JWT = "revoked-jwt"
    with pytest.raises(CommandError, match="refused the jwt login"):
        _import()
    assert not GlipTeam.objects.exists()


def test_every_default_extension_is_imported(many_teams):
    RingCentralExtension.objects.create(extension_number="101", is_default=True, jwt="jwt-101")
    RingCentralExtension.objects.create(extension_number="102", is_default=True)  # uses RINGCENTRAL_JWT
    many_teams.add_jwt("jwt-101", "999")
    report = glip_teams_import()
    # 101 (owner 999) sees Everyone, Secret and Team 9 (public); the settings' JWT sees 11 teams.
    assert report.extensions == 2
    assert GlipTeam.objects.count() == 12
    assert GlipTeam.objects.get(chat_id="chat-private").source_extension.extension_number == "101"


def test_a_name_taken_by_another_chat_is_skipped(many_teams):
    GlipTeam.objects.create(name="Team 3", chat_id="legacy-chat")
    printed = _import()
    assert "skipped 1" in printed and "'Team 3' (chat chat-3)" in printed
    assert GlipTeam.objects.get(name="Team 3").chat_id == "legacy-chat"


def test_the_celery_task_runs_the_import(many_teams):
    result = import_default_extensions_glip_teams.delay()
    assert result.get()["created"] == 11
    assert GlipTeam.objects.count() == 11


def test_progress_is_shown_on_a_terminal(many_teams):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    out = Terminal()
    call_command("import_default_extensions_glip_teams", stdout=out)
    printed = out.getvalue()
    assert "\rextension 1, page 1: 4 created" in printed and "\rextension 1, page 3: 11 created" in printed
    assert printed.rstrip().endswith("(3 page(s) from 1 extension(s)).")


def test_a_5xx_during_the_import_is_retried_with_the_outboxs_backoff(many_teams, settings):
    # Issue 27.2: the outbox's one retry policy (jittered), no longer a fixed 2 s, 4 s.
    settings.OUTBOX_RETRY_BASE_SECONDS = 2
    many_teams.fail_next(503, None, path="/team-messaging/v1/teams", times=2)
    waits = []
    report = glip_teams_import(sleep=waits.append)
    assert report.created == 11 and len(waits) == 2
    assert 1.0 <= waits[0] <= 2.0 and 2.0 <= waits[1] <= 4.0


def test_pages_are_listed_as_they_come_with_verbosity_2(many_teams):
    out = io.StringIO()
    call_command("import_default_extensions_glip_teams", verbosity=2, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[:3] == [
        "extension 1, page 1: 4 created, 0 updated, 0 unchanged, 0 deactivated (this page: 4 teams)",
        "extension 1, page 2: 8 created, 0 updated, 0 unchanged, 0 deactivated (this page: 4 teams)",
        "extension 1, page 3: 11 created, 0 updated, 0 unchanged, 0 deactivated (this page: 3 teams)",
    ]
    assert "\r" not in out.getvalue()
