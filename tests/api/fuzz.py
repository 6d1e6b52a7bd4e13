"""What the per-app API fuzz tests share: the hypothesis settings, the app served through its
real WSGI handler and a schema narrowed to one app's paths. Modules using it also ask for the
``requests_keep_the_test_transaction`` fixture (tests/conftest.py)."""

from __future__ import annotations

import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings

FUZZ = settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)

# Loaded at collection (pytest-django has configured Django by then; serving the schema needs
# no database).
APP = get_wsgi_application()


def api_schema(path_regex: str):
    """The API's OpenAPI schema, only the operations whose path matches ``path_regex``."""
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP).include(
        path_regex=path_regex
    )
