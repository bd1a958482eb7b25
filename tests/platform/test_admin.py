"""The platform's admin: tokens shown once and never readable, revocation, roles inline, sessions."""

import re

import pytest
from django.contrib.auth.models import Group

from planocore.accounts.models import ApiSession, Application, ApplicationToken, Client
from planocore.accounts.services import api_session_create
from planocore.accounts.tokens import hash_token


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_make_token_button_shows_the_token_once(admin_client, anon_api):
    app = Application.objects.get(slug="planoorder")
    page = admin_client.get(f"/admin/planocore/application/{app.pk}/change/").content.decode()
    assert f"/admin/planocore/application/{app.pk}/make-token/" in page
    assert (
        admin_client.get(f"/admin/planocore/application/{app.pk}/make-token/").status_code == 403
    )  # POST only

    response = admin_client.post(f"/admin/planocore/application/{app.pk}/make-token/")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    [clear] = re.findall(r'<code class="new-token">(pca_[\w-]+)</code>', response.content.decode())
    token = ApplicationToken.objects.get(token_hash=hash_token(clear))
    assert token.application == app and token.created_by.username == "staff"
    assert token.permissions.exists()
    assert anon_api.get("/api/v1/sessions/current", token=clear)[0] == 200

    # Never shown again, nor its hash: not on the token page, the list or the application.
    for url in (
        f"/admin/planocore/applicationtoken/{token.pk}/change/",
        "/admin/planocore/applicationtoken/",
        f"/admin/planocore/application/{app.pk}/change/",
    ):
        html = admin_client.get(url).content.decode()
        assert clear not in html and token.token_hash not in html
        assert token.prefix in html


def test_make_token_action(admin_client):
    apps = Application.objects.filter(slug__in=["planoauth", "planox2"])
    response = admin_client.post(
        "/admin/planocore/application/", {"action": "make_token", "_selected_action": [a.pk for a in apps]}
    )
    tokens = re.findall(r'<code class="new-token">(pca_[\w-]+)</code>', response.content.decode())
    assert len(tokens) == 2
    assert {t.application.slug for t in ApplicationToken.objects.all()} == {"planoauth", "planox2"}


def test_revoke_token_action(admin_client, api, app_token):
    token = ApplicationToken.objects.get(token_hash=hash_token(app_token))
    admin_client.post(
        "/admin/planocore/applicationtoken/", {"action": "revoke", "_selected_action": [token.pk]}
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    code, body = api.get("/api/v1/sessions/current")
    assert (code, body["status"]) == (401, "invalid-token")


def test_revoke_every_token_of_an_application(admin_client, api, app_token):
    app = Application.objects.get(slug="planox2")
    admin_client.post(
        "/admin/planocore/application/", {"action": "revoke_tokens", "_selected_action": [app.pk]}
    )
    assert api.get("/api/v1/sessions/current")[0] == 401


def test_token_permissions_are_edited_with_filter_horizontal(admin_client, app_token):
    token = ApplicationToken.objects.get()
    html = admin_client.get(f"/admin/planocore/applicationtoken/{token.pk}/change/").content.decode()
    assert "selectfilter" in html.lower() or "SelectFilter" in html
    assert admin_client.get("/admin/planocore/applicationtoken/add/").status_code == 403


def test_user_admin_shows_roles_inline(admin_client, django_user_model):
    user = django_user_model.objects.create_user("role-user", "r@example.com", "pw-12345678")
    Client.objects.create(user=user).groups.add(Group.objects.create(name="g1"))
    html = admin_client.get(f"/admin/auth/user/{user.pk}/change/").content.decode()
    assert "client-0-active" in html or "id_client-0-active" in html
    assert "Employee" in html and "Liaison" in html
    listing = admin_client.get("/admin/auth/user/").content.decode()
    assert "role-user" in listing and "Client" in listing


def test_session_admin_revokes(admin_client, django_user_model, anon_api):
    user = django_user_model.objects.create_user("s-user", "s@example.com", "pw-12345678")
    session, clear = api_session_create(user=user)
    html = admin_client.get("/admin/planocore/apisession/").content.decode()
    assert session.prefix in html and clear not in html and session.token_hash not in html
    admin_client.post("/admin/planocore/apisession/", {"action": "revoke", "_selected_action": [session.pk]})
    assert ApiSession.objects.get().revoked_at is not None
    assert anon_api.get("/api/v1/sessions/current", token=clear)[1]["status"] == "invalid-token"


def test_admin_pages_render(admin_client, django_assert_max_num_queries):
    for url in (
        "/admin/",
        "/admin/planocore/application/",
        "/admin/planocore/applicationtoken/",
        "/admin/planocore/apisession/",
        "/admin/planocore/apiservice/",
        "/admin/planocore/route/",
        "/admin/auth/user/",
    ):
        assert admin_client.get(url).status_code == 200, url
    with django_assert_max_num_queries(16):  # the dashboard: see tests/platform/test_dashboard.py
        admin_client.get("/admin/")
