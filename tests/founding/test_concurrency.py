"""A founding request retried at once (a double click reaching two server processes, a client
retrying before the first answer came): threads with their own database connections send the
same request with the same idempotency key and commit for real. On PostgreSQL they truly race;
SQLite serialises writers, so this runs only there (the sequential retries are tested in
test_services.py on both databases).

The test is transactional (Django empties every table afterwards), so the module puts the
reference and demo data back when it is done, for the tests that run after it on the worker.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from dure.founding import services
from dure.founding.models import Consultation, StageEvent

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="threaded writers need PostgreSQL"
    ),
]

THREADS = 8


@pytest.fixture(scope="module", autouse=True)
def _restore_demo_data(django_db_blocker) -> Iterator[None]:
    yield
    from dure.core.demo import load_all_demo
    from dure.directory.reference import load_all

    with django_db_blocker.unblock():
        load_all()
        load_all_demo()


def test_the_same_request_sent_at_once_makes_one_consultation(transactional_db):
    from dure.accounts.models import User
    from dure.directory.models import Organisation, OrganisationKind

    centre = Organisation.objects.create(
        name="동시 신청 지원센터", kind=OrganisationKind.SUPPORT_CENTRE
    )
    asker = User.objects.create_user(username="double-click", email="double@example.com")
    data = {
        "contact_name": "홍길동",
        "proposed_name": "두 번 누른 협동조합",
        "kind": OrganisationKind.COOPERATIVE,
        "business": "같은 신청을 두 번 보냅니다.",
        "founders": 5,
    }
    barrier = threading.Barrier(THREADS)

    def send(_i: int):
        try:
            barrier.wait(timeout=60)
            result = services.consultation_request(
                actor=User.objects.get(pk=asker.pk),
                centre=centre.pk,
                data=data,
                idempotency_key="one-click",
            )
            return result.consultation.pk, result.created
        except Exception as exc:  # noqa: BLE001 - reported to the test
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(send, range(THREADS)))

    assert not [r for r in results if isinstance(r, Exception)], results
    made = Consultation.objects.get(proposed_name="두 번 누른 협동조합")
    assert {pk for pk, _created in results} == {made.pk}
    assert sorted(created for _pk, created in results) == [False] * (THREADS - 1) + [True]
    assert StageEvent.objects.filter(consultation=made).count() == 1
