"""Params the path gives are described once, as path parameters (found by the fuzz run: the
schema also listed them as required query params and body fields)."""

import re

import pytest

pytestmark = pytest.mark.django_db


def _body_schema(schema, operation):
    content = operation.get("requestBody", {}).get("content", {})
    ref = content.get("application/json", {}).get("schema", {}).get("$ref")
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else {}


def test_path_params_are_only_path_parameters(schema):
    checked = 0
    for path, item in schema["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        for method, operation in item.items():
            params = operation.get("parameters", [])
            assert {p["name"] for p in params if p["in"] == "path"} == names, (method, path)
            assert not names & {p["name"] for p in params if p["in"] != "path"}, (method, path)
            body = _body_schema(schema, operation)
            assert not names & set(body.get("properties", {})), (method, path)
            assert not names & set(body.get("required", [])), (method, path)
            checked += bool(names)
    assert checked >= 6


def test_path_parameters_keep_the_route_pattern_and_the_field_description(schema):
    (param,) = schema["paths"]["/api/v1/cancelations/{id}"]["patch"]["parameters"]
    assert (param["in"], param["required"], param["schema"]["pattern"]) == ("path", True, r"^\d+$")
    assert param["description"] == "Id of the cancelation to update."
    body = _body_schema(schema, schema["paths"]["/api/v1/users/{user_id}/clients"]["post"])
    assert set(body["required"]) == {"matchCriteria", "confirmation", "target"}
