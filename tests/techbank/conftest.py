"""Fixtures for the technology bank: institutes and small factories that go through the
services (so that audit rows and search documents exist as in real use)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

_serial = itertools.count(1)


def app_number(year: int = 2021) -> str:
    """A fresh application number that no demo technology uses (serials from 9000000)."""
    return f"10-{year}-{9_000_000 + next(_serial):07d}"


def nfec_number() -> str:
    return f"NFEC-2020-01-{900_000 + next(_serial):06d}"


@pytest.fixture
def institute(db):
    """institute("KITECH") → the research institute with that acronym."""
    from dure.directory.models import Organisation, OrganisationKind

    return lambda acronym: Organisation.objects.get(
        kind=OrganisationKind.RESEARCH_INSTITUTE, acronym=acronym
    )


@pytest.fixture
def make_technology(users, institute):
    from dure.techbank import services

    def make(actor=None, **data):
        data.setdefault("title", "시험용 기술")
        data.setdefault("application_number", app_number())
        data.setdefault("holder", institute("KITECH"))
        return services.technology_create(actor=actor or users["admin"], data=data)

    return make


@pytest.fixture
def make_equipment(users, institute):
    from dure.techbank import services

    def make(actor=None, **data):
        data.setdefault("name", "시험 장비")
        data.setdefault("nfec_number", nfec_number())
        data.setdefault("institute", institute("KITECH"))
        data.setdefault("fee_per_hour", 10_000)
        return services.equipment_create(actor=actor or users["admin"], data=data)

    return make


@pytest.fixture
def make_expert(users, institute):
    from dure.techbank import services

    def make(actor=None, **data):
        data.setdefault("name", "홍길동")
        data.setdefault("institute", institute("KITECH"))
        return services.expert_create(actor=actor or users["admin"], data=data)

    return make


@pytest.fixture
def hanbit(org):
    return org("한빛정밀")


@pytest.fixture
def serio(org):
    return org("세리오협동조합")


def future(days: int, hour: int = 10) -> dt.datetime:
    from django.utils import timezone

    tz = timezone.get_current_timezone()
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=tz)
