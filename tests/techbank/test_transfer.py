"""Technology-transfer applications: submission with terms by the royalty policy, the review
state machine with events and audit rows, contracts, exclusivity, sales reports with the royalty
computed exactly, overdue reports, and who may see and do what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dure.core.models import AuditEvent
from dure.techbank import access, royalty, selectors, services
from dure.techbank.models import RoyaltyReport, TransferApplication, TransferEvent

pytestmark = pytest.mark.django_db


def codes(exc: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in exc.error_dict.items()}


@pytest.fixture
def tech(make_technology):
    return make_technology(
        title="용접 로봇 경로 자동 생성",
        upfront_fee=10_000_000,
        royalty_bp=300,
        deal_types=["nonexclusive", "exclusive", "cooperation"],
        status="registered",
    )


def submit(users, org, technology, *, who="sme", deal="nonexclusive"):
    return services.transfer_submit(
        actor=users[who],
        technology=technology,
        applicant=org,
        deal_type=deal,
        intended_use="자사 용접 라인 자동화",
    )


def test_an_sme_applies_and_gets_the_listed_terms(users, hanbit, tech):
    application = submit(users, hanbit, tech)
    assert application.status == "submitted"
    assert application.offered_upfront_fee == 10_000_000
    assert application.offered_royalty_bp == 300
    assert not application.dormant_at_submission
    assert list(application.events.values_list("from_status", "to_status")) == [("", "submitted")]
    assert AuditEvent.objects.filter(
        action="transfer.submit", object_id=str(application.pk)
    ).exists()


def test_a_dormant_patents_upfront_fee_is_waived_at_submission_and_in_the_contract(
    users, hanbit, make_technology
):
    dormant = make_technology(upfront_fee=8_000_000, royalty_bp=200, commercialisation="dormant")
    application = submit(users, hanbit, dormant)
    assert application.dormant_at_submission
    assert application.offered_upfront_fee == 0
    services.transfer_review(actor=users["researcher"], application=application)
    contracted = services.transfer_decide(
        actor=users["researcher"],
        application=application,
        decision="contract",
        terms={"upfront_fee": 8_000_000, "royalty_bp": 200},
    )
    assert contracted.upfront_fee == 0  # still waived, whatever was typed
    assert contracted.royalty_bp == 200


def test_the_full_flow_to_commercialisation(users, hanbit, tech):
    application = submit(users, hanbit, tech)
    services.transfer_review(actor=users["researcher"], application=application, note="검토 시작")
    services.transfer_decide(
        actor=users["researcher"], application=application, decision="negotiate"
    )
    start = timezone.localdate() - dt.timedelta(days=200)
    contracted = services.transfer_decide(
        actor=users["researcher"],
        application=application,
        decision="contract",
        note="계약",
        terms={
            "upfront_fee": "9,000,000",
            "royalty_percent": "2.75",
            "contract_date": start,
            "licence_start": start,
            "report_every_months": 3,
        },
    )
    assert (contracted.status, contracted.upfront_fee, contracted.royalty_bp) == (
        "contracted",
        9_000_000,
        275,
    )
    tech.refresh_from_db()
    assert tech.commercialisation == "transferred"
    period_end = royalty.add_months(start, 3) - dt.timedelta(days=1)
    # a report with no sales owes nothing and does not count as commercialisation
    nothing = services.royalty_report_submit(
        actor=users["sme"],
        application=contracted,
        period_start=start,
        period_end=period_end,
        sales=0,
    )
    assert nothing.royalty_due == 0
    contracted.refresh_from_db()
    assert contracted.status == "contracted"
    second_start = period_end + dt.timedelta(days=1)
    report = services.royalty_report_submit(
        actor=users["sme"],
        application=contracted,
        period_start=second_start,
        period_end=royalty.add_months(start, 6) - dt.timedelta(days=1),
        sales=123_456_789,
    )
    assert report.royalty_due == 3_395_061  # ⌊123,456,789 × 2.75 %⌋ = ⌊3,395,061.6975⌋
    assert report.rate_bp == 275
    contracted.refresh_from_db()
    tech.refresh_from_db()
    assert contracted.status == "commercialised"
    assert tech.commercialisation == "commercialised"
    assert list(contracted.events.values_list("to_status", flat=True)) == [
        "submitted",
        "under_review",
        "negotiating",
        "contracted",
        "commercialised",
    ]


def test_invalid_moves_are_refused(users, hanbit, tech):
    application = submit(users, hanbit, tech)
    with pytest.raises(ValidationError) as exc:
        services.transfer_decide(
            actor=users["researcher"], application=application, decision="negotiate"
        )
    assert exc.value.code == "invalid_transition"
    services.transfer_withdraw(actor=users["sme"], application=application)
    with pytest.raises(ValidationError):
        services.transfer_review(actor=users["researcher"], application=application)
    with pytest.raises(ValidationError):
        services.transfer_withdraw(actor=users["sme"], application=application)


def test_rejecting_needs_a_reason(users, hanbit, tech):
    application = submit(users, hanbit, tech)
    with pytest.raises(ValidationError) as exc:
        services.transfer_decide(
            actor=users["researcher"], application=application, decision="reject"
        )
    assert codes(exc.value) == {"note": ["required"]}
    rejected = services.transfer_decide(
        actor=users["researcher"],
        application=application,
        decision="reject",
        note="기술 범위 불일치",
    )
    assert rejected.status == "rejected"
    assert rejected.events.last().note == "기술 범위 불일치"


def test_one_open_application_per_technology_and_applicant(users, hanbit, serio, tech):
    first = submit(users, hanbit, tech)
    with pytest.raises(ValidationError) as exc:
        submit(users, hanbit, tech, deal="exclusive")
    assert codes(exc.value) == {"technology": ["transfer_already_open"]}
    submit(users, serio, tech, who="coop")  # another company may
    services.transfer_withdraw(actor=users["sme"], application=first)
    submit(users, hanbit, tech)  # after withdrawing, again
    # … and the database holds the rule on its own
    with pytest.raises(IntegrityError), transaction.atomic():
        TransferApplication.objects.create(
            technology=tech,
            applicant=hanbit,
            submitted_by=users["sme"],
            deal_type="nonexclusive",
            intended_use="x",
        )


def test_a_deal_type_the_technology_does_not_offer_is_refused(users, hanbit, make_technology):
    only_licence = make_technology(deal_types=["nonexclusive"])
    with pytest.raises(ValidationError) as exc:
        submit(users, hanbit, only_licence, deal="assignment")
    assert codes(exc.value) == {"deal_type": ["deal_type_not_offered"]}


def test_a_lapsed_patent_is_only_open_to_cooperation(users, hanbit, make_technology):
    lapsed = make_technology(status="lapsed", deal_types=["nonexclusive", "cooperation"])
    with pytest.raises(ValidationError) as exc:
        submit(users, hanbit, lapsed)
    assert codes(exc.value) == {"deal_type": ["patent_lapsed"]}
    assert submit(users, hanbit, lapsed, deal="cooperation").status == "submitted"


@pytest.mark.parametrize("role", ["member", "researcher", "anonymous"])
def test_only_people_acting_for_an_sme_or_cooperative_apply(role, users, hanbit, serio, tech):
    from django.contrib.auth.models import AnonymousUser

    actor = AnonymousUser() if role == "anonymous" else users[role]
    before = TransferApplication.objects.count()
    with pytest.raises(PermissionDenied):
        services.transfer_submit(
            actor=actor,
            technology=tech,
            applicant=serio,
            deal_type="nonexclusive",
            intended_use="x",
        )
    assert TransferApplication.objects.count() == before


def test_an_sme_cannot_apply_in_another_companys_name(users, serio, tech):
    with pytest.raises(PermissionDenied):
        submit(users, serio, tech, who="sme")


def test_a_research_institute_cannot_be_the_applicant(users, institute, tech):
    with pytest.raises(ValidationError) as exc:
        services.transfer_submit(
            actor=users["center"],
            technology=tech,
            applicant=institute("ETRI"),
            deal_type="nonexclusive",
            intended_use="x",
        )
    assert codes(exc.value) == {"applicant": ["applicant_kind"]}


def test_an_exclusive_licence_excludes_every_other_licence(users, hanbit, serio, tech):
    exclusive = submit(users, hanbit, tech, deal="exclusive")
    other = submit(users, serio, tech, who="coop")
    for application in (exclusive, other):
        services.transfer_review(actor=users["researcher"], application=application)
    services.transfer_decide(actor=users["researcher"], application=exclusive, decision="contract")
    with pytest.raises(ValidationError) as exc:
        services.transfer_decide(actor=users["researcher"], application=other, decision="contract")
    assert codes(exc.value) == {"deal_type": ["exclusive_conflict"]}


@pytest.mark.parametrize("role", ["sme", "coop", "member", "supplier"])
def test_only_the_holder_institute_and_staff_review(role, users, hanbit, tech):
    application = submit(users, hanbit, tech)
    with pytest.raises(PermissionDenied):
        services.transfer_review(actor=users[role], application=application)
    application.refresh_from_db()
    assert application.status == "submitted"
    assert TransferEvent.objects.filter(application=application).count() == 1


def test_who_sees_an_application(users, hanbit, tech, make_technology, institute):
    application = submit(users, hanbit, tech)
    seeing = {
        role
        for role in ("admin", "center", "researcher", "sme", "coop", "member", "supplier")
        if access.transfer_applications_visible_to(users[role]).filter(pk=application.pk).exists()
    }
    assert seeing == {"admin", "center", "researcher", "sme"}
    # the researcher sees KITECH's applications only
    etri = make_technology(holder=institute("ETRI"), deal_types=["nonexclusive"])
    other = submit(users, hanbit, etri)
    assert (
        not access.transfer_applications_visible_to(users["researcher"])
        .filter(pk=other.pk)
        .exists()
    )
    from django.http import Http404

    with pytest.raises(Http404):
        access.access_transfer_application(user=users["coop"], application_id=application.pk)
    with pytest.raises(Http404):
        access.access_transfer_application(user=users["sme"], application_id="abc")


def test_sales_reports_are_checked(users, hanbit, tech):
    application = submit(users, hanbit, tech)
    with pytest.raises(ValidationError) as exc:
        services.royalty_report_submit(
            actor=users["sme"],
            application=application,
            period_start=dt.date(2024, 1, 1),
            period_end=dt.date(2024, 3, 31),
            sales=1,
        )
    assert exc.value.code == "not_licensed"
    services.transfer_review(actor=users["center"], application=application)
    start = timezone.localdate() - dt.timedelta(days=120)
    services.transfer_decide(
        actor=users["center"],
        application=application,
        decision="contract",
        terms={"licence_start": start, "contract_date": start, "report_every_months": 1},
    )
    bad = [
        ({"period_start": start - dt.timedelta(days=1)}, "period_start", "before_licence"),
        (
            {"period_end": timezone.localdate() + dt.timedelta(days=1)},
            "period_end",
            "period_not_ended",
        ),
        ({"sales": -5}, "sales", "money_format"),
        ({"sales": 1.5}, "sales", "money_format"),
        ({"period_end": start - dt.timedelta(days=2)}, "period_end", "date_order"),
    ]
    for override, field, code in bad:
        kwargs = {
            "period_start": start,
            "period_end": start + dt.timedelta(days=29),
            "sales": 1000,
            **override,
        }
        with pytest.raises(ValidationError) as exc:
            services.royalty_report_submit(actor=users["sme"], application=application, **kwargs)
        assert code in codes(exc.value)[field], (override, codes(exc.value))
    services.royalty_report_submit(
        actor=users["sme"],
        application=application,
        period_start=start,
        period_end=start + dt.timedelta(days=29),
        sales=1000,
    )
    with pytest.raises(ValidationError) as exc:
        services.royalty_report_submit(
            actor=users["sme"],
            application=application,
            period_start=start,
            period_end=start + dt.timedelta(days=29),
            sales=1000,
        )
    assert codes(exc.value) == {"period_start": ["report_exists"]}
    with pytest.raises(PermissionDenied):
        services.royalty_report_submit(
            actor=users["coop"],
            application=application,
            period_start=start + dt.timedelta(days=30),
            period_end=start + dt.timedelta(days=59),
            sales=1,
        )
    assert RoyaltyReport.objects.filter(application=application).count() == 1


def test_overdue_reports_are_flagged(users, hanbit, tech):
    application = submit(users, hanbit, tech)
    services.transfer_review(actor=users["center"], application=application)
    start = timezone.localdate() - dt.timedelta(days=400)
    services.transfer_decide(
        actor=users["center"],
        application=application,
        decision="contract",
        terms={"licence_start": start, "contract_date": start, "report_every_months": 3},
    )
    services.royalty_report_submit(
        actor=users["sme"],
        application=application,
        period_start=start,
        period_end=royalty.add_months(start, 3) - dt.timedelta(days=1),
        sales=0,
    )
    overdue = [
        o
        for o in selectors.overdue_royalty_reports(user=users["sme"])
        if o.application.pk == application.pk
    ]
    today = timezone.localdate()
    expected = [
        (first, last)
        for first, last in royalty.report_periods(start=start, every_months=3, until=today)
        if first != start and royalty.report_due_date(last) < today
    ]
    assert [(o.period_start, o.period_end) for o in overdue] == expected
    assert len(expected) >= 2
    assert all(o.due_date < today for o in overdue)
    # nobody outside sees it
    assert not [
        o
        for o in selectors.overdue_royalty_reports(user=users["coop"])
        if o.application.pk == application.pk
    ]


def test_the_database_requires_terms_for_a_contract_and_a_waived_fee_when_dormant(
    users, hanbit, tech
):
    application = submit(users, hanbit, tech)
    with pytest.raises(IntegrityError), transaction.atomic():
        TransferApplication.objects.filter(pk=application.pk).update(status="contracted")
    with pytest.raises(IntegrityError), transaction.atomic():
        TransferApplication.objects.filter(pk=application.pk).update(
            dormant_at_submission=True, upfront_fee=1
        )


def test_the_organisations_a_user_may_apply_for(users, hanbit, serio):
    assert list(selectors.applicant_organisations(user=users["sme"])) == [hanbit]
    assert list(selectors.applicant_organisations(user=users["coop"])) == [serio]
    assert not selectors.applicant_organisations(user=users["member"]).exists()
    assert not selectors.applicant_organisations(user=users["researcher"]).exists()
    staff = selectors.applicant_organisations(user=users["center"])
    assert {hanbit, serio} <= set(staff)
    assert all(o.kind in access.APPLICANT_KINDS for o in staff)


def test_the_detail_context_says_what_each_side_may_do(
    users, hanbit, tech, django_assert_max_num_queries
):
    application = submit(users, hanbit, tech)
    for role, review, withdraw in (
        ("researcher", True, False),
        ("sme", False, True),
        ("center", True, True),
    ):
        with django_assert_max_num_queries(8):
            context = selectors.transfer_detail_context(user=users[role], application=application)
        assert (context["can_review"], context["can_withdraw"], context["can_report"]) == (
            review,
            withdraw,
            False,
        ), role
    assert [e.to_status for e in context["events"]] == ["submitted"]
