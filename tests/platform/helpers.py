"""Helpers of the platform tests."""

import base64
import json


def b64(params) -> str:
    """The body of a sensitive-params request: base64 of the JSON params."""
    return base64.b64encode(json.dumps(params).encode()).decode()


def sign_in(api, email, password, **extra):
    return api.post(
        "/api/v1/sessions",
        raw=b64({"email": email, "password": password, **extra}),
        content_type="text/plain",
    )
