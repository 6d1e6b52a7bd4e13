"""Who may call what: every operation of the OpenAPI schema × every demo role, with the exact
status code, and for refused writes proof that the database row did not change.

The matrix must cover the schema: ``test_every_api_operation_has_an_entry_in_the_matrix``
fails when an endpoint is added without deciding who may call it.

Setup for the object-level cases: 세리오협동조합 is made private (its chair ``coop`` and its
member ``member`` still see it), and a draft MOU between 세리오협동조합 and 한빛정밀 is visible
only to its parties' people (``coop``, ``member``, ``sme``) and to staff (``admin``,
``center``). The policy dashboard (/insights) is public; its targets are set by staff only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from dure.directory.demo import DEMO_USERNAMES

from .api_helpers import API, organisation_snapshot, send

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", *DEMO_USERNAMES]
STAFF = {"admin", "center"}

# Apps whose endpoints have their own matrix (with its own completeness check) in their test
# folder: tests/<app>/test_api_permissions.py. ("/programs" without a slash: its list and create
# are /programs itself.)
OWN_MATRIX_PREFIXES = (
    "/desk/",
    "/routing/",
    "/techbank/",
    "/governance/",
    "/market/",
    "/programs",
    "/founding",
    "/portal/",
)


def expect(default: int, **per_role: int) -> dict[str, int]:
    unknown = set(per_role) - set(ROLES)
    assert not unknown, unknown
    return {role: per_role.get(role, default) for role in ROLES}


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # as in the OpenAPI schema, under /api/v1
    target: str = ""  # what {id} is: "hanbit", "serio" (private), "draft_mou"; {year}: "year"
    body: dict = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    label: str = ""

    @property
    def operation(self) -> str:
        return f"{self.method} {API}{self.path}"

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}{' ' + self.label if self.label else ''}"


MATRIX = [
    Case("GET", "/organisations", statuses=expect(200)),
    Case("GET", "/organisations/{id}", "hanbit", statuses=expect(200), label="public"),
    Case(
        "GET",
        "/organisations/{id}",
        "serio",
        statuses=expect(404, admin=200, center=200, coop=200, member=200),
        label="private",
    ),
    Case(
        "POST",
        "/organisations",
        body={"kind": "sme", "name": "권한시험기관"},
        statuses=expect(403, anonymous=401, admin=201, center=201),
    ),
    Case(
        "PATCH",
        "/organisations/{id}",
        "hanbit",
        body={"acronym": "PERM"},
        statuses=expect(404, anonymous=401, admin=200, center=200, sme=200),
        label="SME's own",
    ),
    Case(
        "PATCH",
        "/organisations/{id}",
        "serio",
        body={"acronym": "PERM"},
        # a plain member may see the private cooperative but not edit it
        statuses=expect(404, anonymous=401, admin=200, center=200, coop=200),
        label="private cooperative",
    ),
    Case("GET", "/mous", statuses=expect(200)),
    Case("GET", "/mous/{id}", "public_mou", statuses=expect(200), label="active"),
    Case(
        "GET",
        "/mous/{id}",
        "draft_mou",
        statuses=expect(404, admin=200, center=200, sme=200, coop=200, member=200),
        label="draft",
    ),
    Case("GET", "/reference/sido", statuses=expect(200)),
    Case("GET", "/reference/strategic-fields", statuses=expect(200)),
    Case("GET", "/insights", statuses=expect(200)),
    Case(
        "PUT",
        "/insights/targets/{year}",
        "year",
        body={"targets": {"mous_signed": 77, "cooperatives_founded": None}},
        statuses=expect(403, anonymous=401, admin=200, center=200),
    ),
]

TARGET_YEAR = 2021  # the year whose policy targets the PUT case sets


def policy_targets_snapshot() -> list[tuple]:
    """Every policy target row, to prove a refused PUT changed nothing."""
    from dure.insights.models import PolicyTarget

    return list(
        PolicyTarget.objects.order_by("pk").values_list(
            "pk", "year", "indicator", "target", "set_by_id", "updated_at"
        )
    )


def audit_count() -> int:
    """Audit rows other than logins (which the test clients cause)."""
    from dure.core.models import AuditEvent

    return AuditEvent.objects.exclude(action__startswith="auth.").count()


@pytest.fixture
def targets(users, org):
    from dure.directory.models import MOU
    from dure.directory.services import organisation_update

    serio, hanbit = org("세리오협동조합"), org("한빛정밀")
    organisation_update(actor=users["admin"], organisation=serio, data={"is_public": False})
    draft = MOU.objects.create(title="권한 시험 협약", scope="시험", status=MOU.Status.DRAFT)
    draft.parties.set([serio, hanbit])
    public = MOU.objects.filter(status=MOU.Status.ACTIVE).order_by("pk").first()
    _year_with_targets(users["admin"])
    return {
        "hanbit": hanbit.pk,
        "serio": serio.pk,
        "draft_mou": draft.pk,
        "public_mou": public.pk,
        "year": TARGET_YEAR,
    }


def _year_with_targets(actor) -> None:
    """TARGET_YEAR with two targets, so a PUT that got through would change and remove one."""
    from dure.insights.models import PolicyTarget

    PolicyTarget.objects.filter(year=TARGET_YEAR).delete()
    for key, value in {"mous_signed": 5, "cooperatives_founded": 12}.items():
        PolicyTarget.objects.create(year=TARGET_YEAR, indicator=key, target=value, set_by=actor)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", MATRIX, ids=lambda c: c.id)
def test_role_gets_the_expected_status_and_refused_writes_change_nothing(
    case, role, client_for, targets
):
    from dure.directory.models import Organisation

    # given
    client = client_for(role)
    path = case.path.replace("{id}", str(targets.get(case.target, "")))
    path = path.replace("{year}", str(targets.get(case.target, "")))
    row = targets.get(case.target) if case.method == "PATCH" else None
    before = organisation_snapshot(row) if row else None
    count_before = Organisation.objects.count()
    policy_targets_before = policy_targets_snapshot()
    audits_before = audit_count()
    # when
    response = send(client, case.method, path, case.body or None)
    # then
    expected = case.statuses[role]
    assert response.status_code == expected, response.content.decode()
    assert response["Content-Type"].startswith("application/json")
    if expected >= 400:
        assert set(response.json()) >= {"code", "message", "field"}
    if case.method == "GET":
        return
    if expected >= 400:
        if row:
            assert organisation_snapshot(row) == before
        assert Organisation.objects.count() == count_before
        assert policy_targets_snapshot() == policy_targets_before
        assert audit_count() == audits_before
    elif case.method == "PATCH":
        assert Organisation.objects.get(pk=row).acronym == case.body["acronym"]
    elif case.method == "PUT":
        from dure.insights.models import PolicyTarget

        assert response.json()["targets"]["mous_signed"] == 77
        year_targets = PolicyTarget.objects.filter(year=TARGET_YEAR)
        assert dict(year_targets.values_list("indicator", "target")) == {"mous_signed": 77}
        assert year_targets.get().set_by.username == role
    else:
        assert Organisation.objects.filter(name=case.body["name"]).count() == 1


def test_every_api_operation_has_an_entry_in_the_matrix(client):
    # given
    schema = client.get(f"{API}/openapi.json").json()
    operations = {
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
        and not path.startswith(tuple(API + prefix for prefix in OWN_MATRIX_PREFIXES))
    }
    covered = {case.operation for case in MATRIX}
    # then
    assert operations - covered == set(), "add these operations to MATRIX"
    assert covered - operations == set(), "MATRIX lists operations the API no longer has"


def test_every_case_decides_every_role():
    for case in MATRIX:
        assert set(case.statuses) == set(ROLES), case.id


def test_staff_may_write_everywhere_and_anonymous_nowhere():
    """A sanity check on the matrix itself: staff can make every write, anonymous none."""
    for case in MATRIX:
        if case.method == "GET":
            continue
        allowed = {role for role, status in case.statuses.items() if status < 400}
        assert STAFF <= allowed, case.id
        assert "anonymous" not in allowed
