"""The permission matrix of every technology-bank page: URL × method × role → the exact status,
with the helpers of the site-wide matrix (``tests/test_permissions_pages.py``).

Technologies, equipment, labs and statistics are public; experts are for staff and their own
institute's people (the researcher is KITECH's); requests are seen by the applicant's people,
the institute's people and staff. Deny by default: what someone may not see or act on answers
404, a page that needs a login sends anonymous visitors to the login page, a method a page does
not take is a 405. A refused request changes nothing (every techbank table, the search index
and the audit log compared before and after). ``test_every_techbank_url_has_a_matrix_entry``
fails when a techbank URL has no GET and POST entry.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.urls import get_resolver
from django.utils import timezone
from test_permissions_pages import (
    LOGIN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    REDIRECT,
    ROLES,
    Case,
    _routes,
    everyone,
    get,
    members_only,
    only,
    post,
    world_fixtures,
)

from .conftest import app_number, nfec_number

pytestmark = pytest.mark.django_db

STAFF = {"admin", "center"}
KITECH = STAFF | {"researcher"}  # who manages KITECH's technologies, equipment, labs, experts
APPLICANTS = STAFF | {"sme", "coop", "supplier"}  # SME / cooperative editors (and staff)
HANBIT_CASE = KITECH | {"sme"}  # a 한빛정밀 request to KITECH
SERIO_LICENCE = STAFF | {"coop", "member"}  # 세리오협동조합's KRICT licence (visible)


def build_world(users, org):
    from dure.directory.models import Organisation, OrganisationKind
    from dure.techbank.models import (
        Equipment,
        EquipmentBooking,
        ExchangeRequest,
        Expert,
        Lab,
        Technology,
        TransferApplication,
    )

    kitech = Organisation.objects.get(kind=OrganisationKind.RESEARCH_INSTITUTE, acronym="KITECH")
    hanbit, serio = org("한빛정밀"), org("세리오협동조합")
    tech = Technology.objects.get(application_number="10-2019-0087421")
    return SimpleNamespace(
        users=users,
        kitech=kitech,
        hanbit=hanbit,
        serio=serio,
        tech=tech,
        other_tech=Technology.objects.get(application_number="10-2020-0112873"),
        equipment=Equipment.objects.get(nfec_number="NFEC-2016-04-209871"),
        lab=Lab.objects.filter(institute=kitech).first(),
        expert=Expert.objects.get(name="김태호"),
        application=TransferApplication.objects.get(technology=tech, applicant=hanbit),
        licence=TransferApplication.objects.get(
            technology__application_number="10-2019-0034567", applicant=serio
        ),
        exchange=ExchangeRequest.objects.get(requester=hanbit, field="레이저 용접"),
        booking=EquipmentBooking.objects.get(purpose="이종 금속 접합 시제품 용접"),
    )


_world_once, world = world_fixtures(build_world)


def techbank_state() -> dict[str, Any]:
    """Everything a techbank page could change."""
    from dure.core.models import AuditEvent
    from dure.search.models import SearchDocument
    from dure.techbank import models as m

    def rows(model):
        return list(model.objects.order_by("pk").values())

    return {
        "technologies": rows(m.Technology),
        "inventors": list(m.Technology.inventors.through.objects.order_by("pk").values()),
        "equipment": rows(m.Equipment),
        "labs": rows(m.Lab),
        "lab_capabilities": list(m.Lab.capabilities.through.objects.order_by("pk").values()),
        "experts": rows(m.Expert),
        "contacts": rows(m.ExpertContact),
        "bookings": rows(m.EquipmentBooking),
        "transfers": rows(m.TransferApplication),
        "transfer_events": rows(m.TransferEvent),
        "royalty_reports": rows(m.RoyaltyReport),
        "exchanges": rows(m.ExchangeRequest),
        "exchange_events": rows(m.ExchangeEvent),
        "search": list(SearchDocument.objects.order_by("pk").values("pk", "title", "body")),
        "audit": AuditEvent.objects.count(),
    }


# --- what each form posts --------------------------------------------------------------------------

OWN_ORG = {"sme": "hanbit", "coop": "serio"}


def _applicant(w, role) -> int:
    from dure.techbank import selectors

    if role in OWN_ORG:
        return getattr(w, OWN_ORG[role]).pk
    first = (
        selectors.applicant_organisations(user=w.users[role]).first() if role in w.users else None
    )
    return w.hanbit.pk if role in STAFF or first is None else first.pk


def technology_form(w, role, title="매트릭스 기술"):
    return {
        "title": title,
        "application_number": app_number(2024),
        "status": "registered",
        "holder": w.kitech.pk,
        "commercialisation": "unused",
        "deal_types": ["nonexclusive"],
        "upfront_fee": "1,000,000",
        "royalty_percent": "2.5",
    }


def technology_edit_form(w, role):
    data = technology_form(w, role, title="매트릭스에서 고친 기술")
    data["application_number"] = w.tech.application_number
    return data


def equipment_form(w, role, name="매트릭스 장비", number=None):
    return {
        "nfec_number": number or nfec_number(),
        "name": name,
        "institute": w.kitech.pk,
        "sharing": "shared",
        "status": "in_use",
        "available_hours_per_day": "8",
        "fee_per_hour": "10000",
    }


def lab_form(w, role, name="매트릭스 연구실"):
    return {"name": name, "institute": w.kitech.pk, "capabilities": "용접, 코팅"}


def expert_form(w, role, name="매트릭스 전문가"):
    return {
        "name": name,
        "institute": w.kitech.pk,
        "fields": "레이저 용접",
        "available_for_exchange": "on",
        "phone": "010-1234-5678",
        "email": "matrix@example.kr",
    }


def _local(days: int, hour: int) -> str:
    day = timezone.localdate() + dt.timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00"


def booking_form(w, role):
    from dure.techbank import selectors

    user = w.users.get(role)
    org = selectors.booking_organisations(user=user).first() if user else None
    return {
        "organisation": org.pk if org else "",
        "starts_at": _local(20, 10),
        "ends_at": _local(20, 12),
        "purpose": "매트릭스 시험",
    }


def transfer_form(w, role):
    return {
        "applicant": _applicant(w, role),
        "deal_type": "nonexclusive",
        "intended_use": "매트릭스 시제품",
    }


def exchange_form(w, role):
    today = timezone.localdate()
    return {
        "requester": _applicant(w, role),
        "direction": "dispatch",
        "field": "정밀 가공",
        "institute": w.kitech.pk,
        "start_date": (today + dt.timedelta(days=10)).isoformat(),
        "end_date": (today + dt.timedelta(days=12)).isoformat(),
        "purpose": "매트릭스 교류",
    }


def report_form(w, role):
    from dure.techbank import royalty

    start = royalty.add_months(w.licence.licence_start, w.licence.report_every_months)
    end = royalty.add_months(start, w.licence.report_every_months) - dt.timedelta(days=1)
    return {
        "report-period_start": start.isoformat(),
        "report-period_end": end.isoformat(),
        "report-sales": "1000000",
    }


def exists(model_name, **lookup):
    def check(w, role):
        from django.apps import apps

        return apps.get_model("techbank", model_name).objects.filter(**lookup).exists()

    return check


def status_is(attr, status):
    def check(w, role):
        obj = getattr(w, attr)
        return type(obj).objects.get(pk=obj.pk).status == status

    return check


# --- the matrix ------------------------------------------------------------------------------------

T = "techbank/"
CASES: list[Case] = [
    # home, lists and details: public
    get(T, lambda w: "/techbank/", everyone(OK)),
    get(T, lambda w: "/techbank/?q=용접+부식&ipc=B&trl=7", everyone(OK), variant="search"),
    post(T, lambda w: "/techbank/", everyone(NOT_ALLOWED)),
    get(T + "technologies/", lambda w: "/techbank/technologies/", everyone(OK)),
    post(T + "technologies/", lambda w: "/techbank/technologies/", everyone(NOT_ALLOWED)),
    get(
        T + "technologies/<int:pk>/",
        lambda w: f"/techbank/technologies/{w.tech.pk}/",
        everyone(OK),
    ),
    post(
        T + "technologies/<int:pk>/",
        lambda w: f"/techbank/technologies/{w.tech.pk}/",
        everyone(NOT_ALLOWED),
    ),
    get(T + "equipment/", lambda w: "/techbank/equipment/", everyone(OK)),
    post(T + "equipment/", lambda w: "/techbank/equipment/", everyone(NOT_ALLOWED)),
    get(
        T + "equipment/<int:pk>/",
        lambda w: f"/techbank/equipment/{w.equipment.pk}/",
        everyone(OK),
    ),
    post(
        T + "equipment/<int:pk>/",
        lambda w: f"/techbank/equipment/{w.equipment.pk}/",
        everyone(NOT_ALLOWED),
    ),
    get(T + "labs/", lambda w: "/techbank/labs/", everyone(OK)),
    post(T + "labs/", lambda w: "/techbank/labs/", everyone(NOT_ALLOWED)),
    get(T + "labs/<int:pk>/", lambda w: f"/techbank/labs/{w.lab.pk}/", everyone(OK)),
    post(T + "labs/<int:pk>/", lambda w: f"/techbank/labs/{w.lab.pk}/", everyone(NOT_ALLOWED)),
    get(T + "statistics/", lambda w: "/techbank/statistics/", everyone(OK)),
    post(T + "statistics/", lambda w: "/techbank/statistics/", everyone(NOT_ALLOWED)),
    get(
        T + "statistics/<slug:table>.<slug:fmt>",
        lambda w: "/techbank/statistics/rates.xlsx",
        everyone(OK),
    ),
    get(
        T + "statistics/<slug:table>.<slug:fmt>",
        lambda w: "/techbank/statistics/nothing.csv",
        everyone(NOT_FOUND),
        variant="unknown table",
    ),
    post(
        T + "statistics/<slug:table>.<slug:fmt>",
        lambda w: "/techbank/statistics/rates.csv",
        everyone(NOT_ALLOWED),
    ),
    # create and edit: staff and the institute's people
    get(T + "technologies/new/", lambda w: "/techbank/technologies/new/", only(KITECH)),
    post(
        T + "technologies/new/",
        lambda w: "/techbank/technologies/new/",
        only(KITECH, REDIRECT),
        data=technology_form,
        changes=KITECH,
        effect=exists("Technology", title="매트릭스 기술"),
    ),
    get(
        T + "technologies/<int:pk>/edit/",
        lambda w: f"/techbank/technologies/{w.tech.pk}/edit/",
        only(KITECH),
    ),
    post(
        T + "technologies/<int:pk>/edit/",
        lambda w: f"/techbank/technologies/{w.tech.pk}/edit/",
        only(KITECH, REDIRECT),
        data=technology_edit_form,
        changes=KITECH,
        effect=exists("Technology", title="매트릭스에서 고친 기술"),
    ),
    get(T + "equipment/new/", lambda w: "/techbank/equipment/new/", only(KITECH)),
    post(
        T + "equipment/new/",
        lambda w: "/techbank/equipment/new/",
        only(KITECH, REDIRECT),
        data=equipment_form,
        changes=KITECH,
        effect=exists("Equipment", name="매트릭스 장비"),
    ),
    get(
        T + "equipment/<int:pk>/edit/",
        lambda w: f"/techbank/equipment/{w.equipment.pk}/edit/",
        only(KITECH),
    ),
    post(
        T + "equipment/<int:pk>/edit/",
        lambda w: f"/techbank/equipment/{w.equipment.pk}/edit/",
        only(KITECH, REDIRECT),
        data=lambda w, role: equipment_form(w, role, "고친 장비", w.equipment.nfec_number),
        changes=KITECH,
        effect=exists("Equipment", name="고친 장비"),
    ),
    get(T + "labs/new/", lambda w: "/techbank/labs/new/", only(KITECH)),
    post(
        T + "labs/new/",
        lambda w: "/techbank/labs/new/",
        only(KITECH, REDIRECT),
        data=lab_form,
        changes=KITECH,
        effect=exists("Lab", name="매트릭스 연구실"),
    ),
    get(T + "labs/<int:pk>/edit/", lambda w: f"/techbank/labs/{w.lab.pk}/edit/", only(KITECH)),
    post(
        T + "labs/<int:pk>/edit/",
        lambda w: f"/techbank/labs/{w.lab.pk}/edit/",
        only(KITECH, REDIRECT),
        data=lambda w, role: lab_form(w, role, "고친 연구실"),
        changes=KITECH,
        effect=exists("Lab", name="고친 연구실"),
    ),
    # experts: staff and their own institute
    get(T + "experts/", lambda w: "/techbank/experts/", only(KITECH)),
    post(T + "experts/", lambda w: "/techbank/experts/", members_only(NOT_ALLOWED)),
    get(T + "experts/new/", lambda w: "/techbank/experts/new/", only(KITECH)),
    post(
        T + "experts/new/",
        lambda w: "/techbank/experts/new/",
        only(KITECH, REDIRECT),
        data=expert_form,
        changes=KITECH,
        effect=exists("Expert", name="매트릭스 전문가"),
    ),
    get(T + "experts/export/", lambda w: "/techbank/experts/export/", only(KITECH)),
    get(
        T + "experts/export/",
        lambda w: "/techbank/experts/export/?format=xlsx",
        only(KITECH),
        variant="xlsx",
    ),
    post(T + "experts/export/", lambda w: "/techbank/experts/export/", members_only(NOT_ALLOWED)),
    get(
        T + "experts/<int:pk>/",
        lambda w: f"/techbank/experts/{w.expert.pk}/",
        only(KITECH),
    ),
    post(
        T + "experts/<int:pk>/",
        lambda w: f"/techbank/experts/{w.expert.pk}/",
        members_only(NOT_ALLOWED),
    ),
    get(
        T + "experts/<int:pk>/edit/",
        lambda w: f"/techbank/experts/{w.expert.pk}/edit/",
        only(KITECH),
    ),
    post(
        T + "experts/<int:pk>/edit/",
        lambda w: f"/techbank/experts/{w.expert.pk}/edit/",
        only(KITECH, REDIRECT),
        data=lambda w, role: expert_form(w, role, "김태호 박사"),
        changes=KITECH,
        effect=exists("Expert", name="김태호 박사"),
    ),
    # transfer applications
    get(
        T + "technologies/<int:pk>/apply/",
        lambda w: f"/techbank/technologies/{w.other_tech.pk}/apply/",
        only(APPLICANTS),
    ),
    post(
        T + "technologies/<int:pk>/apply/",
        lambda w: f"/techbank/technologies/{w.other_tech.pk}/apply/",
        only(APPLICANTS, REDIRECT),
        data=transfer_form,
        changes=APPLICANTS,
        effect=lambda w, role: w.other_tech.transfer_applications.filter(
            intended_use="매트릭스 시제품"
        ).exists(),
    ),
    get(T + "transfers/", lambda w: "/techbank/transfers/", members_only(OK)),
    post(T + "transfers/", lambda w: "/techbank/transfers/", members_only(NOT_ALLOWED)),
    get(
        T + "transfers/<int:pk>/",
        lambda w: f"/techbank/transfers/{w.application.pk}/",
        only(HANBIT_CASE),
    ),
    get(
        T + "transfers/<int:pk>/",
        lambda w: f"/techbank/transfers/{w.licence.pk}/",
        only(SERIO_LICENCE),
        variant="licence",
    ),
    post(
        T + "transfers/<int:pk>/",
        lambda w: f"/techbank/transfers/{w.application.pk}/",
        members_only(NOT_ALLOWED),
    ),
    get(
        T + "transfers/<int:pk>/act/",
        lambda w: f"/techbank/transfers/{w.application.pk}/act/",
        members_only(NOT_ALLOWED),
    ),
    post(
        T + "transfers/<int:pk>/act/",
        lambda w: f"/techbank/transfers/{w.application.pk}/act/",
        only(KITECH, REDIRECT),
        data=lambda w, role: {"action": "negotiate", "note": "조건 협의"},
        changes=KITECH,
        effect=status_is("application", "negotiating"),
    ),
    post(
        T + "transfers/<int:pk>/act/",
        lambda w: f"/techbank/transfers/{w.application.pk}/act/",
        only(STAFF | {"sme"}, REDIRECT),
        data=lambda w, role: {"action": "withdraw"},
        changes=STAFF | {"sme"},
        effect=status_is("application", "withdrawn"),
        variant="withdraw",
    ),
    get(
        T + "transfers/<int:pk>/report/",
        lambda w: f"/techbank/transfers/{w.licence.pk}/report/",
        members_only(NOT_ALLOWED),
    ),
    post(
        T + "transfers/<int:pk>/report/",
        lambda w: f"/techbank/transfers/{w.licence.pk}/report/",
        only(STAFF | {"coop"}, REDIRECT),
        data=report_form,
        changes=STAFF | {"coop"},
        effect=lambda w, role: w.licence.royalty_reports.filter(sales=1_000_000).exists(),
    ),
    # bookings
    get(
        T + "equipment/<int:pk>/book/",
        lambda w: f"/techbank/equipment/{w.equipment.pk}/book/",
        members_only(OK),
    ),
    post(
        T + "equipment/<int:pk>/book/",
        lambda w: f"/techbank/equipment/{w.equipment.pk}/book/",
        members_only(REDIRECT),
        data=booking_form,
        changes=set(ROLES) - {"anonymous"},
        effect=exists("EquipmentBooking", purpose="매트릭스 시험"),
    ),
    get(T + "bookings/", lambda w: "/techbank/bookings/", members_only(OK)),
    post(T + "bookings/", lambda w: "/techbank/bookings/", members_only(NOT_ALLOWED)),
    get(
        T + "bookings/<int:pk>/",
        lambda w: f"/techbank/bookings/{w.booking.pk}/",
        only(HANBIT_CASE),
    ),
    post(
        T + "bookings/<int:pk>/",
        lambda w: f"/techbank/bookings/{w.booking.pk}/",
        members_only(NOT_ALLOWED),
    ),
    get(
        T + "bookings/<int:pk>/act/",
        lambda w: f"/techbank/bookings/{w.booking.pk}/act/",
        members_only(NOT_ALLOWED),
    ),
    post(
        T + "bookings/<int:pk>/act/",
        lambda w: f"/techbank/bookings/{w.booking.pk}/act/",
        only(KITECH, REDIRECT),
        data=lambda w, role: {"action": "approve"},
        changes=KITECH,
        effect=status_is("booking", "approved"),
    ),
    post(
        T + "bookings/<int:pk>/act/",
        lambda w: f"/techbank/bookings/{w.booking.pk}/act/",
        only(HANBIT_CASE, REDIRECT),
        data=lambda w, role: {"action": "cancel", "note": "일정 변경"},
        changes=HANBIT_CASE,
        effect=status_is("booking", "cancelled"),
        variant="cancel",
    ),
    # exchange requests
    get(T + "exchanges/", lambda w: "/techbank/exchanges/", members_only(OK)),
    post(T + "exchanges/", lambda w: "/techbank/exchanges/", members_only(NOT_ALLOWED)),
    get(T + "exchanges/new/", lambda w: "/techbank/exchanges/new/", only(APPLICANTS)),
    post(
        T + "exchanges/new/",
        lambda w: "/techbank/exchanges/new/",
        only(APPLICANTS, REDIRECT),
        data=exchange_form,
        changes=APPLICANTS,
        effect=exists("ExchangeRequest", purpose="매트릭스 교류"),
    ),
    get(
        T + "exchanges/<int:pk>/",
        lambda w: f"/techbank/exchanges/{w.exchange.pk}/",
        only(HANBIT_CASE),
    ),
    post(
        T + "exchanges/<int:pk>/",
        lambda w: f"/techbank/exchanges/{w.exchange.pk}/",
        members_only(NOT_ALLOWED),
    ),
    get(
        T + "exchanges/<int:pk>/act/",
        lambda w: f"/techbank/exchanges/{w.exchange.pk}/act/",
        members_only(NOT_ALLOWED),
    ),
    post(
        T + "exchanges/<int:pk>/act/",
        lambda w: f"/techbank/exchanges/{w.exchange.pk}/act/",
        only(KITECH, REDIRECT),
        data=lambda w, role: {"action": "agree", "expert": w.expert.pk, "note": "파견 합의"},
        changes=KITECH,
        effect=status_is("exchange", "agreed"),
    ),
    post(
        T + "exchanges/<int:pk>/act/",
        lambda w: f"/techbank/exchanges/{w.exchange.pk}/act/",
        only(STAFF | {"sme"}, REDIRECT),
        data=lambda w, role: {"action": "withdraw"},
        changes=STAFF | {"sme"},
        effect=status_is("exchange", "withdrawn"),
        variant="withdraw",
    ),
    # missing objects: the same 404 as forbidden ones
    get(
        T + "technologies/<int:pk>/",
        lambda w: "/techbank/technologies/987654/",
        everyone(NOT_FOUND),
        variant="missing",
    ),
    get(
        T + "experts/<int:pk>/",
        lambda w: "/techbank/experts/987654/",
        members_only(NOT_FOUND),
        variant="missing",
    ),
]


def _params():
    for case in CASES:
        for role in ROLES:
            yield pytest.param(case, role, id=f"{case.id}-{role}")


@pytest.mark.parametrize(("case", "role"), list(_params()))
def test_techbank_page_permission_matrix(case: Case, role: str, world, client_for):
    client = client_for(role)
    path = case.path(world)
    data = case.data(world, role) if case.data else {}
    expected = case.expected[role]
    before = techbank_state()

    response = client.get(path) if case.method == "GET" else client.post(path, data)

    if expected == LOGIN:
        assert response.status_code == 302, (path, response.status_code)
        assert response["Location"].startswith("/accounts/login/?next="), response["Location"]
    elif expected == REDIRECT:
        assert response.status_code == 302, (path, response.status_code, _errors(response))
        assert not response["Location"].startswith("/accounts/login/"), response["Location"]
    else:
        assert response.status_code == expected, (path, response.status_code, _errors(response))

    if role in case.changes and expected == REDIRECT:
        if case.effect is not None:
            assert case.effect(world, role), "an allowed request must do what it asks"
    else:
        assert techbank_state() == before, "a refused (or read-only) request changed the database"


def _errors(response) -> Any:
    context = getattr(response, "context", None)
    if not context:
        return None
    for key in ("form", "action_form", "report_form"):
        if key in context and context[key] is not None and context[key].errors:
            return context[key].errors
    return None


def test_every_techbank_url_has_a_matrix_entry():
    routes = {r for r in _routes(get_resolver().url_patterns) if r.startswith("techbank/")}
    covered: dict[str, set[str]] = {}
    for case in CASES:
        covered.setdefault(case.route, set()).add(case.method)
    missing = sorted(r for r in routes if covered.get(r) != {"GET", "POST"})
    assert not missing, f"techbank URLs without a GET and a POST entry in the matrix: {missing}"
    stale = sorted(set(covered) - routes)
    assert not stale, f"matrix entries for URLs that no longer exist: {stale}"


def test_every_case_names_every_role():
    for case in CASES:
        assert set(case.expected) == set(ROLES), case.id
