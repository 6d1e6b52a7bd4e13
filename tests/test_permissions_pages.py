"""The permission matrix of every page: URL × method × role → the exact status.

Deny by default: a page someone may not see answers 404 ("forbidden" and "missing" look the
same), a page that needs a login sends anonymous visitors to the login page, and a method a
page does not take is a 405. A refused POST changes nothing (rows compared before and after, no
audit row added). ``test_every_page_url_has_a_matrix_entry`` fails when a new page URL has no
entry here — the API (/api/) has its own matrix, the admin site only its front door.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from dure.directory.demo import DEMO_USERNAMES

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", *DEMO_USERNAMES]
LOGGED_IN = [r for r in ROLES if r != "anonymous"]
STAFF = {"admin", "center"}

# Apps whose pages have their own matrix (with its own completeness check over its prefix) in
# their test folder: tests/<app>/test_permissions_pages.py, reusing this module's helpers.
OWN_MATRIX_PREFIXES = (
    "desk/",
    "techbank/",
    "coop/",
    "market/",
    "programs/",
    "founding/",
    "notices/",
    "stories/",
)

OK, NOT_FOUND, NOT_ALLOWED, BAD = 200, 404, 405, 400
LOGIN = "login"  # 302 to the login page, with ?next=
REDIRECT = "redirect"  # 302 anywhere but the login page (the success of a form)


def everyone(expected) -> dict[str, Any]:
    return dict.fromkeys(ROLES, expected)


def members_only(expected=OK) -> dict[str, Any]:
    """Any signed-in person; anonymous visitors are sent to log in."""
    return {"anonymous": LOGIN, **dict.fromkeys(LOGGED_IN, expected)}


def only(allowed: set[str], yes=OK, *, anonymous=LOGIN, no=NOT_FOUND) -> dict[str, Any]:
    return {
        role: anonymous if role == "anonymous" else (yes if role in allowed else no)
        for role in ROLES
    }


@dataclass
class Case:
    id: str
    route: str  # the URL pattern, as get_resolver() spells it
    method: str
    path: Callable[[SimpleNamespace], str]
    expected: dict[str, Any]
    data: Callable[[SimpleNamespace, str], dict] | None = None
    # Roles whose request is allowed to change the database (and must, if ``effect`` is set).
    changes: set[str] = field(default_factory=set)
    effect: Callable[[SimpleNamespace, str], bool] | None = None
    xfail: str = ""  # a known bug outside this suite's files: expected to fail until fixed
    xfail_roles: set[str] | None = None  # None: every role


def get(route, path, expected, **kw) -> Case:
    return Case(f"GET {route} {kw.pop('variant', '')}".strip(), route, "GET", path, expected, **kw)


def post(route, path, expected, **kw) -> Case:
    return Case(
        f"POST {route} {kw.pop('variant', '')}".strip(), route, "POST", path, expected, **kw
    )


# --- what each form posts -----------------------------------------------------------------------

OWN_ORG = {"sme": "hanbit", "coop": "serio", "supplier": "wheat"}


def org_form(w, role, **extra):
    data = {
        "name": "매트릭스 수정",
        "kind": "sme",
        "description": "매트릭스에서 고친 소개",
        "is_public": "on",
    }
    data.update(extra)
    return data


def mou_form(w, role, title="매트릭스 협약"):
    parties = {w.hanbit.pk, w.serio.pk}
    if role in OWN_ORG:
        parties.add(getattr(w, OWN_ORG[role]).pk)
    return {
        "title": title,
        "parties": sorted(parties),
        "status": "draft",
        "scope": "공동 연구",
        "signed_on": "2025-03-01",
        "ends_on": "2026-03-01",
    }


def org_changed(attr):
    def check(w, role):
        from dure.directory.models import Organisation

        return (
            Organisation.objects.get(pk=getattr(w, attr).pk).description == "매트릭스에서 고친 소개"
        )

    return check


def created(model_name, **lookup):
    def check(w, role):
        from django.apps import apps

        return apps.get_model(model_name).objects.filter(**lookup).exists()

    return check


def user_deleted(w, role):
    from dure.accounts.models import User

    return not User.objects.get(pk=w.users[role].pk).is_active


def token_created(w, role):
    return w.users[role].api_tokens.filter(name="매트릭스").exists()


def token_revoked(w, role):
    w.token.refresh_from_db()
    return w.token.revoked_at is not None


def mou_renamed(w, role):
    w.draft_mou.refresh_from_db()
    return w.draft_mou.title == "매트릭스 수정 협약"


MISSING = 987654


def _target(year, key):
    from dure.insights.models import PolicyTarget

    return (
        PolicyTarget.objects.filter(year=year, indicator=key)
        .values_list("target", flat=True)
        .first()
    )


# Who may edit which demo organisation (edit page, history page): staff and its
# representative / chair / secretary.
HANBIT_EDITORS = STAFF | {"sme"}
SERIO_EDITORS = STAFF | {"coop"}
WHEAT_EDITORS = STAFF | {"supplier"}
# A draft MOU between 한빛정밀 and 세리오협동조합: their members see it, their editors edit it.
DRAFT_READERS = STAFF | {"sme", "coop", "member"}
DRAFT_EDITORS = STAFF | {"sme", "coop"}
# can_create_mou: staff, or anyone who edits an organisation (sme, coop, supplier).
MOU_CREATORS = STAFF | {"sme", "coop", "supplier"}

CASES: list[Case] = [
    # --- public pages ---------------------------------------------------------------------------
    get("", lambda w: "/", everyone(OK)),
    post("", lambda w: "/", everyone(NOT_ALLOWED)),
    get("privacy/", lambda w: "/privacy/", everyone(OK)),
    post("privacy/", lambda w: "/privacy/", everyone(NOT_ALLOWED)),
    get("healthz", lambda w: "/healthz", everyone(OK)),
    post("healthz", lambda w: "/healthz", everyone(NOT_ALLOWED)),
    get("ping", lambda w: "/ping", everyone(OK)),
    post("ping", lambda w: "/ping", everyone(NOT_ALLOWED)),
    get(
        "i18n/language/",
        lambda w: "/i18n/language/?language=en&next=/directory/",
        everyone(REDIRECT),
    ),
    post(
        "i18n/language/",
        lambda w: "/i18n/language/",
        everyone(NOT_ALLOWED),
        data=lambda w, r: {"language": "en", "next": "/directory/"},
    ),
    # --- login, logout, password reset (Django's views) -----------------------------------------
    get("accounts/login/", lambda w: "/accounts/login/", everyone(OK)),
    post(
        "accounts/login/",
        lambda w: "/accounts/login/",
        everyone(OK),  # wrong password: the form again, and an auth.login_failed audit row
        data=lambda w, r: {"username": "nobody", "password": "wrong"},
        changes=set(ROLES),
    ),
    get("accounts/logout/", lambda w: "/accounts/logout/", everyone(NOT_ALLOWED)),
    post("accounts/logout/", lambda w: "/accounts/logout/", everyone(REDIRECT), changes=set(ROLES)),
    get("accounts/password-reset/", lambda w: "/accounts/password-reset/", everyone(OK)),
    post(
        "accounts/password-reset/",
        lambda w: "/accounts/password-reset/",
        everyone(REDIRECT),
        data=lambda w, r: {"email": "member@dure.example"},
    ),
    get("accounts/password-reset/done/", lambda w: "/accounts/password-reset/done/", everyone(OK)),
    post(
        "accounts/password-reset/done/",
        lambda w: "/accounts/password-reset/done/",
        everyone(NOT_ALLOWED),
    ),
    get(
        "accounts/reset/<uidb64>/<token>/",
        lambda w: "/accounts/reset/MQ/bad-token/",
        everyone(OK),  # "the link is invalid" page
    ),
    post(
        "accounts/reset/<uidb64>/<token>/",
        lambda w: "/accounts/reset/MQ/bad-token/",
        everyone(OK),
        data=lambda w, r: {"new_password1": "x" * 20, "new_password2": "x" * 20},
    ),
    get("accounts/reset/done/", lambda w: "/accounts/reset/done/", everyone(OK)),
    post("accounts/reset/done/", lambda w: "/accounts/reset/done/", everyone(NOT_ALLOWED)),
    # --- one's own account ----------------------------------------------------------------------
    get("accounts/profile/", lambda w: "/accounts/profile/", members_only()),
    post("accounts/profile/", lambda w: "/accounts/profile/", members_only(NOT_ALLOWED)),
    get("accounts/profile/export/", lambda w: "/accounts/profile/export/", members_only()),
    post(
        "accounts/profile/export/",
        lambda w: "/accounts/profile/export/",
        members_only(NOT_ALLOWED),
    ),
    get("accounts/profile/delete/", lambda w: "/accounts/profile/delete/", members_only()),
    post(
        "accounts/profile/delete/",
        lambda w: "/accounts/profile/delete/",
        members_only(REDIRECT),
        data=lambda w, r: {"confirm": "삭제합니다"},
        changes=set(LOGGED_IN),
        effect=user_deleted,
    ),
    get("accounts/tokens/", lambda w: "/accounts/tokens/", members_only(NOT_ALLOWED)),
    post(
        "accounts/tokens/",
        lambda w: "/accounts/tokens/",
        members_only(OK),  # the page that shows the new secret once
        data=lambda w, r: {"name": "매트릭스"},
        changes=set(LOGGED_IN),
        effect=token_created,
    ),
    get(
        "accounts/tokens/<int:pk>/revoke/",
        lambda w: f"/accounts/tokens/{w.token.pk}/revoke/",
        members_only(NOT_ALLOWED),
    ),
    post(
        "accounts/tokens/<int:pk>/revoke/",
        lambda w: f"/accounts/tokens/{w.token.pk}/revoke/",
        members_only(REDIRECT),  # back to one's profile; only the owner's token is revoked
        changes={"member"},
        effect=token_revoked,
    ),
    # --- directory: organisations ---------------------------------------------------------------
    get("directory/", lambda w: "/directory/", everyone(OK)),
    get(
        "directory/", lambda w: "/directory/?q=협동조합&kind=cooperative", everyone(OK), variant="q"
    ),
    post("directory/", lambda w: "/directory/", everyone(NOT_ALLOWED)),
    get("directory/new/", lambda w: "/directory/new/", only(STAFF)),
    post(
        "directory/new/",
        lambda w: "/directory/new/",
        only(STAFF, REDIRECT),
        data=lambda w, r: org_form(w, r, name="매트릭스 기관"),
        changes=STAFF,
        effect=created("directory.Organisation", name="매트릭스 기관"),
    ),
    get("directory/<int:pk>/", lambda w: f"/directory/{w.hanbit.pk}/", everyone(OK)),
    get(
        "directory/<int:pk>/",
        lambda w: f"/directory/{w.wheat.pk}/",
        only(WHEAT_EDITORS, anonymous=NOT_FOUND),
        variant="non-public",
    ),
    get(
        "directory/<int:pk>/",
        lambda w: f"/directory/{MISSING}/",
        everyone(NOT_FOUND),
        variant="missing",
    ),
    post("directory/<int:pk>/", lambda w: f"/directory/{w.hanbit.pk}/", everyone(NOT_ALLOWED)),
    get(
        "directory/<int:pk>/edit/",
        lambda w: f"/directory/{w.hanbit.pk}/edit/",
        only(HANBIT_EDITORS),
    ),
    get(
        "directory/<int:pk>/edit/",
        lambda w: f"/directory/{w.serio.pk}/edit/",
        only(SERIO_EDITORS),  # `member` is a member of 세리오, not an editor
        variant="serio",
    ),
    get(
        "directory/<int:pk>/edit/",
        lambda w: f"/directory/{w.wheat.pk}/edit/",
        only(WHEAT_EDITORS),
        variant="non-public",
    ),
    get(
        "directory/<int:pk>/edit/",
        lambda w: f"/directory/{MISSING}/edit/",
        only(set()),
        variant="missing",
    ),
    post(
        "directory/<int:pk>/edit/",
        lambda w: f"/directory/{w.hanbit.pk}/edit/",
        only(HANBIT_EDITORS, REDIRECT),
        data=org_form,
        changes=HANBIT_EDITORS,
        effect=org_changed("hanbit"),
    ),
    post(
        "directory/<int:pk>/edit/",
        lambda w: f"/directory/{w.serio.pk}/edit/",
        only(SERIO_EDITORS, REDIRECT),
        data=org_form,
        changes=SERIO_EDITORS,
        effect=org_changed("serio"),
        variant="serio",
    ),
    post(
        "directory/<int:pk>/edit/",
        lambda w: f"/directory/{w.wheat.pk}/edit/",
        only(WHEAT_EDITORS, REDIRECT),
        data=org_form,
        changes=WHEAT_EDITORS,
        effect=org_changed("wheat"),
        variant="non-public",
    ),
    get(
        "directory/<int:pk>/history/",
        lambda w: f"/directory/{w.hanbit.pk}/history/",
        only(HANBIT_EDITORS),
    ),
    get(
        "directory/<int:pk>/history/",
        lambda w: f"/directory/{w.serio.pk}/history/",
        only(SERIO_EDITORS),
        variant="serio",
    ),
    get(
        "directory/<int:pk>/history/",
        lambda w: f"/directory/{w.wheat.pk}/history/",
        only(WHEAT_EDITORS),
        variant="non-public",
    ),
    post(
        "directory/<int:pk>/history/",
        lambda w: f"/directory/{w.hanbit.pk}/history/",
        members_only(NOT_ALLOWED),
    ),
    # --- directory: MOUs ------------------------------------------------------------------------
    get("directory/mou/", lambda w: "/directory/mou/", everyone(OK)),
    post("directory/mou/", lambda w: "/directory/mou/", everyone(NOT_ALLOWED)),
    get("directory/mou/new/", lambda w: "/directory/mou/new/", only(MOU_CREATORS)),
    post(
        "directory/mou/new/",
        lambda w: "/directory/mou/new/",
        only(MOU_CREATORS, REDIRECT),
        data=mou_form,
        changes=MOU_CREATORS,
        effect=created("directory.MOU", title="매트릭스 협약"),
    ),
    get("directory/mou/<int:pk>/", lambda w: f"/directory/mou/{w.public_mou.pk}/", everyone(OK)),
    get(
        "directory/mou/<int:pk>/",
        lambda w: f"/directory/mou/{w.draft_mou.pk}/",
        only(DRAFT_READERS, anonymous=NOT_FOUND),
        variant="draft",
    ),
    get(
        "directory/mou/<int:pk>/",
        lambda w: f"/directory/mou/{MISSING}/",
        everyone(NOT_FOUND),
        variant="missing",
    ),
    post(
        "directory/mou/<int:pk>/",
        lambda w: f"/directory/mou/{w.public_mou.pk}/",
        everyone(NOT_ALLOWED),
    ),
    get(
        "directory/mou/<int:pk>/edit/",
        lambda w: f"/directory/mou/{w.draft_mou.pk}/edit/",
        only(DRAFT_EDITORS),
    ),
    get(
        "directory/mou/<int:pk>/edit/",
        lambda w: f"/directory/mou/{w.public_mou.pk}/edit/",
        only(STAFF),  # no demo user edits 강원 organisations
        variant="public",
    ),
    post(
        "directory/mou/<int:pk>/edit/",
        lambda w: f"/directory/mou/{w.draft_mou.pk}/edit/",
        only(DRAFT_EDITORS, REDIRECT),
        data=lambda w, r: (
            mou_form(w, r, title="매트릭스 수정 협약") | {"parties": [w.hanbit.pk, w.serio.pk]}
        ),
        changes=DRAFT_EDITORS,
        effect=mou_renamed,
    ),
    get(
        "directory/mou/<int:pk>/attachment/",
        lambda w: f"/directory/mou/{w.draft_mou.pk}/attachment/",
        only(DRAFT_READERS),
    ),
    get(
        "directory/mou/<int:pk>/attachment/",
        lambda w: f"/directory/mou/{w.public_mou.pk}/attachment/",
        only(STAFF),  # a public MOU, but its file is for the parties and staff only
        variant="public",
    ),
    post(
        "directory/mou/<int:pk>/attachment/",
        lambda w: f"/directory/mou/{w.draft_mou.pk}/attachment/",
        members_only(NOT_ALLOWED),
    ),
    # --- policy indicators: a public dashboard, targets set by staff ------------------------------
    get("insights/", lambda w: "/insights/", everyone(OK)),
    get("insights/", lambda w: "/insights/?year=2025", everyone(OK), variant="year"),
    get("insights/", lambda w: "/insights/?year=abc", everyone(OK), variant="bad year"),
    post("insights/", lambda w: "/insights/", everyone(NOT_ALLOWED)),
    get("insights/export/", lambda w: "/insights/export/?format=xlsx", everyone(OK)),
    get(
        "insights/export/",
        lambda w: "/insights/export/?format=pdf",
        everyone(NOT_FOUND),
        variant="bad format",
    ),
    post("insights/export/", lambda w: "/insights/export/", everyone(NOT_ALLOWED)),
    get("insights/targets/<int:year>/", lambda w: "/insights/targets/2026/", only(STAFF)),
    get(
        "insights/targets/<int:year>/",
        lambda w: "/insights/targets/1999/",
        only(set()),
        variant="out of range",
    ),
    post(
        "insights/targets/<int:year>/",
        lambda w: "/insights/targets/2026/",
        only(STAFF, REDIRECT),
        data=lambda w, r: {"cooperatives_founded": "25", "mous_signed": ""},
        changes=STAFF,
        effect=lambda w, r: (
            _target(2026, "cooperatives_founded") == 25 and _target(2026, "mous_signed") is None
        ),
    ),
    post(
        "insights/targets/<int:year>/",
        lambda w: "/insights/targets/2026/",
        only(STAFF, BAD),
        data=lambda w, r: {"cooperatives_founded": "-3"},
        variant="negative",
    ),
    # --- staff ----------------------------------------------------------------------------------
    get("staff/audit/", lambda w: "/staff/audit/", only({"admin"})),
    # GET-only: any signed-in POST is refused before the admin check
    post("staff/audit/", lambda w: "/staff/audit/", only({"admin"}, NOT_ALLOWED, no=NOT_ALLOWED)),
]


# --- the world the matrix runs in ----------------------------------------------------------------


def world_fixtures(build: Callable[..., Any], name: str = "world"):
    """The fixtures of a matrix's world, from ``build(users, org)``: it runs once per test module,
    in a transaction around the module (conftest's ``module_db``), not once per test (the
    matrices have thousands), and each test gets a deep copy of what it returned, as Django's
    ``setUpTestData`` gives, so that a test that changes an object in memory or adds to the
    namespace leaves the next test the objects as the database holds them. ``name`` names the
    per-test fixture. A module assigns both returned fixtures
    (``_world_once, world = world_fixtures(build_world)``), and so does a module that imports
    them; one world per module."""

    @pytest.fixture(scope="module", name="world_built_once")
    def world_built_once(module_db, tmp_path_factory):
        # The files the world uploads live as long as it does (each test has its own MEDIA_ROOT).
        media = tmp_path_factory.mktemp("media")
        with module_db.open(), override_settings(MEDIA_ROOT=media):
            return media, build(module_db.users(), module_db.org)

    # world_built_once is an argument, not looked up in the body: a module-scoped fixture that a
    # test's fixture asks for by name is set up inside the test's own transaction.
    @pytest.fixture(name=name)
    def per_test(world_built_once, db, settings):
        media, built = world_built_once
        settings.MEDIA_ROOT = media
        return copy.deepcopy(built)

    return world_built_once, per_test


def build_world(users, org):
    from dure.accounts.services import api_token_create
    from dure.directory.models import MOU, Organisation

    hanbit, serio, wheat = org("한빛정밀"), org("세리오협동조합"), org("우리밀협동조합")
    Organisation.objects.filter(pk=wheat.pk).update(is_public=False)
    wheat.refresh_from_db()
    public_mou = MOU.objects.get(title__startswith="ICT기업사회적협동조합–강원디자인진흥원")
    public_mou.attachment.save("public.pdf", ContentFile(b"%PDF-1.4 public"), save=True)
    draft_mou = MOU.objects.create(
        title="한빛정밀–세리오 공동 연구 (협의 중)",
        scope="정밀가공과 코팅",
        status=MOU.Status.DRAFT,
        signed_on=dt.date(2025, 1, 1),
    )
    draft_mou.parties.set([hanbit, serio])
    draft_mou.attachment.save("draft.pdf", ContentFile(b"%PDF-1.4 draft"), save=True)
    token, _secret = api_token_create(user=users["member"], name="member token")
    return SimpleNamespace(
        users=users,
        hanbit=hanbit,
        serio=serio,
        wheat=wheat,
        public_mou=public_mou,
        draft_mou=draft_mou,
        token=token,
    )


_world_once, world = world_fixtures(build_world)


def db_state() -> dict[str, Any]:
    """Everything a page could change, to compare before and after a refused request."""
    from dure.accounts.models import ApiToken, Consent, User
    from dure.core.models import AuditEvent
    from dure.directory.models import MOU, Membership, Organisation
    from dure.insights.models import PolicyTarget
    from dure.search.models import SearchDocument

    user_fields = [f.attname for f in User._meta.concrete_fields if f.name != "last_login"]
    return {
        "organisations": list(Organisation.objects.order_by("pk").values()),
        "organisation_fields": list(
            Organisation.strategic_fields.through.objects.order_by("pk").values()
        ),
        "organisation_history": Organisation.history.count(),
        "mous": list(MOU.objects.order_by("pk").values()),
        "mou_parties": list(MOU.parties.through.objects.order_by("pk").values()),
        "memberships": list(Membership.objects.order_by("pk").values()),
        "users": list(User.objects.order_by("pk").values(*user_fields)),
        "tokens": list(ApiToken.objects.order_by("pk").values()),
        "consents": list(Consent.objects.order_by("pk").values()),
        "search": list(SearchDocument.objects.order_by("pk").values("pk", "title", "body")),
        "policy_targets": list(PolicyTarget.objects.order_by("pk").values()),
        "audit": AuditEvent.objects.count(),
    }


def _params():
    for case in CASES:
        for role in ROLES:
            known_bug = case.xfail and (case.xfail_roles is None or role in case.xfail_roles)
            marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if known_bug else []
            yield pytest.param(case, role, id=f"{case.id}-{role}", marks=marks)


@pytest.mark.parametrize(("case", "role"), list(_params()))
def test_page_permission_matrix(case: Case, role: str, world, client_for):
    check_case(case, role, world, client_for, db_state)


def check_case(
    case: Case,
    role: str,
    world: Any,
    client_for: Callable[[str], Any],
    state: Callable[[], Any],
    form_keys: tuple[str, ...] = ("form",),
) -> None:
    """Send ``case``'s request as ``role`` and check the answer and the database: what
    ``state()`` returns must not change unless the role may change it (``case.changes``), and
    an allowed change must have the ``case.effect``. The apps' own matrices use it too."""
    client = client_for(role)
    path = case.path(world)
    expected = case.expected[role]
    before = state()

    if case.method == "GET":
        response = client.get(path)
    else:
        data = case.data(world, role) if case.data else {}
        response = client.post(path, data)

    errors = _errors(response, form_keys)
    if expected == LOGIN:
        assert response.status_code == 302, (path, response.status_code)
        assert response["Location"].startswith("/accounts/login/?next="), response["Location"]
    elif expected == REDIRECT:
        assert response.status_code == 302, (path, response.status_code, errors)
        assert not response["Location"].startswith("/accounts/login/"), response["Location"]
    else:
        assert response.status_code == expected, (path, response.status_code, errors)

    if role in case.changes:
        if case.effect is not None:
            assert case.effect(world, role), "an allowed request must do what it asks"
    else:
        assert state() == before, "a refused (or read-only) request changed the database"


def _errors(response, form_keys: tuple[str, ...] = ("form",)) -> Any:
    context = getattr(response, "context", None)
    if not context:
        return None
    for key in form_keys:
        form = context.get(key)
        if form is not None and form.errors:
            return form.errors
    return None


def check_every_route_covered(prefix: str | tuple[str, ...], cases: list[Case]) -> None:
    """Every URL under ``prefix`` (or any of several) has a GET and a POST case, and every case
    a URL."""
    routes = {r for r in _routes(get_resolver().url_patterns) if r.startswith(prefix)}
    covered: dict[str, set[str]] = {}
    for case in cases:
        covered.setdefault(case.route, set()).add(case.method)
    missing = sorted(r for r in routes if covered.get(r) != {"GET", "POST"})
    assert not missing, f"URLs without a GET and a POST entry in the matrix: {missing}"
    stale = sorted(set(covered) - routes)
    assert not stale, f"matrix entries for URLs that no longer exist: {stale}"


# --- the admin site: only its front door ---------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_platform_admins_enter_the_admin_site(client_for, role):
    response = client_for(role).get("/admin/")
    if role == "admin":
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=/admin/")


# --- completeness --------------------------------------------------------------------------------


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def test_every_page_url_has_a_matrix_entry():
    routes = {
        r
        for r in _routes(get_resolver().url_patterns)
        if not r.startswith(("admin/", "api/", *OWN_MATRIX_PREFIXES))
    }
    covered: dict[str, set[str]] = {}
    for case in CASES:
        covered.setdefault(case.route, set()).add(case.method)
    missing = sorted(r for r in routes if covered.get(r) != {"GET", "POST"})
    assert not missing, f"page URLs without a GET and a POST entry in the matrix: {missing}"
    stale = sorted(set(covered) - routes)
    assert not stale, f"matrix entries for URLs that no longer exist: {stale}"


def test_uploaded_files_are_only_served_through_their_permission_check():
    """The development server (DEBUG on) must not serve MEDIA_ROOT either: its only uploads are
    MOU files, which /directory/mou/<pk>/attachment/ serves to staff and the parties only.

    Run in a subprocess: the URLconf is built once, and pytest-django turns DEBUG off."""
    import os
    import subprocess
    import sys

    code = (
        "import django; django.setup()\n"
        "from django.urls import Resolver404, resolve\n"
        "try:\n"
        "    match = resolve('/media/mou/2025/private.pdf')\n"
        "except Resolver404:\n"
        "    print('not served')\n"
        "else:\n"
        "    print('served by', match.func.__module__, match.func.__name__)\n"
    )
    env = {**os.environ, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "dure.settings"}
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "not served", result.stdout


def test_every_case_names_every_role():
    for case in CASES:
        assert set(case.expected) == set(ROLES), case.id
