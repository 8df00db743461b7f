"""Fuzz the JSON API from its own OpenAPI schema: no 5xx, and every response matches the schema."""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

OPERATIONS = [
    "GET /api/v1/search",
    "POST /api/v1/recommend",
    "POST /api/v1/plan",
    "GET /api/v1/case-studies/{slug}",
    "GET /api/v1/case-studies/{slug}/similar",
    "GET /api/v1/case-studies",
    "GET /api/v1/taxonomy",
    "GET /api/v1/healthz",
]


def _operations(app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.fixture(scope="module")
def operations(app):
    return {op.label: op for op in _operations(app)}


def test_every_operation_is_fuzzed(operations):
    assert set(operations) == set(OPERATIONS)  # a new endpoint must be added to the list


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("label", OPERATIONS)
def test_operation_from_schema(operations, label, mode):
    """Valid data must succeed or fail cleanly; invalid data must get a 4xx, never a 5xx."""
    op = operations[label]

    @settings(
        max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(op.as_strategy(generation_mode=mode))
    def run(case):
        response = case.call()
        assert response.status_code < 500, (
            case.method,
            case.path,
            case.query,
            case.body,
            response.text[:300],
        )
        if response.status_code < 400:
            case.validate_response(response)  # the body matches the documented response schema
        else:
            body = json.loads(response.text)
            assert body["error"]["status"] == response.status_code and body["error"]["message"]

    try:
        run()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        pytest.skip(f"the schema of {label} admits no invalid input to generate")
