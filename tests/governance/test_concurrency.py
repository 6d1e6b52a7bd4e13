"""200 members cast electronic ballots on one item at once, each twice (the double tap): exactly
one ballot each and a correct tally. Threads with their own database connections commit for
real; on PostgreSQL they truly race, on SQLite (one writer at a time) the same calls run one
after another, which still proves the "once" rule and the counts.

These tests are transactional (Django flushes every table afterwards), so the module reloads
the reference and demo data when it is done, for the tests that run after it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from dure.governance import services
from dure.governance.models import Ballot, BallotReceipt, Matter, Member, RecordingMode

pytestmark = pytest.mark.django_db(transaction=True)

VOTERS = 200
CHOICES = [
    "yes",
    "yes",
    "no",
    "abstain",
]  # per voter i: CHOICES[i % 4] → 100 yes, 50 no, 50 abstain


@pytest.fixture(scope="module", autouse=True)
def _restore_demo_data(django_db_blocker) -> Iterator[None]:
    yield
    with django_db_blocker.unblock():
        _load_data()


def _load_data() -> None:
    from dure.core.demo import load_all_demo
    from dure.directory.reference import load_all

    load_all()
    load_all_demo()


@pytest.fixture
def voting(transactional_db):
    from dure.accounts.models import User
    from dure.directory.models import Organisation

    # an earlier transactional test of this module flushed the tables
    if not Organisation.objects.filter(name="세리오협동조합").exists():
        _load_data()
    serio = Organisation.objects.get(name="세리오협동조합")
    chair = User.objects.get(username="coop")
    accounts = User.objects.bulk_create(
        [User(username=f"gov-voter-{i:03d}", display_name=f"투표자{i}") for i in range(VOTERS)]
    )
    top = Member.objects.filter(organisation=serio).order_by("-number").first().number
    members = Member.objects.bulk_create(
        [
            Member(
                organisation=serio,
                number=top + 1 + i,
                name=f"투표자{i}",
                joined_on=dt.date(2020, 1, 1),
                user=accounts[i],
            )
            for i in range(VOTERS)
        ]
    )
    assembly = services.assembly_convene(
        actor=chair,
        organisation=serio,
        kind="extraordinary",
        title="동시 투표 총회",
        scheduled_at=timezone.now() + dt.timedelta(days=8),
        place="강당",
        purpose="동시 투표",
        board_decision="이사회 결의",
    )
    item = services.agenda_item_add(
        actor=chair,
        assembly=assembly,
        title="동시 투표 안건",
        matter=Matter.BUSINESS_PLAN,
        recording_mode=RecordingMode.ELECTRONIC,
    )
    services.assembly_open(actor=chair, assembly=assembly)
    services.checkins_bulk(assembly=assembly, member_ids=[m.pk for m in members])
    services.item_open(actor=chair, item=item)
    return chair, item, accounts


def _cast(item, user, choice):
    try:
        services.ballot_cast(actor=user, item=item, choice=choice)
        return "ok"
    except ValidationError as exc:
        return exc.error_list[0].code


def _cast_in_thread(item, user, choice):
    try:
        return _cast(item, user, choice)
    finally:
        connections.close_all()


def _assert_counts(chair, item, outcomes):
    assert Counter(outcomes) == {"ok": VOTERS, "already_voted": VOTERS}
    assert BallotReceipt.objects.filter(item=item).count() == VOTERS
    assert Ballot.objects.filter(item=item).count() == VOTERS
    assert Ballot.objects.filter(item=item).values("member").distinct().count() == VOTERS
    closed = services.item_close(actor=chair, item=item)
    assert (closed.yes, closed.no, closed.abstain) == (100, 50, 50)
    # 200 new + 8 demo members; 200 present ≥ 105; 100 yes of 200 present is not more than half
    assert closed.present == VOTERS and closed.required_yes == 101 and closed.passed is False


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threaded writers need PostgreSQL")
def test_200_members_voting_at_once_get_exactly_one_ballot_each(voting):
    chair, item, accounts = voting
    jobs = [(u, CHOICES[i % 4]) for i, u in enumerate(accounts)] * 2
    with ThreadPoolExecutor(max_workers=32) as pool:
        outcomes = list(pool.map(lambda job: _cast_in_thread(item, *job), jobs))
    _assert_counts(chair, item, outcomes)


def test_200_members_each_voting_twice_get_exactly_one_ballot_each(voting):
    chair, item, accounts = voting
    outcomes = []
    for i, user in enumerate(accounts):
        outcomes.append(_cast(item, user, CHOICES[i % 4]))
        outcomes.append(_cast(item, user, "no"))
    _assert_counts(chair, item, outcomes)
