"""Who may call what in the technology-bank API: every /api/v1/techbank operation of the OpenAPI
schema × every demo role, with the exact status; refused writes change nothing.

The same rules as the pages: technologies, equipment, labs, search and statistics are public;
experts are for staff and their own institute (the researcher is KITECH's); requests are for
the applicant's people, the institute's people and staff. Something a caller may not see is a
404; something they may see but not do is a 403; a write without credentials is a 401.
``test_every_techbank_operation_has_an_entry`` fails when an endpoint has no entry.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from .conftest import app_number, nfec_number
from .test_permissions_pages import (
    APPLICANTS,
    HANBIT_CASE,
    KITECH,
    ROLES,
    SERIO_LICENCE,
    STAFF,
    _applicant,
    _world_once,  # noqa: F401 - the fixtures
    report_form,
    techbank_state,
    world,  # noqa: F401
)

pytestmark = pytest.mark.django_db

LOGGED_IN = [r for r in ROLES if r != "anonymous"]
API = "/api/v1"


def send(client, method: str, path: str, body: Any = None):
    kwargs: dict[str, Any] = {}
    if body is not None:
        kwargs = {"data": json.dumps(body), "content_type": "application/json"}
    return getattr(client, method.lower())(API + path, **kwargs)


def expect(default: int, *, anonymous: int | None = None, **groups: Any) -> dict[str, int]:
    """``expect(404, anonymous=401, yes=(KITECH, 200), seen=({"sme"}, 403))``."""
    out = dict.fromkeys(ROLES, default)
    for roles, status in groups.values():
        for role in roles:
            out[role] = status
    if anonymous is not None:
        out["anonymous"] = anonymous
    return out


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # as in the OpenAPI schema, under /api/v1
    statuses: dict[str, int]
    target: Callable[[Any], int] | None = None
    body: Callable[[Any, str], Any] | None = None
    query: str = ""
    label: str = ""
    effect: Callable[[Any, str], bool] | None = None

    @property
    def operation(self) -> str:
        return f"{self.method} {API}{self.path}"

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}{' ' + self.label if self.label else ''}"


def _org_for(w, role) -> int:
    from dure.techbank import selectors

    user = w.users.get(role)
    org = selectors.booking_organisations(user=user).first() if user else None
    return org.pk if org else w.hanbit.pk


def _at(days: int, hour: int) -> str:
    day = timezone.localdate() + dt.timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00:00+09:00"


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


@pytest.fixture
def api_world(world):  # noqa: F811
    from dure.techbank.models import TransferApplication

    world.kims_application = TransferApplication.objects.get(
        technology__application_number="10-2013-0122345"
    )
    return world


PUBLIC = expect(200)
WRITE_KITECH = expect(403, anonymous=401, yes=(KITECH, 201))
EDIT_KITECH = expect(404, anonymous=401, yes=(KITECH, 200))

MATRIX = [
    Case("GET", "/techbank/search", PUBLIC, query="?q=용접+부식&ipc=B"),
    Case("GET", "/techbank/search", expect(422), label="no query"),
    Case("GET", "/techbank/statistics", PUBLIC),
    Case("GET", "/techbank/technologies", PUBLIC, query="?q=코팅"),
    Case("GET", "/techbank/technologies/{id}", PUBLIC, target=lambda w: w.tech.pk),
    Case(
        "POST",
        "/techbank/technologies",
        WRITE_KITECH,
        body=lambda w, role: {
            "title": "API 기술",
            "application_number": app_number(2024),
            "holder_id": w.kitech.pk,
            "deal_types": ["nonexclusive"],
        },
        effect=exists("Technology", title="API 기술"),
    ),
    Case(
        "PATCH",
        "/techbank/technologies/{id}",
        EDIT_KITECH,
        target=lambda w: w.tech.pk,
        body=lambda w, role: {"title": "API로 고친 기술"},
        effect=exists("Technology", title="API로 고친 기술"),
    ),
    Case("GET", "/techbank/equipment", PUBLIC),
    Case("GET", "/techbank/equipment/{id}", PUBLIC, target=lambda w: w.equipment.pk),
    Case(
        "POST",
        "/techbank/equipment",
        WRITE_KITECH,
        body=lambda w, role: {
            "nfec_number": nfec_number(),
            "name": "API 장비",
            "institute_id": w.kitech.pk,
        },
        effect=exists("Equipment", name="API 장비"),
    ),
    Case(
        "PATCH",
        "/techbank/equipment/{id}",
        EDIT_KITECH,
        target=lambda w: w.equipment.pk,
        body=lambda w, role: {"name": "API로 고친 장비"},
        effect=exists("Equipment", name="API로 고친 장비"),
    ),
    Case("GET", "/techbank/labs", PUBLIC),
    Case("GET", "/techbank/labs/{id}", PUBLIC, target=lambda w: w.lab.pk),
    Case(
        "POST",
        "/techbank/labs",
        WRITE_KITECH,
        body=lambda w, role: {"name": "API 연구실", "institute_id": w.kitech.pk},
        effect=exists("Lab", name="API 연구실"),
    ),
    Case(
        "PATCH",
        "/techbank/labs/{id}",
        EDIT_KITECH,
        target=lambda w: w.lab.pk,
        body=lambda w, role: {"name": "API로 고친 연구실"},
        effect=exists("Lab", name="API로 고친 연구실"),
    ),
    Case("GET", "/techbank/experts", expect(404, yes=(KITECH, 200))),
    Case(
        "GET",
        "/techbank/experts/{id}",
        expect(404, yes=(KITECH, 200)),
        target=lambda w: w.expert.pk,
    ),
    Case(
        "POST",
        "/techbank/experts",
        WRITE_KITECH,
        body=lambda w, role: {
            "name": "API 전문가",
            "institute_id": w.kitech.pk,
            "email": "api@example.kr",
        },
        effect=exists("Expert", name="API 전문가"),
    ),
    Case(
        "PATCH",
        "/techbank/experts/{id}",
        EDIT_KITECH,
        target=lambda w: w.expert.pk,
        body=lambda w, role: {"department": "API 부서", "phone": "010-2222-3333"},
        effect=exists("Expert", department="API 부서"),
    ),
    # bookings
    Case("GET", "/techbank/bookings", expect(200, anonymous=401)),
    Case(
        "GET",
        "/techbank/bookings/{id}",
        expect(404, anonymous=401, yes=(HANBIT_CASE, 200)),
        target=lambda w: w.booking.pk,
    ),
    Case(
        "POST",
        "/techbank/bookings",
        expect(201, anonymous=401),
        body=lambda w, role: {
            "equipment_id": w.equipment.pk,
            "organisation_id": _org_for(w, role),
            "starts_at": _at(20, 10),
            "ends_at": _at(20, 12),
            "purpose": "API 시험",
        },
        effect=exists("EquipmentBooking", purpose="API 시험"),
    ),
    Case(
        "POST",
        "/techbank/bookings/{id}/approve",
        expect(404, anonymous=401, yes=(KITECH, 200), seen=({"sme"}, 403)),
        target=lambda w: w.booking.pk,
        body=lambda w, role: {},
        effect=status_is("booking", "approved"),
    ),
    Case(
        "POST",
        "/techbank/bookings/{id}/reject",
        expect(404, anonymous=401, yes=(KITECH, 200), seen=({"sme"}, 403)),
        target=lambda w: w.booking.pk,
        body=lambda w, role: {"note": "일정이 맞지 않습니다"},
        effect=status_is("booking", "rejected"),
    ),
    Case(
        "POST",
        "/techbank/bookings/{id}/cancel",
        expect(404, anonymous=401, yes=(HANBIT_CASE, 200)),
        target=lambda w: w.booking.pk,
        body=lambda w, role: {},
        effect=status_is("booking", "cancelled"),
    ),
    # transfer applications
    Case("GET", "/techbank/transfers", expect(200, anonymous=401)),
    Case(
        "GET",
        "/techbank/transfers/{id}",
        expect(404, anonymous=401, yes=(HANBIT_CASE, 200)),
        target=lambda w: w.application.pk,
    ),
    Case(
        "POST",
        "/techbank/transfers",
        expect(403, anonymous=401, yes=(APPLICANTS, 201)),
        body=lambda w, role: {
            "technology_id": w.other_tech.pk,
            "applicant_id": _applicant(w, role),
            "deal_type": "nonexclusive",
            "intended_use": "API 시제품",
        },
        effect=exists("TransferApplication", intended_use="API 시제품"),
    ),
    Case(
        "POST",
        "/techbank/transfers/{id}/review",
        expect(404, anonymous=401, yes=(STAFF, 200)),
        target=lambda w: w.kims_application.pk,
        body=lambda w, role: {"note": "검토"},
        effect=status_is("kims_application", "under_review"),
    ),
    Case(
        "POST",
        "/techbank/transfers/{id}/decide",
        expect(404, anonymous=401, yes=(KITECH, 200), seen=({"sme"}, 403)),
        target=lambda w: w.application.pk,
        body=lambda w, role: {"decision": "negotiate", "note": "협상"},
        effect=status_is("application", "negotiating"),
    ),
    Case(
        "POST",
        "/techbank/transfers/{id}/withdraw",
        expect(404, anonymous=401, yes=(STAFF | {"sme"}, 200), seen=({"researcher"}, 403)),
        target=lambda w: w.application.pk,
        body=lambda w, role: {},
        effect=status_is("application", "withdrawn"),
    ),
    Case(
        "GET",
        "/techbank/transfers/{id}/reports",
        expect(404, anonymous=401, yes=(SERIO_LICENCE, 200)),
        target=lambda w: w.licence.pk,
    ),
    Case(
        "POST",
        "/techbank/transfers/{id}/reports",
        expect(404, anonymous=401, yes=(STAFF | {"coop"}, 201)),
        target=lambda w: w.licence.pk,
        body=lambda w, role: {
            key.removeprefix("report-"): (int(value) if key == "report-sales" else value)
            for key, value in report_form(w, role).items()
        },
        effect=lambda w, role: w.licence.royalty_reports.filter(sales=1_000_000).exists(),
    ),
    # exchange requests
    Case("GET", "/techbank/exchanges", expect(200, anonymous=401)),
    Case(
        "GET",
        "/techbank/exchanges/{id}/candidates",
        expect(404, anonymous=401, yes=(KITECH, 200)),
        target=lambda w: w.exchange.pk,
    ),
    Case(
        "GET",
        "/techbank/exchanges/{id}",
        expect(404, anonymous=401, yes=(HANBIT_CASE, 200)),
        target=lambda w: w.exchange.pk,
    ),
    Case(
        "POST",
        "/techbank/exchanges",
        expect(403, anonymous=401, yes=(APPLICANTS, 201)),
        body=lambda w, role: {
            "requester_id": _applicant(w, role),
            "direction": "training",
            "field": "API 분야",
            "start_date": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
            "end_date": (timezone.localdate() + dt.timedelta(days=11)).isoformat(),
            "purpose": "API 교류",
        },
        effect=exists("ExchangeRequest", purpose="API 교류"),
    ),
    Case(
        "POST",
        "/techbank/exchanges/{id}/decide",
        expect(404, anonymous=401, yes=(KITECH, 200), seen=({"sme"}, 403)),
        target=lambda w: w.exchange.pk,
        body=lambda w, role: {"decision": "agree", "expert_id": w.expert.pk},
        effect=status_is("exchange", "agreed"),
    ),
    Case(
        "POST",
        "/techbank/exchanges/{id}/withdraw",
        expect(404, anonymous=401, yes=(STAFF | {"sme"}, 200), seen=({"researcher"}, 403)),
        target=lambda w: w.exchange.pk,
        body=lambda w, role: {},
        effect=status_is("exchange", "withdrawn"),
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", MATRIX, ids=lambda c: c.id)
def test_techbank_api_role_gets_the_expected_status(case, role, client_for, api_world):
    client = client_for(role)
    path = case.path
    if case.target:
        path = path.replace("{id}", str(case.target(api_world)))
    body = case.body(api_world, role) if case.body else None
    before = techbank_state()

    response = send(client, case.method, path + case.query, body)

    expected = case.statuses[role]
    assert response.status_code == expected, response.content.decode()
    assert response["Content-Type"].startswith("application/json")
    if expected >= 400:
        assert set(response.json()) >= {"code", "message", "field"}
    if case.method == "GET" or expected >= 400:
        assert techbank_state() == before, "a refused or read-only call changed the database"
    elif case.effect is not None:
        assert case.effect(api_world, role), "an allowed call must do what it asks"


def test_every_techbank_operation_has_an_entry(client):
    schema = client.get(f"{API}/openapi.json").json()
    operations = {
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
        and path.startswith(f"{API}/techbank/")
    }
    covered = {case.operation for case in MATRIX}
    assert operations - covered == set(), "add these operations to MATRIX"
    assert covered - operations == set(), "MATRIX lists operations the API no longer has"


def test_every_case_decides_every_role():
    for case in MATRIX:
        assert set(case.statuses) == set(ROLES), case.id


def test_staff_may_write_everywhere_and_anonymous_nowhere():
    for case in MATRIX:
        if case.method == "GET":
            continue
        allowed = {role for role, status in case.statuses.items() if status < 400}
        assert allowed >= STAFF, case.id
        assert "anonymous" not in allowed, case.id
