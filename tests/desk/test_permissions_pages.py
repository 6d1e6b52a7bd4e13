"""The permission matrix of every desk page: URL × method × role → the exact status, with the
helpers of the site-wide matrix (``tests/test_permissions_pages.py``).

Deny by default: a case someone may not see — or may see but not act on — answers 404, a
page that needs a login sends anonymous visitors to the login page, a method a page does not
take is a 405, a move out of turn is a 400 with the form's error. The requester's status
link is the key to its pages, whoever holds it; a bad link is a 404 for everyone. A refused
request changes nothing (every desk table and the audit log compared before and after).
``test_every_desk_url_has_a_matrix_entry`` fails when a desk URL has no GET and POST entry.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import pytest
from django.urls import get_resolver
from test_permissions_pages import (
    BAD,
    LOGIN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    REDIRECT,
    ROLES,
    Case,
    _routes,
    db_state,
    everyone,
    get,
    members_only,
    only,
    post,
)

from .conftest import PDF, VALID_BUSINESS_NUMBER, upload

pytestmark = pytest.mark.django_db

STAFF = {"admin", "center"}
WORKERS = STAFF | {"researcher"}  # the researcher is KITECH's, and on its team
KITECH_CASE = WORKERS  # who sees a case led by KITECH that the sme did not ask about
SME_CASE = WORKERS | {"sme"}  # … and one the sme asked about
MISSING_NUMBER = "2026-987654"


@pytest.fixture(autouse=True)
def fake_routing(monkeypatch):
    """The recommender and its learning are not what this matrix checks (and cost seconds)."""
    from dure.routing import services as routing
    from dure.routing.engine import Recommendation

    monkeypatch.setattr(
        routing,
        "recommend",
        lambda text, *, limit=None, include_examples=True: [
            Recommendation(
                "KITECH", "한국생산기술연구원", 1.0, {"terms": [], "sentences": [], "examples": []}
            )
        ],
    )
    monkeypatch.setattr(routing, "routing_example_record", lambda **kw: None)


# --- the world: cases in every state, built on first use -----------------------------------------


class World:
    def __init__(self, users: dict[str, Any]) -> None:
        from dure.desk.models import Team
        from dure.directory.models import Organisation, OrganisationKind

        self.users = users
        self.kitech = Organisation.objects.get(
            kind=OrganisationKind.RESEARCH_INSTITUTE, acronym="KITECH"
        )
        self.national = Organisation.objects.get(name="과학기술인협동조합지원센터")
        self.team = Team.objects.get(name="뿌리기술 지원팀")

    def _submit(self, requester: str | None = None, **data: Any):
        from dure.desk.services import case_submit

        payload = {
            "company_name": "매트릭스정밀",
            "contact_name": "홍길동",
            "contact_email": "matrix@example.kr",
            "description": "금형에서 뽑은 부품 표면에 줄무늬가 생깁니다.",
            **data,
        }
        actor = self.users[requester] if requester else None
        return case_submit(actor=actor, data=payload, privacy_consent=True).case

    def _to(self, case, state: str):
        from dure.desk import services

        center, researcher = self.users["center"], self.users["researcher"]
        services.case_triage(
            actor=center,
            case=case,
            category="consulting",
            lead_institute=self.kitech,
            recommended=["KITECH"],
        )
        if state == "triaged":
            return case
        services.case_assign(actor=center, case=case, team=self.team, assignee=researcher)
        if state == "assigned":
            return case
        services.case_start(actor=researcher, case=case)
        if state == "in_progress":
            return case
        if state == "waiting":
            services.case_wait_for_requester(actor=researcher, case=case)
            return case
        services.case_resolve(actor=researcher, case=case, outcome="information")
        return case

    @cached_property
    def received(self):
        return self._submit()

    @cached_property
    def triaged(self):
        return self._to(self._submit(), "triaged")

    @cached_property
    def assigned(self):
        return self._to(self._submit(), "assigned")

    @cached_property
    def progress(self):
        """In progress, asked by the demo sme (logged in), with files and a collaborator."""
        return self._to(self._submit("sme"), "in_progress")

    @cached_property
    def waiting(self):
        return self._to(self._submit(), "waiting")

    @cached_property
    def resolved(self):
        """Resolved, asked by the demo sme."""
        return self._to(self._submit("sme"), "resolved")

    @cached_property
    def public_file(self):
        from dure.desk.services import case_message_post

        message = case_message_post(
            actor=self.users["researcher"],
            case=self.progress,
            body="자료",
            attachments=[upload(PDF, "자료.pdf")],
        )
        return message.attachments.get()

    @cached_property
    def internal_file(self):
        from dure.desk.services import case_message_post

        message = case_message_post(
            actor=self.users["researcher"],
            case=self.progress,
            body="내부",
            is_internal=True,
            attachments=[upload(PDF, "내부.pdf")],
        )
        return message.attachments.get()

    @cached_property
    def colleague(self):
        """Another KITECH researcher, who may become a collaborator."""
        from dure.accounts.models import User
        from dure.directory.models import Membership, Role

        user = User.objects.create_user(username="matrix_kitech", email="mk@example.kr")
        Membership.objects.create(user=user, organisation=self.kitech, role=Role.RESEARCHER)
        return user

    @cached_property
    def collaborator(self):
        from dure.desk.services import case_collaborator_add

        case_collaborator_add(actor=self.users["center"], case=self.progress, user=self.colleague)
        return self.colleague

    def token(self, case) -> str:
        from dure.desk.services import status_token_for

        return status_token_for(case=case)

    def forged(self, case) -> str:
        token = self.token(case)
        return token[:-2] + ("AA" if not token.endswith("AA") else "BB")


@pytest.fixture
def world(users) -> World:
    return World(users)


def desk_state() -> dict[str, Any]:
    from dure.desk.models import (
        Case as DeskCase,
    )
    from dure.desk.models import (
        CaseAttachment,
        CaseCollaborator,
        CaseEvent,
        CaseMessage,
        CaseNumberCounter,
        CasePause,
        CaseResolution,
        CaseSurvey,
        CompanyTeam,
        TeamMember,
    )

    return {
        **db_state(),
        "cases": list(DeskCase.objects.order_by("pk").values()),
        "collaborating": list(
            DeskCase.collaborating_institutes.through.objects.order_by("pk").values()
        ),
        "events": CaseEvent.objects.count(),
        "messages": list(CaseMessage.objects.order_by("pk").values("pk", "body", "is_internal")),
        "attachments": CaseAttachment.objects.count(),
        "collaborators": list(CaseCollaborator.objects.order_by("pk").values("case", "user")),
        "pauses": list(CasePause.objects.order_by("pk").values()),
        "resolutions": CaseResolution.objects.count(),
        "surveys": CaseSurvey.objects.count(),
        "company_teams": list(CompanyTeam.objects.order_by("pk").values("pk", "team")),
        "team_members": list(TeamMember.objects.order_by("pk").values()),
        "counters": list(CaseNumberCounter.objects.values()),
    }


# --- what each form posts, and what it must do ----------------------------------------------------


def intake_form(w, role, **extra):
    data = {
        "company_name": "매트릭스기업",
        "business_number": VALID_BUSINESS_NUMBER,
        "contact_name": "매트릭스",
        "contact_phone": "010-1111-2222",
        "contact_email": "matrix-intake@example.kr",
        "description": "매트릭스에서 보낸 애로 내용입니다.",
        "privacy_consent": "on",
        "idempotency_key": f"matrix-{role}",
        "attachments": [upload(PDF, "도면.pdf")],
    }
    data.update(extra)
    return data


def staff_intake_form(w, role):
    return intake_form(
        w,
        role,
        company_name="매트릭스전화",
        channel="phone_1379",
        receiving_centre=str(w.national.pk),
        contact_email="",
    )


def case_created(company):
    def check(w, role):
        from dure.desk.models import Case as DeskCase

        return DeskCase.objects.filter(company_name=company).count() == 1

    return check


def status_is(attr, status, **fields):
    def check(w, role):
        case = getattr(w, attr)
        case.refresh_from_db()
        return case.status == status and all(getattr(case, k) == v for k, v in fields.items())

    return check


def message_posted(attr, body, internal=False):
    def check(w, role):
        return getattr(w, attr).messages.filter(body=body, is_internal=internal).exists()

    return check


def surveyed(attr, rating):
    def check(w, role):
        return getattr(w, attr).surveys.filter(rating=rating).exists()

    return check


def collaborator_is(present: bool):
    def check(w, role):
        return w.progress.collaborator_links.filter(user=w.colleague).exists() == present

    return check


def triage_form(w, role, category="information"):
    return {
        "category": category,
        "priority": "normal",
        "lead_institute": str(w.kitech.pk),
        "recommended": "KITECH",
    }


def case_path(attr, suffix=""):
    return lambda w: f"/desk/cases/{getattr(w, attr).number}/{suffix}"


def status_path(attr, suffix="", forged=False):
    def path(w):
        case = getattr(w, attr)
        token = w.forged(case) if forged else w.token(case)
        return f"/desk/status/{token}/{suffix}"

    return path


R = "desk/cases/<caseno:number>/"
S = "desk/status/<str:token>/"

CASES: list[Case] = [
    # --- queues, lists, dashboard ----------------------------------------------------------------
    get(
        "desk/",
        lambda w: "/desk/",
        {
            **only(WORKERS),
            **dict.fromkeys(["sme", "coop", "member", "supplier", "seller", "creator"], REDIRECT),
        },
    ),
    get(
        "desk/",
        lambda w: "/desk/?queue=overdue&status=received&category=consulting&page=2",
        {
            **only(WORKERS),
            **dict.fromkeys(["sme", "coop", "member", "supplier", "seller", "creator"], REDIRECT),
        },
        variant="filtered",
    ),
    post("desk/", lambda w: "/desk/", members_only(NOT_ALLOWED)),
    get("desk/mine/", lambda w: "/desk/mine/", members_only()),
    post("desk/mine/", lambda w: "/desk/mine/", members_only(NOT_ALLOWED)),
    get("desk/dashboard/", lambda w: "/desk/dashboard/", only(WORKERS)),
    post("desk/dashboard/", lambda w: "/desk/dashboard/", members_only(NOT_ALLOWED)),
    get(
        "desk/dashboard/export/",
        lambda w: "/desk/dashboard/export/?report=evaluation&format=csv",
        only(WORKERS),
    ),
    get(
        "desk/dashboard/export/",
        lambda w: "/desk/dashboard/export/?report=performance&format=xlsx",
        only(WORKERS),
        variant="xlsx",
    ),
    post("desk/dashboard/export/", lambda w: "/desk/dashboard/export/", members_only(NOT_ALLOWED)),
    # --- intake ----------------------------------------------------------------------------------
    get("desk/new/", lambda w: "/desk/new/", everyone(OK)),
    post(
        "desk/new/",
        lambda w: "/desk/new/",
        everyone(REDIRECT),
        data=intake_form,
        changes=set(ROLES),
        effect=case_created("매트릭스기업"),
    ),
    post(
        "desk/new/",
        lambda w: "/desk/new/",
        everyone(BAD),
        data=lambda w, r: intake_form(w, r, business_number="123-45-67890"),
        variant="bad business number",
    ),
    get(
        "desk/receipt/<caseno:number>/",
        lambda w: f"/desk/receipt/{w.received.number}/",
        everyone(NOT_FOUND),  # only the browser session that submitted sees its receipt
    ),
    post(
        "desk/receipt/<caseno:number>/",
        lambda w: f"/desk/receipt/{w.received.number}/",
        everyone(NOT_ALLOWED),
    ),
    get("desk/intake/", lambda w: "/desk/intake/", only(STAFF)),
    post(
        "desk/intake/",
        lambda w: "/desk/intake/",
        only(STAFF, REDIRECT),
        data=staff_intake_form,
        changes=STAFF,
        effect=case_created("매트릭스전화"),
    ),
    # --- the status link -------------------------------------------------------------------------
    get(S, status_path("progress"), everyone(OK)),
    get(S, status_path("progress", forged=True), everyone(NOT_FOUND), variant="forged"),
    post(S, status_path("progress"), everyone(NOT_ALLOWED)),
    get(S + "reply/", status_path("progress", "reply/"), everyone(NOT_ALLOWED)),
    post(
        S + "reply/",
        status_path("progress", "reply/"),
        everyone(REDIRECT),
        data=lambda w, r: {"body": "링크로 보낸 답변", "attachments": [upload(PDF, "a.pdf")]},
        changes=set(ROLES),
        effect=message_posted("progress", "링크로 보낸 답변"),
    ),
    post(
        S + "reply/",
        status_path("progress", "reply/", forged=True),
        everyone(NOT_FOUND),
        data=lambda w, r: {"body": "위조 링크로 보낸 답변"},
        variant="forged",
    ),
    get(S + "survey/", status_path("resolved", "survey/"), everyone(NOT_ALLOWED)),
    post(
        S + "survey/",
        status_path("resolved", "survey/"),
        everyone(REDIRECT),
        data=lambda w, r: {"rating": "4"},
        changes=set(ROLES),
        effect=surveyed("resolved", 4),
    ),
    post(
        S + "survey/",
        status_path("progress", "survey/"),
        everyone(BAD),  # not resolved yet
        data=lambda w, r: {"rating": "4"},
        variant="not resolved",
    ),
    get(S + "reopen/", status_path("resolved", "reopen/"), everyone(NOT_ALLOWED)),
    post(
        S + "reopen/",
        status_path("resolved", "reopen/"),
        everyone(REDIRECT),
        changes=set(ROLES),
        effect=status_is("resolved", "in_progress"),
    ),
    post(
        S + "reopen/",
        status_path("resolved", "reopen/", forged=True),
        everyone(NOT_FOUND),
        variant="forged",
    ),
    get(
        S + "files/<int:pk>/",
        lambda w: status_path("progress", f"files/{w.public_file.pk}/")(w),
        everyone(OK),
    ),
    get(
        S + "files/<int:pk>/",
        lambda w: status_path("progress", f"files/{w.internal_file.pk}/")(w),
        everyone(NOT_FOUND),
        variant="internal",
    ),
    post(
        S + "files/<int:pk>/",
        lambda w: status_path("progress", f"files/{w.public_file.pk}/")(w),
        everyone(NOT_ALLOWED),
    ),
    # --- the case page ---------------------------------------------------------------------------
    get(R, case_path("received"), only(STAFF)),
    get(R, case_path("triaged"), only(KITECH_CASE), variant="KITECH"),
    get(R, case_path("progress"), only(SME_CASE), variant="the sme's"),
    get(R, lambda w: f"/desk/cases/{MISSING_NUMBER}/", only(set()), variant="missing"),
    post(R, case_path("progress"), members_only(NOT_ALLOWED)),
    # --- the moves -------------------------------------------------------------------------------
    get(R + "triage/", case_path("received", "triage/"), members_only(NOT_ALLOWED)),
    post(
        R + "triage/",
        case_path("received", "triage/"),
        only(STAFF, REDIRECT),
        data=triage_form,
        changes=STAFF,
        effect=status_is("received", "triaged", category="information"),
    ),
    post(
        R + "triage/",
        case_path("progress", "triage/"),
        only(STAFF, REDIRECT),  # the researcher and the sme see it, but do not triage
        data=triage_form,
        changes=STAFF,
        effect=status_is("progress", "in_progress", category="information"),
        variant="in progress",
    ),
    get(R + "assign/", case_path("triaged", "assign/"), members_only(NOT_ALLOWED)),
    post(
        R + "assign/",
        case_path("triaged", "assign/"),
        only(KITECH_CASE, REDIRECT),
        data=lambda w, r: {"team": str(w.team.pk), "assignee": "", "remember": "on"},
        changes=KITECH_CASE,
        effect=status_is("triaged", "assigned"),
    ),
    get(R + "start/", case_path("assigned", "start/"), members_only(NOT_ALLOWED)),
    post(
        R + "start/",
        case_path("assigned", "start/"),
        only(KITECH_CASE, REDIRECT),
        changes=KITECH_CASE,
        effect=status_is("assigned", "in_progress"),
    ),
    get(R + "wait/", case_path("progress", "wait/"), members_only(NOT_ALLOWED)),
    post(
        R + "wait/",
        case_path("progress", "wait/"),
        only(KITECH_CASE, REDIRECT),  # the sme sees it but works on nothing
        data=lambda w, r: {"message": "자료를 보내 주세요"},
        changes=KITECH_CASE,
        effect=status_is("progress", "waiting"),
    ),
    get(R + "resume/", case_path("waiting", "resume/"), members_only(NOT_ALLOWED)),
    post(
        R + "resume/",
        case_path("waiting", "resume/"),
        only(KITECH_CASE, REDIRECT),
        changes=KITECH_CASE,
        effect=status_is("waiting", "in_progress"),
    ),
    get(R + "resolve/", case_path("progress", "resolve/"), members_only(NOT_ALLOWED)),
    post(
        R + "resolve/",
        case_path("progress", "resolve/"),
        only(KITECH_CASE, REDIRECT),
        data=lambda w, r: {"outcome": "consulting", "summary": "컨설팅 제공"},
        changes=KITECH_CASE,
        effect=status_is("progress", "resolved", outcome="consulting"),
    ),
    post(
        R + "resolve/",
        case_path("received", "resolve/"),
        only(STAFF, BAD),  # a move out of turn: the form's error, nothing changed
        data=lambda w, r: {"outcome": "consulting"},
        variant="received",
    ),
    get(R + "close/", case_path("resolved", "close/"), members_only(NOT_ALLOWED)),
    post(
        R + "close/",
        case_path("resolved", "close/"),
        only(SME_CASE, REDIRECT),
        changes=SME_CASE,
        effect=status_is("resolved", "closed"),
    ),
    post(
        R + "close/",
        case_path("received", "close/"),
        only(STAFF, REDIRECT),
        data=lambda w, r: {"reason": "중복 접수"},
        changes=STAFF,
        effect=status_is("received", "closed"),
        variant="dismiss",
    ),
    get(R + "reopen/", case_path("resolved", "reopen/"), members_only(NOT_ALLOWED)),
    post(
        R + "reopen/",
        case_path("resolved", "reopen/"),
        only(SME_CASE, REDIRECT),
        data=lambda w, r: {"reason": "다시 봐 주세요"},
        changes=SME_CASE,
        effect=status_is("resolved", "in_progress"),
    ),
    # --- the conversation ------------------------------------------------------------------------
    get(R + "message/", case_path("progress", "message/"), members_only(NOT_ALLOWED)),
    post(
        R + "message/",
        case_path("progress", "message/"),
        only(SME_CASE, REDIRECT),
        data=lambda w, r: {"body": "매트릭스 메시지", "attachments": [upload(PDF, "m.pdf")]},
        changes=SME_CASE,
        effect=message_posted("progress", "매트릭스 메시지"),
    ),
    get(R + "note/", case_path("progress", "note/"), members_only(NOT_ALLOWED)),
    post(
        R + "note/",
        case_path("progress", "note/"),
        only(KITECH_CASE, REDIRECT),  # never the requester
        data=lambda w, r: {"body": "매트릭스 메모"},
        changes=KITECH_CASE,
        effect=message_posted("progress", "매트릭스 메모", internal=True),
    ),
    get(R + "survey/", case_path("resolved", "survey/"), members_only(NOT_ALLOWED)),
    post(
        R + "survey/",
        case_path("resolved", "survey/"),
        only({"sme"}, REDIRECT),  # the requester only
        data=lambda w, r: {"rating": "5", "comment": "좋습니다"},
        changes={"sme"},
        effect=surveyed("resolved", 5),
    ),
    get(R + "collaborators/", case_path("progress", "collaborators/"), members_only(NOT_ALLOWED)),
    post(
        R + "collaborators/",
        case_path("progress", "collaborators/"),
        only(KITECH_CASE, REDIRECT),
        data=lambda w, r: {"user": str(w.colleague.pk), "note": "공동 검토"},
        changes=KITECH_CASE,
        effect=collaborator_is(True),
    ),
    get(
        R + "collaborators/<int:user_id>/remove/",
        lambda w: case_path("progress", f"collaborators/{w.collaborator.pk}/remove/")(w),
        members_only(NOT_ALLOWED),
    ),
    post(
        R + "collaborators/<int:user_id>/remove/",
        lambda w: case_path("progress", f"collaborators/{w.collaborator.pk}/remove/")(w),
        only(KITECH_CASE, REDIRECT),
        changes=KITECH_CASE,
        effect=collaborator_is(False),
    ),
    # --- downloads -------------------------------------------------------------------------------
    get(
        R + "files/<int:pk>/",
        lambda w: case_path("progress", f"files/{w.public_file.pk}/")(w),
        only(SME_CASE),
    ),
    get(
        R + "files/<int:pk>/",
        lambda w: case_path("progress", f"files/{w.internal_file.pk}/")(w),
        only(KITECH_CASE),  # the requester never gets an internal file
        variant="internal",
    ),
    get(
        R + "files/<int:pk>/",
        lambda w: case_path("triaged", f"files/{w.public_file.pk}/")(w),
        only(set()),  # a file of another case under this case's number
        variant="other case",
    ),
    post(
        R + "files/<int:pk>/",
        lambda w: case_path("progress", f"files/{w.public_file.pk}/")(w),
        members_only(NOT_ALLOWED),
    ),
]


def _params():
    for case in CASES:
        for role in ROLES:
            yield pytest.param(case, role, id=f"{case.id}-{role}")


@pytest.mark.parametrize(("case", "role"), list(_params()))
def test_desk_page_permission_matrix(case: Case, role: str, world, client_for):
    client = client_for(role)
    path = case.path(world)
    data = case.data(world, role) if case.data else {}
    expected = case.expected[role]
    before = desk_state()

    response = client.get(path) if case.method == "GET" else client.post(path, data)

    if expected == LOGIN:
        assert response.status_code == 302, (path, response.status_code)
        assert response["Location"].startswith("/accounts/login/?next="), response["Location"]
    elif expected == REDIRECT:
        assert response.status_code == 302, (path, response.status_code, _errors(response))
        assert not response["Location"].startswith("/accounts/login/"), response["Location"]
    else:
        assert response.status_code == expected, (path, response.status_code, _errors(response))

    if role in case.changes:
        if case.effect is not None:
            assert case.effect(world, role), "an allowed request must do what it asks"
    else:
        assert desk_state() == before, "a refused (or read-only) request changed the database"


def _errors(response) -> Any:
    context = getattr(response, "context", None)
    if not context:
        return None
    for key in ("form", "failed"):
        if key in context and context[key]:
            return context[key] if key == "failed" else context[key].errors
    return None


def test_every_desk_url_has_a_matrix_entry():
    routes = {r for r in _routes(get_resolver().url_patterns) if r.startswith("desk/")}
    covered: dict[str, set[str]] = {}
    for case in CASES:
        covered.setdefault(case.route, set()).add(case.method)
    missing = sorted(r for r in routes if covered.get(r) != {"GET", "POST"})
    assert not missing, f"desk URLs without a GET and a POST entry in the matrix: {missing}"
    stale = sorted(set(covered) - routes)
    assert not stale, f"matrix entries for URLs that no longer exist: {stale}"


def test_every_case_names_every_role():
    for case in CASES:
        assert set(case.expected) == set(ROLES), case.id
