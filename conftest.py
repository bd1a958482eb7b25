"""Root fixtures: an API client, users with roles, application tokens."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from rest_framework.test import APIClient

from planocore.accounts.models import Application
from planocore.accounts.services import application_token_create, resolve_permissions

pytest_plugins = [
    "tests.fakes.ringcentral",
    "tests.fakes.mandrill",
    "tests.fakes.sunshine",
    "tests.sandbox.fixtures",
]


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


class Api:
    """A thin client that speaks the envelope: returns (http_code, body)."""

    def __init__(self, token: str | None = None):
        self.client = APIClient()
        self.token = token

    def _headers(self, token):
        token = token if token is not None else self.token
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def call(self, method: str, path: str, data=None, *, token=None, raw=None, content_type=None, **extra):
        func = getattr(self.client, method.lower())
        headers = {**self._headers(token), **extra}
        if raw is not None:
            response = func(path, data=raw, content_type=content_type or "application/json", **headers)
        elif method.upper() == "GET":
            response = func(path, data=data or {}, **headers)
        else:
            response = func(
                path,
                data=json.dumps(data or {}),
                content_type=content_type or "application/json",
                **headers,
            )
        body = json.loads(response.content) if response.content else None
        return response.status_code, body

    def get(self, path, data=None, **kw):
        return self.call("GET", path, data, **kw)

    def post(self, path, data=None, **kw):
        return self.call("POST", path, data, **kw)

    def patch(self, path, data=None, **kw):
        return self.call("PATCH", path, data, **kw)

    def delete(self, path, data=None, **kw):
        return self.call("DELETE", path, data, **kw)


@pytest.fixture
def application(db):
    return Application.objects.get(slug="planox2")


@pytest.fixture
def make_app_token(db):
    def make(slug: str = "planox2", permissions: list[str] | None = None) -> str:
        app = Application.objects.get(slug=slug)
        perms = resolve_permissions(permissions) if permissions is not None else None
        _, clear = application_token_create(application=app, permissions=perms)
        return clear

    return make


@pytest.fixture
def app_token(make_app_token) -> str:
    """A planox2 token with every permission of the API's models."""
    return make_app_token()


@pytest.fixture
def api(app_token) -> Api:
    """An API client authenticated with `app_token`."""
    return Api(app_token)


@pytest.fixture
def anon_api() -> Api:
    return Api()


@pytest.fixture
def staff_user(db):
    return get_user_model().objects.create_superuser(
        username="staff", email="staff@example.com", password="staff-password-1"
    )
