"""Demo data for the marketplace (called by dure.core.demo.load_all_demo).

Six suppliers from the Seoul council's members (우리밀협동조합 is the demo ``supplier``'s), the
``seller`` (MC) and ``creator`` (CC) profiles, ten products across the five divisions, a CC
article, and orders by 세리오협동조합's chair (``coop``) through the MC's link: one delivered
and approved, one with a partial refund, one awaiting its deposit; then one settlement.
Idempotent (fixed idempotency keys, status checks) and never crashes the demo as a whole: if
the ledger is not ready, the orders are skipped.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from dure.directory.demo import COUNCIL, demo_business_number
from dure.directory.models import Membership, Organisation, OrganisationKind, Role

logger = logging.getLogger(__name__)

SUPPLIERS = [
    # name, social-economy type, status, introduction
    ("소이플리협동조합", "cooperative", "approved", "국산 콩으로 만든 두부·두유를 생산합니다."),
    ("해피브릿지협동조합", "cooperative", "approved", "외식 브랜드를 운영하는 직원협동조합입니다."),
    ("우리밀협동조합", "cooperative", "approved", "우리밀 제품을 생산하고 유통합니다."),
    ("한지공예산업협동조합", "cooperative", "approved", "전통 한지 공예품과 교육을 제공합니다."),
    ("베러댄와플협동조합", "social_cooperative", "approved", "지역 청년이 만드는 와플 카페입니다."),
    ("마을카페그물코협동조합", "cooperative", "applied", "마을 카페와 공유 부엌을 운영합니다."),
]

CATEGORIES = [
    ("mutual_trade", "식품"),
    ("mutual_trade", "공예품"),
    ("promotion", "판촉물"),
    ("business_services", "경영 컨설팅"),
    ("social_services", "돌봄·급식"),
    ("education", "체험 교육"),
]

PRODUCTS = [
    # supplier, category, name, price, tax type, stock, description
    ("우리밀협동조합", "식품", "우리밀 통밀가루 1kg", 6_600, "exempt", 200, "국산 통밀 100 %"),
    ("우리밀협동조합", "식품", "우리밀 국수 선물세트", 27_500, "taxable", 80, "명절 선물용"),
    ("소이플리협동조합", "식품", "국산콩 두부 (4모)", 8_800, "exempt", 120, "매일 아침 생산"),
    ("소이플리협동조합", "식품", "무가당 두유 24팩", 19_800, "taxable", 60, "무가당, 국산콩"),
    ("해피브릿지협동조합", "돌봄·급식", "단체 도시락 (10인분)", 99_000, "taxable", 30, ""),
    ("한지공예산업협동조합", "공예품", "한지 조명 스탠드", 55_000, "taxable", 15, "수제 한지"),
    ("한지공예산업협동조합", "체험 교육", "한지 공예 체험 교실 (20명)", 330_000, "exempt", 10, ""),
    ("베러댄와플협동조합", "식품", "수제 와플 선물세트", 16_500, "taxable", 40, ""),
    ("베러댄와플협동조합", "판촉물", "기관 행사 와플 케이터링", 440_000, "taxable", 5, ""),
    (
        "해피브릿지협동조합",
        "경영 컨설팅",
        "외식 창업 경영 컨설팅 (1회)",
        220_000,
        "taxable",
        20,
        "",
    ),
]

RULES = [("platform_fee", 500), ("seller", 300), ("creator", 200)]


def _organisation(name: str, seed: int, council: Organisation | None) -> Organisation:
    org = Organisation.objects.filter(name=name).first()
    if org is None:
        org = Organisation.objects.create(
            name=name,
            kind=OrganisationKind.COOPERATIVE,
            parent=council,
            business_number=demo_business_number(7_000 + seed),
            description=dict((s[0], s[3]) for s in SUPPLIERS).get(name, ""),
            is_public=True,
        )
        try:
            from dure.directory.search_index import KIND
            from dure.search.services import index_object

            index_object(KIND, org)
        except Exception:  # noqa: BLE001 - the index is a convenience here
            logger.exception("indexing the demo organisation %s failed", name)
    return org


def load_demo() -> dict[str, int]:
    try:
        with transaction.atomic():
            counts = _catalogue()
    except Exception:  # noqa: BLE001 - a demo must never stop the other apps' demos
        logger.exception("market demo catalogue failed")
        return {}
    try:
        with transaction.atomic():
            counts.update(_orders())
    except Exception:  # noqa: BLE001 - e.g. the ledger app is not migrated yet
        logger.exception("market demo orders skipped")
    try:
        with transaction.atomic():
            counts.update(_purchasing())
    except Exception:  # noqa: BLE001 - a demo must never stop the other apps' demos
        logger.exception("market demo public purchasing skipped")
    return counts


def _catalogue() -> dict[str, int]:
    from dure.accounts.models import User

    from .models import (
        Category,
        CommissionRule,
        CreatorContent,
        CreatorProfile,
        Product,
        SellerProfile,
        SupplierProfile,
    )
    from .services import _index_product

    now = timezone.now()
    council = Organisation.objects.filter(name=COUNCIL).first()
    suppliers = {}
    for seed, (name, economy, status, intro) in enumerate(SUPPLIERS, start=1):
        org = _organisation(name, seed, council)
        number = org.business_number or demo_business_number(7_100 + seed)
        approved = status == "approved"
        supplier, _created = SupplierProfile.objects.get_or_create(
            organisation=org,
            defaults={
                "business_number": number,
                "economy_type": economy,
                "status": status,
                "introduction": intro,
                "capacity_survey": "월 공급 가능량과 인력 확인 완료" if approved else "",
                "surveyed_at": now if approved else None,
                "inspection_record": "생산 현장 위생·안전 실사 완료" if approved else "",
                "inspected_at": now if approved else None,
                "decided_at": now if approved else None,
            },
        )
        suppliers[name] = supplier
    categories = {
        name: Category.objects.get_or_create(division=division, name=name)[0]
        for division, name in CATEGORIES
    }
    for kind, rate in RULES:
        CommissionRule.objects.get_or_create(
            scope="platform", kind=kind, defaults={"rate_bp": rate}
        )
    products = []
    for supplier, category, name, price, tax, stock, description in PRODUCTS:
        product, created = Product.objects.get_or_create(
            supplier=suppliers[supplier],
            name=name,
            defaults={
                "category": categories[category],
                "price": price,
                "tax_type": tax,
                "stock": stock,
                "description": description,
            },
        )
        if created:
            _index_product(product)
        products.append(product)
    users = {u.username: u for u in User.objects.filter(username__in=["seller", "creator"])}
    council_id = council.pk if council else None
    if "seller" in users:
        SellerProfile.objects.get_or_create(
            referral_code="MSEOUL01",
            defaults={
                "user": users["seller"],
                "organisation_id": council_id,
                "display_name": "서울협의회 장터지기",
            },
        )
    if "creator" in users:
        creator, _created = CreatorProfile.objects.get_or_create(
            referral_code="CSEOUL01",
            defaults={
                "user": users["creator"],
                "organisation_id": council_id,
                "display_name": "윤콘텐츠의 협동조합 이야기",
            },
        )
        content, created = CreatorContent.objects.get_or_create(
            creator=creator,
            title="우리밀로 차린 협동조합 밥상",
            defaults={
                "body": "서울의 협동조합들이 만든 먹거리로 한 끼를 차려 보았습니다. "
                "우리밀 국수와 국산콩 두부가 주인공입니다."
            },
        )
        if created:
            content.products.set(products[1:3])
    return {"market_suppliers": len(suppliers), "market_products": len(products)}


def _orders() -> dict[str, int]:
    from dure.accounts.models import User

    from . import services
    from .models import OrderStatus, Product, RefundStatus, SubOrderStatus

    users = {u.username: u for u in User.objects.filter(username__in=["coop", "admin"])}
    if len(users) < 2:
        return {}
    buyer, operator = users["coop"], users["admin"]
    serio = (
        Membership.objects.filter(user=buyer, role=Role.CHAIR)
        .select_related("organisation")
        .first()
    )
    org = serio.organisation if serio else None
    names = {p.name: p.pk for p in Product.objects.all()}

    def order(key: str, lines: list[tuple[str, int]]):
        return services.checkout(
            buyer=buyer,
            lines=[(names[n], q) for n, q in lines],
            idempotency_key=key,
            payment_method="bank_transfer",
            buyer_organisation=org,
            referral_code="MSEOUL01",
        ).order

    long_ago = timezone.now() - dt.timedelta(days=10)
    first = order(
        "demo-order-1",
        [("우리밀 국수 선물세트", 4), ("한지 조명 스탠드", 2), ("국산콩 두부 (4모)", 5)],
    )
    services.payment_confirm(actor=operator, order=first)
    for sub in first.suborders.select_related("supplier", "order"):
        if sub.status == SubOrderStatus.PAID:
            sub = services.suborder_ship(actor=operator, suborder=sub, tracking="DEMO-1")
        if sub.status == SubOrderStatus.SHIPPED:
            services.suborder_deliver(actor=operator, suborder=sub, at=long_ago)
    services.commissions_approve_due()

    second = order("demo-order-2", [("우리밀 통밀가루 1kg", 10), ("수제 와플 선물세트", 3)])
    services.payment_confirm(actor=operator, order=second)
    wheat = second.suborders.filter(supplier__organisation__name="우리밀협동조합").first()
    if wheat is not None and wheat.status == SubOrderStatus.PAID:
        wheat = services.suborder_ship(actor=operator, suborder=wheat, tracking="DEMO-2")
    if wheat is not None and not wheat.refunds.exists():
        line = wheat.lines.first()
        refund = services.refund_request(
            actor=buyer, suborder=wheat, reason="포장 파손 (2봉)", lines=[(line.pk, 2)]
        )
        services.refund_complete(actor=operator, refund=refund)
    elif wheat is not None:
        for refund in wheat.refunds.filter(status=RefundStatus.REQUESTED):
            services.refund_complete(actor=operator, refund=refund)

    third = order("demo-order-3", [("무가당 두유 24팩", 1)])
    today = timezone.localdate()
    services.settlement_run(
        actor=operator,
        period_start=today - dt.timedelta(days=15),
        period_end=today,
        idempotency_key=f"demo-settlement-{today.isoformat()}",
        minimum_payout=10_000,
    )
    paid = sum(o.status == OrderStatus.PAID for o in (first, second, third))
    return {"market_orders": 3, "market_paid_orders": paid}


# --- public purchasing ---------------------------------------------------------------------------

DEMO_QUOTATION_TITLE = "연구원 개원 기념행사 다과·기념품"


def _purchasing() -> dict[str, int]:
    """한국생산기술연구원 (a public research institute; the demo ``researcher`` buys for it) asks
    우리밀협동조합 and 베러댄와플협동조합 for quotes; both quote, the institute closes the request
    and awards 우리밀협동조합's quote: one purchase order, issued. Idempotent (matched by title)."""
    from dure.accounts.models import User

    from . import services
    from .models import (
        Product,
        PurchaseOrder,
        QuotationRequest,
        Quote,
        QuoteLine,
        SupplierProfile,
    )

    researcher = User.objects.filter(username="researcher").first()
    supplier_user = User.objects.filter(username="supplier").first()
    membership = (
        Membership.objects.filter(
            user=researcher, organisation__kind=OrganisationKind.RESEARCH_INSTITUTE
        )
        .select_related("organisation")
        .first()
    )
    wheat = SupplierProfile.objects.filter(organisation__name="우리밀협동조합").first()
    waffle = SupplierProfile.objects.filter(organisation__name="베러댄와플협동조합").first()
    if not (researcher and supplier_user and membership and wheat and waffle):
        return {}
    institute = membership.organisation
    existing = QuotationRequest.objects.filter(
        buyer_organisation=institute, title=DEMO_QUOTATION_TITLE
    ).first()
    if existing is not None:
        return {"market_quotation_requests": 1, "market_purchase_orders": 1}
    today = timezone.localdate()
    noodles = Product.objects.filter(name="우리밀 국수 선물세트").first()
    request = services.quotation_request_create(
        actor=researcher,
        organisation=institute,
        title=DEMO_QUOTATION_TITLE,
        description="개원 기념행사 참석자 120명 대상 다과와 기념품입니다. 포장 포함.",
        delivery_place="한국생산기술연구원 본원 대강당",
        needed_by=today + dt.timedelta(days=21),
        reply_deadline=timezone.now() + dt.timedelta(days=7),
        lines=[
            {"description": "행사 다과 (1인 세트)", "quantity": 120, "unit": "세트"},
            {
                "product_id": noodles.pk if noodles else None,
                "description": "우리밀 국수 선물세트",
                "quantity": 30,
                "unit": "세트",
            },
        ],
        supplier_ids=[wheat.pk, waffle.pk],
        send=True,
    )
    lines = list(request.lines.all())
    services.quote_submit(
        actor=supplier_user,
        request=request,
        supplier=wheat,
        lines=[
            {"line_id": lines[0].pk, "unit_price": 5_500, "tax_type": "taxable"},
            {"line_id": lines[1].pk, "unit_price": 25_300, "tax_type": "taxable"},
        ],
        delivery_date=today + dt.timedelta(days=20),
        valid_until=today + dt.timedelta(days=30),
        note="국산 우리밀 100 %. 배송비 포함.",
    )
    # 베러댄와플협동조합 has no demo login: its quote is written as data.
    waffle_quote = Quote.objects.create(
        request=request,
        supplier=waffle,
        delivery_date=today + dt.timedelta(days=18),
        valid_until=today + dt.timedelta(days=30),
        note="와플 다과 세트, 현장 세팅 포함.",
        total=6_600 * 120 + 27_500 * 30,
        submitted_by=None,
        submitted_at=timezone.now(),
    )
    QuoteLine.objects.bulk_create(
        [
            QuoteLine(
                quote=waffle_quote,
                request_line=lines[0],
                unit_price=6_600,
                tax_type="taxable",
                quantity=120,
                line_total=6_600 * 120,
            ),
            QuoteLine(
                quote=waffle_quote,
                request_line=lines[1],
                unit_price=27_500,
                tax_type="taxable",
                quantity=30,
                line_total=27_500 * 30,
            ),
        ]
    )
    services.quotation_request_close(actor=researcher, request=request)
    chosen = Quote.objects.get(request=request, supplier=wheat)
    services.quotation_award(actor=researcher, request=request, quote=chosen)
    return {
        "market_quotation_requests": 1,
        "market_purchase_orders": PurchaseOrder.objects.filter(request=request).count(),
    }
