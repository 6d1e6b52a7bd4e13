"""Technologies, equipment, labs and experts: who may create and change them, how input is
normalised and validated, the audit rows and the search index kept in step, and the invariants
the database holds on its own."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from dure.core.models import AuditEvent
from dure.search.models import SearchDocument
from dure.techbank import services
from dure.techbank.models import Equipment, Expert, ExpertContact, Lab, Technology
from dure.techbank.selectors import techbank_search

from .conftest import app_number, nfec_number

pytestmark = pytest.mark.django_db


def codes(exc: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in exc.error_dict.items()}


class Snapshot:
    """Everything a catalogue service writes, to prove a refused call wrote nothing."""

    def __init__(self):
        self.value = self.take()

    @staticmethod
    def take():
        return {
            "technologies": list(Technology.objects.order_by("pk").values()),
            "equipment": list(Equipment.objects.order_by("pk").values()),
            "labs": list(Lab.objects.order_by("pk").values()),
            "experts": list(Expert.objects.order_by("pk").values()),
            "contacts": list(ExpertContact.objects.order_by("pk").values()),
            "audit": AuditEvent.objects.count(),
            "documents": SearchDocument.objects.count(),
        }

    def unchanged(self) -> bool:
        return self.take() == self.value


# --- technologies ------------------------------------------------------------------------------


def test_staff_create_a_technology_with_normalised_fields_audit_and_search(users, institute):
    number = app_number(2020).replace("-", "")
    tech = services.technology_create(
        actor=users["center"],
        data={
            "title": "  초음파   누수 탐지 장치 ",
            "abstract": "배관에서 물이 새는 위치를 초음파로 찾는다.",
            "application_number": number,
            "application_date": "2020-03-02",
            "registration_number": "1022334450000",
            "registration_date": "2021-05-06",
            "status": "등록",
            "holder": institute("KIMM"),
            "ipc_codes": "G01M 3/24(2006.01) | F17D 5/06",
            "keywords": "누수, 초음파, 배관",
            "trl": "TRL 6",
            "commercialisation": "휴면",
            "deal_types": ["통상실시권", "assignment"],
            "upfront_fee": "12,000,000원",
            "royalty_percent": "2.5",
        },
    )
    tech.refresh_from_db()
    assert tech.title == "초음파 누수 탐지 장치"
    assert tech.application_number == f"{number[:2]}-{number[2:6]}-{number[6:]}"
    assert tech.registration_number == "10-2233445"
    assert tech.status == "registered"
    assert tech.ipc_codes == ["G01M 3/24", "F17D 5/06"]
    assert tech.ipc_sections == "FG"
    assert tech.keywords == ["누수", "초음파", "배관"]
    assert tech.trl == 6
    assert tech.commercialisation == "dormant"
    assert tech.deal_types == ["nonexclusive", "assignment"]
    assert tech.upfront_fee == 12_000_000
    assert tech.royalty_bp == 250
    assert tech.upfront_fee_due == 0  # dormant: waived
    event = AuditEvent.objects.get(action="technology.create", object_id=str(tech.pk))
    assert event.actor == users["center"]
    assert event.changes["application_number"][1] == tech.application_number
    hits = techbank_search(user=None, query="누수 탐지", kinds=["technology"]).hits
    assert tech.pk in [h.object_id for h in hits]


def test_the_holder_institutes_researcher_may_add_and_edit_its_technologies(
    users, institute, make_technology
):
    tech = make_technology(actor=users["researcher"], holder=institute("KITECH"))
    services.technology_update(actor=users["researcher"], technology=tech, data={"trl": 7})
    tech.refresh_from_db()
    assert tech.trl == 7
    assert AuditEvent.objects.filter(action="technology.update", object_id=str(tech.pk)).exists()


@pytest.mark.parametrize("role", ["anonymous", "sme", "coop", "member", "supplier", "seller"])
def test_others_may_not_create_technologies_and_nothing_is_written(role, users, institute):
    from django.contrib.auth.models import AnonymousUser

    actor = AnonymousUser() if role == "anonymous" else users[role]
    snapshot = Snapshot()
    with pytest.raises(PermissionDenied):
        services.technology_create(
            actor=actor,
            data={"title": "x", "application_number": app_number(), "holder": institute("KITECH")},
        )
    assert snapshot.unchanged()


def test_an_institute_researcher_may_not_add_to_or_edit_another_institute(
    users, institute, make_technology
):
    snapshot = Snapshot()
    with pytest.raises(PermissionDenied):
        services.technology_create(
            actor=users["researcher"],
            data={"title": "x", "application_number": app_number(), "holder": institute("ETRI")},
        )
    assert snapshot.unchanged()
    etri_tech = make_technology(holder=institute("ETRI"))
    snapshot = Snapshot()
    with pytest.raises(PermissionDenied):
        services.technology_update(
            actor=users["researcher"], technology=etri_tech, data={"title": "바꿈"}
        )
    # … nor move its own technology to another institute
    own = make_technology(actor=users["researcher"])
    snapshot = Snapshot()
    with pytest.raises(PermissionDenied):
        services.technology_update(
            actor=users["researcher"], technology=own, data={"holder": institute("ETRI")}
        )
    assert snapshot.unchanged()


def test_every_invalid_field_is_reported_at_once_and_nothing_is_written(users, institute):
    snapshot = Snapshot()
    with pytest.raises(ValidationError) as exc:
        services.technology_create(
            actor=users["admin"],
            data={
                "title": "",
                "application_number": "10-2019-12345",
                "holder": institute("KITECH"),
                "trl": 10,
                "ipc_codes": "Z99",
                "status": "살아있음",
                "upfront_fee": -5,
                "royalty_percent": "2.555",
                "application_date": "2020-05-01",
                "registration_date": "2020-04-30",
                "abstract": "연락처 900101-1234567",
            },
        )
    assert codes(exc.value) == {
        "title": ["required"],
        "application_number": ["application_number_format"],
        "trl": ["trl_range"],
        "ipc_codes": ["ipc_format"],
        "status": ["invalid_choice"],
        "upfront_fee": ["money_format"],
        "royalty_bp": ["royalty_format"],
        "registration_date": ["date_order"],
        "abstract": ["resident_number"],
    }
    assert snapshot.unchanged()


def test_an_application_number_is_unique_whichever_way_it_is_typed(users, make_technology):
    number = app_number()
    make_technology(application_number=number)
    with pytest.raises(ValidationError) as exc:
        make_technology(application_number=number.replace("-", ""))
    assert codes(exc.value) == {"application_number": ["application_number_taken"]}


def test_the_holder_must_be_a_research_institute(users, hanbit):
    with pytest.raises(ValidationError) as exc:
        services.technology_create(
            actor=users["admin"],
            data={"title": "x", "application_number": app_number(), "holder": hanbit},
        )
    assert codes(exc.value) == {"holder": ["institute_required"]}


def test_inventors_link_experts_and_the_experts_search_document_lists_the_invention(
    users, make_expert, make_technology
):
    expert = make_expert(name="가나다", fields=["극저온 용접"])
    tech = make_technology(title="극저온 저장탱크 용접 기술", inventors=[expert])
    assert list(tech.inventors.all()) == [expert]
    doc = SearchDocument.objects.get(kind="expert", object_id=expert.pk)
    assert "극저온 저장탱크 용접 기술" in doc.body


def test_deleting_a_technology_removes_its_search_document(users, make_technology):
    tech = make_technology(title="사라질 기술 잠수정")
    services.technology_delete(actor=users["admin"], technology=tech)
    assert not SearchDocument.objects.filter(kind="technology", object_id=tech.pk).exists()
    assert AuditEvent.objects.filter(action="technology.delete").exists()


# --- database invariants -----------------------------------------------------------------------


def _raw_technology(institute, **fields):
    values = {
        "title": "x",
        "application_number": app_number(),
        "holder": institute("KITECH"),
    }
    values.update(fields)
    return Technology(**values)


@pytest.mark.parametrize(
    "fields",
    [
        {"trl": 0},
        {"trl": 10},
        {"application_number": "1020190087499"},
        {"application_number": "10-19-0087421"},
        {"registration_number": "10-22451"},
        {"publication_number": "2019-0087421"},
        {"ipc_sections": "BZ"},
        {"upfront_fee": -1},
        {"royalty_bp": 10_001},
    ],
)
def test_the_database_refuses_invalid_technology_rows(institute, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_technology(institute, **fields).save()


def test_the_database_refuses_a_registration_before_the_application(institute):
    import datetime as dt

    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_technology(
            institute,
            application_date=dt.date(2020, 5, 1),
            registration_date=dt.date(2020, 4, 1),
        ).save()


@pytest.mark.parametrize(
    "fields",
    [{"nfec_number": "NFEC-2020-1-1"}, {"fee_per_hour": -1}, {"available_hours_per_day": 25}],
)
def test_the_database_refuses_invalid_equipment_rows(institute, fields):
    values = {"name": "x", "nfec_number": nfec_number(), "institute": institute("KITECH")}
    values.update(fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Equipment(**values).save()


# --- equipment, labs, experts ------------------------------------------------------------------


def test_equipment_create_normalises_and_indexes(users, institute):
    item = services.equipment_create(
        actor=users["researcher"],
        data={
            "nfec_number": "nfec 2021 07 123456",
            "name": "주사전자현미경",
            "name_en": "Field emission SEM",
            "institute": institute("KITECH"),
            "sharing": "공동활용",
            "status": "유휴",
            "fee_per_hour": "50,000",
            "manager_name": "담당자",
            "manager_phone": "042 868 7000",
            "manager_email": "SEM@Example.kr",
        },
    )
    item.refresh_from_db()
    assert item.nfec_number == "NFEC-2021-07-123456"
    assert (item.sharing, item.status, item.fee_per_hour) == ("shared", "idle", 50_000)
    assert item.manager_phone == "042-868-7000"
    assert item.manager_email == "sem@example.kr"
    doc = SearchDocument.objects.get(kind="equipment", object_id=item.pk)
    assert "042" not in doc.body and "sem@example.kr" not in doc.body  # contact is not indexed
    with pytest.raises(ValidationError) as exc:
        services.equipment_create(
            actor=users["admin"],
            data={"nfec_number": "NFEC-2021-07-123456", "name": "x", "institute": item.institute},
        )
    assert codes(exc.value) == {"nfec_number": ["nfec_number_taken"]}


def test_a_lab_may_only_hold_its_own_institutes_equipment(users, institute, make_equipment):
    own = make_equipment(institute=institute("KITECH"))
    other = make_equipment(institute=institute("ETRI"))
    lab = services.lab_create(
        actor=users["researcher"],
        data={
            "name": "시험 연구실",
            "institute": institute("KITECH"),
            "capabilities": ["용접", "부식 시험"],
            "equipment": [own],
        },
    )
    assert list(lab.equipment.all()) == [own]
    assert sorted(lab.capabilities.values_list("name", flat=True)) == ["부식 시험", "용접"]
    snapshot = Snapshot()
    with pytest.raises(ValidationError) as exc:
        services.lab_update(actor=users["researcher"], lab=lab, data={"equipment": [own, other]})
    assert codes(exc.value) == {"equipment": ["lab_equipment_institute"]}
    assert snapshot.unchanged()


def test_experts_contact_is_kept_apart_and_its_audit_row_names_no_values(users, make_expert):
    expert = make_expert(name="연락처시험", fields="용접, 접합")
    assert expert.fields == ["용접", "접합"]
    services.expert_contact_update(
        actor=users["researcher"],
        expert=expert,
        data={"phone": "010-1234-5678", "email": "a@b.kr", "cv": "경력"},
    )
    contact = ExpertContact.objects.get(expert=expert)
    assert contact.phone == "010-1234-5678"
    event = AuditEvent.objects.get(action="expert.contact_update", object_id=str(expert.pk))
    assert event.changes == {"fields": ["cv", "email", "phone"]}
    assert "010-1234-5678" not in str(event.changes)


def test_an_expert_may_edit_their_own_profile_but_not_move_institutes(users, institute):
    me = Expert.objects.get(user=users["researcher"])
    services.expert_update(actor=users["researcher"], expert=me, data={"position": "책임연구원"})
    me.refresh_from_db()
    assert me.position == "책임연구원"
    with pytest.raises(PermissionDenied):
        services.expert_update(
            actor=users["researcher"], expert=me, data={"institute": institute("ETRI")}
        )


@pytest.mark.parametrize("role", ["sme", "coop", "member", "anonymous"])
def test_outsiders_may_not_edit_experts_or_their_contact(role, users):
    from django.contrib.auth.models import AnonymousUser

    actor = AnonymousUser() if role == "anonymous" else users[role]
    expert = Expert.objects.get(user=users["researcher"])
    snapshot = Snapshot()
    with pytest.raises(PermissionDenied):
        services.expert_update(actor=actor, expert=expert, data={"position": "x"})
    with pytest.raises(PermissionDenied):
        services.expert_contact_update(actor=actor, expert=expert, data={"phone": ""})
    assert snapshot.unchanged()


def test_public_catalogue_writes_invalidate_cached_public_pages(
    users, make_technology, make_equipment
):
    from dure.core.pagecache import data_version

    before = data_version()
    tech = make_technology()
    after_create = data_version()
    assert after_create > before
    services.technology_update(actor=users["admin"], technology=tech, data={"trl": 3})
    assert data_version() > after_create
    before = data_version()
    make_equipment()
    assert data_version() > before
