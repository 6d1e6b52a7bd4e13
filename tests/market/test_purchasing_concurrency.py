"""Awards under real concurrency (PostgreSQL; SQLite serialises writers): many purchasers
award quotes of one request at once — exactly one purchase order, every other attempt told
why (or handed the same PO when it asked for the same quote)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from dure.market import services
from dure.market.models import PurchaseOrder, Quote

from .conftest import make_supplier, make_user
from .test_concurrency import in_threads

pytestmark = pytest.mark.django_db(transaction=True)

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="threaded writers need PostgreSQL"
)


def _setup(n_suppliers=4, *, close=True):
    from dure.directory.models import Membership, Organisation, OrganisationKind, Role

    office = Organisation.objects.create(kind=OrganisationKind.PUBLIC_BODY, name="동시성구청")
    buyers = []
    for i in range(4):
        user = make_user(f"race_buyer{i}")
        Membership.objects.create(user=user, organisation=office, role=Role.STAFF)
        buyers.append(user)
    suppliers, people = [], []
    for i in range(n_suppliers):
        supplier = make_supplier(f"견적경쟁협동조합{i}")
        person = make_user(f"race_supplier{i}")
        Membership.objects.create(
            user=person, organisation=supplier.organisation, role=Role.MARKET_SUPPLIER
        )
        suppliers.append(supplier)
        people.append(person)
    request = services.quotation_request_create(
        actor=buyers[0],
        organisation=office,
        title="동시 선정",
        delivery_place="구청",
        needed_by=timezone.localdate() + dt.timedelta(days=20),
        reply_deadline=timezone.now() + dt.timedelta(days=2),
        lines=[{"description": "복사용지", "quantity": 10, "unit": "박스"}],
        supplier_ids=[s.pk for s in suppliers],
        send=True,
    )
    line = request.lines.get()
    quotes = [
        services.quote_submit(
            actor=people[i],
            request=request,
            supplier=s,
            lines=[{"line_id": line.pk, "unit_price": 20_000 + i, "tax_type": "taxable"}],
            delivery_date=timezone.localdate() + dt.timedelta(days=5),
            valid_until=timezone.localdate() + dt.timedelta(days=30),
        )
        for i, s in enumerate(suppliers)
    ]
    if close:
        services.quotation_request_close(actor=buyers[0], request=request)
    return request, buyers, quotes, people


def _award(actor, request, quote):
    try:
        return services.quotation_award(actor=actor, request=request, quote=quote).pk
    except services.MarketError as exc:
        return exc.code


@postgres_only
def test_concurrent_awards_end_with_one_purchase_order():
    request, buyers, quotes, _people = _setup()
    n = 16
    results = in_threads(n, n, lambda i: _award(buyers[i % 4], request, quotes[i % 4]))
    assert PurchaseOrder.objects.filter(request=request).count() == 1
    po = PurchaseOrder.objects.get(request=request)
    winners = [r for r in results if isinstance(r, int)]
    assert winners and set(winners) == {po.pk}  # the same quote again: the same PO
    assert len(winners) == 4  # the four attempts for the winning quote
    assert set(r for r in results if not isinstance(r, int)) == {"already_awarded"}
    statuses = dict(Quote.objects.filter(request=request).values_list("pk", "status"))
    assert list(statuses.values()).count("selected") == 1
    assert statuses[po.quote_id] == "selected"


@postgres_only
def test_concurrent_revisions_keep_one_current_quote_per_supplier():
    request, buyers, quotes, people = _setup(n_suppliers=1, close=False)
    supplier, line = quotes[0].supplier, request.lines.get()

    def revise(i):
        try:
            return services.quote_submit(
                actor=people[0],
                request=request,
                supplier=supplier,
                lines=[{"line_id": line.pk, "unit_price": 10_000 + i, "tax_type": "taxable"}],
                delivery_date=timezone.localdate() + dt.timedelta(days=5),
                valid_until=timezone.localdate() + dt.timedelta(days=30),
            ).revision
        except services.MarketError as exc:
            return exc.code

    results = in_threads(8, 8, revise)
    assert sorted(results) == list(range(2, 10))
    quote = Quote.objects.get(request=request, supplier=supplier)
    assert quote.revision == 9 and quote.lines.count() == 1
    assert quote.total == quote.lines.get().line_total


def test_sequential_double_award_is_one_po():
    request, buyers, quotes, _people = _setup(n_suppliers=2)
    first = _award(buyers[0], request, quotes[0])
    assert _award(buyers[1], request, quotes[0]) == first
    assert _award(buyers[1], request, quotes[1]) == "already_awarded"
    assert PurchaseOrder.objects.filter(request=request).count() == 1
