"""Marketplace pages. Thin: parse → access helper / service → render. Forbidden objects are
404s, pages needing an account send anonymous visitors to the login page."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dure.core.exports import XLSX, table_response
from dure.core.forms import apply_service_errors as _apply_errors
from dure.directory.access import roles_of
from dure.directory.models import Organisation

from . import access, selectors, services
from .forms import (
    CheckoutForm,
    CommissionRuleForm,
    MarketDayForm,
    MarketDaySaleForm,
    PeriodForm,
    ProductForm,
    ReferrerRegisterForm,
    RefundForm,
    ReviewForm,
    SettlementForm,
    SupplierApplyForm,
)
from .models import (
    Category,
    CommissionRule,
    CreatorContent,
    Division,
    MarketDay,
    Order,
    OrderStatus,
    Product,
    PurchaseOrder,
    PurchaseOrderStatus,
    QuotationStatus,
    Quote,
    RefundStatus,
    Settlement,
    SocialEconomyType,
    SupplierProfile,
    SupplierStatus,
    TaxType,
)
from .search_index import KIND as PRODUCT_KIND

PAGE = 30


def _error_text(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


# --- catalogue ----------------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The catalogue: by division, or a Korean full-text search (``q``)."""
    query = (request.GET.get("q") or "").strip()[:100]
    division = request.GET.get("division") or ""
    if division not in Division.values:
        division = ""
    products = access.products_visible_to(request.user).filter(
        active=True, supplier__status=SupplierStatus.APPROVED
    )
    if division:
        products = products.filter(category__division=division)
    products = products.select_related("supplier__organisation", "category")
    if query:
        from dure.search.services import search

        result = search(
            query=query,
            kinds=[PRODUCT_KIND],
            filters={"division": division} if division else None,
            limit=PAGE,
        )
        ids = [hit.object_id for hit in result.hits]
        found = {p.pk: p for p in products.filter(pk__in=ids)}
        items = [found[pk] for pk in ids if pk in found]
    else:
        items = list(products.order_by("category__division", "name", "pk")[:PAGE])
    return render(
        request,
        "market/home.html",
        {
            "products": items,
            "query": query,
            "division": division,
            "divisions": Division.choices,
            "is_operator": access.is_operator(request.user),
            "is_supplier": bool(access.supplier_organisation_ids(request.user))
            and access.suppliers_of(request.user).exists(),
            "is_referrer": access.sellers_of(request.user).exists()
            or access.creators_of(request.user).exists(),
            "is_institution": access.is_institution(request.user),
            "articles": CreatorContent.objects.filter(published=True).select_related("creator")[:5],
        },
    )


@require_GET
def product(request: HttpRequest, pk: int) -> HttpResponse:
    item = access.access_product(user=request.user, product_id=pk)
    return render(request, "market/product.html", {"product": item})


@require_GET
def referral(request: HttpRequest, code: str) -> HttpResponse:
    """An MC/CC referral link: remember the click (last click wins) and show the catalogue."""
    profile = services.referrer_by_code(code)
    if profile is None:
        raise Http404
    if not services.referrer_is_valid(profile):
        return render(request, "market/referral_expired.html", {"profile": profile}, status=410)
    if not request.session.session_key:
        request.session.save()
    services.referral_click(
        code=profile.referral_code,
        user=request.user,
        session_key=request.session.session_key or "",
    )
    messages.info(request, _("%(name)s님의 추천 링크로 들어왔습니다.") % {"name": profile})
    return redirect("market:home")


@require_GET
def content(request: HttpRequest, pk: int) -> HttpResponse:
    article = (
        CreatorContent.objects.filter(pk=pk, published=True)
        .select_related("creator")
        .prefetch_related(
            Prefetch(
                "products",
                queryset=access.products_visible_to(request.user).filter(active=True),
            )
        )
        .first()
    )
    if article is None:
        raise Http404
    if services.referrer_is_valid(article.creator):
        if not request.session.session_key:
            request.session.save()
        services.referral_click(
            content=article, user=request.user, session_key=request.session.session_key or ""
        )
    return render(request, "market/content.html", {"article": article})


# --- cart and checkout --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def cart(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            services.cart_set(
                user=request.user,
                product_id=request.POST.get("product_id"),
                quantity=request.POST.get("quantity", ""),
            )
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("장바구니를 고쳤습니다."))
        return redirect("market:cart")
    items = services.cart_items(request.user)
    total = sum(line.product.price * line.quantity for line in items)
    return render(request, "market/cart.html", {"items": items, "total": total})


def _buyer_organisations(user: Any) -> list[tuple[int, str]]:
    ids = roles_of(user).organisation_ids
    return list(Organisation.objects.filter(pk__in=ids).values_list("pk", "name"))


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    items = services.cart_items(request.user)
    organisations = _buyer_organisations(request.user)
    if request.method == "POST":
        form = CheckoutForm(request.POST, organisations=organisations)
        if form.is_valid():
            org_id = form.cleaned_data["buyer_organisation"]
            try:
                result = services.checkout(
                    buyer=request.user,
                    from_cart=True,
                    idempotency_key=form.cleaned_data["idempotency_key"],
                    payment_method=form.cleaned_data["payment_method"],
                    buyer_organisation=Organisation.objects.filter(pk=org_id).first()
                    if org_id
                    else None,
                    referral_code=form.cleaned_data["referral_code"],
                    session_key=request.session.session_key or "",
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("주문을 접수했습니다."))
                return redirect("market:order", pk=result.order.pk)
    else:
        form = CheckoutForm(
            organisations=organisations, initial={"idempotency_key": secrets.token_hex(16)}
        )
    total = sum(line.product.price * line.quantity for line in items)
    return render(request, "market/checkout.html", {"form": form, "items": items, "total": total})


# --- buyer's orders -----------------------------------------------------------------------------


@login_required
@require_GET
def orders(request: HttpRequest) -> HttpResponse:
    rows = (
        Order.objects.filter(buyer=request.user)
        .select_related("payment")
        .prefetch_related("suborders__supplier__organisation")[:100]
    )
    return render(request, "market/orders.html", {"orders": rows})


@login_required
@require_GET
def order(request: HttpRequest, pk: int) -> HttpResponse:
    item = access.access_order(user=request.user, order_id=pk)
    suborders = item.suborders.select_related("supplier__organisation").prefetch_related(
        "lines", "refunds"
    )
    return render(
        request,
        "market/order.html",
        {
            "order": item,
            "suborders": suborders,
            "payment": getattr(item, "payment", None),
            "is_operator": access.is_operator(request.user),
            "can_cancel": item.status != OrderStatus.CANCELLED,
        },
    )


@login_required
@require_POST
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    item = access.access_order(user=request.user, order_id=pk)
    try:
        services.order_cancel(actor=request.user, order=item, reason=_("구매자 취소"))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("주문을 취소했습니다."))
    return redirect("market:order", pk=item.pk)


@login_required
@require_http_methods(["GET", "POST"])
def refund_request(request: HttpRequest, pk: int) -> HttpResponse:
    suborder = access.access_suborder(user=request.user, suborder_id=pk, as_buyer=True)
    if suborder.order.buyer_id != request.user.pk and not access.is_operator(request.user):
        raise Http404
    lines = list(suborder.lines.all())
    form = RefundForm(request.POST or None, lines=lines)
    if request.method == "POST" and form.is_valid():
        try:
            services.refund_request(
                actor=request.user,
                suborder=suborder,
                reason=form.cleaned_data["reason"],
                lines=form.refund_lines() or None,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("환불을 요청했습니다. 입점사가 확인합니다."))
            return redirect("market:order", pk=suborder.order_id)
    return render(request, "market/refund_form.html", {"form": form, "suborder": suborder})


# --- supplier -----------------------------------------------------------------------------------


@login_required
@require_GET
def supplier_orders(request: HttpRequest) -> HttpResponse:
    if not (access.is_operator(request.user) or access.suppliers_of(request.user).exists()):
        raise Http404
    subs = selectors.supplier_suborders(request.user)[:100]
    refunds = selectors.supplier_refunds(request.user, RefundStatus.REQUESTED)
    return render(request, "market/supplier_orders.html", {"suborders": subs, "refunds": refunds})


@login_required
@require_POST
def ship(request: HttpRequest, pk: int) -> HttpResponse:
    suborder = access.access_suborder(user=request.user, suborder_id=pk)
    action = request.POST.get("action", "ship")
    try:
        if action == "deliver":
            services.suborder_deliver(actor=request.user, suborder=suborder)
        else:
            services.suborder_ship(
                actor=request.user, suborder=suborder, tracking=request.POST.get("tracking", "")
            )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("주문 상태를 바꿨습니다."))
    return redirect("market:supplier_orders")


@login_required
@require_POST
def refund_decide(request: HttpRequest, pk: int) -> HttpResponse:
    refund = access.access_refund(user=request.user, refund_id=pk)
    try:
        if request.POST.get("decision") == "reject":
            services.refund_reject(actor=request.user, refund=refund)
        else:
            services.refund_complete(actor=request.user, refund=refund)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("환불 요청을 처리했습니다."))
    return redirect("market:supplier_orders")


# --- operator -----------------------------------------------------------------------------------


def _operator_only(request: HttpRequest) -> None:
    if not access.is_operator(request.user):
        raise Http404


@login_required
@require_GET
def operator_suppliers(request: HttpRequest) -> HttpResponse:
    _operator_only(request)
    from .selectors import participant_counts

    suppliers = SupplierProfile.objects.select_related("organisation").order_by("status", "pk")
    return render(
        request,
        "market/operator_suppliers.html",
        {"suppliers": suppliers, "counts": participant_counts()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def operator_supplier(request: HttpRequest, pk: int) -> HttpResponse:
    supplier = access.access_supplier(user=request.user, supplier_id=pk)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.supplier_review(
                actor=request.user,
                supplier=supplier,
                step=form.cleaned_data["step"],
                record=form.cleaned_data["record"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("입점 심사 단계를 기록했습니다."))
            return redirect("market:operator_supplier", pk=supplier.pk)
    return render(request, "market/operator_supplier.html", {"supplier": supplier, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def operator_payments(request: HttpRequest) -> HttpResponse:
    _operator_only(request)
    if request.method == "POST":
        item = Order.objects.filter(
            pk=int(request.POST.get("order", "0") or 0)
            if str(request.POST.get("order", "")).isdigit()
            else 0
        ).first()
        if item is None:
            raise Http404
        try:
            services.payment_confirm(
                actor=request.user, order=item, reference=request.POST.get("reference", "")
            )
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("입금을 확인했습니다."))
        return redirect("market:operator_payments")
    waiting = selectors.payments_waiting()[:200]
    return render(request, "market/operator_payments.html", {"orders": waiting})


@login_required
@require_http_methods(["GET", "POST"])
def settlements(request: HttpRequest) -> HttpResponse:
    _operator_only(request)
    if request.method == "POST":
        form = SettlementForm(request.POST)
        if form.is_valid():
            try:
                done = services.settlement_run(
                    actor=request.user,
                    period_start=form.cleaned_data["period_start"],
                    period_end=form.cleaned_data["period_end"],
                    minimum_payout=form.cleaned_data["minimum_payout"],
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("정산을 실행했습니다: %(count)s건, %(total)s원")
                    % {"count": done.payout_count, "total": f"{done.payout_total:,}"},
                )
                return redirect("market:settlements")
    else:
        form = SettlementForm(initial={"idempotency_key": secrets.token_hex(16)})
    rows = Settlement.objects.select_related("created_by")[:100]
    return render(request, "market/settlements.html", {"form": form, "settlements": rows})


# --- statements ---------------------------------------------------------------------------------


def _my_accounts(user: Any) -> list[tuple[str, Any, str]]:
    """(account kind, party, label) of every payable account the user may read."""
    from dure.ledger.models import AccountKind as K

    out: list[tuple[str, Any, str]] = []
    for seller in access.sellers_of(user):
        out.append((K.SELLER_PAYABLE, seller, _("MC 수수료 · %(name)s") % {"name": seller}))
    for creator in access.creators_of(user):
        out.append((K.CREATOR_PAYABLE, creator, _("CC 수수료 · %(name)s") % {"name": creator}))
    for supplier in access.suppliers_of(user).select_related("organisation"):
        out.append((K.SUPPLIER_PAYABLE, supplier, _("입점사 정산 · %(name)s") % {"name": supplier}))
    return out


@login_required
@require_GET
def statement(request: HttpRequest) -> HttpResponse:
    """The MC's, CC's or supplier's statement for a period, as a page, PDF or XLSX."""
    from dure.ledger import services as ledger

    accounts = _my_accounts(request.user)
    if not accounts:
        raise Http404
    today = timezone.localdate()
    data = request.GET if "start" in request.GET else None
    form = PeriodForm(
        data, initial={"start": today.replace(day=1) - dt.timedelta(days=31), "end": today}
    )
    if (
        data is not None
        and form.is_valid()
        and form.cleaned_data["start"] <= form.cleaned_data["end"]
    ):
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    else:
        start, end = today.replace(day=1) - dt.timedelta(days=31), today
    choice = request.GET.get("account", "0")
    index = int(choice) if choice.isdigit() and int(choice) < len(accounts) else 0
    kind, party, label = accounts[index]
    stmt = ledger.statement(ledger.account(kind, party), start=start, end=end)
    fmt = request.GET.get("format", "")
    title = _("정산 명세서")
    if fmt in ("pdf", "xlsx"):
        if fmt == "pdf":
            body = ledger.statement_pdf(stmt, title=title, party_name=str(party))
            mime = "application/pdf"
        else:
            body = ledger.statement_xlsx(stmt, title=title, party_name=str(party))
            mime = XLSX
        response = HttpResponse(body, content_type=mime)
        response["Content-Disposition"] = (
            f'attachment; filename="statement-{start.isoformat()}-{end.isoformat()}.{fmt}"'
        )
        return response
    lines_paid = None
    if kind != "supplier_payable":
        filt = {"seller": party} if kind == "seller_payable" else {"creator": party}
        from .models import CommissionStatus

        lines_paid = [
            {"status": CommissionStatus(row["status"]).label, "total": row["total"]}
            for row in services.CommissionLine.objects.filter(**filt)
            .values("status")
            .annotate(total=Sum("amount"))
            .order_by("status")
        ]
    query = f"start={start.isoformat()}&end={end.isoformat()}&account={index}"
    return render(
        request,
        "market/statement.html",
        {
            "form": form,
            "accounts": [(i, a[2]) for i, a in enumerate(accounts)],
            "index": index,
            "label": label,
            "stmt": stmt,
            "commission_totals": lines_paid,
            "download": reverse("market:statement") + "?" + query,
        },
    )


# --- self-service: supplier application, MC/CC registration -------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def supplier_apply(request: HttpRequest) -> HttpResponse:
    """A representative applies their organisation as a supplier, then follows its status."""
    editable = roles_of(request.user).editable_organisation_ids
    applied = SupplierProfile.objects.filter(organisation_id__in=editable).select_related(
        "organisation"
    )
    open_orgs = list(
        Organisation.objects.filter(pk__in=editable)
        .exclude(pk__in=applied.values("organisation_id"))
        .order_by("name")
        .values_list("pk", "name")
    )
    form = SupplierApplyForm(request.POST or None, organisations=open_orgs)
    if request.method == "POST" and form.is_valid():
        try:
            services.supplier_apply(
                actor=request.user,
                organisation=Organisation.objects.get(pk=form.cleaned_data["organisation"]),
                business_number=form.cleaned_data["business_number"],
                economy_type=form.cleaned_data["economy_type"],
                introduction=form.cleaned_data["introduction"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("입점을 신청했습니다. 운영자가 심사합니다."))
            return redirect("market:supplier_apply")
    return render(
        request,
        "market/supplier_apply.html",
        {"form": form if open_orgs else None, "applications": applied.order_by("pk")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def referrer_register(request: HttpRequest) -> HttpResponse:
    """Register as an MC or a CC; shows one's referral codes and links."""
    organisations = _buyer_organisations(request.user)
    form = ReferrerRegisterForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        org_id = form.cleaned_data["organisation"]
        try:
            services.referrer_register(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                display_name=form.cleaned_data["display_name"],
                organisation=Organisation.objects.filter(pk=org_id).first() if org_id else None,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("등록했습니다. 아래 추천 링크를 나눠 주세요."))
            return redirect("market:referrer_register")
    profiles = [
        (
            _("MC") if kind == "seller" else _("CC"),
            profile,
            request.build_absolute_uri(reverse("market:referral", args=[profile.referral_code])),
        )
        for kind, qs in (
            ("seller", access.sellers_of(request.user)),
            ("creator", access.creators_of(request.user)),
        )
        for profile in qs.select_related("organisation").order_by("pk")
    ]
    return render(request, "market/referrer_register.html", {"form": form, "profiles": profiles})


# --- supplier's products ------------------------------------------------------------------------


def _approved_suppliers(user: Any) -> list[SupplierProfile]:
    return list(selectors.approved_suppliers_for(user).order_by("organisation__name"))


def _category_choices() -> list[tuple[int, str]]:
    labels = dict(Division.choices)
    return [
        (c.pk, f"{labels.get(c.division, c.division)} · {c.name}")
        for c in Category.objects.order_by("division", "name")
    ]


@login_required
@require_GET
def supplier_products(request: HttpRequest) -> HttpResponse:
    if not (access.is_operator(request.user) or access.suppliers_of(request.user).exists()):
        raise Http404
    own = access.suppliers_of(request.user)
    products = selectors.managed_products(request.user)[:300]
    return render(
        request,
        "market/supplier_products.html",
        {
            "products": products,
            "can_add": bool(_approved_suppliers(request.user)),
            "pending": own.exclude(status=SupplierStatus.APPROVED).select_related("organisation"),
        },
    )


def _product_form_page(request: HttpRequest, item: Product | None) -> HttpResponse:
    suppliers = [item.supplier] if item is not None else _approved_suppliers(request.user)
    if not suppliers:
        raise Http404
    choices = [(s.pk, s.organisation.name) for s in suppliers]
    initial = {}
    if item is not None:
        initial = {
            "supplier": item.supplier_id,
            "category": item.category_id,
            "name": item.name,
            "description": item.description,
            "price": item.price,
            "tax_type": item.tax_type,
            "stock": item.stock,
            "unit": item.unit,
            "active": item.active,
            "image_alt": item.image_alt,
        }
    form = ProductForm(
        request.POST or None,
        request.FILES or None,
        suppliers=choices,
        categories=_category_choices(),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        supplier = next(s for s in suppliers if s.pk == form.cleaned_data["supplier"])
        data = dict(form.cleaned_data)
        data.pop("supplier")
        try:
            saved = services.product_save(
                actor=request.user, supplier=supplier, data=data, product=item
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("상품을 저장했습니다: %(name)s") % {"name": saved.name})
            return redirect("market:supplier_products")
    return render(request, "market/product_form.html", {"form": form, "product": item})


@login_required
@require_http_methods(["GET", "POST"])
def product_create(request: HttpRequest) -> HttpResponse:
    return _product_form_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = access.access_product(user=request.user, product_id=pk, write=True)
    return _product_form_page(request, item)


# --- operator: commission rules and offline market days -----------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def commission_rules(request: HttpRequest) -> HttpResponse:
    _operator_only(request)
    suppliers = _approved_suppliers(request.user)
    form = CommissionRuleForm(
        request.POST or None,
        suppliers=[(s.pk, s.organisation.name) for s in suppliers],
        categories=_category_choices(),
        products=list(Product.objects.order_by("name", "pk").values_list("pk", "name")[:1000]),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.commission_rule_set(
                actor=request.user,
                kind=data["kind"],
                rate_bp=form.rate_bp(),
                supplier=SupplierProfile.objects.filter(pk=data["supplier"]).first()
                if data["supplier"]
                else None,
                category=Category.objects.filter(pk=data["category"]).first()
                if data["category"]
                else None,
                product=Product.objects.filter(pk=data["product"]).first()
                if data["product"]
                else None,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("수수료율을 저장했습니다."))
            return redirect("market:commission_rules")
    rules = CommissionRule.objects.select_related(
        "supplier__organisation", "category", "product"
    ).order_by("kind", "scope", "pk")
    rows = [(r, f"{r.rate_bp // 100}.{r.rate_bp % 100:02d}") for r in rules]
    return render(request, "market/commission_rules.html", {"form": form, "rules": rows})


def _partner_choices() -> list[tuple[int, str]]:
    return list(Organisation.objects.order_by("name").values_list("pk", "name")[:1000])


@login_required
@require_http_methods(["GET", "POST"])
def market_days(request: HttpRequest) -> HttpResponse:
    _operator_only(request)
    form = MarketDayForm(request.POST or None, partners=_partner_choices())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            day = services.market_day_create(
                actor=request.user,
                name=data["name"],
                held_on=data["held_on"],
                location=data["location"],
                partner=Organisation.objects.filter(pk=data["partner"]).first()
                if data["partner"]
                else None,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("오프라인 장터를 만들었습니다."))
            return redirect("market:market_day", pk=day.pk)
    days = MarketDay.objects.select_related("partner").order_by("-held_on", "-pk")[:100]
    return render(request, "market/market_days.html", {"form": form, "days": days})


@login_required
@require_http_methods(["GET", "POST"])
def market_day(request: HttpRequest, pk: int) -> HttpResponse:
    day = access.access_market_day(user=request.user, day_id=pk)
    products = [
        (
            p.pk,
            _("%(name)s · %(supplier)s (%(price)s원, 재고 %(stock)s개)")
            % {
                "name": p.name,
                "supplier": p.supplier.organisation.name,
                "price": f"{p.price:,}",
                "stock": p.stock,
            },
        )
        for p in Product.objects.filter(active=True, supplier__status=SupplierStatus.APPROVED)
        .select_related("supplier__organisation")
        .order_by("name", "pk")[:1000]
    ]
    form = MarketDaySaleForm(
        request.POST or None,
        products=products,
        initial={"idempotency_key": secrets.token_hex(16)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.market_day_sale(
                actor=request.user,
                market_day=day,
                lines=[(form.cleaned_data["product"], form.cleaned_data["quantity"])],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("판매를 기록했습니다."))
            return redirect("market:market_day", pk=day.pk)
    report = services.market_day_report(day)
    return render(
        request,
        "market/market_day.html",
        {
            "day": day,
            "form": form,
            "report": report,
            "report_total": sum(r["sales"] for r in report),
        },
    )


# === Public purchasing: quotation requests, quotes, purchase orders, priority purchases ========


def _purchasing_nav(user: Any) -> dict[str, Any]:
    return {
        "is_operator": access.is_operator(user),
        "is_supplier": access.suppliers_of(user).exists(),
        "is_institution": access.is_institution(user),
    }


def _quotes_revealed(item: Any) -> bool:
    """Quotes stay sealed until the deadline passes or the institution closes the request."""

    return item.status != QuotationStatus.OPEN or timezone.now() >= item.reply_deadline


@login_required
@require_GET
def quote_requests(request: HttpRequest) -> HttpResponse:
    """The institution's quotation requests (the operator: all)."""
    if not (access.is_institution(request.user) or access.is_operator(request.user)):
        raise Http404
    rows = (
        access.quotation_requests_visible_to(request.user)
        .filter(
            **(
                {}
                if access.is_operator(request.user)
                else {"buyer_organisation_id__in": access.institution_ids(request.user)}
            )
        )
        .select_related("buyer_organisation")
        .prefetch_related("quotes")
        .order_by("-created_at", "-pk")[:200]
    )
    return render(
        request,
        "market/quote_requests.html",
        {"requests": rows, **_purchasing_nav(request.user)},
    )


def _request_form_choices(user: Any) -> dict[str, Any]:

    orgs = Organisation.objects.filter(pk__in=access.institution_ids(user)).order_by("name")
    suppliers = SupplierProfile.objects.filter(status=SupplierStatus.APPROVED).select_related(
        "organisation"
    )
    products = (
        Product.objects.filter(active=True, supplier__status=SupplierStatus.APPROVED)
        .select_related("supplier__organisation")
        .order_by("name", "pk")[:500]
    )
    return {
        "organisations": [(o.pk, o.name) for o in orgs],
        "suppliers": [
            (s.pk, f"{s.organisation.name} ({s.get_economy_type_display()})")
            for s in suppliers.order_by("organisation__name")
        ],
        "categories": _category_choices(),
        "products": [(p.pk, f"{p.name} — {p.supplier.organisation.name}") for p in products],
    }


@login_required
@require_http_methods(["GET", "POST"])
def quote_request_new(request: HttpRequest) -> HttpResponse:
    from .forms import QuotationLineFormSet, QuotationRequestForm

    if not access.is_institution(request.user):
        raise Http404
    choices = _request_form_choices(request.user)
    data = request.POST if request.method == "POST" else None
    initial: dict[str, Any] = {}
    line_initial: list[dict[str, Any]] | None = None
    if data is not None and data.get("action") == "add_line":
        # one more blank line, no validation yet (works without JavaScript)
        initial = {**data.dict(), "suppliers": data.getlist("suppliers")}
        initial["open_to_all"] = bool(data.get("open_to_all"))
        raw = data.get("lines-TOTAL_FORMS", "1")
        count = min(int(raw) if raw.isdigit() else 1, 49)
        fields = ("product", "description", "quantity", "unit")
        line_initial = [
            {f: data.get(f"lines-{i}-{f}", "") for f in fields} for i in range(count)
        ] + [{}]
        data = None
    form = QuotationRequestForm(
        data,
        organisations=choices["organisations"],
        suppliers=choices["suppliers"],
        categories=choices["categories"],
        initial=initial,
    )
    lines = QuotationLineFormSet(
        data,
        prefix="lines",
        form_kwargs={"products": choices["products"]},
        initial=line_initial,
    )
    if line_initial is not None:
        lines.extra = 0
    if data is not None and form.is_valid() and lines.is_valid():
        items = [
            {
                "product_id": f.cleaned_data.get("product"),
                "description": f.cleaned_data.get("description", ""),
                "quantity": f.cleaned_data.get("quantity"),
                "unit": f.cleaned_data.get("unit", ""),
            }
            for f in lines.forms
            if not f.is_blank()
        ]
        cd = form.cleaned_data
        try:
            created = services.quotation_request_create(
                actor=request.user,
                organisation=Organisation.objects.get(pk=cd["organisation"]),
                title=cd["title"],
                description=cd["description"],
                delivery_place=cd["delivery_place"],
                needed_by=cd["needed_by"],
                reply_deadline=cd["reply_deadline"],
                lines=items,
                supplier_ids=cd["suppliers"],
                open_to_all=cd["open_to_all"],
                division=cd["division"],
                category_id=cd["category"],
                send=request.POST.get("action") == "send",
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("견적요청을 보냈습니다.")
                if created.status == "open"
                else _("견적요청을 임시 저장했습니다."),
            )
            return redirect("market:quote_request", pk=created.pk)
    return render(
        request,
        "market/quote_request_form.html",
        {"form": form, "lines": lines, **_purchasing_nav(request.user)},
    )


def _comparison(item: Any) -> dict[str, Any]:
    """Quotes side by side: one row per requested line, one column per quote."""
    quotes = list(item.quotes.select_related("supplier__organisation").prefetch_related("lines"))
    prices = {q.pk: {ql.request_line_id: ql for ql in q.lines.all()} for q in quotes}
    rows = [
        {"line": line, "cells": [prices[q.pk].get(line.pk) for q in quotes]}
        for line in item.lines.all()
    ]
    lowest = min((q.total for q in quotes), default=None)
    return {"quotes": quotes, "rows": rows, "lowest": lowest}


@login_required
@require_http_methods(["GET", "POST"])
def quote_request(request: HttpRequest, pk: int) -> HttpResponse:
    """One request: the institution compares the quotes and awards one, sends, closes or
    cancels; a supplier reads it and quotes; the operator reads."""

    item = access.access_quotation_request(user=request.user, request_id=pk)
    is_buyer = item.buyer_organisation_id in access.institution_ids(request.user)
    if request.method == "POST":
        if not is_buyer:
            raise Http404
        action = request.POST.get("action", "")
        try:
            if action == "send":
                services.quotation_request_send(actor=request.user, request=item)
                done = _("견적요청을 보냈습니다.")
            elif action == "close":
                services.quotation_request_close(actor=request.user, request=item)
                done = _("견적 접수를 마감했습니다.")
            elif action == "cancel":
                services.quotation_request_cancel(actor=request.user, request=item)
                done = _("견적요청을 취소했습니다.")
            elif action == "award":
                raw = request.POST.get("quote", "")
                quote = Quote.objects.filter(
                    pk=int(raw) if raw.isdigit() and len(raw) < 18 else 0, request=item
                ).first()
                if quote is None:
                    raise services.MarketError(
                        "unknown_quote", _("선정할 견적을 골라 주세요."), field="quote"
                    )
                po = services.quotation_award(actor=request.user, request=item, quote=quote)
                messages.success(
                    request, _("견적을 선정하고 발주서 %(n)s를 발행했습니다.") % {"n": po.number}
                )
                return redirect("market:purchase_order", pk=po.pk)
            else:
                raise services.MarketError("invalid_choice", _("알 수 없는 처리입니다."))
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, done)
        return redirect("market:quote_request", pk=item.pk)
    my_suppliers = access.quoting_suppliers(request.user, item)
    own_quotes = list(
        item.quotes.filter(supplier__in=access.suppliers_of(request.user)).select_related(
            "supplier__organisation"
        )
    )
    revealed = _quotes_revealed(item) and (is_buyer or access.is_operator(request.user))
    return render(
        request,
        "market/quote_request.html",
        {
            "item": item,
            "lines": item.lines.select_related("product"),
            "is_buyer": is_buyer,
            "revealed": revealed,
            "comparison": _comparison(item) if revealed else None,
            "quote_count": item.quotes.count(),
            "can_quote": bool(my_suppliers)
            and item.status == "open"
            and timezone.now() < item.reply_deadline,
            "own_quotes": own_quotes,
            "invited": item.suppliers.select_related("organisation"),
            "po": getattr(item, "purchase_order", None) if item.status == "awarded" else None,
            **_purchasing_nav(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def quote_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """A supplier submits (or revises) its quote."""
    from .forms import QuoteForm

    item = access.access_quotation_request(user=request.user, request_id=pk)
    suppliers = access.quoting_suppliers(request.user, item)
    if not suppliers:
        raise Http404
    lines = list(item.lines.all())
    initial: dict[str, Any] = {"supplier": suppliers[0].pk}
    current = item.quotes.filter(supplier__in=suppliers).prefetch_related("lines").first()
    if current is not None:
        initial.update(
            supplier=current.supplier_id,
            delivery_date=current.delivery_date,
            valid_until=current.valid_until,
            note=current.note,
        )
        for ql in current.lines.all():
            initial[f"price_{ql.request_line_id}"] = ql.unit_price
            initial[f"tax_{ql.request_line_id}"] = ql.tax_type
    form = QuoteForm(
        request.POST or None,
        lines=lines,
        suppliers=[(s.pk, s.organisation.name) for s in suppliers],
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        supplier = next(s for s in suppliers if s.pk == form.cleaned_data["supplier"])
        try:
            quote = services.quote_submit(
                actor=request.user,
                request=item,
                supplier=supplier,
                lines=form.quote_lines(),
                delivery_date=form.cleaned_data["delivery_date"],
                valid_until=form.cleaned_data["valid_until"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("견적을 제출했습니다 (%(rev)s차, 합계 %(total)s원).")
                % {"rev": quote.revision, "total": f"{quote.total:,}"},
            )
            return redirect("market:quote_request", pk=item.pk)
    return render(
        request,
        "market/quote_form.html",
        {"form": form, "item": item, "current": current, **_purchasing_nav(request.user)},
    )


@login_required
@require_GET
def quote_incoming(request: HttpRequest) -> HttpResponse:
    """Requests a supplier may quote (or has quoted)."""
    if not (access.suppliers_of(request.user).exists() or access.is_operator(request.user)):
        raise Http404

    mine = access.suppliers_of(request.user)
    rows = (
        access.quotation_requests_visible_to(request.user)
        .exclude(status=QuotationStatus.DRAFT)
        .select_related("buyer_organisation")
        .order_by("reply_deadline", "pk")[:200]
    )
    quoted = {
        q.request_id: q
        for q in Quote.objects.filter(supplier__in=mine, request__in=[r.pk for r in rows])
    }
    return render(
        request,
        "market/quote_incoming.html",
        {
            "rows": [(r, quoted.get(r.pk)) for r in rows],
            "now": timezone.now(),
            **_purchasing_nav(request.user),
        },
    )


@login_required
@require_GET
def purchase_orders(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (
        access.is_institution(user)
        or access.suppliers_of(user).exists()
        or access.is_operator(user)
    ):
        raise Http404
    rows = (
        access.purchase_orders_visible_to(user)
        .select_related("buyer_organisation", "supplier__organisation", "request")
        .order_by("-issued_at", "-pk")[:200]
    )
    return render(request, "market/purchase_orders.html", {"orders": rows, **_purchasing_nav(user)})


@login_required
@require_http_methods(["GET", "POST"])
def purchase_order(request: HttpRequest, pk: int) -> HttpResponse:
    po = access.access_purchase_order(user=request.user, po_id=pk)
    is_buyer = po.buyer_organisation_id in access.institution_ids(request.user)
    is_seller = po.supplier.organisation_id in access.supplier_organisation_ids(request.user)
    if request.method == "POST":
        if not (is_buyer or is_seller):
            raise Http404
        try:
            services.purchase_order_transition(
                actor=request.user, po=po, action=request.POST.get("action", "")
            )
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("발주서 상태를 바꿨습니다."))
        return redirect("market:purchase_order", pk=po.pk)
    actions = []
    for name, (sources, _target, side, _stamp) in services.PO_TRANSITIONS.items():
        allowed = {"buyer": is_buyer, "supplier": is_seller, "either": is_buyer or is_seller}
        if po.status in sources and allowed[side]:
            actions.append(name)
    labels = {
        "accept": _("수주 확인"),
        "deliver": _("납품 완료"),
        "invoice": _("세금계산서 발행 완료"),
        "pay": _("대금 지급 완료"),
        "cancel": _("발주 취소"),
    }
    return render(
        request,
        "market/purchase_order.html",
        {
            "po": po,
            "lines": po.lines.all(),
            "actions": [(a, labels[a]) for a in actions],
            **_purchasing_nav(request.user),
        },
    )


@login_required
@require_GET
def purchase_order_tax_invoice(request: HttpRequest, pk: int) -> HttpResponse:
    """The data of a PO's electronic tax invoice (``selectors.purchase_order_tax_invoice_data``,
    as the API's ``/purchase-orders/{id}/tax-invoice``) as CSV (default) or XLSX, for whoever
    may see the PO: the supplier enters it in its issuing service (e.g. 홈택스)."""

    from .selectors import purchase_order_tax_invoice_data

    po = access.access_purchase_order(user=request.user, po_id=pk)
    if po.status == PurchaseOrderStatus.CANCELLED:
        messages.error(request, _("취소된 발주서에는 세금계산서를 발행하지 않습니다."))
        return redirect("market:purchase_order", pk=po.pk)
    data = purchase_order_tax_invoice_data(po)
    labels = {key: str(label) for key, label in TaxType.choices}
    sections = [(str(_("세금계산서")), data["items"]), (str(_("계산서 (면세)")), data["exempt"])]
    table: list[list[Any]] = [
        [str(_("공급자")), data["supplier"]["name"], data["supplier"]["business_number"]],
        [str(_("공급받는자")), data["buyer"]["name"], data["buyer"]["business_number"]],
        [str(_("작성일자")), data["issue_date"], ""],
        [str(_("참조")), data["reference"], ""],
        [],
        [
            str(_("구분")),
            str(_("품목")),
            str(_("과세 유형")),
            str(_("수량")),
            str(_("단가")),
            str(_("공급가액")),
            str(_("세액")),
            str(_("합계")),
        ],
    ]
    for section, items in sections:
        for item in items:
            table.append(
                [
                    section,
                    item["name"],
                    labels.get(item["tax_type"], item["tax_type"]),
                    item["quantity"],
                    item["unit_price"],
                    item["supply_amount"],
                    item["vat_amount"],
                    item["total"],
                ]
            )
    supply, vat, exempt = data["supply_total"], data["vat_total"], data["exempt_total"]
    table.append([str(_("세금계산서 합계")), "", "", "", "", supply, vat, supply + vat])
    table.append([str(_("계산서 합계 (면세)")), "", "", "", "", exempt, 0, exempt])
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    return table_response(table, filename=f"tax-invoice-{po.number}", fmt=fmt, sheet=po.number)


def _report_choices(user: Any) -> list[tuple[int, str]]:

    orgs = access.report_organisations(user)
    if access.is_operator(user):
        buyers = set(
            Order.objects.exclude(buyer_organisation=None).values_list(
                "buyer_organisation_id", flat=True
            )
        ) | set(PurchaseOrder.objects.values_list("buyer_organisation_id", flat=True))
        orgs = orgs.filter(pk__in=buyers)
    return list(orgs.order_by("name").values_list("pk", "name"))


@login_required
@require_GET
def priority_report(request: HttpRequest) -> HttpResponse:
    """우선구매 실적: an organisation's purchases from social-economy suppliers in a year, by
    social-economy type and supplier, as a page, CSV or XLSX."""
    from .forms import PriorityReportForm
    from .selectors import priority_purchase_report

    organisations = _report_choices(request.user)
    if not organisations:
        raise Http404
    this_year = timezone.localdate().year
    years = list(range(this_year, this_year - 6, -1))
    default_org = next(
        (pk for pk, _name in organisations if pk in access.institution_ids(request.user)),
        organisations[0][0],
    )
    form = PriorityReportForm(
        request.GET if "year" in request.GET else None,
        organisations=organisations,
        years=years,
        initial={"organisation": default_org, "year": this_year},
    )
    org_id, year = default_org, this_year
    if form.is_bound and form.is_valid():
        org_id, year = form.cleaned_data["organisation"], form.cleaned_data["year"]
    report = priority_purchase_report(organisation_id=org_id, year=year)
    org_name = dict(organisations)[org_id]
    labels = {key: str(label) for key, label in SocialEconomyType.choices}
    by_type = [(labels.get(k, k), v) for k, v in report["by_type"].items()]
    suppliers = [
        {**row, "type_label": labels.get(row["economy_type"], row["economy_type"])}
        for row in report["suppliers"]
    ]
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        head = [str(_("구분")), str(_("사회적경제 유형")), str(_("입점사")), str(_("금액 (원)"))]
        table = [[str(_("유형별")), t, "", v] for t, v in by_type]
        table += [
            [str(_("입점사별")), r["type_label"], r["supplier"], r["amount"]] for r in suppliers
        ]
        table.append([str(_("합계")), "", "", report["total"]])
        return table_response(
            [[org_name, year], head, *table],
            filename=f"priority-purchases-{org_id}-{year}",
            fmt=fmt,
            sheet=str(year),
        )
    return render(
        request,
        "market/priority_report.html",
        {
            "form": form,
            "report": report,
            "org_name": org_name,
            "by_type": by_type,
            "suppliers": suppliers,
            "query": f"organisation={org_id}&year={year}",
            **_purchasing_nav(request.user),
        },
    )
