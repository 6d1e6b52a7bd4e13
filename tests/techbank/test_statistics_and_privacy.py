"""Statistics selectors (commercialisation rates, dormant patents, equipment utilisation,
transfer pipeline) and the privacy of experts' personal data in selectors and exports."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone

from dure.core.models import PersonalDataAccess
from dure.techbank import access, selectors, services
from dure.techbank.models import Expert, ExpertContact, Technology, TransferApplication

from .conftest import future

pytestmark = pytest.mark.django_db


# --- statistics --------------------------------------------------------------------------------


def test_commercialisation_rates_per_institute_and_overall(make_technology, institute):
    before, _ = selectors.commercialisation_rates()
    kfe = institute("KFE")  # no demo technologies
    for status in ("unused", "dormant", "transferred", "commercialised", "unused"):
        make_technology(holder=kfe, commercialisation=status)
    per, overall = selectors.commercialisation_rates()
    row = next(r for r in per if r.institute_id == kfe.pk)
    assert (row.total, row.commercialised, row.dormant) == (5, 2, 1)
    assert row.rate == pytest.approx(0.4)
    assert overall.total == Technology.objects.count()
    assert (
        overall.commercialised
        == Technology.objects.filter(
            commercialisation__in=["transferred", "commercialised"]
        ).count()
    )
    assert overall.total == sum(r.total for r in per)


def test_dormant_technologies(make_technology, institute):
    kfe = institute("KFE")
    dormant = make_technology(holder=kfe, commercialisation="dormant")
    make_technology(holder=kfe, commercialisation="unused")
    assert list(selectors.dormant_technologies(institute_id=kfe.pk)) == [dormant]
    assert all(t.commercialisation == "dormant" for t in selectors.dormant_technologies())


def test_equipment_utilisation_counts_approved_hours_inside_the_window(
    users, hanbit, make_equipment
):
    item = make_equipment(available_hours_per_day=8)
    tz = timezone.get_current_timezone()
    # A window of one week starting next Monday (five working days unless a holiday falls in it)
    today = timezone.localdate()
    monday = today + dt.timedelta(days=7 - today.weekday())
    window = (monday, monday + dt.timedelta(days=7))
    approved = services.booking_request(
        actor=users["sme"],
        equipment=item,
        organisation=hanbit,
        starts_at=dt.datetime.combine(monday, dt.time(9), tzinfo=tz),
        ends_at=dt.datetime.combine(monday, dt.time(13), tzinfo=tz),
        purpose="승인될 예약",
    )
    services.booking_approve(actor=users["admin"], booking=approved)
    services.booking_request(  # requested only: does not count
        actor=users["sme"],
        equipment=item,
        organisation=hanbit,
        starts_at=dt.datetime.combine(monday, dt.time(14), tzinfo=tz),
        ends_at=dt.datetime.combine(monday, dt.time(16), tzinfo=tz),
        purpose="신청만",
    )
    # approved, but half of it falls after the window
    late = services.booking_request(
        actor=users["sme"],
        equipment=item,
        organisation=hanbit,
        starts_at=dt.datetime.combine(window[1], dt.time(0), tzinfo=tz) - dt.timedelta(hours=2),
        ends_at=dt.datetime.combine(window[1], dt.time(2), tzinfo=tz),
        purpose="경계",
    )
    services.booking_approve(actor=users["admin"], booking=late)
    per, overall = selectors.equipment_utilisation(start=window[0], end=window[1])
    row = next(u for u in per if u.equipment_id == item.pk)
    days = selectors.working_days(*window)
    assert row.booked_hours == 6.0
    assert row.available_hours == days * 8
    assert row.rate == pytest.approx(6 / (days * 8))
    assert overall.booked_hours >= 6.0


def test_working_days_skip_weekends_and_korean_holidays():
    # 2026-02-16..18 are 설날 holidays (Mon–Wed): that week has two working days
    assert selectors.working_days(dt.date(2026, 2, 16), dt.date(2026, 2, 23)) == 2
    assert selectors.working_days(dt.date(2026, 3, 2), dt.date(2026, 3, 9)) == 4  # 3/2 대체공휴일
    assert selectors.working_days(dt.date(2026, 3, 9), dt.date(2026, 3, 9)) == 0


def test_transfer_pipeline_counts_every_status(users, hanbit, make_technology):
    before = selectors.transfer_pipeline()
    tech = make_technology(deal_types=["nonexclusive"])
    application = services.transfer_submit(
        actor=users["sme"],
        technology=tech,
        applicant=hanbit,
        deal_type="nonexclusive",
        intended_use="x",
    )
    after = selectors.transfer_pipeline()
    assert set(after) == {
        "submitted",
        "under_review",
        "negotiating",
        "contracted",
        "commercialised",
        "rejected",
        "withdrawn",
    }
    assert after["submitted"] == before["submitted"] + 1
    assert sum(after.values()) == TransferApplication.objects.count()
    services.transfer_withdraw(actor=users["sme"], application=application)
    assert selectors.transfer_pipeline()["withdrawn"] == before["withdrawn"] + 1
    mine = selectors.transfer_pipeline(user=users["sme"])
    assert sum(mine.values()) == TransferApplication.objects.filter(applicant=hanbit).count()


# --- experts' personal data ------------------------------------------------------------------

ROLES = ["admin", "center", "researcher", "sme", "coop", "member", "supplier", "seller", "creator"]


@pytest.fixture
def etri_expert():
    return Expert.objects.get(name="최민수")


@pytest.fixture
def kitech_expert():
    return Expert.objects.get(name="김태호")


def test_who_may_see_experts_and_their_personal_data(users, etri_expert, kitech_expert):
    def who(expert):
        return {r for r in ROLES if access.can_see_expert_contact(users[r], expert)}

    assert who(etri_expert) == {"admin", "center"}
    assert who(kitech_expert) == {"admin", "center", "researcher"}
    from django.contrib.auth.models import AnonymousUser

    assert not access.can_see_expert_contact(AnonymousUser(), kitech_expert)
    for role in ("sme", "coop", "member"):
        with pytest.raises(Http404):
            access.access_expert(user=users[role], expert_id=kitech_expert.pk)
    with pytest.raises(Http404):
        access.access_expert(user=users["researcher"], expert_id=etri_expert.pk)
    assert access.access_expert(user=users["researcher"], expert_id=kitech_expert.pk)


def test_the_contact_selector_returns_nothing_to_others_and_logs_staff_views(users, etri_expert):
    for role in ("sme", "coop", "researcher"):
        assert selectors.expert_contact_for(user=users[role], expert=etri_expert) is None
    before = PersonalDataAccess.objects.count()
    contact = selectors.expert_contact_for(user=users["center"], expert=etri_expert, via="api")
    assert contact == ExpertContact.objects.get(expert=etri_expert)
    logged = PersonalDataAccess.objects.order_by("-id").first()
    assert PersonalDataAccess.objects.count() == before + 1
    assert (logged.actor, logged.via, logged.subject_id) == (
        users["center"],
        "api",
        str(etri_expert.pk),
    )
    # an expert looking at their own data is not a processing record
    me = Expert.objects.get(user=users["researcher"])
    before = PersonalDataAccess.objects.count()
    assert selectors.expert_contact_for(user=users["researcher"], expert=me) is not None
    assert PersonalDataAccess.objects.count() == before


def test_technology_pages_show_only_linkable_inventors(users, kitech_expert):
    tech = Technology.objects.get(application_number="10-2017-0154302")  # 김태호's invention
    public = selectors.technology_detail_context(user=None, technology=tech)
    assert public["inventors"] == []  # names are public in tech.inventor_names, profiles are not
    assert tech.inventor_names == "김태호"
    staff = selectors.technology_detail_context(user=users["center"], technology=tech)
    assert staff["inventors"] == [kitech_expert]


def test_expert_exports_carry_contacts_only_for_staff_and_log_them(users):
    header, rows = selectors.expert_export_rows(user=users["sme"])
    assert rows == []
    assert "phone" not in header and "email" not in header
    before = PersonalDataAccess.objects.count()
    header, rows = selectors.expert_export_rows(user=users["center"])
    assert header[-2:] == ["phone", "email"]
    assert len(rows) == Expert.objects.count()
    assert all(row[-1].endswith(".example") for row in rows)
    assert PersonalDataAccess.objects.count() - before == len(rows)
    assert PersonalDataAccess.objects.filter(via="export").exists()
    header, rows = selectors.expert_export_rows(user=users["researcher"])
    assert {row[2] for row in rows} == {"한국생산기술연구원"}


def test_equipment_manager_contact_is_for_staff_and_the_institute(users):
    from dure.techbank.models import Equipment

    item = Equipment.objects.get(nfec_number="NFEC-2016-04-209871")  # KITECH
    assert selectors.equipment_contact_for(user=users["sme"], equipment=item) is None
    assert selectors.equipment_contact_for(user=None, equipment=item) is None
    assert selectors.equipment_contact_for(user=users["researcher"], equipment=item)["manager_name"]
    assert selectors.equipment_contact_for(user=users["center"], equipment=item)
    context = selectors.equipment_detail_context(user=users["sme"], equipment=item)
    assert context["contact"] is None and context["can_book"]


def test_the_public_schedule_shows_times_but_not_who(users, hanbit, make_equipment):
    item = make_equipment()
    services.booking_request(
        actor=users["sme"],
        equipment=item,
        organisation=hanbit,
        starts_at=future(2, 9),
        ends_at=future(2, 11),
        purpose="비공개 목적",
    )
    slots = selectors.equipment_schedule(equipment=item, start=future(0, 0), end=future(10, 0))
    assert [(s.starts_at, s.ends_at, s.status) for s in slots] == [
        (future(2, 9), future(2, 11), "requested")
    ]
    assert not hasattr(slots[0], "purpose") and not hasattr(slots[0], "requester")
