"""Issue 18, item 3: every param of a seed is documented with the seed's type, order and
required flag, on its route page and in the OpenAPI schema."""

import html
import re

import pytest
from django.test import Client

from tests.contract.seeds_reader import HERE, SEED_ROUTES, SPEC, seed_params

pytestmark = pytest.mark.django_db

# OpenAPI's words for the seeds' types (a datetime is a string with format date-time).
OPENAPI = {
    "string": ("string", None),
    "integer": ("integer", None),
    "boolean": ("boolean", None),
    "datetime": ("string", "date-time"),
}


def page_params(slug: str) -> dict[str, tuple[str, int, bool]]:
    content = Client().get(f"/documentation/{slug}").content.decode()
    rows = re.findall(r'<tr id="param-([A-Za-z_\[\]]+)">(.*?)</tr>', content, re.S)
    params = {}
    for name, row in rows:
        cells = re.findall(r"<td>(.*?)</td>", row, re.S)
        params[name] = (html.unescape(cells[1]).strip(), int(cells[2].strip()), "required" in cells[3])
    return params


def test_the_seed_copies_are_read():
    assert {name: len(seed_params(name)) for name in SEED_ROUTES} == {
        "cancelations-update-api.txt": 18,
        "glip-message-api.txt": 7,
        "notifications-create-api.txt": 28,
    }


@pytest.mark.skipif(not SPEC.exists(), reason="the spec folder is not next to the checkout")
def test_the_kept_copies_match_the_spec():
    for name in SEED_ROUTES:
        assert (HERE / name).read_text() == (SPEC / name).read_text(), name


@pytest.mark.parametrize(("seed", "slug"), sorted(SEED_ROUTES.items()))
def test_each_route_page_documents_every_seed_param_as_the_seed_does(seed, slug):
    documented = page_params(slug)
    wrong = [
        f"{name}: seed {(type_, order, required)}, page {documented.get(name)}"
        for name, type_, order, required in seed_params(seed)
        if documented.get(name) != (type_, order, required)
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("seed", "slug"), sorted(SEED_ROUTES.items()))
def test_the_openapi_schema_gives_every_seed_param_the_seed_type(client, seed, slug):
    schema = client.get("/api/schema?format=json").json()
    operation_id = slug.replace("-", "_")
    operation = next(
        op
        for item in schema["paths"].values()
        for op in item.values()
        if op.get("operationId") == operation_id
    )
    props = {p["name"]: p["schema"] for p in operation.get("parameters", [])}
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    props.update(component["properties"])
    wrong = []
    for name, type_, _, _ in seed_params(seed):
        if name == "token":  # the security scheme, not a property
            continue
        expected_type, expected_format = OPENAPI[type_]
        prop = props.get(name, {})
        kinds = types_of(schema, prop)
        if {t for t, _ in kinds} != {expected_type} or (
            expected_format and {f for _, f in kinds} != {expected_format}
        ):
            wrong.append(f"{name}: seed {type_}, schema {prop}")
    assert not wrong, "\n".join(wrong)


def types_of(schema: dict, prop: dict) -> set[tuple[str | None, str | None]]:
    """(type, format) of each form a property takes, through `$ref`, `allOf` and `oneOf`."""
    if "$ref" in prop:
        return types_of(schema, schema["components"]["schemas"][prop["$ref"].rsplit("/", 1)[1]])
    for key in ("allOf", "oneOf", "anyOf"):
        if key in prop:
            return {kind for part in prop[key] for kind in types_of(schema, part)}
    if "type" not in prop and prop.get("enum") == [""]:
        return {("string", None)}  # BlankEnum: the empty string a blank-able choice accepts
    return {(prop.get("type"), prop.get("format"))}
