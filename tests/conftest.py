"""Shared fixtures. The test database is created once per session with the reference data and
the demo stories loaded; every test runs in a transaction that is rolled back."""

from __future__ import annotations

import itertools
import os
from types import SimpleNamespace

import pytest

os.environ.setdefault("DURE_TESTING", "1")
os.environ.setdefault("DEBUG", "true")

from django.conf import settings as django_settings  # noqa: E402

from dure.directory.demo import DEMO_USERNAMES  # noqa: E402

# A fast hasher for the whole run, not only inside tests: the demo users' passwords are hashed
# again every time the demo data is loaded (once per worker, and around the browser tests),
# and PBKDF2 costs half a second per password for nothing a test checks.
django_settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

ROLES = ["anonymous", *DEMO_USERNAMES]


# --- the second database ----------------------------------------------------------------------
# The suite runs in full on SQLite. On the second database (PostgreSQL in CI) only what can
# differ between databases needs to run again: ``--database-dependent-only`` leaves out the tests
# that never touch the database (pytest-django refuses them any access, so their result cannot
# depend on it) and the browser tests (they check the rendered HTML, focus and keyboard use;
# every flow they drive is also covered by the tests that do run there).
DATABASE_FIXTURES = frozenset(
    {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback"}
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database-dependent-only",
        action="store_true",
        help="run only the tests that use the database, browser tests excluded (for the run "
        "on the second database)",
    )


def _uses_database(item: pytest.Item) -> bool:
    if item.get_closest_marker("browser") is not None:
        return False
    fixtures = set(getattr(item, "fixturenames", ()))
    return item.get_closest_marker("django_db") is not None or bool(fixtures & DATABASE_FIXTURES)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--database-dependent-only"):
        return
    kept = [item for item in items if _uses_database(item)]
    left_out = [item for item in items if not _uses_database(item)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from dure.core.demo import load_all_demo
    from dure.directory.reference import load_all

    with django_db_blocker.unblock():
        load_all()
        load_all_demo()


@pytest.fixture(autouse=True)
def _settings_for_tests(settings, tmp_path):
    from django.core.cache import cache
    from django.utils import translation

    # The page cache lives outside the database transaction that each test rolls back.
    cache.clear()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AXES_ENABLED = False
    yield
    # A request in English (the test client runs it in this thread, and the locale middleware
    # leaves its language active) must not turn the next test's messages English.
    translation.activate(settings.LANGUAGE_CODE)


def _demo_users() -> dict:
    from dure.accounts.models import User

    return {u.username: u for u in User.objects.filter(username__in=DEMO_USERNAMES)}


def _organisation(name: str):
    from dure.directory.models import Organisation

    return Organisation.objects.get(name=name)


@pytest.fixture
def users(db):
    return _demo_users()


_people = itertools.count(1)


@pytest.fixture
def person(db):
    """person(language="ko", **fields) → a new active user with an e-mail address."""
    from dure.accounts.models import User

    def make(language: str = "ko", **fields):
        n = next(_people)
        fields.setdefault("email", f"person-{n}@example.com")
        return User.objects.create_user(
            username=f"person-{n}", preferred_language=language, **fields
        )

    return make


@pytest.fixture
def client_for(client, users):
    """client_for("sme") → a Django test client logged in as that demo user (or anonymous)."""
    from django.test import Client

    def make(role: str) -> Client:
        c = Client()
        if role != "anonymous":
            c.force_login(users[role])
        return c

    return make


@pytest.fixture
def org(db):
    """org("기술융합협동조합") → the organisation with that name."""
    return _organisation


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    """A transaction around a whole test module, for data that every test of the module starts
    from (the permission matrices' worlds): built once, not once per test, and rolled back after
    the module. Each test's own transaction is a savepoint inside it, so what a test writes is
    still undone after that test. The module-scoped fixture that builds the data
    (``test_permissions_pages.world_fixtures``) gets ``open()``, a context manager that opens the
    database, and the ``users`` and ``org`` that the fixtures of those names give a test."""
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
    try:
        yield SimpleNamespace(open=django_db_blocker.unblock, users=_demo_users, org=_organisation)
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def requests_keep_the_test_transaction():
    """For tests that call the app through its real WSGI handler (the API fuzz tests): that
    handler closes "old" database connections when a request ends, which inside a test's
    transaction closes the connection (on PostgreSQL). Django's own test client switches this
    off during its requests; do the same here."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
