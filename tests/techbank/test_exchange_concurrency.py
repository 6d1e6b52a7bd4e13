"""A personnel-exchange request retried at once (a double click reaching two server processes,
a client retrying before the first answer came): threads with their own connections send the
same request with the same idempotency key and commit for real. On PostgreSQL they truly race;
SQLite serialises writers, so this runs only there (sequential retries are tested in
test_exchange.py on both databases).

The test is transactional (Django empties every table afterwards), so the module puts the
reference and demo data back when it is done, for the tests that run after it on the worker.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.utils import timezone

from dure.techbank import services
from dure.techbank.models import ExchangeRequest

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


def test_the_same_request_sent_at_once_makes_one_exchange_request(transactional_db):
    from dure.accounts.models import User
    from dure.directory.models import Membership, Organisation, OrganisationKind, Role

    company = Organisation.objects.create(name="두 번 누른 기업", kind=OrganisationKind.SME)
    asker = User.objects.create_user(username="double-exchange", email="x@example.com")
    Membership.objects.create(user=asker, organisation=company, role=Role.REPRESENTATIVE)
    start = timezone.localdate() + dt.timedelta(days=10)
    barrier = threading.Barrier(THREADS)

    def send(_i: int):
        try:
            barrier.wait(timeout=60)
            result = services.exchange_submit(
                actor=User.objects.get(pk=asker.pk),
                requester=company.pk,
                direction="training",
                field="동시 연수",
                start_date=start,
                end_date=start + dt.timedelta(days=2),
                purpose="같은 신청을 한꺼번에 보냅니다.",
                idempotency_key="one-click",
            )
            return result.exchange.pk, result.created
        except Exception as exc:  # noqa: BLE001 - reported to the test
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(send, range(THREADS)))

    assert not [r for r in results if isinstance(r, Exception)], results
    made = ExchangeRequest.objects.get(field="동시 연수")
    assert {pk for pk, _created in results} == {made.pk}
    assert sorted(created for _pk, created in results) == [False] * (THREADS - 1) + [True]
