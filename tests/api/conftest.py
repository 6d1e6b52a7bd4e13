"""Fixtures for the API tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def counts(db):
    """counts() → how many organisations and audit events (other than logins, which test
    clients cause) exist: the nothing-changed check for refused creates."""
    from dure.core.models import AuditEvent
    from dure.directory.models import Organisation

    return lambda: (
        Organisation.objects.count(),
        AuditEvent.objects.exclude(action__startswith="auth.").count(),
    )
