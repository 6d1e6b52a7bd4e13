"""Who may call what in the governance API: every /api/v1/governance operation of the OpenAPI
schema (except the public assembly checker, covered by its own tests) × every demo role, with
the exact status; refused calls change nothing.

The pages' rules: 세리오협동조합's chair (``coop``) runs it; its ``member`` sees it, casts their
own ballot and signs; everybody else gets 404 (they may not know it exists); a member asking
for an officer's operation gets 403; without credentials, 401.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from .test_permissions_pages import (
    ROLES,
    _world_once,  # noqa: F401 - the fixtures
    closed_founding,
    governance_state,
    own_refund,
    refund_world,
    world,  # noqa: F401
)

pytestmark = pytest.mark.django_db

API = "/api/v1"


def send(client, method: str, path: str, body: Any = None):
    kwargs: dict[str, Any] = {}
    if body is not None:
        kwargs = {"data": json.dumps(body), "content_type": "application/json"}
    return getattr(client, method.lower())(API + path, **kwargs)


def expect(default: int, *, anonymous: int = 401, **groups: Any) -> dict[str, int]:
    out = dict.fromkeys(ROLES, default)
    for roles, status in groups.values():
        for role in roles:
            out[role] = status
    out["anonymous"] = anonymous
    return out


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # as in the OpenAPI schema, under /api/v1
    statuses: dict[str, int]
    url: Callable[[Any], str]
    body: Callable[[Any, str], Any] | None = None
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}{' ' + self.label if self.label else ''}"


SEE = expect(404, yes=({"coop", "member"}, 200))
RUN = expect(404, seen=({"member"}, 403), yes=({"coop"}, 200))
CREATE = expect(404, seen=({"member"}, 403), yes=({"coop"}, 201))
G = "/governance"

MATRIX = [
    Case("GET", G + "/cooperatives", expect(200), lambda w: G + "/cooperatives"),
    Case(
        "GET",
        G + "/cooperatives/{org_id}/members",
        SEE,
        lambda w: f"{G}/cooperatives/{w.serio.pk}/members",
    ),
    Case(
        "GET",
        G + "/cooperatives/{org_id}/members",
        expect(404),
        lambda w: f"{G}/cooperatives/{w.council.pk}/members",
        label="another cooperative",
    ),
    Case(
        "POST",
        G + "/cooperatives/{org_id}/members",
        CREATE,
        lambda w: f"{G}/cooperatives/{w.serio.pk}/members",
        body=lambda w, r: {"name": "API 조합원", "joined_on": "2026-01-02"},
    ),
    Case(
        "GET",
        G + "/cooperatives/{org_id}/members/{member_id}",
        SEE,
        lambda w: f"{G}/cooperatives/{w.serio.pk}/members/{w.me.pk}",
    ),
    Case(
        "GET",
        G + "/cooperatives/{org_id}/members/{member_id}",
        expect(404, yes=({"coop"}, 200)),
        lambda w: f"{G}/cooperatives/{w.serio.pk}/members/{w.other.pk}",
        label="another member",
    ),
    Case(
        "POST",
        G + "/cooperatives/{org_id}/members/{member_id}/shares",
        CREATE,
        lambda w: f"{G}/cooperatives/{w.serio.pk}/members/{w.me.pk}/shares",
        body=lambda w, r: {"count": 1, "unit_price": 50000},
    ),
    Case(
        "POST",
        G + "/cooperatives/{org_id}/members/{member_id}/status",
        RUN,
        lambda w: f"{G}/cooperatives/{w.serio.pk}/members/{w.other.pk}/status",
        body=lambda w, r: {"status": "withdrawn", "on": "2026-01-10", "reason": "탈퇴 신청"},
    ),
    Case(
        "POST",
        G + "/cooperatives/{org_id}/members/{member_id}/expulsions",
        CREATE,
        lambda w: f"{G}/cooperatives/{w.serio.pk}/members/{w.other.pk}/expulsions",
        body=lambda w, r: {"ground": "unpaid", "detail": "회비 미납"},
    ),
    Case(
        "POST",
        G + "/expulsions/{case_id}/schedule",
        RUN,
        lambda w: f"{G}/expulsions/{w.open_case.pk}/schedule",
        body=lambda w, r: {"assembly_id": w.upcoming.pk, "notified_on": str(w.today)},
    ),
    Case(
        "POST",
        G + "/expulsions/{case_id}/hearing",
        RUN,
        lambda w: f"{G}/expulsions/{w.notified_case.pk}/hearing",
        body=lambda w, r: {"record": "본인 소명"},
    ),
    Case(
        "POST",
        G + "/cooperatives/{org_id}/members/{member_id}/dues",
        CREATE,
        lambda w: f"{G}/cooperatives/{w.serio.pk}/members/{w.other.pk}/dues",
        body=lambda w, r: {"schedule_id": w.dues.pk, "year": 2026, "paid_on": "2026-03-31"},
    ),
    Case(
        "POST",
        G + "/cooperatives/{org_id}/members/{member_id}/terms",
        CREATE,
        lambda w: f"{G}/cooperatives/{w.serio.pk}/members/{w.other.pk}/terms",
        body=lambda w, r: {
            "office": "director",
            "starts_on": "2026-03-25",
            "ends_on": "2030-03-24",
        },
    ),
    Case(
        "POST",
        G + "/cooperatives/{org_id}/members/{member_id}/terms",
        expect(404, seen=({"member"}, 403), yes=({"coop"}, 422)),
        lambda w: f"{G}/cooperatives/{w.serio.pk}/members/{w.other.pk}/terms",
        body=lambda w, r: {
            "office": "director",
            "starts_on": "2026-03-25",
            "ends_on": "2030-03-26",
        },
        label="longer than 4 years",
    ),
    Case(
        "GET",
        G + "/cooperatives/{org_id}/assemblies",
        SEE,
        lambda w: f"{G}/cooperatives/{w.serio.pk}/assemblies",
    ),
    Case(
        "POST",
        G + "/cooperatives/{org_id}/assemblies",
        CREATE,
        lambda w: f"{G}/cooperatives/{w.serio.pk}/assemblies",
        body=lambda w, r: {
            "kind": "ordinary",
            "title": "API 총회",
            "scheduled_at": "2027-03-20T14:00:00+09:00",
            "place": "회의실",
            "purpose": "결산",
            "board_decision": "이사회 결의",
        },
    ),
    Case("GET", G + "/assemblies/{assembly_id}", SEE, lambda w: f"{G}/assemblies/{w.held.pk}"),
    Case(
        "GET",
        G + "/assemblies/{assembly_id}",
        expect(404),
        lambda w: f"{G}/assemblies/{w.council_assembly.pk}",
        label="council",
    ),
    Case(
        "GET",
        G + "/assemblies/{assembly_id}/quorum",
        SEE,
        lambda w: f"{G}/assemblies/{w.held.pk}/quorum",
    ),
    Case(
        "POST",
        G + "/assemblies/{assembly_id}/items",
        CREATE,
        lambda w: f"{G}/assemblies/{w.upcoming.pk}/items",
        body=lambda w, r: {"title": "API 안건", "matter": "budget"},
    ),
    Case(
        "POST",
        G + "/assemblies/{assembly_id}/notice",
        CREATE,
        lambda w: f"{G}/assemblies/{w.upcoming.pk}/notice",
    ),
    Case(
        "POST",
        G + "/assemblies/{assembly_id}/open",
        RUN,
        lambda w: f"{G}/assemblies/{w.upcoming.pk}/open",
    ),
    Case(
        "POST",
        G + "/assemblies/{assembly_id}/close",
        expect(404, seen=({"member"}, 403), yes=({"coop"}, 422)),
        lambda w: f"{G}/assemblies/{w.held.pk}/close",
        label="an item still open",
    ),
    Case(
        "POST",
        G + "/assemblies/{assembly_id}/checkins",
        CREATE,
        lambda w: f"{G}/assemblies/{w.upcoming.pk}/checkins",
        body=lambda w, r: {"member_id": w.other.pk},
    ),
    Case(
        "POST",
        G + "/assemblies/{assembly_id}/proxies",
        CREATE,
        lambda w: f"{G}/assemblies/{w.upcoming.pk}/proxies",
        body=lambda w, r: {
            "member_id": w.other.pk,
            "proxy_member_id": w.me.pk,
            "authorisation_reference": "위임장",
        },
    ),
    Case(
        "POST",
        G + "/assemblies/{assembly_id}/proxies",
        expect(404, seen=({"member"}, 403), yes=({"coop"}, 422)),
        lambda w: f"{G}/assemblies/{w.upcoming.pk}/proxies",
        body=lambda w, r: {
            "member_id": w.other.pk,
            "proxy_name": "이웃",
            "authorisation_reference": "x",
        },
        label="non-member non-family",
    ),
    Case(
        "POST",
        G + "/assemblies/{assembly_id}/minutes",
        CREATE,
        lambda w: f"{G}/assemblies/{w.held.pk}/minutes",
    ),
    Case("GET", G + "/items/{item_id}", SEE, lambda w: f"{G}/items/{w.vote_item.pk}"),
    Case(
        "GET",
        G + "/items/{item_id}",
        expect(404),
        lambda w: f"{G}/items/{w.council_item.pk}",
        label="council",
    ),
    Case("POST", G + "/items/{item_id}/open", RUN, lambda w: f"{G}/items/{w.pending_item.pk}/open"),
    Case("POST", G + "/items/{item_id}/close", RUN, lambda w: f"{G}/items/{w.vote_item.pk}/close"),
    Case(
        "POST",
        G + "/items/{item_id}/tally",
        RUN,
        lambda w: f"{G}/items/{w.tally_item.pk}/tally",
        body=lambda w, r: {"yes": 2, "no": 0, "abstain": 0},
    ),
    Case(
        "POST",
        G + "/items/{item_id}/ballots",
        expect(404, yes=({"coop", "member"}, 201)),
        lambda w: f"{G}/items/{w.vote_item.pk}/ballots",
        body=lambda w, r: {"choice": "yes"},
    ),
    Case(
        "POST",
        G + "/items/{item_id}/ballots",
        expect(404, yes=({"coop"}, 403), no=({"member"}, 403)),
        lambda w: f"{G}/items/{w.vote_item.pk}/ballots",
        body=lambda w, r: {"choice": "yes", "for_member_id": w.other.pk},
        label="for someone they do not represent",
    ),
    Case("GET", G + "/minutes/{minutes_id}", SEE, lambda w: f"{G}/minutes/{w.minutes.pk}"),
    Case(
        "GET",
        G + "/minutes/{minutes_id}",
        expect(404),
        lambda w: f"{G}/minutes/{w.council_minutes.pk}",
        label="council",
    ),
    Case(
        "PATCH",
        G + "/minutes/{minutes_id}",
        RUN,
        lambda w: f"{G}/minutes/{w.minutes.pk}",
        body=lambda w, r: {"body": "API 의사록"},
    ),
    Case(
        "POST",
        G + "/minutes/{minutes_id}/signers",
        RUN,
        lambda w: f"{G}/minutes/{w.minutes.pk}/signers",
        body=lambda w, r: {
            "chair_id": w.chair_member.pk,
            "member_ids": [m.pk for m in w.members[1:5]],
        },
    ),
    Case(
        "POST",
        G + "/minutes/{minutes_id}/sign",
        expect(404, yes=({"coop", "member"}, 200)),
        lambda w: f"{G}/minutes/{w.minutes.pk}/sign",
    ),
    Case(
        "POST",
        G + "/minutes/{minutes_id}/lock",
        expect(404, seen=({"member"}, 403), yes=({"coop"}, 422)),
        lambda w: f"{G}/minutes/{w.minutes.pk}/lock",
        label="signatures missing",
    ),
    # delegates (대의원, art. 31)
    Case(
        "GET",
        G + "/cooperatives/{org_id}/delegates",
        SEE,
        lambda w: f"{G}/cooperatives/{w.serio.pk}/delegates",
    ),
    Case(
        "GET",
        G + "/cooperatives/{org_id}/delegates",
        expect(404),
        lambda w: f"{G}/cooperatives/{w.council.pk}/delegates",
        label="another cooperative",
    ),
    Case(
        "POST",
        G + "/cooperatives/{org_id}/delegates",
        expect(404, seen=({"member"}, 403), yes=({"coop"}, 422)),
        lambda w: f"{G}/cooperatives/{w.serio.pk}/delegates",
        body=lambda w, r: {
            "member_ids": [m.pk for m in w.members],
            "elected_on": str(w.today),
            "starts_on": str(w.today),
            "ends_on": str(w.today + dt.timedelta(days=700)),
        },
        label="200 members or fewer",
    ),
    Case(
        "POST",
        G + "/delegates/{delegate_id}/end",
        RUN,
        lambda w: f"{G}/delegates/{w.delegate.pk}/end",
        body=lambda w, r: {"left_on": str(w.today), "reason": "사임"},
    ),
    # founding meeting (창립총회, art. 15)
    Case(
        "GET",
        G + "/assemblies/{assembly_id}/founding",
        SEE,
        lambda w: f"{G}/assemblies/{w.founding.pk}/founding",
    ),
    Case(
        "GET",
        G + "/assemblies/{assembly_id}/founding",
        expect(404),
        lambda w: f"{G}/assemblies/{w.held.pk}/founding",
        label="not a founding meeting",
    ),
    Case(
        "POST",
        G + "/assemblies/{assembly_id}/founders",
        CREATE,
        lambda w: f"{G}/assemblies/{w.founding.pk}/founders",
        body=lambda w, r: {"name": "API 발기인", "stakeholder_type": "consumer"},
    ),
    Case(
        "POST",
        G + "/assemblies/{assembly_id}/consents",
        CREATE,
        lambda w: f"{G}/assemblies/{w.founding.pk}/consents",
        body=lambda w, r: {
            "name": "API 동의자",
            "stakeholder_type": "consumer",
            "submitted_on": str(w.today),
        },
    ),
]


# --- capital refunds -----------------------------------------------------------------------------
# One block (before the parametrisation reads MATRIX); the refunds are made lazily by the URL
# functions, which run before the state snapshot.

OFFICER_ONLY = expect(404, yes=({"coop"}, 200))

MATRIX += [
    Case(
        "GET",
        G + "/cooperatives/{org_id}/refunds",
        RUN,
        lambda w: f"{G}/cooperatives/{refund_world(w).serio.pk}/refunds",
    ),
    Case(
        "GET",
        G + "/cooperatives/{org_id}/refunds",
        expect(404),
        lambda w: f"{G}/cooperatives/{w.council.pk}/refunds",
        label="council",
    ),
    Case(
        "GET",
        G + "/refunds/{refund_id}",
        OFFICER_ONLY,
        lambda w: f"{G}/refunds/{refund_world(w).refund.pk}",
    ),
    Case(
        "GET",
        G + "/refunds/{refund_id}",
        SEE,
        lambda w: f"{G}/refunds/{own_refund(w).pk}",
        label="the departed member's own",
    ),
    Case(
        "POST",
        G + "/refunds/{refund_id}/claim",
        OFFICER_ONLY,
        lambda w: f"{G}/refunds/{refund_world(w).refund.pk}/claim",
        body=lambda w, r: {"claimed_on": str(w.today)},
    ),
    Case(
        "POST",
        G + "/refunds/{refund_id}/claim",
        RUN,
        lambda w: f"{G}/refunds/{own_refund(w).pk}/claim",
        body=lambda w, r: {"claimed_on": str(w.today)},
        label="the departed member's own",
    ),
    Case(
        "POST",
        G + "/refunds/{refund_id}/deduction",
        OFFICER_ONLY,
        lambda w: f"{G}/refunds/{refund_world(w).refund.pk}/deduction",
        body=lambda w, r: {"deduction": 1000, "reason": "손실 분담"},
    ),
    Case(
        "POST",
        G + "/refunds/{refund_id}/pay",
        OFFICER_ONLY,
        lambda w: f"{G}/refunds/{refund_world(w).claimed_refund.pk}/pay",
        body=lambda w, r: {
            "paid_on": str(w.today),
            "method": "bank_transfer",
            "resolution_item_id": w.refund_item.pk,
        },
    ),
    Case(
        "POST",
        G + "/refunds/{refund_id}/pay",
        expect(404, yes=({"coop"}, 422)),
        lambda w: f"{G}/refunds/{refund_world(w).refund.pk}/pay",
        body=lambda w, r: {
            "paid_on": str(w.today),
            "method": "cash",
            "resolution_item_id": w.refund_item.pk,
        },
        label="not claimed",
    ),
]


@pytest.fixture(autouse=True)
def _refunds_exist_before_the_snapshot(request):
    """The matrix test snapshots the state before building the URL: make the refunds first."""
    callspec = getattr(request.node, "callspec", None)
    case = callspec.params.get("case") if callspec else None
    if case is not None and "/refunds" in case.path:
        case.url(request.getfixturevalue("world"))


# --- end of capital refunds ----------------------------------------------------------------------


# --- founding completion (창립총회 뒤 설립동의자 → 조합원) ---------------------------------------

MATRIX += [
    Case(
        "POST",
        G + "/assemblies/{assembly_id}/founding/complete",
        RUN,
        lambda w: f"{G}/assemblies/{closed_founding(w).closed_founding.pk}/founding/complete",
    ),
    Case(
        "POST",
        G + "/assemblies/{assembly_id}/founding/complete",
        expect(404, seen=({"member"}, 403), yes=({"coop"}, 422)),
        lambda w: f"{G}/assemblies/{w.founding.pk}/founding/complete",
        label="not closed",
    ),
    Case(
        "POST",
        G + "/assemblies/{assembly_id}/founding/complete",
        expect(404, seen=({"member"}, 403)),
        lambda w: f"{G}/assemblies/{w.held.pk}/founding/complete",
        label="not a founding meeting",
    ),
]


@pytest.fixture(autouse=True)
def _closed_founding_exists_before_the_snapshot(request):
    """The matrix test snapshots the state before building the URL: make the meeting first."""
    callspec = getattr(request.node, "callspec", None)
    case = callspec.params.get("case") if callspec else None
    if case is not None and case.path.endswith("/founding/complete"):
        case.url(request.getfixturevalue("world"))


# --- end of founding completion ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "role"),
    [pytest.param(c, r, id=f"{c.id}-{r}") for c in MATRIX for r in ROLES],
)
def test_governance_api_permission_matrix(case: Case, role: str, world, client_for):  # noqa: F811
    client = client_for(role)
    before = governance_state()
    response = send(
        client,
        case.method,
        case.url(world),
        case.body(world, role) if case.body else None,
    )
    expected = case.statuses[role]
    assert response.status_code == expected, (case.id, role, response.content[:300])
    if expected >= 400:
        assert governance_state() == before, "a refused call changed the database"
        assert "code" in response.json()


def test_every_governance_operation_has_an_entry(client):
    schema = client.get(API + "/openapi.json").json()
    operations = {
        (method.upper(), path.removeprefix(API))
        for path, ops in schema["paths"].items()
        if path.startswith(API + "/governance/") and not path.endswith("/assembly-check")
        for method in ops
    }
    covered = {(c.method, c.path) for c in MATRIX}
    assert operations - covered == set(), "operations without a matrix entry"
    assert covered - operations == set(), "matrix entries for operations that no longer exist"
