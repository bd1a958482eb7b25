"""Issue 26, item 4: the OpenAPI schema says what the server enforces."""

import jsonschema
import pytest

pytestmark = pytest.mark.django_db


def _body(schema, path, method):
    ref = schema["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return ref.rsplit("/", 1)[1]


def _validator(schema, name):
    """A validator of the component `name`, its $refs resolved in the whole schema."""
    document = {**schema, "$ref": f"#/components/schemas/{name}"}
    return jsonschema.Draft4Validator(document)


def test_the_patch_by_params_requires_id(schema):
    name = _body(schema, "/api/v1/cancelations", "patch")
    assert "id" in schema["components"]["schemas"][name]["required"]
    assert schema["components"]["schemas"][name]["properties"]["id"]["minimum"] == 1
    assert schema["paths"]["/api/v1/cancelations"]["patch"]["requestBody"]["required"] is True


def test_every_id_has_minimum_one(schema):
    checked = 0
    for path, item in schema["paths"].items():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] in ("id", "user_id") and parameter["in"] == "path":
                    assert parameter["schema"]["minimum"] == 1, (path, parameter)
                    checked += 1
    assert checked >= 6


def test_filters_with_fixed_values_are_enums(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/notifications"]["get"]["parameters"]}
    assert "sent" in parameters["status"]["schema"]["enum"]
    assert "bogus" not in parameters["status"]["schema"]["enum"]
    assert {"created_after", "created_before"} <= set(parameters)
    assert "Not with `page[after]`" in parameters["page[before]"]["description"]


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        ({}, False),  # no params: no-params-decoded
        ({"key": "k"}, True),  # stored, not sent
        ({"key": "k", "processed": 1, "notification_type": "sms"}, True),
        ({"notification_type": "email", "email_to": "a@example.com", "email_subject": "Hi"}, True),
        ({"notification_type": "email", "email_to": "a@example.com"}, False),
        ({"notification_type": "email", "email_subject": "Hi"}, False),
        ({"notification_type": "sms", "phone_to": "+15550002222", "email_body": "Hi"}, False),
        (
            {"notification_type": "sms", "phone_to": "+15550002222", "extension": "101", "email_body": "Hi"},
            True,
        ),
        (
            {"notification_type": "mms", "phone_to": "+15550002222", "extension": "101", "email_body": "Hi"},
            False,
        ),
        ({"notification_type": "glip", "email_body": "Hi"}, False),
        ({"notification_type": "glip", "team_name": "General", "email_subject": "Hi"}, True),
        ({"notification_type": "conversation", "user_id": "2"}, False),
        ({"notification_type": "conversation", "user_id": "2", "email_body": "Hi"}, True),
    ],
)
def test_the_notification_types_requirements_are_in_the_schema(schema, api, body, valid):
    validator = _validator(schema, _body(schema, "/api/v1/notifications", "post"))
    assert validator.is_valid(body) is valid, list(validator.iter_errors(body))
    code, answer = api.post("/api/v1/notifications", body)
    if valid:
        assert (code, answer["status"]) != (400, "missing-param"), answer
    else:
        assert (code, answer["status"]) in ((400, "missing-param"), (400, "no-params-decoded")), answer


@pytest.mark.parametrize(
    ("criteria", "valid"),
    [
        ({"type": "mailgun", "integrationId": "i1", "address": "a@example.com"}, True),
        ({"type": "mailgun", "integrationId": "i1"}, False),
        (
            {"type": "mailgun", "integrationId": "i1", "address": "a@example.com", "phoneNumber": "+1555"},
            False,
        ),
        ({"type": "twilio", "integrationId": "i1", "phoneNumber": "+12125552368"}, True),
        ({"type": "twilio", "integrationId": "i1", "phoneNumber": "+12125552368", "subject": "s"}, False),
        ({"type": "whatsapp", "integrationId": "i1"}, False),
    ],
)
def test_the_match_criteria_per_type_are_in_the_schema(schema, criteria, valid):
    body = {
        "matchCriteria": criteria,
        "confirmation": {"type": "immediate"},
        "target": {"conversationId": "c1"},
    }
    validator = _validator(schema, _body(schema, "/api/v1/users/{user_id}/clients", "post"))
    assert validator.is_valid(body) is valid, list(validator.iter_errors(body))


def test_create_routes_need_a_body(schema):
    for path, item in schema["paths"].items():
        if "post" in item and "requestBody" in item["post"]:
            assert item["post"]["requestBody"]["required"] is True, path
    name = _body(schema, "/api/v1/notifications", "post")
    assert schema["components"]["schemas"][name]["minProperties"] == 1
