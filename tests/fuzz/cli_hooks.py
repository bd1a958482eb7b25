"""The fuzz checks and hooks for schemathesis' CLI (`st run`), as bench/fuzz.py runs it.

Loaded through SCHEMATHESIS_HOOKS=tests.fuzz.cli_hooks; reads the seeded records' ids
from PLANOCORE_FUZZ_SEEDS (JSON) and sets Django up (the checks resolve URLs).
"""

import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planocore.settings")
django.setup()

import schemathesis  # noqa: E402

from tests.fuzz import harness  # noqa: E402

SEEDS = harness.Seeds(**json.loads(os.environ.get("PLANOCORE_FUZZ_SEEDS", "{}")))

schemathesis.check(harness.no_server_error)
schemathesis.check(harness.envelope)
schemathesis.check(harness.deep_json_refused)


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    return harness.path_parameters_strategy(SEEDS, context.operation, path_parameters)


@schemathesis.hook
def flatmap_body(context, body):
    return harness.body_strategy(SEEDS, context.operation, body)


@schemathesis.hook
def flatmap_query(context, query):
    return harness.query_strategy(context.operation, query)


@schemathesis.hook
def map_case(context, case):
    return harness.without_deep_forms(case)
