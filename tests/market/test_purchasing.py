"""Public purchasing end to end: a public institution's quotation request, suppliers' quotes,
the award into a purchase order (VAT split per line), the PO's steps, and the priority-purchase
report including the PO. Refusals are clear errors with nothing written."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from dure.market import services
from dure.market.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    QuotationRequest,
    Quote,
    QuoteLine,
)

from .conftest import make_product, make_supplier, make_user

pytestmark = pytest.mark.django_db


def _member(user, org, role):
    from dure.directory.access import forget_roles
    from dure.directory.models import Membership

    Membership.objects.create(user=user, organisation=org, role=role)
    forget_roles(user)


@pytest.fixture
def pp(mk):
    """An institution (공공기관) with a purchaser; suppliers A and B invited, C not."""
    from dure.directory.models import Organisation, OrganisationKind, Role

    office = Organisation.objects.create(kind=OrganisationKind.PUBLIC_BODY, name="테스트구청")
    buyer = make_user("pp_buyer")
    _member(buyer, office, Role.STAFF)
    c = make_supplier("테스트다협동조합")
    make_product(c, "다 상품")
    users = {}
    for name, supplier in (("a", mk.a), ("b", mk.b), ("c", c)):
        users[name] = make_user(f"pp_sup_{name}")
        _member(users[name], supplier.organisation, Role.MARKET_SUPPLIER)
    return SimpleNamespace(mk=mk, office=office, buyer=buyer, c=c, users=users)


def new_request(pp, *, send=True, deadline=None, suppliers=None, **extra):
    extra.setdefault("needed_by", timezone.localdate() + dt.timedelta(days=30))
    return services.quotation_request_create(
        actor=pp.buyer,
        organisation=pp.office,
        title="구청 행사 다과",
        delivery_place="구청 대강당",
        reply_deadline=deadline or timezone.now() + dt.timedelta(days=3),
        lines=[
            {"description": "다과 세트", "quantity": 3, "unit": "세트"},
            {"product_id": pp.mk.pb.pk, "quantity": 7},
        ],
        supplier_ids=suppliers if suppliers is not None else [pp.mk.a.pk, pp.mk.b.pk],
        send=send,
        **extra,
    )


def quote(pp, request, who="a", prices=(10_000, 1_001), taxes=("taxable", "exempt"), **kw):
    supplier = {"a": pp.mk.a, "b": pp.mk.b, "c": pp.c}[who]
    lines = list(request.lines.all())
    return services.quote_submit(
        actor=pp.users[who],
        request=request,
        supplier=supplier,
        lines=[
            {"line_id": line.pk, "unit_price": price, "tax_type": tax}
            for line, price, tax in zip(lines, prices, taxes, strict=True)
        ],
        delivery_date=kw.get("delivery_date", timezone.localdate() + dt.timedelta(days=10)),
        valid_until=kw.get("valid_until", timezone.localdate() + dt.timedelta(days=20)),
        note=kw.get("note", ""),
    )


def state():
    return (
        list(QuotationRequest.objects.order_by("pk").values()),
        list(Quote.objects.order_by("pk").values()),
        list(QuoteLine.objects.order_by("pk").values()),
        list(PurchaseOrder.objects.order_by("pk").values()),
    )


def test_full_workflow_request_quotes_award_po_and_report(pp):
    from dure.core.models import AuditEvent
    from dure.market.selectors import priority_purchase_report

    request = new_request(pp)
    assert request.status == "open" and request.sent_at is not None
    line1, line2 = request.lines.all()
    assert (line2.description, line2.unit, line2.product_id) == ("나 상품", "개", pp.mk.pb.pk)

    qa = quote(pp, request, "a", prices=(10_000, 1_001))
    qb = quote(pp, request, "b", prices=(9_000, 2_000))
    assert qa.total == 3 * 10_000 + 7 * 1_001 == 37_007
    assert qb.total == 3 * 9_000 + 7 * 2_000 == 41_000

    # a revision replaces the quote: same row, next revision, new lines
    qa2 = quote(pp, request, "a", prices=(9_900, 1_000))
    assert qa2.pk == qa.pk and qa2.revision == 2 and qa2.total == 3 * 9_900 + 7_000
    assert Quote.objects.filter(request=request).count() == 2
    assert QuoteLine.objects.filter(quote=qa).count() == 2

    services.quotation_request_close(actor=pp.buyer, request=request)
    po = services.quotation_award(actor=pp.buyer, request=request, quote=qa2)
    request.refresh_from_db()
    assert request.status == "awarded" and request.awarded_at is not None
    assert dict(request.quotes.values_list("supplier_id", "status")) == {
        pp.mk.a.pk: "selected",
        pp.mk.b.pk: "not_selected",
    }
    assert (po.status, po.supplier_id, po.buyer_organisation_id) == (
        "issued",
        pp.mk.a.pk,
        pp.office.pk,
    )
    assert po.total == 36_700 and po.number.startswith("PO")

    for step, actor, status in (
        ("accept", pp.users["a"], "accepted"),
        ("deliver", pp.buyer, "delivered"),
        ("invoice", pp.users["a"], "invoiced"),
        ("pay", pp.buyer, "paid"),
    ):
        po = services.purchase_order_transition(actor=actor, po=po, action=step)
        assert po.status == status
    assert po.paid_at is not None

    report = priority_purchase_report(organisation_id=pp.office.pk, year=timezone.localdate().year)
    assert report["purchase_orders_total"] == 36_700
    assert report["total"] == 36_700
    assert report["by_type"] == {"cooperative": 36_700}
    assert report["suppliers"] == [
        {"supplier": "테스트가협동조합", "economy_type": "cooperative", "amount": 36_700}
    ]
    actions = set(
        AuditEvent.objects.filter(action__startswith="market.").values_list("action", flat=True)
    )
    assert {
        "market.quotation.create",
        "market.quotation.send",
        "market.quote.submit",
        "market.quote.revise",
        "market.quotation.close",
        "market.quotation.award",
        "market.po.accept",
        "market.po.pay",
    } <= actions


def test_po_lines_split_vat_per_line(pp):
    request = new_request(pp)
    chosen = quote(pp, request, "a", prices=(10_001, 1_001), taxes=("taxable", "exempt"))
    services.quotation_request_close(actor=pp.buyer, request=request)
    po = services.quotation_award(actor=pp.buyer, request=request, quote=chosen)
    taxable, exempt = PurchaseOrderLine.objects.filter(purchase_order=po).order_by("pk")
    # 30,003 × 10/11 = 27,275.45… → supply 27,275, VAT 2,728
    assert (taxable.line_total, taxable.supply_amount, taxable.vat_amount) == (
        30_003,
        27_275,
        2_728,
    )
    assert (exempt.line_total, exempt.supply_amount, exempt.vat_amount) == (7_007, 7_007, 0)
    assert (po.total, po.supply_total, po.vat_total) == (37_010, 34_282, 2_728)
    assert (taxable.description, taxable.unit, exempt.product_id) == (
        "다과 세트",
        "세트",
        pp.mk.pb.pk,
    )


def test_tampered_totals_from_the_client_are_ignored(pp):
    request = new_request(pp)
    lines = list(request.lines.all())
    tampered = services.quote_submit(
        actor=pp.users["a"],
        request=request,
        supplier=pp.mk.a,
        lines=[
            {"line_id": lines[0].pk, "unit_price": 100, "tax_type": "taxable", "line_total": 1},
            {"line_id": lines[1].pk, "unit_price": 10, "tax_type": "taxable", "total": 0},
        ],
        delivery_date=timezone.localdate(),
        valid_until=timezone.localdate() + dt.timedelta(days=5),
    )
    assert tampered.total == 3 * 100 + 7 * 10
    assert sorted(tampered.lines.values_list("line_total", flat=True)) == [70, 300]


def test_quotes_refused_after_the_deadline_boundary_in_seoul(pp, monkeypatch):
    from zoneinfo import ZoneInfo

    seoul = ZoneInfo("Asia/Seoul")
    deadline = dt.datetime(2099, 3, 2, 18, 0, tzinfo=seoul)
    request = new_request(pp, deadline=deadline, needed_by=dt.date(2099, 3, 31))
    # a naive deadline is read as Korean time
    naive = new_request(pp, deadline=dt.datetime(2099, 3, 2, 18, 0), needed_by=dt.date(2099, 3, 31))  # noqa: DTZ001
    assert naive.reply_deadline == deadline
    valid = dt.date(2099, 3, 10)

    monkeypatch.setattr(timezone, "now", lambda: deadline - dt.timedelta(seconds=1))
    first = quote(pp, request, "a", valid_until=valid, delivery_date=dt.date(2099, 3, 5))
    assert first.revision == 1

    before = state()
    monkeypatch.setattr(timezone, "now", lambda: deadline)  # 18:00:00 KST = 09:00 UTC
    with pytest.raises(services.MarketError) as exc:
        quote(pp, request, "b", valid_until=valid, delivery_date=dt.date(2099, 3, 5))
    assert exc.value.code == "deadline_passed"
    assert "2099-03-02 18:00" in exc.value.messages[0]
    with pytest.raises(services.MarketError):
        quote(pp, request, "a", valid_until=valid, delivery_date=dt.date(2099, 3, 5))
    assert state() == before

    # at the deadline the request may be awarded without closing it first
    po = services.quotation_award(actor=pp.buyer, request=request, quote=first)
    assert po.quote_id == first.pk


def test_award_before_the_deadline_needs_closing_first(pp):
    request = new_request(pp)
    q = quote(pp, request, "a")
    before = state()
    with pytest.raises(services.MarketError) as exc:
        services.quotation_award(actor=pp.buyer, request=request, quote=q)
    assert exc.value.code == "deadline_not_passed"
    assert state() == before


def test_not_invited_supplier_is_refused(pp):
    request = new_request(pp)
    before = state()
    with pytest.raises(services.MarketError) as exc:
        quote(pp, request, "c")
    assert exc.value.code == "not_invited"
    # a supplier's person cannot quote in another supplier's name either
    with pytest.raises(services.MarketError) as exc:
        services.quote_submit(
            actor=pp.users["c"],
            request=request,
            supplier=pp.mk.a,
            lines={line.pk: (1, "taxable") for line in request.lines.all()},
            delivery_date=timezone.localdate(),
            valid_until=timezone.localdate() + dt.timedelta(days=9),
        )
    assert exc.value.code == "forbidden"
    assert state() == before


def test_open_to_all_reaches_suppliers_of_the_division_only(pp):
    from dure.market import access
    from dure.market.models import Category

    education = Category.objects.create(division="education", name="강의")
    make_product(pp.c, "협동조합 교육", category=education)
    request = new_request(
        pp, suppliers=[], open_to_all=True, division="education", category_id=education.pk
    )
    assert set(access.eligible_supplier_ids(request)) == {pp.c}
    wide = new_request(pp, suppliers=[], open_to_all=True, division="education")
    assert pp.c in set(access.eligible_supplier_ids(wide))
    assert pp.mk.a not in set(access.eligible_supplier_ids(wide))
    assert request in access.quotation_requests_visible_to(pp.users["c"])
    assert request not in access.quotation_requests_visible_to(pp.users["a"])
    quote(pp, request, "c")
    with pytest.raises(services.MarketError) as exc:
        quote(pp, request, "a")
    assert exc.value.code == "not_invited"


def test_double_award_is_idempotent_and_another_quote_is_refused(pp):
    request = new_request(pp)
    qa, qb = quote(pp, request, "a"), quote(pp, request, "b", prices=(1, 1))
    services.quotation_request_close(actor=pp.buyer, request=request)
    po = services.quotation_award(actor=pp.buyer, request=request, quote=qa)
    again = services.quotation_award(actor=pp.buyer, request=request, quote=qa)
    assert again.pk == po.pk and PurchaseOrder.objects.filter(request=request).count() == 1
    before = state()
    with pytest.raises(services.MarketError) as exc:
        services.quotation_award(actor=pp.buyer, request=request, quote=qb)
    assert exc.value.code == "already_awarded"
    assert state() == before


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"lines": []}, "empty"),
        ({"lines": [{"description": "", "quantity": 1, "unit": "개"}]}, "required"),
        ({"lines": [{"description": "x", "quantity": -1, "unit": "개"}]}, "negative_quantity"),
        ({"lines": [{"description": "x", "quantity": "1.5", "unit": "개"}]}, "fractional_quantity"),
        ({"lines": [{"product_id": 987654321, "quantity": 1}]}, "unknown_product"),
        ({"supplier_ids": [987654321]}, "invalid_supplier"),
        ({"supplier_ids": []}, "no_recipients"),
        ({"title": " "}, "required"),
        ({"reply_deadline": "tomorrow"}, "invalid"),
        ({"open_to_all": True, "division": "nope"}, "required"),
    ],
)
def test_bad_requests_are_refused_with_nothing_written(pp, change, code):
    from dure.core.models import AuditEvent

    kwargs = {
        "actor": pp.buyer,
        "organisation": pp.office,
        "title": "t",
        "delivery_place": "p",
        "needed_by": timezone.localdate() + dt.timedelta(days=30),
        "reply_deadline": timezone.now() + dt.timedelta(days=3),
        "lines": [{"description": "x", "quantity": 1, "unit": "개"}],
        "supplier_ids": [pp.mk.a.pk],
        "send": True,
        **change,
    }
    before, audits = state(), AuditEvent.objects.count()
    with pytest.raises(services.MarketError) as exc:
        services.quotation_request_create(**kwargs)
    assert exc.value.code == code
    assert exc.value.messages[0]
    assert state() == before and AuditEvent.objects.count() == audits


def test_only_the_institutions_purchasers_create_and_award(pp):
    from dure.directory.models import Role

    outsider = make_user("pp_outsider")
    with pytest.raises(services.MarketError) as exc:
        services.quotation_request_create(
            actor=pp.users["a"],
            organisation=pp.office,
            title="t",
            delivery_place="p",
            needed_by=timezone.localdate(),
            reply_deadline=timezone.now() + dt.timedelta(days=1),
            lines=[{"description": "x", "quantity": 1, "unit": "개"}],
            supplier_ids=[pp.mk.a.pk],
        )
    assert exc.value.code == "forbidden"
    # a plain member (조합원) of a public body is no purchaser
    _member(outsider, pp.office, Role.MEMBER)
    request = new_request(pp)
    q = quote(pp, request, "a")
    services.quotation_request_close(actor=pp.buyer, request=request)
    for actor in (outsider, pp.users["a"], pp.mk.operator):
        with pytest.raises(services.MarketError) as exc:
            services.quotation_award(actor=actor, request=request, quote=q)
        assert exc.value.code == "forbidden"
    assert not PurchaseOrder.objects.filter(request=request).exists()


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        ("negative", "invalid_amount"),
        ("fraction", "invalid_amount"),
        ("missing", "missing_price"),
        ("foreign", "unknown_line"),
        ("tax", "invalid_choice"),
    ],
)
def test_bad_quotes_are_refused(pp, lines, code):
    request = new_request(pp)
    other = new_request(pp)
    l1, l2 = request.lines.all()
    body = {
        "negative": [(l1.pk, -1, "taxable"), (l2.pk, 1, "taxable")],
        "fraction": [(l1.pk, "10.5", "taxable"), (l2.pk, 1, "taxable")],
        "missing": [(l1.pk, 1, "taxable")],
        "foreign": [(l1.pk, 1, "taxable"), (other.lines.first().pk, 1, "taxable")],
        "tax": [(l1.pk, 1, "taxable"), (l2.pk, 1, "luxury")],
    }[lines]
    before = state()
    with pytest.raises(services.MarketError) as exc:
        services.quote_submit(
            actor=pp.users["a"],
            request=request,
            supplier=pp.mk.a,
            lines=[{"line_id": i, "unit_price": p, "tax_type": t} for i, p, t in body],
            delivery_date=timezone.localdate(),
            valid_until=timezone.localdate() + dt.timedelta(days=9),
        )
    assert exc.value.code == code
    assert state() == before


def test_expired_quote_cannot_be_awarded(pp, monkeypatch):
    request = new_request(pp, deadline=timezone.now() + dt.timedelta(hours=1))
    q = quote(pp, request, "a", valid_until=timezone.localdate() + dt.timedelta(days=1))
    later = timezone.now() + dt.timedelta(days=5)
    monkeypatch.setattr(timezone, "now", lambda: later)
    with pytest.raises(services.MarketError) as exc:
        services.quotation_award(actor=pp.buyer, request=request, quote=q)
    assert exc.value.code == "quote_expired"
    assert not PurchaseOrder.objects.filter(request=request).exists()


def test_po_steps_belong_to_their_side_and_keep_order(pp):
    request = new_request(pp)
    q = quote(pp, request, "a")
    services.quotation_request_close(actor=pp.buyer, request=request)
    po = services.quotation_award(actor=pp.buyer, request=request, quote=q)
    for actor, action in ((pp.buyer, "accept"), (pp.users["b"], "accept"), (pp.users["a"], "pay")):
        with pytest.raises(services.MarketError) as exc:
            services.purchase_order_transition(actor=actor, po=po, action=action)
        assert exc.value.code == "forbidden"
    with pytest.raises(services.MarketError) as exc:
        services.purchase_order_transition(actor=pp.users["a"], po=po, action="invoice")
    assert exc.value.code == "bad_transition"
    po = services.purchase_order_accept(actor=pp.users["a"], po=po)
    assert services.purchase_order_accept(actor=pp.users["a"], po=po).status == "accepted"
    po = services.purchase_order_deliver(actor=pp.users["a"], po=po)
    with pytest.raises(services.MarketError) as exc:
        services.purchase_order_transition(actor=pp.buyer, po=po, action="cancel")
    assert exc.value.code == "bad_transition"


def test_cancelled_po_leaves_the_report_and_orders_count_with_pos(pp, operator):
    from dure.market.selectors import priority_purchase_report

    # a marketplace order by the same institution (invoice) plus a PO
    order = services.checkout(
        buyer=pp.buyer,
        lines=[(pp.mk.pb.pk, 2)],
        idempotency_key="pp-order",
        payment_method="invoice",
        buyer_organisation=pp.office,
    ).order
    services.payment_confirm(actor=operator, order=order)
    request = new_request(pp)
    q = quote(pp, request, "a")
    services.quotation_request_close(actor=pp.buyer, request=request)
    po = services.quotation_award(actor=pp.buyer, request=request, quote=q)
    year = timezone.localdate().year
    report = priority_purchase_report(organisation_id=pp.office.pk, year=year)
    assert (report["orders_total"], report["purchase_orders_total"]) == (10_000, po.total)
    assert report["total"] == 10_000 + po.total
    services.purchase_order_transition(actor=pp.buyer, po=po, action="cancel")
    report = priority_purchase_report(organisation_id=pp.office.pk, year=year)
    assert (report["total"], report["purchase_orders_total"]) == (10_000, 0)
    assert priority_purchase_report(organisation_id=pp.office.pk, year=year - 1)["total"] == 0


def test_request_cancel_and_send_rules(pp):
    draft = new_request(pp, send=False)
    assert draft.status == "draft" and draft.sent_at is None
    with pytest.raises(services.MarketError) as exc:
        quote(pp, draft, "a")
    assert exc.value.code == "bad_transition"
    services.quotation_request_send(actor=pp.buyer, request=draft)
    services.quotation_request_cancel(actor=pp.buyer, request=draft)
    draft.refresh_from_db()
    assert draft.status == "cancelled"
    with pytest.raises(services.MarketError) as exc:
        services.quotation_request_send(actor=pp.buyer, request=draft)
    assert exc.value.code == "bad_transition"


def test_quote_constraints_in_the_database(pp):
    from django.db import IntegrityError, transaction

    request = new_request(pp)
    q = quote(pp, request, "a")
    with pytest.raises(IntegrityError), transaction.atomic():
        Quote.objects.create(
            request=request,
            supplier=pp.mk.a,
            delivery_date=q.delivery_date,
            valid_until=q.valid_until,
            total=1,
            submitted_at=timezone.now(),
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        QuoteLine.objects.filter(quote=q).update(unit_price=-1, line_total=-3)


# --- e-mail to the suppliers a request is sent to ------------------------------------------------


@pytest.fixture
def mailed(pp):
    """Addresses for the people acting for suppliers A, B (invited) and C (not invited); A also
    has a representative, an inactive 입점사 user and one without an address."""
    from dure.directory.models import Role

    for name, user in pp.users.items():
        user.email = f"{name}@supplier.example"
        user.save()
    rep = make_user("pp_rep_a")
    rep.email = "rep-a@supplier.example"
    rep.save()
    _member(rep, pp.mk.a.organisation, Role.REPRESENTATIVE)
    gone = make_user("pp_gone_a")
    gone.email, gone.is_active = "gone-a@supplier.example", False
    gone.save()
    _member(gone, pp.mk.a.organisation, Role.MARKET_SUPPLIER)
    _member(make_user("pp_noaddr_a"), pp.mk.a.organisation, Role.MARKET_SUPPLIER)
    # a member of an invited supplier's organisation without a supplier role is not told
    staff = make_user("pp_staff_b")
    staff.email = "staff-b@supplier.example"
    staff.save()
    _member(staff, pp.mk.b.organisation, Role.STAFF)
    return pp


def _to(outbox):
    return sorted(address for m in outbox for address in m.to)


def test_sending_mails_each_invited_suppliers_people_once(
    mailed, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.DURE_SITE_URL = "https://dure.example/"
    deadline = dt.datetime(2031, 3, 4, 14, 30, tzinfo=dt.UTC)  # 23:30 in Seoul
    with django_capture_on_commit_callbacks(execute=True):
        request = new_request(mailed, deadline=deadline, needed_by=dt.date(2031, 3, 20))
    assert request.status == "open"
    assert _to(mailoutbox) == [
        "a@supplier.example",
        "b@supplier.example",
        "rep-a@supplier.example",
    ]
    assert all(len(m.to) == 1 for m in mailoutbox)
    message = next(m for m in mailoutbox if m.to == ["b@supplier.example"])
    assert "구청 행사 다과" in message.subject and "테스트구청" in message.subject
    assert request.number in message.body and "구청 행사 다과" in message.body
    assert "2031-03-04 23:30" in message.body
    assert "https://dure.example/market/purchasing/incoming/" in message.body
    assert "테스트나협동조합" in message.body


def test_a_draft_mails_nobody_until_it_is_sent(
    mailed, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        draft = new_request(mailed, send=False, suppliers=[mailed.mk.b.pk])
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.quotation_request_send(actor=mailed.buyer, request=draft)
    assert _to(mailoutbox) == ["b@supplier.example"]
    with django_capture_on_commit_callbacks(execute=True):  # sending again changes nothing
        services.quotation_request_send(actor=mailed.buyer, request=draft)
    assert len(mailoutbox) == 1


def test_a_rolled_back_send_mails_nobody(mailed, mailoutbox, django_capture_on_commit_callbacks):
    from django.db import transaction

    draft = new_request(mailed, send=False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.quotation_request_send(actor=mailed.buyer, request=draft)
            raise RuntimeError("later step failed")
    assert callbacks == [] and mailoutbox == []
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_a_refused_send_mails_nobody(mailed, mailoutbox, django_capture_on_commit_callbacks):
    draft = new_request(mailed, send=False, deadline=timezone.now() + dt.timedelta(minutes=5))
    QuotationRequest.objects.filter(pk=draft.pk).update(
        reply_deadline=timezone.now() - dt.timedelta(minutes=1)
    )
    draft.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(services.MarketError):
            services.quotation_request_send(actor=mailed.buyer, request=draft)
    assert mailoutbox == []


def test_a_request_open_to_a_division_mails_its_suppliers_only(
    mailed, mailoutbox, django_capture_on_commit_callbacks
):
    from dure.market.models import Category

    education = Category.objects.create(division="education", name="강의")
    make_product(mailed.c, "협동조합 교육", category=education)
    with django_capture_on_commit_callbacks(execute=True):
        new_request(mailed, suppliers=[], open_to_all=True, division="education")
    assert _to(mailoutbox) == ["c@supplier.example"]


def test_a_mail_failure_does_not_undo_the_send(
    mailed, monkeypatch, django_capture_on_commit_callbacks
):
    from django_tasks import TaskResultStatus
    from django_tasks.signals import task_finished

    from dure.market import tasks

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(tasks, "send_mass_mail", refuse)
    finished = []

    def record(sender, task_result, **kwargs):
        finished.append(task_result)

    task_finished.connect(record)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            request = new_request(mailed)
    finally:
        task_finished.disconnect(record)
    assert QuotationRequest.objects.get(pk=request.pk).status == "open"
    assert [r.status for r in finished] == [TaskResultStatus.FAILED]
    assert "ConnectionRefusedError" in finished[0].errors[0].exception_class_path
