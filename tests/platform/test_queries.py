"""The API request path's own database cost, pinned.

The path adds at most two queries to what a view does: the token lookup and,
at most once a minute per token, the last-use update. Permissions, the
applications and the route registry's deployment state come from the cache.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from planocore.accounts.models import ApiSession, ApplicationToken, Client
from tests.platform.helpers import sign_in


def warm(api, path="/api/v1/sessions/current"):
    code, body = api.get(path)
    assert code == 200, body


def test_application_token_request_costs_one_query_when_warm(api, django_assert_num_queries):
    warm(api)
    with django_assert_num_queries(1):  # the token lookup; last use was just recorded
        warm(api)


def test_last_use_is_recorded_at_most_once_a_minute(api, app_token, django_assert_num_queries):
    warm(api)
    token = ApplicationToken.objects.get()
    first = token.last_used_at
    assert first is not None
    warm(api)
    token.refresh_from_db()
    assert token.last_used_at == first  # no write within the minute
    ApplicationToken.objects.update(last_used_at=timezone.now() - timedelta(minutes=2))
    with django_assert_num_queries(2):  # lookup + the one UPDATE
        warm(api)
    token.refresh_from_db()
    assert token.last_used_at > first


def test_a_view_with_its_own_query_adds_at_most_two(api, django_assert_max_num_queries):
    # Cold caches: token lookup, last-use update, then the cached lookups are filled;
    # the view itself runs one query. Warm: lookup + the view's query.
    warm(api, "/api/v1/applications")
    with django_assert_max_num_queries(2):
        warm(api, "/api/v1/applications")
    ApplicationToken.objects.update(last_used_at=timezone.now() - timedelta(minutes=2))
    with django_assert_max_num_queries(3):
        warm(api, "/api/v1/applications")


def test_session_token_request_costs_one_query_when_warm(
    anon_api, django_user_model, django_assert_num_queries
):
    user = django_user_model.objects.create_user("q", "q@example.com", "pw-q-123456")
    group = Group.objects.create(name="g")
    group.permissions.add(Permission.objects.get(codename="view_application"))
    Client.objects.create(user=user).groups.add(group)
    token = sign_in(anon_api, "q@example.com", "pw-q-123456")[1]["data"]["token"]
    anon_api.token = token
    warm(anon_api, "/api/v1/applications")
    with django_assert_num_queries(2):  # session lookup (with user and application) + the view's query
        warm(anon_api, "/api/v1/applications")
    ApiSession.objects.update(last_used_at=timezone.now() - timedelta(minutes=5))
    with django_assert_num_queries(3):
        warm(anon_api, "/api/v1/applications")


def test_wrong_token_costs_one_indexed_query_and_unknown_prefix_none(db, anon_api, django_assert_num_queries):
    anon_api.get("/api/v1/sessions/current")  # warm the registry state
    with django_assert_num_queries(1) as ctx:
        code, body = anon_api.get("/api/v1/sessions/current", token="pca_" + "x" * 43)
    assert (code, body["status"]) == (401, "invalid-token")
    assert "token_hash" in ctx.captured_queries[0]["sql"]  # the unique (indexed) hash column
    with django_assert_num_queries(1):
        code, body = anon_api.get("/api/v1/sessions/current", token="pcs_" + "x" * 43)
    assert code == 401
    with django_assert_num_queries(0):
        code, body = anon_api.get("/api/v1/sessions/current", token="not-a-planocore-token")
    assert (code, body["status"]) == (401, "invalid-token")


@pytest.mark.parametrize("field", ["token_hash"])
def test_token_hash_columns_are_unique_indexes(field):
    assert ApplicationToken._meta.get_field(field).unique
    assert ApiSession._meta.get_field(field).unique
