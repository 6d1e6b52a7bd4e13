"""Refunds of capital to departed members (arts. 26–27, 29②): opened when membership ends,
claimable from the first day of the next fiscal year, lapsing 2 years later, paid once under a
passed special resolution. Amounts are the paid-in capital (ordinary and preferred), less an
optional deduction. A refused request writes nothing."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from dure.core.models import AuditEvent
from dure.governance import services
from dure.governance.models import (
    AgendaItem,
    Assembly,
    CapitalRefund,
    CoopSettings,
    ExpulsionStatus,
    ItemStatus,
    Matter,
    Member,
    MemberStatus,
    RefundStatus,
    ShareIssue,
)

from .conftest import add_members

pytestmark = pytest.mark.django_db


def codes(exc: ValidationError) -> set[str]:
    if hasattr(exc, "error_dict"):
        return {e.code for errors in exc.error_dict.values() for e in errors}
    return {e.code for e in exc.error_list}


def _member(org, *, shares=((20, 50_000, False, True),)) -> Member:
    member = add_members(org, 1, prefix="환급")[0]
    for count, price, preferred, paid in shares:
        ShareIssue.objects.create(
            member=member,
            count=count,
            unit_price=price,
            preferred=preferred,
            paid=paid,
            issued_on=dt.date(2020, 1, 1),
            paid_on=dt.date(2020, 1, 1) if paid else None,
        )
    return member


def _leave(chair, member, on, status=MemberStatus.WITHDRAWN) -> CapitalRefund:
    services.member_status_change(
        actor=chair, member=member, status=status, on=on, reason="탈퇴 신청"
    )
    return CapitalRefund.objects.get(member=member)


def _passed_refund_item(org, day: dt.date, *, passed: bool = True) -> AgendaItem:
    at = timezone.make_aware(dt.datetime.combine(day, dt.time(14)))
    assembly = Assembly.objects.create(
        organisation=org,
        kind="ordinary",
        title=f"{day.year}년 정기총회",
        scheduled_at=at,
        place="회의실",
        purpose="결산과 탈퇴 조합원 출자금 환급",
        status="closed",
        opened_at=at,
        closed_at=at + dt.timedelta(hours=2),
    )
    return AgendaItem.objects.create(
        assembly=assembly,
        order=1,
        title="탈퇴 조합원 출자금 환급의 건",
        matter=Matter.CAPITAL_REFUND,
        resolution="special",
        status=ItemStatus.CLOSED,
        present=6,
        yes=6,
        no=0,
        abstain=0,
        required_present=5,
        required_yes=4,
        passed=passed,
        explanation="가결" if passed else "부결",
        closed_at=at + dt.timedelta(hours=1),
    )


def _snapshot(refund: CapitalRefund):
    return (
        CapitalRefund.objects.filter(pk=refund.pk).values().get(),
        AuditEvent.objects.count(),
    )


def _claimable_now(gov) -> CapitalRefund:
    """A member who left last fiscal year: claimable today, lapsing in more than a year."""
    today = timezone.localdate()
    return _leave(gov.chair, _member(gov.org), dt.date(today.year - 1, 6, 30))


# --- opening: amounts and window ---------------------------------------------------------------


def test_leaving_opens_a_refund_of_the_paid_in_capital_only(gov):
    member = _member(
        gov.org,
        shares=[
            (20, 50_000, False, True),  # 1,000,000 paid ordinary
            (4, 50_000, False, False),  # 200,000 subscribed, never paid: not refunded
            (3, 100_000, True, True),  # 300,000 paid preferred
            (1, 100_000, True, False),  # unpaid preferred: not refunded
        ],
    )
    refund = _leave(gov.chair, member, dt.date(2025, 5, 15))
    assert (refund.ordinary_amount, refund.preferred_amount) == (1_000_000, 300_000)
    assert refund.amount == refund.net == 1_300_000
    assert refund.departure == MemberStatus.WITHDRAWN and refund.status == RefundStatus.PENDING
    assert AuditEvent.objects.filter(action="governance.refund_open").exists()


@pytest.mark.parametrize(
    ("left_on", "fiscal_month", "claimable_from", "lapses_on"),
    [
        # the last day of the fiscal year: claimable the next day
        (dt.date(2025, 12, 31), 12, dt.date(2026, 1, 1), dt.date(2028, 1, 1)),
        # the first day of the next fiscal year: a whole year later
        (dt.date(2026, 1, 1), 12, dt.date(2027, 1, 1), dt.date(2029, 1, 1)),
        (dt.date(2025, 3, 31), 3, dt.date(2025, 4, 1), dt.date(2027, 4, 1)),
        (dt.date(2025, 4, 1), 3, dt.date(2026, 4, 1), dt.date(2028, 4, 1)),
    ],
)
def test_the_window_follows_the_fiscal_year(gov, left_on, fiscal_month, claimable_from, lapses_on):
    CoopSettings.objects.filter(organisation=gov.org).update(fiscal_year_end_month=fiscal_month)
    refund = _leave(gov.chair, _member(gov.org), left_on)
    assert (refund.claimable_from, refund.lapses_on) == (claimable_from, lapses_on)
    assert refund.claim_deadline == lapses_on - dt.timedelta(days=1)


def test_death_and_loss_of_eligibility_open_a_refund_too(gov):
    dead = _leave(gov.chair, _member(gov.org), dt.date(2025, 2, 1), MemberStatus.DECEASED)
    lost = _leave(gov.chair, _member(gov.org), dt.date(2025, 2, 1), MemberStatus.LOST_ELIGIBILITY)
    assert (dead.departure, lost.departure) == ("deceased", "lost_eligibility")


def test_one_refund_per_departure(gov):
    refund = _leave(gov.chair, _member(gov.org), dt.date(2025, 5, 15))
    again = services.capital_refund_open(actor=gov.chair, member=refund.member)
    assert again.pk == refund.pk and CapitalRefund.objects.filter(member=refund.member).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        CapitalRefund.objects.create(
            member=refund.member,
            departure="withdrawn",
            left_on=refund.left_on,
            ordinary_amount=0,
            preferred_amount=0,
            amount=0,
            claimable_from=refund.claimable_from,
            lapses_on=refund.lapses_on,
        )


def test_an_active_member_has_no_refund(gov):
    with pytest.raises(ValidationError) as exc:
        services.capital_refund_open(actor=gov.chair, member=gov.other)
    assert "not_departed" in codes(exc.value)
    assert not CapitalRefund.objects.filter(member=gov.other).exists()


def test_an_expulsion_opens_the_refund(gov):
    g = gov
    target = g.members[7]
    case = services.expulsion_open(actor=g.chair, member=target, ground="unpaid", detail="미납")
    meeting = timezone.localtime(g.assembly.scheduled_at).date()
    case = services.expulsion_schedule(
        actor=g.chair, case=case, assembly=g.assembly, notified_on=meeting - dt.timedelta(days=12)
    )
    services.assembly_open(actor=g.chair, assembly=g.assembly)
    for m in g.members[:7]:
        services.member_check_in(actor=g.chair, assembly=g.assembly, member=m)
    services.tally_enter(actor=g.chair, item=case.item, yes=6, no=1, abstain=0)
    services.item_close(actor=g.chair, item=case.item)
    case.refresh_from_db()
    assert case.status == ExpulsionStatus.EXPELLED
    refund = CapitalRefund.objects.get(member=target)
    assert refund.departure == "expelled" and refund.left_on == meeting
    assert refund.amount == 20 * 50_000  # the demo's 20 paid shares of 50,000원


# --- claims --------------------------------------------------------------------------------------


def test_claim_window_boundaries(gov):
    refund = _leave(gov.chair, _member(gov.org), dt.date(2023, 12, 31))
    assert (refund.claimable_from, refund.lapses_on) == (dt.date(2024, 1, 1), dt.date(2026, 1, 1))
    before = _snapshot(refund)
    for day, code in (
        (dt.date(2023, 12, 31), "claim_too_early"),
        (dt.date(2026, 1, 1), "claim_lapsed"),
    ):
        with pytest.raises(ValidationError) as exc:
            services.capital_refund_claim(actor=gov.chair, refund=refund, claimed_on=day)
        assert code in codes(exc.value)
        assert _snapshot(refund) == before, "a refused claim wrote something"
    # the last day before the lapse is still in time
    claimed = services.capital_refund_claim(
        actor=gov.chair, refund=refund, claimed_on=dt.date(2025, 12, 31)
    )
    assert claimed.status == RefundStatus.CLAIMED and claimed.claimed_on == dt.date(2025, 12, 31)


def test_the_first_claimable_day_is_accepted(gov):
    refund = _leave(gov.chair, _member(gov.org), dt.date(2023, 12, 31))
    claimed = services.capital_refund_claim(
        actor=gov.chair, refund=refund, claimed_on=dt.date(2024, 1, 1)
    )
    assert claimed.claimed_on == dt.date(2024, 1, 1)


def test_refused_claims_say_the_dates(gov):
    today = timezone.localdate()
    refund = _leave(gov.chair, _member(gov.org), today)
    with pytest.raises(ValidationError) as exc:
        services.capital_refund_claim(actor=gov.chair, refund=refund, claimed_on=today)
    assert refund.claimable_from.isoformat() in " ".join(exc.value.messages)
    old = _leave(gov.chair, _member(gov.org), dt.date(2021, 3, 1))
    with pytest.raises(ValidationError) as exc:
        services.capital_refund_claim(actor=gov.chair, refund=old, claimed_on=today)
    text = " ".join(exc.value.messages)
    assert "2023-12-31" in text and "2024-01-01" in text  # last day, day it lapsed


def test_the_database_keeps_a_claim_inside_the_window(gov):
    refund = _leave(gov.chair, _member(gov.org), dt.date(2023, 12, 31))
    with pytest.raises(IntegrityError), transaction.atomic():
        CapitalRefund.objects.filter(pk=refund.pk).update(
            status="claimed", claimed_on=dt.date(2026, 1, 1)
        )


def test_heirs_claim_a_deceased_members_refund(gov):
    today = timezone.localdate()
    refund = _leave(
        gov.chair, _member(gov.org), dt.date(today.year - 1, 6, 30), MemberStatus.DECEASED
    )
    with pytest.raises(ValidationError) as exc:
        services.capital_refund_claim(actor=gov.chair, refund=refund, claimed_on=today)
    assert "required" in codes(exc.value)
    refund = services.capital_refund_claim(
        actor=gov.chair, refund=refund, claimed_on=today, claimant="상속인 김상속"
    )
    assert refund.claimant == "상속인 김상속"


def test_only_managing_officers_record_claims(gov):
    refund = _claimable_now(gov)
    with pytest.raises(PermissionDenied):
        services.capital_refund_claim(
            actor=gov.member_user, refund=refund, claimed_on=timezone.localdate()
        )


# --- deductions ----------------------------------------------------------------------------------


def test_a_deduction_within_the_amount_with_a_reason(gov):
    refund = _claimable_now(gov)
    before = _snapshot(refund)
    for amount, reason, code in (
        (1_000_001, "손실", "deduction_too_large"),
        (100_000, "", "required"),
    ):
        with pytest.raises(ValidationError) as exc:
            services.capital_refund_set_deduction(
                actor=gov.chair, refund=refund, deduction=amount, reason=reason
            )
        assert code in codes(exc.value)
    assert _snapshot(refund) == before
    refund = services.capital_refund_set_deduction(
        actor=gov.chair, refund=refund, deduction=150_000, reason="2025년 결손금 분담 (제27조)"
    )
    assert refund.net == 850_000


def test_the_database_refuses_a_deduction_above_the_amount(gov):
    refund = _claimable_now(gov)
    with pytest.raises(IntegrityError), transaction.atomic():
        CapitalRefund.objects.filter(pk=refund.pk).update(
            deduction=refund.amount + 1, deduction_reason="너무 많이"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        CapitalRefund.objects.filter(pk=refund.pk).update(deduction=-1, deduction_reason="음수")


# --- payment -------------------------------------------------------------------------------------


def test_payment_needs_a_claim_and_the_assemblys_resolution_and_happens_once(gov):
    today = timezone.localdate()
    refund = _claimable_now(gov)
    item = _passed_refund_item(gov.org, today)
    with pytest.raises(ValidationError) as exc:
        services.capital_refund_pay(
            actor=gov.chair, refund=refund, paid_on=today, method="cash", resolution_item=item
        )
    assert "not_claimed" in codes(exc.value)
    refund = services.capital_refund_claim(actor=gov.chair, refund=refund, claimed_on=today)
    before = _snapshot(refund)
    with pytest.raises(ValidationError) as exc:
        services.capital_refund_pay(actor=gov.chair, refund=refund, paid_on=today, method="cash")
    assert "resolution_required" in codes(exc.value)
    # a closed item cannot change (database trigger): the failed one is recorded failed
    failed = _passed_refund_item(gov.org, today - dt.timedelta(days=1), passed=False)
    with pytest.raises(ValidationError) as exc:
        services.capital_refund_pay(
            actor=gov.chair, refund=refund, paid_on=today, method="cash", resolution_item=failed
        )
    assert "resolution_required" in codes(exc.value)
    assert _snapshot(refund) == before
    paid = services.capital_refund_pay(
        actor=gov.chair,
        refund=refund,
        paid_on=today,
        method="bank_transfer",
        reference="이체 2026-001",
        resolution_item=item,
    )
    assert paid.status == RefundStatus.PAID and paid.resolution_item == item
    before = _snapshot(paid)
    with pytest.raises(ValidationError) as exc:
        services.capital_refund_pay(
            actor=gov.chair, refund=paid, paid_on=today, method="cash", resolution_item=item
        )
    assert "already_paid" in codes(exc.value)
    assert _snapshot(paid) == before
    assert AuditEvent.objects.filter(action="governance.refund_pay").count() == 1


def test_another_cooperatives_resolution_does_not_count(gov, org):
    today = timezone.localdate()
    refund = _claimable_now(gov)
    refund = services.capital_refund_claim(actor=gov.chair, refund=refund, claimed_on=today)
    foreign = _passed_refund_item(org("서울지역협동조합협의회"), today)
    with pytest.raises(ValidationError) as exc:
        services.capital_refund_pay(
            actor=gov.chair, refund=refund, paid_on=today, method="cash", resolution_item=foreign
        )
    assert "resolution_required" in codes(exc.value)


# --- lapse ---------------------------------------------------------------------------------------


def test_unclaimed_refunds_lapse_on_their_lapse_day(gov):
    refund = _leave(gov.chair, _member(gov.org), dt.date(2023, 12, 31))  # lapses 2026-01-01
    claimed = _leave(gov.chair, _member(gov.org), dt.date(2023, 12, 31))
    services.capital_refund_claim(actor=gov.chair, refund=claimed, claimed_on=dt.date(2025, 6, 1))
    assert services.capital_refunds_lapse(today=dt.date(2025, 12, 31)) == 0
    assert refund.stage(dt.date(2025, 12, 31)) == "claimable"
    assert refund.stage(dt.date(2026, 1, 1)) == "lapsed"  # due, before the command marks it
    call_command("governance_refunds_lapse", "--today", "2026-01-01")
    refund.refresh_from_db()
    claimed.refresh_from_db()
    assert refund.status == RefundStatus.LAPSED and refund.lapsed_on == dt.date(2026, 1, 1)
    assert claimed.status == RefundStatus.CLAIMED
    assert services.capital_refunds_lapse(today=dt.date(2026, 1, 2)) == 0  # idempotent
    with pytest.raises(ValidationError) as exc:
        services.capital_refund_claim(
            actor=gov.chair, refund=refund, claimed_on=dt.date(2025, 1, 1)
        )
    assert "lapsed" in codes(exc.value)


def test_departures_recorded_before_refunds_get_theirs_from_the_command(gov):
    today = timezone.localdate()
    member = _member(gov.org)
    Member.objects.filter(pk=member.pk).update(
        status=MemberStatus.WITHDRAWN, status_changed_on=dt.date(today.year - 1, 6, 30)
    )
    assert not CapitalRefund.objects.filter(member=member).exists()
    out = io.StringIO()
    call_command("governance_refunds_lapse", "--open-missing", stdout=out)
    refund = CapitalRefund.objects.get(member=member)
    assert refund.amount == 1_000_000 and refund.claimable_from == dt.date(today.year, 1, 1)
    assert services.capital_refunds_open_missing() == 0  # idempotent


def test_liabilities_by_stage(gov):
    today = timezone.localdate()
    waiting = _leave(gov.chair, _member(gov.org), today)
    claimable = _claimable_now(gov)
    soon = _leave(gov.chair, _member(gov.org), dt.date(today.year - 2, 6, 30))
    liabilities = services.capital_refund_liabilities(gov.org.pk, today=today)
    assert waiting in liabilities.waiting and claimable in liabilities.claimable
    if soon.lapses_on - today <= dt.timedelta(days=services.REFUND_LAPSING_SOON_DAYS):
        assert soon in liabilities.lapsing_soon
    # the demo's claimed refund (1,000,000원) plus ours, 1,000,000원 each
    assert liabilities.totals["outstanding"] == 1_000_000 * len(liabilities.outstanding)
    assert liabilities.totals["claimed"] == 1_000_000


# --- pages and API -------------------------------------------------------------------------------


def test_officers_see_the_refund_list_and_pay_through_the_page(gov, client_for):
    today = timezone.localdate()
    refund = _claimable_now(gov)
    item = _passed_refund_item(gov.org, today)
    chair = client_for("coop")
    page = chair.get(f"/coop/{gov.org.pk}/refunds/")
    assert page.status_code == 200 and "문지현" in page.content.decode()
    response = chair.post(f"/coop/refunds/{refund.pk}/claim/", {"claim-claimed_on": "2000-01-01"})
    assert response.status_code == 400
    assert refund.claimable_from.isoformat() in response.content.decode()
    assert 'aria-describedby="id_claim-claimed_on_help id_claim-claimed_on_error"' in (
        response.content.decode()
    )
    response = chair.post(f"/coop/refunds/{refund.pk}/claim/", {"claim-claimed_on": str(today)})
    assert response.status_code == 302
    response = chair.post(
        f"/coop/refunds/{refund.pk}/pay/",
        {"pay-resolution_item": item.pk, "pay-paid_on": str(today), "pay-method": "bank_transfer"},
    )
    assert response.status_code == 302
    refund.refresh_from_db()
    assert refund.status == RefundStatus.PAID
    again = chair.post(
        f"/coop/refunds/{refund.pk}/pay/",
        {"pay-resolution_item": item.pk, "pay-paid_on": str(today), "pay-method": "cash"},
    )
    assert again.status_code == 400 and "두 번 지급할 수 없습니다" in again.content.decode()
    refund.refresh_from_db()
    assert refund.payment_method == "bank_transfer"  # the refused second payment changed nothing


def test_a_departed_member_sees_their_own_refund(gov, client_for):
    me = Member.objects.get(organisation=gov.org, user=gov.member_user)
    today = timezone.localdate()
    refund = _leave(gov.chair, me, dt.date(today.year - 1, 6, 30))
    # No directory membership left either: only the (departed) register entry links them.
    from dure.directory.models import Membership

    Membership.objects.filter(user=gov.member_user, organisation=gov.org).delete()
    client = client_for("member")
    assert client.get(f"/coop/{gov.org.pk}/").status_code == 404  # the cooperative: no longer
    response = client.get(f"/coop/{gov.org.pk}/me/")
    assert response.status_code == 302 and response["Location"] == me.get_absolute_url()
    page = client.get(me.get_absolute_url()).content.decode()
    assert "출자금 환급" in page and f"/coop/refunds/{refund.pk}/" in page
    detail = client.get(f"/coop/refunds/{refund.pk}/")
    assert detail.status_code == 200 and 'name="claim-claimed_on"' not in detail.content.decode()
    api = client.get(f"/api/v1/governance/refunds/{refund.pk}")
    assert api.status_code == 200 and api.json()["net"] == 1_000_000
    claim = client.post(
        f"/api/v1/governance/refunds/{refund.pk}/claim",
        data=json.dumps({"claimed_on": str(today)}),
        content_type="application/json",
    )
    assert claim.status_code == 403


def test_api_claim_refused_with_the_date(gov, client_for):
    today = timezone.localdate()
    refund = _leave(gov.chair, _member(gov.org), today)
    response = client_for("coop").post(
        f"/api/v1/governance/refunds/{refund.pk}/claim",
        data=json.dumps({"claimed_on": str(today)}),
        content_type="application/json",
    )
    assert response.status_code == 422
    body = json.dumps(response.json(), ensure_ascii=False)
    assert "claim_too_early" in body and refund.claimable_from.isoformat() in body
    refund.refresh_from_db()
    assert refund.status == RefundStatus.PENDING


# --- demo ----------------------------------------------------------------------------------------


def test_demo_has_a_withdrawn_member_with_a_claimed_refund(serio):
    from dure.governance.demo import SERIO_LEAVER, load_demo

    refund = CapitalRefund.objects.get(member__organisation=serio, member__name=SERIO_LEAVER)
    assert refund.status == RefundStatus.CLAIMED and refund.net == 1_000_000
    assert refund.member.status == MemberStatus.WITHDRAWN
    before = (Member.objects.count(), CapitalRefund.objects.count(), ShareIssue.objects.count())
    load_demo()
    after = (Member.objects.count(), CapitalRefund.objects.count(), ShareIssue.objects.count())
    assert after == before


# --- a double payment racing on PostgreSQL -------------------------------------------------------


@pytest.fixture(scope="module")
def _reload_data_afterwards(django_db_blocker):
    """The race test commits for real (Django flushes every table afterwards): the reference
    and demo data are loaded before it (another module's committing test on this worker may
    have flushed them) and put back for the tests that follow. Both loaders are idempotent."""
    from dure.core.demo import load_all_demo
    from dure.directory.reference import load_all

    with django_db_blocker.unblock():
        load_all()
        load_all_demo()
    yield
    with django_db_blocker.unblock():
        load_all()
        load_all_demo()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threaded writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_officers_paying_at_once_pay_once(_reload_data_afterwards):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    from dure.accounts.models import User
    from dure.directory.models import Organisation

    serio = Organisation.objects.get(name="세리오협동조합")
    chair = User.objects.get(username="coop")
    refund = CapitalRefund.objects.get(member__organisation=serio, member__name="문지현")
    item = _passed_refund_item(serio, timezone.localdate())

    def pay(_n):
        try:
            services.capital_refund_pay(
                actor=User.objects.get(pk=chair.pk),
                refund=refund,
                paid_on=timezone.localdate(),
                method="bank_transfer",
                resolution_item=item,
            )
            return "ok"
        except ValidationError as exc:
            return exc.error_list[0].code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = sorted(pool.map(pay, range(8)))
    assert outcomes == ["already_paid"] * 7 + ["ok"]
    assert AuditEvent.objects.filter(action="governance.refund_pay").count() == 1
