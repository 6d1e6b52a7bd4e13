"""Numbers, idempotency and balanced assignment under real concurrency: threads with their
own database connections, committing for real (PostgreSQL; SQLite serialises writers, so the
threaded tests run there only on PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from dure.desk import services
from dure.desk.models import Case, CaseNumberCounter, Status, Team, TeamMember

from .conftest import intake

pytestmark = pytest.mark.django_db(transaction=True)

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="threaded writers need PostgreSQL"
)


def in_threads(n, fn):
    barrier = threading.Barrier(n)

    def run(i):
        try:
            barrier.wait(timeout=30)
            return fn(i)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def submit(key=None, actor=None):
    return services.case_submit(
        actor=actor, data=intake(sido=""), privacy_consent=True, idempotency_key=key
    )


@postgres_only
def test_concurrent_submissions_get_distinct_numbers_without_gaps():
    def work(i):
        return [submit().case.number for _j in range(5)]

    numbers = [n for batch in in_threads(12, work) for n in batch]
    assert len(numbers) == len(set(numbers)) == 60
    sequences = sorted(int(n.split("-")[1]) for n in numbers)
    assert sequences == list(range(sequences[0], sequences[0] + 60))
    year = int(numbers[0].split("-")[0])
    assert CaseNumberCounter.objects.get(year=year).last == sequences[-1]


@postgres_only
def test_a_double_submit_race_creates_one_case_and_spends_one_number():
    before = list(CaseNumberCounter.objects.values_list("last", flat=True))
    results = in_threads(8, lambda i: submit(key="double-click"))
    assert len({r.case.pk for r in results}) == 1
    assert sum(r.created for r in results) == 1
    case = results[0].case
    assert Case.objects.filter(idempotency_key=case.idempotency_key).count() == 1
    assert CaseNumberCounter.objects.get(year=case.year).last == (before[0] if before else 0) + 1


@postgres_only
def test_a_race_of_different_bodies_under_one_key_keeps_one_and_refuses_the_others():
    def work(i):
        data = intake(sido="", description=f"동시에 보낸 내용 {i % 2}번입니다.")
        try:
            return services.case_submit(
                actor=None, data=data, privacy_consent=True, idempotency_key="race-key"
            )
        except services.DeskError as exc:
            return exc.code

    results = in_threads(8, work)
    cases = [r for r in results if not isinstance(r, str)]
    refused = [r for r in results if isinstance(r, str)]
    assert len({r.case.pk for r in cases}) == 1
    assert sum(r.created for r in cases) == 1
    winner = Case.objects.get(pk=cases[0].case.pk)
    # the four with the winner's body get the winner; the four others are refused
    assert len(cases) == 4 and refused == ["idempotency_conflict"] * 4
    assert Case.objects.filter(idempotency_key=winner.idempotency_key).count() == 1


@postgres_only
def test_balanced_assignment_spreads_concurrent_cases_evenly():
    from dure.accounts.models import User
    from dure.directory.models import Membership, Organisation, OrganisationKind, Role

    institute = Organisation.objects.create(
        kind=OrganisationKind.RESEARCH_INSTITUTE, name="동시성연구원", acronym="CONC"
    )
    admin = User.objects.create_user(username="conc_admin", is_platform_admin=True)
    team = Team.objects.create(institute=institute, name="균등팀", auto_assign=True)
    members = []
    for i in range(4):
        user = User.objects.create_user(username=f"conc{i}")
        Membership.objects.create(user=user, organisation=institute, role=Role.RESEARCHER)
        TeamMember.objects.create(team=team, user=user)
        members.append(user)
    cases = [submit().case for _i in range(12)]
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(
        status=Status.TRIAGED, category="consulting", lead_institute=institute
    )

    in_threads(
        12, lambda i: services.case_assign(actor=admin, case=cases[i], team=team, remember=False)
    )

    load = {u.pk: Case.objects.filter(assignee=u, status=Status.ASSIGNED).count() for u in members}
    assert sorted(load.values()) == [3, 3, 3, 3]


def test_a_submission_that_fails_midway_gives_its_number_back(monkeypatch):
    existing = Case.objects.count()
    first = submit().case

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_save_attachments", broken)
    with pytest.raises(RuntimeError):
        submit()
    monkeypatch.undo()
    second = submit().case
    assert second.sequence == first.sequence + 1
    assert Case.objects.count() == existing + 2


def test_a_repeated_key_after_commit_returns_the_committed_case():
    first = submit(key="retry-after-timeout")
    second = submit(key="retry-after-timeout")
    assert second.case.pk == first.case.pk and not second.created
    assert CaseNumberCounter.objects.get(year=first.case.year).last == first.case.sequence
