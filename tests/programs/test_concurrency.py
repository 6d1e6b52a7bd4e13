"""Seats under real concurrency: threads with their own database connections register at once
and commit for real. On PostgreSQL they truly race; SQLite serialises writers, so the threaded
tests run only there, and the sequential version below runs on both databases.

The tests are transactional (Django empties every table afterwards): each makes its own world
(a centre, its staff, the people who register), and the module puts the reference and demo data
back when it is done, for the tests that run after it on the same worker.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from django.db import connection, connections
from django.utils import timezone

from dure.programs import selectors, services
from dure.programs.models import Program, ProgramKind, Registration

pytestmark = pytest.mark.django_db(transaction=True)

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="threaded writers need PostgreSQL"
)

CAPACITY = 5
PEOPLE = 24  # PostgreSQL allows 100 connections here, shared with other test runs
CONFIRMED = Registration.Status.CONFIRMED
WAITLISTED = Registration.Status.WAITLISTED
CANCELLED = Registration.Status.CANCELLED


@pytest.fixture(scope="module", autouse=True)
def _restore_demo_data(django_db_blocker) -> Iterator[None]:
    yield
    from dure.core.demo import load_all_demo
    from dure.directory.reference import load_all

    with django_db_blocker.unblock():
        load_all()
        load_all_demo()


@pytest.fixture
def world(transactional_db):
    """A centre with its staff, a published programme of CAPACITY seats, and PEOPLE people."""
    from dure.accounts.models import User
    from dure.directory.models import Membership, Organisation, OrganisationKind, Role

    centre = Organisation.objects.create(
        name="동시성 교육 지원센터", kind=OrganisationKind.SUPPORT_CENTRE
    )
    staff = User.objects.create_user(username="rush-staff", email="rush-staff@example.com")
    Membership.objects.create(user=staff, organisation=centre, role=Role.STAFF)
    starts = (timezone.localtime() + dt.timedelta(days=7)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    program = services.program_create(
        actor=staff,
        host=centre,
        data={
            "kind": ProgramKind.EDUCATION,
            "title": "선착순 교육",
            "summary": "좌석보다 신청이 많은 교육",
            "starts_at": starts,
            "ends_at": starts + dt.timedelta(hours=2),
            "venue": "대전 교육장",
            "capacity": CAPACITY,
        },
    )
    program = services.program_publish(actor=staff, program=program)
    User.objects.bulk_create(
        [User(username=f"rush-{i:03d}", email=f"rush-{i:03d}@example.com") for i in range(PEOPLE)]
    )
    people = list(User.objects.filter(username__startswith="rush-0").order_by("username"))
    assert len(people) == PEOPLE
    return SimpleNamespace(centre=centre, staff=staff, program=program, people=people)


def in_threads(n: int, work) -> list:
    """work(i) for i in range(n), in n threads that start together; an exception is returned
    as the result (and asserted by the test)."""
    barrier = threading.Barrier(n)

    def run(i: int):
        try:
            barrier.wait(timeout=60)
            return work(i)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def register(program_id: int, user_id: int) -> tuple[int, str, bool]:
    from dure.accounts.models import User

    registration, created = services.registration_create(
        actor=User.objects.get(pk=user_id), program=Program.objects.get(pk=program_id)
    )
    return registration.pk, registration.status, created


def assert_seats_add_up(program: Program) -> Program:
    program = Program.objects.get(pk=program.pk)
    confirmed = Registration.objects.filter(program=program, status=CONFIRMED).count()
    assert program.seats_taken == confirmed <= program.capacity
    return program


@postgres_only
def test_more_people_than_seats_registering_at_once_fill_exactly_the_seats(world):
    results = in_threads(PEOPLE, lambda i: register(world.program.pk, world.people[i].pk))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert Counter(status for _pk, status, _created in results) == {
        CONFIRMED: CAPACITY,
        WAITLISTED: PEOPLE - CAPACITY,
    }
    assert all(created for _pk, _status, created in results)
    program = assert_seats_add_up(world.program)
    assert program.seats_taken == CAPACITY
    rows = Registration.objects.filter(program=program)
    assert rows.count() == PEOPLE
    assert rows.values("person").distinct().count() == PEOPLE
    waiting = list(rows.filter(status=WAITLISTED).order_by("created_at", "id"))
    assert [selectors.waitlist_position(r) for r in waiting] == list(
        range(1, PEOPLE - CAPACITY + 1)
    )


@postgres_only
def test_one_persons_repeated_requests_at_once_register_once(world):
    someone = world.people[0]
    results = in_threads(8, lambda i: register(world.program.pk, someone.pk))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({pk for pk, _status, _created in results}) == 1
    assert sum(created for _pk, _status, created in results) == 1
    assert {status for _pk, status, _created in results} == {CONFIRMED}
    assert Registration.objects.filter(program=world.program, person=someone).count() == 1
    assert assert_seats_add_up(world.program).seats_taken == 1


@postgres_only
def test_cancellations_racing_new_registrations_give_the_seats_to_those_waiting_first(world):
    """A full programme with people waiting: its confirmed people cancel while newcomers
    register. Each freed seat goes to someone who was already waiting, never to a newcomer."""
    first, waiting, newcomers = (
        world.people[:CAPACITY],
        world.people[CAPACITY : 2 * CAPACITY],
        world.people[2 * CAPACITY : 3 * CAPACITY],
    )
    confirmed = [Registration.objects.get(pk=register(world.program.pk, p.pk)[0]) for p in first]
    queued = [Registration.objects.get(pk=register(world.program.pk, p.pk)[0]) for p in waiting]
    assert {r.status for r in confirmed} == {CONFIRMED}
    assert {r.status for r in queued} == {WAITLISTED}

    def work(i: int):
        if i < CAPACITY:
            registration = confirmed[i]
            return services.registration_cancel(
                actor=registration.person, registration=registration
            ).status
        return register(world.program.pk, newcomers[i - CAPACITY].pk)[1]

    results = in_threads(2 * CAPACITY, work)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert results[:CAPACITY] == [CANCELLED] * CAPACITY
    assert results[CAPACITY:] == [WAITLISTED] * CAPACITY
    statuses = dict(
        Registration.objects.filter(program=world.program).values_list("person_id", "status")
    )
    assert {statuses[p.pk] for p in waiting} == {CONFIRMED}
    assert {statuses[p.pk] for p in newcomers} == {WAITLISTED}
    assert assert_seats_add_up(world.program).seats_taken == CAPACITY


def test_more_people_than_seats_registering_one_after_another_fill_exactly_the_seats(world):
    results = [register(world.program.pk, person.pk) for person in world.people]

    assert [status for _pk, status, _created in results] == [CONFIRMED] * CAPACITY + [
        WAITLISTED
    ] * (PEOPLE - CAPACITY)
    program = assert_seats_add_up(world.program)
    assert program.seats_taken == CAPACITY
    again = [register(world.program.pk, person.pk) for person in world.people]
    assert again == [(pk, status, False) for pk, status, _created in results]
    assert assert_seats_add_up(world.program).seats_taken == CAPACITY
