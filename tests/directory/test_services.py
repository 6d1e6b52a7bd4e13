"""Directory use cases (services): organisations, memberships, MOUs — the single place for the
business rules — and the query budget of the list page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from dure.core.models import AuditEvent
from dure.directory import services
from dure.directory.models import (
    MOU,
    Membership,
    Organisation,
    Role,
    Sido,
    Sigungu,
    StrategicField,
)
from dure.search.models import SearchDocument
from dure.search.services import search

pytestmark = pytest.mark.django_db

VALID_BN = "220-81-62517"  # computed: check digit 7
VALID_CORP = "110111-1234569"  # checked in test_the_corporate_number_used_here_is_valid


def field_codes(exc: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in exc.error_dict.items()}


class Snapshot:
    """Counts of every table a directory service writes to, to prove nothing was written."""

    def __init__(self):
        self.value = self._take()

    @staticmethod
    def _take():
        return {
            "organisations": Organisation.objects.count(),
            "org_history": Organisation.history.count(),
            "audit": AuditEvent.objects.count(),
            "memberships": Membership.objects.count(),
            "mous": MOU.objects.count(),
            "search_documents": list(SearchDocument.objects.order_by("pk").values()),
            "rows": list(Organisation.objects.order_by("pk").values()),
        }

    def unchanged(self) -> bool:
        return self._take() == self.value


def base_data(**overrides):
    data = {
        "kind": "cooperative",
        "name": "새빛에너지협동조합",
        "business_number": VALID_BN,
        "corporate_number": VALID_CORP,
        "phone": "042 123 4567",
        "sido": Sido.objects.get(pk="30"),
        "sigungu": Sigungu.objects.get(pk="30200"),
        "description": "태양광 발전소를 조합원이 함께 운영합니다.",
        "strategic_fields": [StrategicField.objects.get(pk="environment-energy")],
        "capabilities": ["태양광", " 에너지  진단 ", "태양광"],
    }
    data.update(overrides)
    return data


def test_the_corporate_number_used_here_is_valid():
    digits = VALID_CORP.replace("-", "")
    total = sum(int(c) * (1 if i % 2 == 0 else 2) for i, c in enumerate(digits[:12]))
    assert (10 - total % 10) % 10 == int(digits[12])


# --- organisation_create -----------------------------------------------------------------------


def test_staff_create_an_organisation_with_normalised_numbers_audit_history_and_index(users):
    org = services.organisation_create(
        actor=users["center"], data=base_data(), ip_address="203.0.113.7"
    )
    org.refresh_from_db()
    assert org.business_number == "2208162517"
    assert org.corporate_number == "1101111234569"
    assert org.phone == "042-123-4567"
    assert sorted(c.name for c in org.capabilities.all()) == ["에너지 진단", "태양광"]
    assert [f.slug for f in org.strategic_fields.all()] == ["environment-energy"]

    event = AuditEvent.objects.get(action="organisation.create", object_id=str(org.pk))
    assert event.actor == users["center"]
    assert event.ip_address == "203.0.113.7"
    assert event.changes["name"] == [None, "새빛에너지협동조합"]
    assert event.changes["business_number"] == [None, "2208162517"]

    (record,) = org.history.all()
    assert record.history_type == "+"
    assert record.history_user == users["center"]

    hits = search(query="태양광 발전", kinds=["organisation"]).hits
    assert [h.object_id for h in hits] == [org.pk]


@pytest.mark.parametrize("role", ["sme", "coop", "member", "researcher", "supplier", "seller"])
def test_only_staff_create_organisations(users, role):
    before = Snapshot()
    with pytest.raises(PermissionDenied):
        services.organisation_create(actor=users[role], data=base_data())
    assert before.unchanged()


def test_anonymous_cannot_create_organisations():
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.organisation_create(actor=AnonymousUser(), data=base_data())


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"business_number": "220-81-62518"}, {"business_number": ["business_number_checksum"]}),
        ({"business_number": "220-81-6251"}, {"business_number": ["business_number_format"]}),
        ({"business_number": "２２0-81-62517x"}, {"business_number": ["business_number_format"]}),
        (
            {"corporate_number": "110111-1234567"},
            {"corporate_number": ["corporate_number_checksum"]},
        ),
        ({"corporate_number": "1101"}, {"corporate_number": ["corporate_number_format"]}),
        ({"phone": "02-123-456"}, {"phone": ["phone_invalid"]}),
        ({"phone": "전화주세요"}, {"phone": ["phone_format"]}),
        ({"name": "가" * 101}, {"name": ["max_length"]}),
        ({"name": ""}, {"name": ["blank"]}),
        ({"kind": "bank"}, {"kind": ["invalid_choice"]}),
        ({"description": "대표 주민번호 900101-1234567"}, {"description": ["resident_number"]}),
        ({"address": "서울 9001011234567"}, {"address": ["resident_number"]}),
        ({"sigungu": "outside its sido"}, None),  # built in the test (needs the database)
        ({"email": "not-an-email"}, {"email": ["invalid"]}),
        ({"website": "javascript:alert(1)"}, {"website": ["invalid"]}),
        (
            {"strategic_fields": ["no-such-field"]},
            {"strategic_fields": ["strategic_field_unknown"]},
        ),
    ],
    ids=lambda v: next(iter(v)) if isinstance(v, dict) else None,
)
def test_invalid_input_is_a_field_error_with_a_code_and_nothing_is_written(
    users, overrides, expected
):
    if expected is None:  # sigungu outside its sido: 유성구 (대전) with 서울
        overrides = {"sido": Sido.objects.get(pk="11"), "sigungu": Sigungu.objects.get(pk="30200")}
        expected = {"sigungu": ["sigungu_not_in_sido"]}
    before = Snapshot()
    with pytest.raises(ValidationError) as excinfo:
        services.organisation_create(actor=users["admin"], data=base_data(**overrides))
    assert field_codes(excinfo.value) == expected
    assert before.unchanged()


def test_every_invalid_identifier_is_reported_at_once(users):
    with pytest.raises(ValidationError) as excinfo:
        services.organisation_create(
            actor=users["admin"],
            data=base_data(business_number="1", corporate_number="2", phone="3"),
        )
    assert set(excinfo.value.error_dict) == {"business_number", "corporate_number", "phone"}


def test_error_messages_are_korean(users):
    with pytest.raises(ValidationError) as excinfo:
        services.organisation_create(
            actor=users["admin"], data=base_data(business_number="220-81-62518")
        )
    assert "검증번호가 맞지 않습니다" in excinfo.value.message_dict["business_number"][0]


def test_a_duplicate_business_number_is_a_field_error_not_an_integrity_error(users, org):
    taken = org("한빛정밀").business_number
    before = Snapshot()
    with pytest.raises(ValidationError) as excinfo:
        services.organisation_create(actor=users["admin"], data=base_data(business_number=taken))
    assert field_codes(excinfo.value) == {"business_number": ["unique"]}
    assert before.unchanged()

    with pytest.raises(ValidationError) as excinfo:
        services.organisation_update(
            actor=users["admin"],
            organisation=org("세리오협동조합"),
            data={"business_number": taken},
        )
    assert field_codes(excinfo.value) == {"business_number": ["unique"]}
    assert before.unchanged()


def test_a_duplicate_that_slips_past_validation_is_still_a_field_error(users, org, monkeypatch):
    """Two requests registering the same number at once: the unique index decides."""
    taken = org("한빛정밀").business_number
    monkeypatch.setattr(Organisation, "validate_unique", lambda self, exclude=None: None)
    before = Snapshot()
    with pytest.raises(ValidationError) as excinfo:
        services.organisation_create(actor=users["admin"], data=base_data(business_number=taken))
    assert field_codes(excinfo.value) == {"business_number": ["unique"]}
    assert before.unchanged()


def test_a_duplicate_business_number_on_the_page_is_a_400_with_the_error(client_for, org):
    taken = org("한빛정밀").business_number_display
    response = client_for("admin").post(
        "/directory/new/",
        {"name": "중복 기관", "kind": "sme", "business_number": taken, "is_public": "on"},
    )
    assert response.status_code == 400
    assert not Organisation.objects.filter(name="중복 기관").exists()


def test_blank_numbers_are_stored_as_empty(users):
    org = services.organisation_create(
        actor=users["admin"],
        data=base_data(business_number="", corporate_number="", phone=""),
    )
    org.refresh_from_db()
    assert org.business_number is None  # NULL: many organisations without one may coexist
    assert org.corporate_number == "" and org.phone == ""


# --- organisation_update -----------------------------------------------------------------------


def test_the_representative_updates_the_organisation_with_audit_diff_and_history(users, org):
    hanbit = org("한빛정밀")
    old_description = hanbit.description
    history_before = hanbit.history.count()
    services.organisation_update(
        actor=users["sme"],
        organisation=hanbit,
        data={"description": "초정밀 금형을 만듭니다.", "phone": "055-123-4567"},
        ip_address="198.51.100.2",
    )
    hanbit.refresh_from_db()
    assert hanbit.description == "초정밀 금형을 만듭니다."
    assert hanbit.phone == "055-123-4567"

    event = AuditEvent.objects.get(action="organisation.update", object_id=str(hanbit.pk))
    assert event.actor == users["sme"]
    assert event.ip_address == "198.51.100.2"
    assert event.changes == {
        "description": [old_description, "초정밀 금형을 만듭니다."],
        "phone": ["", "055-123-4567"],
    }
    assert hanbit.history.count() == history_before + 1
    latest = hanbit.history.latest()
    assert latest.history_type == "~" and latest.history_user == users["sme"]
    assert latest.description == "초정밀 금형을 만듭니다."


def test_an_update_that_changes_nothing_writes_no_audit_row(users, org):
    hanbit = org("한빛정밀")
    services.organisation_update(
        actor=users["sme"], organisation=hanbit, data={"description": hanbit.description}
    )
    assert not AuditEvent.objects.filter(action="organisation.update").exists()


def test_strategic_fields_and_capabilities_changes_are_in_the_diff(users, org):
    fusion = org("기술융합협동조합")
    services.organisation_update(
        actor=users["admin"],
        organisation=fusion,
        data={"strategic_fields": ["manufacturing", "ict"], "capabilities": ["기구설계"]},
    )
    event = AuditEvent.objects.get(action="organisation.update")
    assert event.changes["strategic_fields"] == [["manufacturing"], ["ict", "manufacturing"]]
    assert event.changes["capabilities"][1] == ["기구설계"]


@pytest.mark.parametrize(
    ("data", "codes"),
    [
        ({"business_number": "123-45-67890"}, {"business_number": ["business_number_checksum"]}),
        ({"corporate_number": "123"}, {"corporate_number": ["corporate_number_format"]}),
        ({"phone": "123"}, {"phone": ["phone_invalid"]}),
        ({"description": "연락: 900101-2345678"}, {"description": ["resident_number"]}),
        ({"name": "x" * 101}, {"name": ["max_length"]}),
        ({"sigungu": "11110"}, None),  # 종로구 (서울) for an organisation in 경남
    ],
    ids=["business_number", "corporate_number", "phone", "resident_number", "name", "sigungu"],
)
def test_an_invalid_update_writes_nothing(users, org, data, codes):
    hanbit = org("한빛정밀")
    if codes is None:
        data = {"sigungu": Sigungu.objects.get(pk="11110")}
        codes = {"sigungu": ["sigungu_not_in_sido"]}
    before = Snapshot()
    with pytest.raises(ValidationError) as excinfo:
        services.organisation_update(
            actor=users["sme"], organisation=hanbit, data={"employee_count": 99, **data}
        )
    assert field_codes(excinfo.value) == codes
    assert before.unchanged()


@pytest.mark.parametrize("role", ["sme", "coop", "supplier"])
def test_non_staff_editors_cannot_change_kind_visibility_or_parent(users, org, role):
    own = {"sme": "한빛정밀", "coop": "세리오협동조합", "supplier": "우리밀협동조합"}[role]
    target = org(own)
    before = (target.kind, target.is_public, target.parent_id)
    services.organisation_update(
        actor=users[role],
        organisation=target,
        data={
            "kind": "support_centre",  # would make its staff platform operators
            "is_public": False,
            "parent": org("과학기술인협동조합지원센터"),
            "acronym": "OK",
        },
    )
    target.refresh_from_db()
    assert (target.kind, target.is_public, target.parent_id) == before
    assert target.acronym == "OK"
    event = AuditEvent.objects.get(action="organisation.update")
    assert set(event.changes) == {"acronym"}


def test_staff_change_kind_visibility_and_parent(users, org):
    hanbit = org("한빛정밀")
    services.organisation_update(
        actor=users["center"],
        organisation=hanbit,
        data={"is_public": False, "parent": org("세리오협동조합"), "kind": "cooperative"},
    )
    hanbit.refresh_from_db()
    assert (hanbit.kind, hanbit.is_public, hanbit.parent.name) == (
        "cooperative",
        False,
        "세리오협동조합",
    )


def test_an_organisation_cannot_be_its_own_ancestor(users, org):
    fusion, hanbit = org("기술융합협동조합"), org("한빛정밀")  # 한빛정밀 belongs to 기술융합
    with pytest.raises(ValidationError) as excinfo:
        services.organisation_update(
            actor=users["admin"], organisation=fusion, data={"parent": fusion}
        )
    assert field_codes(excinfo.value) == {"parent": ["parent_self"]}
    with pytest.raises(ValidationError) as excinfo:
        services.organisation_update(
            actor=users["admin"], organisation=fusion, data={"parent": hanbit}
        )
    assert field_codes(excinfo.value) == {"parent": ["parent_cycle"]}


@pytest.mark.parametrize("role", ["member", "researcher", "seller", "creator", "sme"])
def test_others_cannot_update_an_organisation(users, org, role):
    serio = org("세리오협동조합")  # `member` is only a member; `sme` represents another org
    before = Snapshot()
    with pytest.raises(PermissionDenied):
        services.organisation_update(
            actor=users[role], organisation=serio, data={"description": "탈취"}
        )
    assert before.unchanged()


# --- memberships -------------------------------------------------------------------------------


def test_admin_grants_and_revokes_a_role_with_audit_rows(users, org):
    serio = org("세리오협동조합")
    membership = services.membership_grant(
        actor=users["admin"], user=users["seller"], organisation=serio, role=Role.SECRETARY
    )
    grant = AuditEvent.objects.get(action="role.grant")
    assert grant.changes == {"user": "seller", "organisation": serio.pk, "role": "secretary"}
    assert grant.actor == users["admin"]

    again = services.membership_grant(
        actor=users["admin"], user=users["seller"], organisation=serio, role=Role.SECRETARY
    )
    assert again.pk == membership.pk
    assert AuditEvent.objects.filter(action="role.grant").count() == 1  # nothing new

    services.membership_revoke(actor=users["admin"], membership=membership)
    assert not Membership.objects.filter(pk=membership.pk).exists()
    revoke = AuditEvent.objects.get(action="role.revoke")
    assert revoke.changes == {"user": "seller", "organisation": serio.pk, "role": "secretary"}


def test_an_organisation_editor_manages_its_own_members(users, org):
    serio = org("세리오협동조합")
    membership = services.membership_grant(
        actor=users["coop"], user=users["seller"], organisation=serio, role=Role.MEMBER
    )
    services.membership_revoke(actor=users["coop"], membership=membership)
    assert AuditEvent.objects.filter(action__in=["role.grant", "role.revoke"]).count() == 2


@pytest.mark.parametrize(
    ("actor", "organisation"),
    [
        ("member", "세리오협동조합"),  # a plain member
        ("sme", "세리오협동조합"),  # the editor of another organisation
        ("researcher", "한국생산기술연구원"),  # a researcher, not an editor
        ("center", "세리오협동조합"),  # centre staff edit profiles, they do not hand out roles
    ],
)
def test_others_cannot_grant_or_revoke_roles(users, org, actor, organisation):
    target = org(organisation)
    existing = Membership.objects.filter(organisation=target).first()
    before = Snapshot()
    with pytest.raises(PermissionDenied):
        services.membership_grant(
            actor=users[actor], user=users[actor], organisation=target, role=Role.REPRESENTATIVE
        )
    with pytest.raises(PermissionDenied):
        services.membership_revoke(actor=users[actor], membership=existing)
    assert before.unchanged()


def test_an_unknown_role_is_refused(users, org):
    before = Snapshot()
    with pytest.raises(ValidationError) as excinfo:
        services.membership_grant(
            actor=users["admin"], user=users["seller"], organisation=org("한빛정밀"), role="god"
        )
    assert field_codes(excinfo.value) == {"role": ["invalid_choice"]}
    assert before.unchanged()


def test_only_a_platform_admin_makes_someone_support_centre_staff(users, org):
    centre = org("과학기술인협동조합지원센터")
    services.membership_grant(
        actor=users["admin"],
        user=users["researcher"],
        organisation=centre,
        role=Role.REPRESENTATIVE,
    )
    # the centre's own representative may manage members, but not create platform operators
    with pytest.raises(PermissionDenied):
        services.membership_grant(
            actor=users["researcher"], user=users["seller"], organisation=centre, role=Role.STAFF
        )
    assert not Membership.objects.filter(user=users["seller"], organisation=centre).exists()


# --- MOUs --------------------------------------------------------------------------------------


def mou_data(**overrides):
    data = {
        "title": "정밀가공 공동 연구",
        "scope": "시제품 공동 개발",
        "status": MOU.Status.DRAFT,
        "signed_on": dt.date(2025, 3, 1),
        "ends_on": dt.date(2027, 2, 28),
    }
    data.update(overrides)
    return data


def test_staff_create_an_mou_between_any_organisations(users, org):
    parties = [org("세리오협동조합"), org("우리밀협동조합")]
    mou = services.mou_create(actor=users["center"], data=mou_data(), parties=parties)
    assert {p.name for p in mou.parties.all()} == {"세리오협동조합", "우리밀협동조합"}
    event = AuditEvent.objects.get(action="mou.create")
    assert event.changes == {"parties": sorted(p.pk for p in parties), "status": "draft"}
    assert mou.created_by == users["center"]


def test_an_editor_creates_an_mou_that_includes_its_own_organisation(users, org):
    mou = services.mou_create(
        actor=users["sme"], data=mou_data(), parties=[org("한빛정밀"), org("세리오협동조합")]
    )
    assert mou.pk


@pytest.mark.parametrize(
    ("actor", "parties", "code"),
    [
        ("admin", ["한빛정밀"], "mou_parties"),
        ("admin", ["한빛정밀", "한빛정밀"], "mou_parties"),
        ("sme", ["세리오협동조합", "우리밀협동조합"], "mou_own_party"),
    ],
)
def test_mou_party_rules(users, org, actor, parties, code):
    before = Snapshot()
    with pytest.raises(ValidationError) as excinfo:
        services.mou_create(actor=users[actor], data=mou_data(), parties=[org(p) for p in parties])
    assert code in field_codes(excinfo.value)["parties"]
    assert before.unchanged()


def test_a_non_staff_editor_cannot_add_a_hidden_organisation_as_a_party(users, org):
    hidden = org("우리밀협동조합")
    Organisation.objects.filter(pk=hidden.pk).update(is_public=False)
    before = Snapshot()
    with pytest.raises(ValidationError) as excinfo:
        services.mou_create(actor=users["sme"], data=mou_data(), parties=[org("한빛정밀"), hidden])
    assert field_codes(excinfo.value) == {"parties": ["mou_party_unknown"]}
    assert before.unchanged()


@pytest.mark.parametrize("role", ["member", "researcher", "seller", "creator"])
def test_people_who_edit_no_organisation_cannot_create_mous(users, org, role):
    with pytest.raises(PermissionDenied):
        services.mou_create(
            actor=users[role], data=mou_data(), parties=[org("한빛정밀"), org("세리오협동조합")]
        )
    assert not MOU.objects.filter(title="정밀가공 공동 연구").exists()


def test_an_mou_cannot_end_before_it_is_signed(users, org):
    before = Snapshot()
    with pytest.raises(ValidationError) as excinfo:
        services.mou_create(
            actor=users["admin"],
            data=mou_data(signed_on=dt.date(2025, 3, 1), ends_on=dt.date(2025, 2, 28)),
            parties=[org("한빛정밀"), org("세리오협동조합")],
        )
    assert field_codes(excinfo.value) == {"ends_on": ["mou_ends_before_signing"]}
    assert "종료일은 체결일 이후" in excinfo.value.message_dict["ends_on"][0]
    assert before.unchanged()
    # the same day is fine
    services.mou_create(
        actor=users["admin"],
        data=mou_data(signed_on=dt.date(2025, 3, 1), ends_on=dt.date(2025, 3, 1)),
        parties=[org("한빛정밀"), org("세리오협동조합")],
    )


def test_the_database_refuses_an_mou_ending_before_signing():
    with pytest.raises(IntegrityError), transaction.atomic():
        MOU.objects.create(
            title="우회", scope="x", signed_on=dt.date(2025, 3, 1), ends_on=dt.date(2024, 1, 1)
        )
    mou = MOU.objects.create(title="우회", scope="x", signed_on=dt.date(2025, 3, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        MOU.objects.filter(pk=mou.pk).update(ends_on=dt.date(2024, 1, 1))


def test_all_mou_errors_are_reported_together(users, org):
    with pytest.raises(ValidationError) as excinfo:
        services.mou_create(
            actor=users["admin"],
            data=mou_data(title="", ends_on=dt.date(2020, 1, 1)),
            parties=[org("한빛정밀")],
        )
    assert set(excinfo.value.error_dict) == {"title", "ends_on", "parties"}


def test_a_party_editor_updates_an_mou_with_an_audit_diff(users, org):
    mou = MOU.objects.get(title__startswith="ICT기업사회적협동조합–강원디자인진흥원")
    ict = org("ICT기업사회적협동조합")
    services.membership_grant(
        actor=users["admin"], user=users["member"], organisation=ict, role=Role.SECRETARY
    )
    services.mou_update(
        actor=users["member"],
        mou=mou,
        data={"status": MOU.Status.TERMINATED},
        parties=[ict, org("강원디자인진흥원"), org("강원창업보육센터")],
    )
    event = AuditEvent.objects.get(action="mou.update")
    assert event.changes["status"] == ["active", "terminated"]
    assert len(event.changes["parties"][1]) == 3


def test_non_parties_cannot_update_an_mou_and_invalid_updates_write_nothing(users, org):
    mou = MOU.objects.get(title__startswith="ICT기업사회적협동조합–강원디자인진흥원")
    before = Snapshot()
    with pytest.raises(PermissionDenied):
        services.mou_update(actor=users["sme"], mou=mou, data={"status": "terminated"})
    with pytest.raises(ValidationError) as excinfo:
        services.mou_update(
            actor=users["admin"], mou=mou, data={"ends_on": mou.signed_on - dt.timedelta(days=1)}
        )
    assert field_codes(excinfo.value) == {"ends_on": ["mou_ends_before_signing"]}
    with pytest.raises(ValidationError):
        services.mou_update(actor=users["admin"], mou=mou, data={}, parties=[org("한빛정밀")])
    assert before.unchanged()
    mou.refresh_from_db()
    assert mou.status == "active" and mou.parties.count() == 2


# --- list pages stay within a fixed number of queries ------------------------------------------


@pytest.fixture
def many_organisations(db):
    fields = list(StrategicField.objects.all()[:3])
    seoul = Sido.objects.get(pk="11")
    for i in range(40):
        org = Organisation.objects.create(
            kind="cooperative", name=f"협동조합 시험 {i:02d}", sido=seoul, description="협동조합"
        )
        org.strategic_fields.set(fields)
    from django.core.management import call_command

    call_command("reindex", verbosity=0)


# anonymous: organisations (count, page ids, rows, fields) + the filter form's regions and
# fields; signed in: + session, user, memberships. Searching: count, ranked page, documents,
# two facets, rows, fields (instead of count and page ids).
LIST_BUDGET = {"anonymous": 6, "sme": 9, "admin": 9}
SEARCH_BUDGET = {"anonymous": 9, "sme": 12, "admin": 12}


@pytest.mark.parametrize("role", ["anonymous", "sme", "admin"])
def test_directory_list_query_count_is_bounded(
    client_for, django_assert_max_num_queries, many_organisations, role, settings
):
    settings.DURE_PAGE_CACHE_SECONDS = 0  # measure the real work, not the page cache
    client = client_for(role)
    with django_assert_max_num_queries(LIST_BUDGET[role]):
        response = client.get("/directory/")
    assert response.status_code == 200
    assert len(response.context["result"].organisations) == 20
    with django_assert_max_num_queries(LIST_BUDGET[role]):
        assert client.get("/directory/", {"page": 2, "kind": "cooperative"}).status_code == 200


@pytest.mark.parametrize("role", ["anonymous", "sme", "admin"])
def test_directory_search_query_count_is_bounded(
    client_for, django_assert_max_num_queries, many_organisations, role
):
    client = client_for(role)
    with django_assert_max_num_queries(SEARCH_BUDGET[role]):
        response = client.get("/directory/", {"q": "협동조합"})
    assert response.status_code == 200
    assert response.context["result"].total > 40
    assert len(response.context["result"].organisations) == 20
    with django_assert_max_num_queries(SEARCH_BUDGET[role] + 2):  # + the region and field rows
        response = client.get("/directory/", {"q": "협동조합", "sido": "11", "field": "care"})
    assert response.status_code == 200


# --- MOU files through the pages ---------------------------------------------------------------


def _mou_post(org, **extra):
    data = {
        "title": "파일 협약",
        "scope": "공동 연구",
        "status": "draft",
        "parties": [org("한빛정밀").pk, org("세리오협동조합").pk],
    }
    data.update(extra)
    return data


def test_an_mou_file_is_uploaded_replaced_and_cleared(client_for, org):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for("sme")
    pdf = SimpleUploadedFile("협약서.pdf", b"%PDF-1.4 first", content_type="application/pdf")
    response = client.post("/directory/mou/new/", _mou_post(org, attachment=pdf))
    assert response.status_code == 302
    mou = MOU.objects.get(title="파일 협약")
    assert mou.attachment.read() == b"%PDF-1.4 first"

    download = client.get(f"/directory/mou/{mou.pk}/attachment/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 first"

    # editing without a new file keeps the old one
    response = client.post(f"/directory/mou/{mou.pk}/edit/", _mou_post(org, title="파일 협약 2"))
    assert response.status_code == 302
    mou.refresh_from_db()
    assert mou.title == "파일 협약 2" and mou.attachment

    # the "clear" checkbox removes it (was a 500: False reached FileField.pre_save)
    response = client.post(
        f"/directory/mou/{mou.pk}/edit/", _mou_post(org, **{"attachment-clear": "on"})
    )
    assert response.status_code == 302
    mou.refresh_from_db()
    assert not mou.attachment
    assert client.get(f"/directory/mou/{mou.pk}/attachment/").status_code == 404
    event = AuditEvent.objects.filter(action="mou.update").latest("id")
    assert event.changes["attachment"][1] == ""


def test_only_pdf_files_are_accepted(client_for, org):
    from django.core.files.uploadedfile import SimpleUploadedFile

    html = SimpleUploadedFile(
        "협약서.pdf", b"<html><script>x</script>", content_type="application/pdf"
    )
    response = client_for("admin").post("/directory/mou/new/", _mou_post(org, attachment=html))
    assert response.status_code == 400
    assert not MOU.objects.filter(title="파일 협약").exists()


def test_the_edit_page_shows_service_errors_on_their_fields_and_saves_nothing(client_for, org):
    hanbit = org("한빛정밀")
    client = client_for("sme")  # (logging in writes an audit row of its own)
    before = Snapshot()
    response = client.post(
        f"/directory/{hanbit.pk}/edit/",
        {
            "name": "한빛정밀",
            "business_number": "220-81-62518",
            "phone": "1234",
            "description": "주민등록번호 800101-1234567",
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.has_error("business_number", "business_number_checksum")
    assert form.has_error("phone", "phone_invalid")
    assert form.has_error("description", "resident_number")
    assert "검증번호가 맞지 않습니다" in response.content.decode()
    assert before.unchanged()


def test_organisation_edit_page_query_count_is_bounded(
    client_for, org, django_assert_max_num_queries
):
    # 268 시군구 options must not cost a query each
    client = client_for("admin")
    url = f"/directory/{org('한빛정밀').pk}/edit/"
    with django_assert_max_num_queries(15):
        assert client.get(url).status_code == 200


def test_reloading_reference_data_changes_nothing(db):
    from dure.directory.models import IndustryClass, Organisation
    from dure.directory.reference import load_all

    before = (IndustryClass.objects.count(), Organisation.objects.count())
    counts = load_all()
    assert counts["ksic"] == IndustryClass.objects.count() == before[0]
    assert Organisation.objects.count() == before[1]


def test_an_organisation_page_lists_its_published_success_stories_only(client, org, users):
    from dure.portal import services as portal
    from dure.portal.models import Story

    hanbit, serio = org("한빛정밀"), org("세리오협동조합")
    published = Story.objects.get(subject=hanbit, status=Story.Status.PUBLISHED)
    awaiting = Story.objects.get(subject=serio, status=Story.Status.AWAITING)
    page = client.get(f"/directory/{hanbit.pk}/").content.decode()
    assert f'href="{published.get_absolute_url()}"' in page
    assert awaiting.title not in client.get(f"/directory/{serio.pk}/").content.decode()
    # withdrawn: gone from the (cached) public page at once
    portal.story_withdraw_consent(actor=users["sme"], story=published)
    assert published.title not in client.get(f"/directory/{hanbit.pk}/").content.decode()
