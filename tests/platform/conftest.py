"""Fixtures of the platform tests."""

import json

import pytest


@pytest.fixture
def schema(client):
    """The served OpenAPI schema, as JSON."""
    response = client.get("/api/schema?format=json")
    assert response.status_code == 200
    return json.loads(response.content)
