"""The envelope on the main paths: success, bad token, unknown route."""

from django.core.management import call_command

from planocore.accounts.models import ApplicationToken
from planocore.accounts.tokens import hash_token


def test_current_session_with_application_token(api, app_token):
    code, body = api.get("/api/v1/sessions/current")
    assert code == 200
    assert body["status"] == "action-successful"
    assert body["data"]["application"] == "planox2"
    assert body["data"]["token_prefix"] == app_token[:10]


def test_wrong_token_is_invalid_token(api):
    code, body = api.get("/api/v1/sessions/current", token="pca_not-a-real-token")
    assert (code, body["status"]) == (401, "invalid-token")


def test_unknown_api_path_is_route_non_existent(api):
    code, body = api.get("/api/v1/no/such/route")
    assert (code, body["status"]) == (500, "route-non-existent")


def test_create_application_token_prints_only_the_token(db, capsys):
    call_command("create_application_token", "planoorder")
    printed = capsys.readouterr().out.strip()
    assert printed.startswith("pca_") and "\n" not in printed
    token = ApplicationToken.objects.get(token_hash=hash_token(printed))
    assert token.application.slug == "planoorder"
    assert not ApplicationToken.objects.filter(token_hash=printed).exists()
    assert token.permissions.filter(content_type__app_label="outbox").exists()
