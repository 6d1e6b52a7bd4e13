"""Marketplace use cases. Each is a keyword-only function in one transaction; money and stock
change only here.

Posting scheme (all amounts integer 원, VAT-inclusive; ``dure.ledger`` accounts per party):

* Payment confirmed (per order, one ledger transaction), for each line of total ``T`` with
  platform fee ``p``, MC commission ``s`` and CC commission ``c`` (each ``apply_rate(T, bp)``,
  truncated, frozen at checkout)::

      Dr PAYMENT_CLEARING                T
      Cr SUPPLIER_PENDING(supplier)      T − p − s − c   (goods VAT stays with the supplier,
                                                          who invoices it: 전자세금계산서)
      Cr SELLER_PENDING(MC)              s
      Cr CREATOR_PENDING(CC)             c
      Cr PLATFORM_REVENUE                supply part of p   (the fee is VAT-inclusive: the
      Cr VAT_PAYABLE                     VAT part of p       platform owes VAT on its fee)

* Refund window passed (``approval``: default 7 days after delivery), per sub-order: the
  pending amounts of the supplier, MC and CC move ``Dr X_PENDING / Cr X_PAYABLE``; commission
  lines pending → approved.
* Settlement: ``ledger.run_settlement`` pays every PAYABLE balance ≥ the minimum; the approved
  commission lines of each party paid are marked paid (once: status filter + settlement FK).
* Refund of ``R`` on a line: commissions are recomputed on the remaining line total at the
  frozen rates; each party's share falls by ``Δ`` and the supplier's by ``R − ΣΔ``::

      Dr SUPPLIER_{stage}   R − ΣΔ        stage = PENDING before approval, PAYABLE after
      Dr SELLER_{stage}     Δs            (after a payout the PAYABLE balance goes negative
      Dr CREATOR_{stage}    Δc             and is netted in the next settlement)
      Dr PLATFORM_REVENUE / VAT_PAYABLE   Δp split
      Cr REFUNDS_PAYABLE    R
    then ``Dr REFUNDS_PAYABLE / Cr PAYMENT_CLEARING R`` when the money goes back to the buyer.
  Commission lines: before approval the pending lines are voided and the remaining amount is
  written anew; after approval an adjustment line ``−Δ`` (approved) is added — negative and
  netted in the next settlement if the commission was already paid.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dure.core.audit import audit_record
from dure.core.validators import normalize_business_number, validate_business_number
from dure.directory.access import roles_of
from dure.directory.models import Organisation
from dure.ledger import money

from . import access
from .models import (
    Cart,
    CartLine,
    Category,
    CommissionKind,
    CommissionLine,
    CommissionRule,
    CommissionStatus,
    CreatorContent,
    CreatorProfile,
    Division,
    MarketDay,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    QuotationLine,
    QuotationRequest,
    QuotationStatus,
    Quote,
    QuoteLine,
    QuoteStatus,
    ReferralClick,
    Refund,
    RefundLine,
    RefundStatus,
    RuleScope,
    SellerProfile,
    Settlement,
    SocialEconomyType,
    SubOrder,
    SubOrderStatus,
    SupplierProfile,
    SupplierStatus,
    TaxType,
)
from .payments import provider_for
from .tasks import email_quotation_request

MAX_QUANTITY = 10_000
MAX_LINES = 100


class MarketError(ValidationError):
    """A refused marketplace operation with a stable ``code`` and a Korean message (and the
    ``field`` it is about). A ``ValidationError``, so forms and the API show it as input
    errors."""

    def __init__(
        self,
        code: str,
        message: Any,
        *,
        field: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        error = ValidationError(message, code=code, params=params)
        if field:
            super().__init__({field: [error]})
        else:
            super().__init__(error)
        self.code = code
        self.field = field


def attribution_days() -> int:
    return int(getattr(settings, "DURE_MARKET_ATTRIBUTION_DAYS", 14))


def refund_window_days() -> int:
    return int(getattr(settings, "DURE_MARKET_REFUND_WINDOW_DAYS", 7))


def _require_operator(actor: Any) -> None:
    if not access.is_operator(actor):
        raise MarketError("forbidden", _("마켓 운영자만 할 수 있습니다."))


# --- participants -------------------------------------------------------------------------------


def supplier_apply(
    *,
    actor: Any,
    organisation: Organisation,
    business_number: str,
    economy_type: str,
    introduction: str = "",
) -> SupplierProfile:
    """An organisation applies to become a supplier (PA)."""
    if not (
        access.is_operator(actor)
        or organisation.pk in access.supplier_organisation_ids(actor)
        or organisation.pk in roles_of(actor).editable_organisation_ids
    ):
        raise MarketError("forbidden", _("이 기관의 입점을 신청할 권한이 없습니다."))
    try:
        number = normalize_business_number(business_number or "")
        validate_business_number(number)
    except ValidationError as exc:
        raise MarketError(
            "invalid_business_number", exc.messages[0], field="business_number"
        ) from exc
    if economy_type not in SocialEconomyType.values:
        raise MarketError(
            "invalid_choice", _("사회적경제 유형을 선택해 주세요."), field="economy_type"
        )
    if SupplierProfile.objects.filter(organisation=organisation).exists():
        raise MarketError("duplicate", _("이미 입점 신청한 기관입니다."), field="organisation")
    if SupplierProfile.objects.filter(business_number=number).exists():
        raise MarketError(
            "duplicate", _("이미 등록된 사업자등록번호입니다."), field="business_number"
        )
    with transaction.atomic():
        supplier = SupplierProfile.objects.create(
            organisation=organisation,
            business_number=number,
            economy_type=economy_type,
            introduction=introduction,
            applied_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_record(actor=actor, action="market.supplier.apply", obj=supplier)
    return supplier


SUPPLIER_STEPS = {
    "survey": (SupplierStatus.APPLIED, SupplierStatus.SURVEYED),
    "inspect": (SupplierStatus.SURVEYED, SupplierStatus.INSPECTED),
}


def supplier_review(
    *, actor: Any, supplier: SupplierProfile, step: str, record: str = "", reason: str = ""
) -> SupplierProfile:
    """The operator's onboarding steps: ``survey`` (supply-capacity survey) → ``inspect``
    (site inspection) → ``approve``; or ``reject`` at any open step."""
    _require_operator(actor)
    now = timezone.now()
    with transaction.atomic():
        supplier = SupplierProfile.objects.select_for_update().get(pk=supplier.pk)
        if step in SUPPLIER_STEPS:
            before, after = SUPPLIER_STEPS[step]
            if supplier.status != before:
                raise MarketError("bad_transition", _("지금 단계에서는 할 수 없습니다."))
            if not record.strip():
                raise MarketError("required", _("기록을 입력해 주세요."), field="record")
            if step == "survey":
                supplier.capacity_survey, supplier.surveyed_at = record.strip(), now
            else:
                supplier.inspection_record, supplier.inspected_at = record.strip(), now
            supplier.status = after
        elif step == "approve":
            if supplier.status != SupplierStatus.INSPECTED:
                raise MarketError(
                    "bad_transition", _("공급역량 조사와 현장 실사를 마친 뒤 승인할 수 있습니다.")
                )
            supplier.status, supplier.decided_at, supplier.decided_by = (
                SupplierStatus.APPROVED,
                now,
                actor,
            )
        elif step == "reject":
            if supplier.status in (SupplierStatus.APPROVED, SupplierStatus.REJECTED):
                raise MarketError("bad_transition", _("이미 결정된 신청입니다."))
            if not reason.strip():
                raise MarketError("required", _("반려 사유를 입력해 주세요."), field="reason")
            supplier.status, supplier.decided_at, supplier.decided_by = (
                SupplierStatus.REJECTED,
                now,
                actor,
            )
            supplier.rejection_reason = reason.strip()
        else:
            raise MarketError("invalid_choice", _("알 수 없는 단계입니다."), field="step")
        supplier.save()
        if step in ("approve", "reject"):
            for product in supplier.products.select_related("category", "supplier__organisation"):
                _index_product(product)
        audit_record(actor=actor, action=f"market.supplier.{step}", obj=supplier)
    return supplier


def _new_code(prefix: str, model: type[SellerProfile] | type[CreatorProfile]) -> str:
    import secrets

    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    while True:
        code = prefix + "".join(secrets.choice(alphabet) for _i in range(7))
        if not model.objects.filter(referral_code=code).exists():
            return code


def referrer_register(
    *, actor: Any, kind: str, display_name: str, organisation: Organisation | None = None
) -> SellerProfile | CreatorProfile:
    """Register ``actor`` as an MC (``kind="seller"``) or a CC (``"creator"``), for
    themselves or for one of their organisations."""
    if not roles_of(actor).authenticated:
        raise MarketError("forbidden", _("로그인해 주세요."))
    model: type[SellerProfile] | type[CreatorProfile]
    if kind == "seller":
        model, prefix = SellerProfile, "M"
    elif kind == "creator":
        model, prefix = CreatorProfile, "C"
    else:
        raise MarketError("invalid_choice", _("알 수 없는 종류입니다."), field="kind")
    if not display_name.strip():
        raise MarketError("required", _("활동명을 입력해 주세요."), field="display_name")
    if organisation is not None and organisation.pk not in roles_of(actor).organisation_ids:
        raise MarketError(
            "forbidden", _("소속 기관으로만 등록할 수 있습니다."), field="organisation"
        )
    with transaction.atomic():
        profile = model.objects.create(
            user=actor,
            organisation=organisation,
            display_name=display_name.strip()[:60],
            referral_code=_new_code(prefix, model),
        )
        audit_record(actor=actor, action=f"market.{kind}.register", obj=profile)
    return profile


# --- catalogue ----------------------------------------------------------------------------------


def _index_product(product: Product) -> None:
    from dure.search.services import index_object

    from .search_index import KIND

    index_object(KIND, product)


# A catalogue photo, not a print original: larger files only slow the pages down.
PRODUCT_IMAGE_MAX_BYTES = 5 * 1024 * 1024


def _whole_won(value: Any, field: str, label: Any, maximum: int = 10**12 - 1) -> int:
    if isinstance(value, bool):
        value = None
    try:
        number = int(str(value).replace(",", "").strip())
    except (TypeError, ValueError) as exc:
        raise MarketError(
            "invalid_amount",
            _("%(label)s은(는) 0 이상의 정수여야 합니다."),
            field=field,
            params={"label": label},
        ) from exc
    if number < 0 or number > maximum:
        raise MarketError(
            "invalid_amount",
            _("%(label)s은(는) 0 이상의 정수여야 합니다."),
            field=field,
            params={"label": label},
        )
    return number


def product_save(
    *,
    actor: Any,
    supplier: SupplierProfile,
    data: dict[str, Any],
    product: Product | None = None,
) -> Product:
    """Create or update a product of ``supplier`` (its people or the operator). ``data``:
    name, description, category (id), price (VAT-inclusive 원), tax_type, stock, unit, active,
    image, image_alt."""
    if not (
        access.is_operator(actor)
        or supplier.organisation_id in access.supplier_organisation_ids(actor)
    ):
        raise MarketError("forbidden", _("이 입점사의 상품을 관리할 권한이 없습니다."))
    name = str(data.get("name") or "").strip()
    if not name:
        raise MarketError("required", _("상품명을 입력해 주세요."), field="name")
    category = (
        Category.objects.filter(pk=data.get("category") or 0).first()
        if str(data.get("category") or "").isdigit()
        else None
    )
    if category is None:
        raise MarketError("required", _("분류를 선택해 주세요."), field="category")
    tax_type = data.get("tax_type") or "taxable"
    if tax_type not in ("taxable", "exempt", "zero_rated"):
        raise MarketError("invalid_choice", _("과세 유형을 선택해 주세요."), field="tax_type")
    if data.get("image") and getattr(data["image"], "size", 0) > PRODUCT_IMAGE_MAX_BYTES:
        raise MarketError(
            "image_too_large",
            _("이미지는 %(mb)sMB 이하여야 합니다."),
            field="image",
            params={"mb": PRODUCT_IMAGE_MAX_BYTES // (1024 * 1024)},
        )
    image = data.get("image") or (product.image if product else None)
    alt = str(data.get("image_alt") or "").strip()
    if image and not alt:
        raise MarketError(
            "alt_required", _("이미지를 올리면 대체 텍스트를 입력해야 합니다."), field="image_alt"
        )
    with transaction.atomic():
        product = product or Product(supplier=supplier)
        product.name = name[:120]
        product.description = str(data.get("description") or "")[:5000]
        product.category = category
        product.price = _whole_won(data.get("price"), "price", _("판매가"))
        # stock is a 32-bit column: a larger number would fail in PostgreSQL, not as an error
        product.stock = _whole_won(data.get("stock", 0), "stock", _("재고"), maximum=2**31 - 1)
        product.tax_type = tax_type
        product.unit = str(data.get("unit") or "개")[:20]
        product.active = bool(data.get("active", True))
        if data.get("image"):
            product.image = data["image"]
        product.image_alt = alt[:200]
        product.save()
        _index_product(product)
        audit_record(actor=actor, action="market.product.save", obj=product)
    return product


# --- attribution --------------------------------------------------------------------------------


def referrer_by_code(code: str) -> SellerProfile | CreatorProfile | None:
    code = (code or "").strip().upper()
    if not code or len(code) > 16:
        return None
    if code.startswith("M"):
        return SellerProfile.objects.filter(referral_code=code).first()
    if code.startswith("C"):
        return CreatorProfile.objects.filter(referral_code=code).first()
    return None


def referrer_is_valid(profile: SellerProfile | CreatorProfile) -> bool:
    return profile.active and (
        profile.valid_until is None or profile.valid_until >= timezone.localdate()
    )


def _referrer_or_error(code: str) -> SellerProfile | CreatorProfile:
    profile = referrer_by_code(code)
    if profile is None:
        raise MarketError(
            "unknown_referral", _("추천 코드를 찾을 수 없습니다."), field="referral_code"
        )
    if not referrer_is_valid(profile):
        raise MarketError(
            "referral_expired",
            _("추천 코드가 만료되었습니다. 추천 없이 주문하거나 새 링크를 받아 주세요."),
            field="referral_code",
        )
    return profile


def referral_click(
    *,
    code: str = "",
    content: CreatorContent | None = None,
    user: Any = None,
    session_key: str = "",
    at: dt.datetime | None = None,
) -> ReferralClick:
    """Record a visit through an MC link (``code``) or a CC content page (``content``)."""
    seller: SellerProfile | None
    creator: CreatorProfile | None
    if content is not None:
        seller, creator = None, content.creator
        if not referrer_is_valid(creator):
            raise MarketError("referral_expired", _("추천 코드가 만료되었습니다."))
    else:
        profile = _referrer_or_error(code)
        seller = profile if isinstance(profile, SellerProfile) else None
        creator = profile if isinstance(profile, CreatorProfile) else None
    return ReferralClick.objects.create(
        seller=seller,
        creator=creator,
        content=content,
        user=user if roles_of(user).authenticated else None,
        session_key=(session_key or "")[:64],
        clicked_at=at or timezone.now(),
    )


def referral_clicks_claim(
    *, user: Any, previous_session_key: str, session_key: str = "", now: dt.datetime | None = None
) -> int:
    """Give a visitor who just logged in the clicks they made anonymously in this browser
    within the attribution window. Logging in gives the session a new key (Django cycles it
    against session fixation), so without this the clicks recorded under the old key would no
    longer be found at checkout and the MC/CC would lose the order."""
    key = (previous_session_key or "")[:64]
    if not key or not roles_of(user).authenticated:
        return 0
    now = now or timezone.now()
    since = now - dt.timedelta(days=attribution_days())
    return ReferralClick.objects.filter(
        session_key=key, user__isnull=True, clicked_at__gte=since
    ).update(user=user, session_key=(session_key or key)[:64])


def _self_referral(profile: SellerProfile | CreatorProfile, buyer: Any) -> bool:
    if profile.user_id == buyer.pk:
        return True
    return profile.organisation_id is not None and profile.organisation_id in (
        roles_of(buyer).organisation_ids
    )


def resolve_attribution(
    *, buyer: Any, session_key: str = "", referral_code: str = "", now: dt.datetime | None = None
) -> tuple[SellerProfile | None, CreatorProfile | None]:
    """The MC and the CC an order is attributed to: an explicitly given code (an expired or
    unknown one is an error), else each kind's last click by this buyer (or browser session)
    within the attribution window. Self-referral earns nothing."""
    now = now or timezone.now()
    seller: SellerProfile | None = None
    creator: CreatorProfile | None = None
    if referral_code:
        profile = _referrer_or_error(referral_code)
        if isinstance(profile, SellerProfile):
            seller = profile
        else:
            creator = profile
    since = now - dt.timedelta(days=attribution_days())
    clicks = ReferralClick.objects.filter(clicked_at__gte=since, clicked_at__lte=now)
    if session_key:
        from django.db.models import Q

        clicks = clicks.filter(Q(user=buyer) | Q(session_key=session_key))
    else:
        clicks = clicks.filter(user=buyer)
    clicks = clicks.order_by("-clicked_at", "-pk")
    if seller is None:
        click = clicks.filter(seller__isnull=False).select_related("seller").first()
        if click and click.seller and referrer_is_valid(click.seller):
            seller = click.seller
    if creator is None:
        click = clicks.filter(creator__isnull=False).select_related("creator").first()
        if click and click.creator and referrer_is_valid(click.creator):
            creator = click.creator
    if seller is not None and _self_referral(seller, buyer):
        seller = None
    if creator is not None and _self_referral(creator, buyer):
        creator = None
    return seller, creator


# --- commission rules ---------------------------------------------------------------------------


@dataclass
class RateBook:
    """All commission rules in memory (a small table), resolved most-specific-first."""

    rules: dict[tuple[str, str, int], int]

    @classmethod
    def load(cls) -> RateBook:
        rules: dict[tuple[str, str, int], int] = {}
        for r in CommissionRule.objects.all():
            target = r.product_id or r.category_id or r.supplier_id or 0
            rules[(r.kind, r.scope, target)] = r.rate_bp
        return cls(rules)

    def rate(self, kind: str, product: Product) -> int:
        for scope, target in (
            (RuleScope.PRODUCT, product.pk),
            (RuleScope.CATEGORY, product.category_id),
            (RuleScope.SUPPLIER, product.supplier_id),
            (RuleScope.PLATFORM, 0),
        ):
            rate = self.rules.get((kind, scope, target))
            if rate is not None:
                return rate
        return 0


def commission_rule_set(
    *,
    actor: Any,
    kind: str,
    rate_bp: int,
    supplier: SupplierProfile | None = None,
    category: Category | None = None,
    product: Product | None = None,
) -> CommissionRule:
    """Set a rate at the scope given by the one target (none: the platform default)."""
    _require_operator(actor)
    if kind not in CommissionKind.values:
        raise MarketError("invalid_choice", _("알 수 없는 수수료 종류입니다."), field="kind")
    if isinstance(rate_bp, bool) or not isinstance(rate_bp, int) or not 0 <= rate_bp <= 10_000:
        raise MarketError(
            "invalid_rate", _("요율은 0~10000 bp 사이의 정수여야 합니다."), field="rate_bp"
        )
    targets = [t for t in (supplier, category, product) if t is not None]
    if len(targets) > 1:
        raise MarketError("invalid_scope", _("적용 대상은 하나만 고를 수 있습니다."))
    scope = (
        RuleScope.PRODUCT
        if product
        else RuleScope.CATEGORY
        if category
        else RuleScope.SUPPLIER
        if supplier
        else RuleScope.PLATFORM
    )
    with transaction.atomic():
        rule, _created = CommissionRule.objects.update_or_create(
            scope=scope,
            kind=kind,
            supplier=supplier,
            category=category,
            product=product,
            defaults={"rate_bp": rate_bp},
        )
        audit_record(actor=actor, action="market.rule.set", obj=rule)
    return rule


def commission_rule_delete(*, actor: Any, rule: CommissionRule) -> None:
    """Remove a rate: the next less specific scope applies to new orders from now on (the
    commissions of orders already placed are frozen and do not change)."""
    _require_operator(actor)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="market.rule.delete",
            obj=rule,
            changes={"kind": rule.kind, "scope": rule.scope, "rate_bp": rule.rate_bp},
        )
        CommissionRule.objects.filter(pk=rule.pk).delete()


# --- cart ---------------------------------------------------------------------------------------


def parse_quantity(value: Any, *, field: str = "quantity") -> int:
    """A positive whole number of units, or a clear error (negative, fractional, zero, text)."""
    if isinstance(value, bool):
        raise MarketError("invalid_quantity", _("수량은 1 이상의 정수여야 합니다."), field=field)
    if isinstance(value, float):
        if not value.is_integer():
            raise MarketError(
                "fractional_quantity", _("수량은 소수가 될 수 없습니다."), field=field
            )
        value = int(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if "." in text:
            try:
                float(text)
            except ValueError:
                pass
            else:
                raise MarketError(
                    "fractional_quantity", _("수량은 소수가 될 수 없습니다."), field=field
                )
        try:
            value = int(text)
        except ValueError as exc:
            raise MarketError(
                "invalid_quantity", _("수량은 1 이상의 정수여야 합니다."), field=field
            ) from exc
    if not isinstance(value, int):
        raise MarketError("invalid_quantity", _("수량은 1 이상의 정수여야 합니다."), field=field)
    if value < 0:
        raise MarketError("negative_quantity", _("수량은 음수가 될 수 없습니다."), field=field)
    if value == 0:
        raise MarketError("zero_quantity", _("수량은 1개 이상이어야 합니다."), field=field)
    if value > MAX_QUANTITY:
        raise MarketError(
            "quantity_too_large",
            _("한 번에 %(max)s개까지 주문할 수 있습니다."),
            field=field,
            params={"max": MAX_QUANTITY},
        )
    return value


def _product_id(value: Any) -> int:
    try:
        pk = int(value)
        if isinstance(value, bool) or pk <= 0 or pk >= 2**63 or str(pk) != str(value).strip():
            raise ValueError
    except (TypeError, ValueError) as exc:
        raise MarketError(
            "unknown_product", _("존재하지 않는 상품입니다."), field="product_id"
        ) from exc
    return pk


def cart_set(*, user: Any, product_id: Any, quantity: Any) -> Cart:
    """Put ``quantity`` units of a product in the user's cart (0 removes it)."""
    if not roles_of(user).authenticated:
        raise MarketError("forbidden", _("로그인해 주세요."))
    pk = _product_id(product_id)
    remove = str(quantity).strip() == "0" or quantity == 0
    qty = 0 if remove else parse_quantity(quantity)
    product = access.products_visible_to(user).filter(pk=pk, active=True).first()
    if product is None and not remove:
        raise MarketError("unknown_product", _("존재하지 않는 상품입니다."), field="product_id")
    with transaction.atomic():
        cart, _created = Cart.objects.get_or_create(user=user)
        if remove:
            CartLine.objects.filter(cart=cart, product_id=pk).delete()
        else:
            CartLine.objects.update_or_create(
                cart=cart, product=product, defaults={"quantity": qty}
            )
        cart.save(update_fields=["updated_at"])
    return cart


def cart_items(user: Any) -> list[CartLine]:
    if not roles_of(user).authenticated:
        return []
    return list(
        CartLine.objects.filter(cart__user=user).select_related(
            "product__supplier__organisation", "product__category"
        )
    )


# --- checkout -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckoutResult:
    order: Order
    created: bool


def _normalise_lines(lines: Iterable[Any]) -> list[tuple[int, int]]:
    merged: dict[int, int] = defaultdict(int)
    count = 0
    for item in lines:
        count += 1
        if isinstance(item, dict):
            pid, qty = item.get("product_id"), item.get("quantity")
        else:
            try:
                pid, qty = item
            except (TypeError, ValueError) as exc:
                raise MarketError("invalid_line", _("주문 항목이 올바르지 않습니다.")) from exc
        merged[_product_id(pid)] += parse_quantity(qty)
    if count == 0:
        raise MarketError("empty", _("주문할 상품이 없습니다."), field="lines")
    if count > MAX_LINES:
        raise MarketError("too_many_lines", _("한 번에 100개 상품까지 주문할 수 있습니다."))
    for pk, qty in merged.items():
        if qty > MAX_QUANTITY:
            parse_quantity(qty)  # raises quantity_too_large
        merged[pk] = qty
    return sorted(merged.items())


def _fingerprint(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _existing(buyer: Any, key: str, fingerprint: str) -> CheckoutResult | None:
    order = Order.objects.filter(buyer=buyer, idempotency_key=key).first()
    if order is None:
        return None
    if order.fingerprint != fingerprint:
        raise MarketError(
            "idempotency_conflict",
            _(
                "같은 주문 키로 다른 내용의 주문이 이미 접수되었습니다. 새 주문은 새로 시작해 주세요."
            ),
        )
    return CheckoutResult(order=order, created=False)


def checkout(
    *,
    buyer: Any,
    idempotency_key: str,
    payment_method: str,
    lines: Sequence[Any] | None = None,
    from_cart: bool = False,
    buyer_organisation: Organisation | None = None,
    referral_code: str = "",
    session_key: str = "",
    market_day: MarketDay | None = None,
) -> CheckoutResult:
    """Place one order (one sub-order per supplier) for ``lines`` ``[(product_id, quantity)]``
    or the buyer's cart. Prices, tax types and rates are read from the database (whatever a
    client sends as a price is ignored); stock is taken with a conditional UPDATE per product in
    id order (no oversell, no deadlock) and a shortage rolls the whole checkout back. The same
    ``idempotency_key`` returns the same order; another body under that key is refused."""
    if not roles_of(buyer).authenticated:
        raise MarketError("forbidden", _("로그인해 주세요."))
    key = (idempotency_key or "").strip()
    if not key or len(key) > 64:
        raise MarketError(
            "idempotency_key_required",
            _("주문 키(Idempotency-Key)가 필요합니다 (64자 이하)."),
            field="idempotency_key",
        )
    # on-site payment only for a sale recorded at an offline market day, and vice versa
    on_site = payment_method == PaymentMethod.ON_SITE
    if payment_method not in PaymentMethod.values or on_site != (market_day is not None):
        raise MarketError("invalid_choice", _("결제 방법을 선택해 주세요."), field="payment_method")
    if buyer_organisation is not None and (
        buyer_organisation.pk not in roles_of(buyer).organisation_ids
    ):
        raise MarketError(
            "forbidden", _("소속 기관으로만 주문할 수 있습니다."), field="buyer_organisation"
        )
    if from_cart:
        lines = [(cl.product_id, cl.quantity) for cl in CartLine.objects.filter(cart__user=buyer)]
    items = _normalise_lines(lines or [])
    referral_code = (referral_code or "").strip().upper()
    fingerprint = _fingerprint(
        {
            "lines": items,
            "payment": payment_method,
            "org": buyer_organisation.pk if buyer_organisation else None,
            "ref": referral_code,
            "day": market_day.pk if market_day else None,
        }
    )
    found = _existing(buyer, key, fingerprint)
    if found:
        return found
    try:
        with transaction.atomic():
            order = _place(
                buyer=buyer,
                key=key,
                fingerprint=fingerprint,
                items=items,
                payment_method=payment_method,
                buyer_organisation=buyer_organisation,
                referral_code=referral_code,
                session_key=session_key,
                market_day=market_day,
            )
            if from_cart:
                CartLine.objects.filter(cart__user=buyer).delete()
    except IntegrityError:
        # A concurrent request with the same key won the unique constraint.
        found = _existing(buyer, key, fingerprint)
        if found:
            return found
        raise
    return CheckoutResult(order=order, created=True)


def _place(
    *,
    buyer: Any,
    key: str,
    fingerprint: str,
    items: list[tuple[int, int]],
    payment_method: str,
    buyer_organisation: Organisation | None,
    referral_code: str,
    session_key: str,
    market_day: MarketDay | None = None,
) -> Order:
    seller, creator = resolve_attribution(
        buyer=buyer, session_key=session_key, referral_code=referral_code
    )
    # The order row first: a concurrent duplicate key waits here, before taking any stock.
    order = Order.objects.create(
        buyer=buyer,
        buyer_organisation=buyer_organisation,
        idempotency_key=key,
        fingerprint=fingerprint,
        payment_method=payment_method,
        total=0,
        seller=seller,
        creator=creator,
        market_day=market_day,
    )
    ids = [pk for pk, _qty in items]
    found = {
        p.pk: p for p in Product.objects.filter(pk__in=ids).select_related("supplier", "category")
    }
    for pk, _qty in items:
        product = found.get(pk)
        if product is None:
            raise MarketError("unknown_product", _("존재하지 않는 상품입니다."), field="product_id")
        if not product.active or product.supplier.status != SupplierStatus.APPROVED:
            raise MarketError(
                "inactive_product",
                _("‘%(name)s’은(는) 지금 판매하지 않는 상품입니다."),
                field="product_id",
                params={"name": product.name},
            )
    # Take stock in ascending id order: each conditional UPDATE locks its row, so every
    # checkout locks rows in the same order and two checkouts cannot deadlock.
    for pk, qty in items:
        taken = Product.objects.filter(pk=pk, stock__gte=qty, active=True).update(
            stock=F("stock") - qty
        )
        if taken == 0:
            left = Product.objects.filter(pk=pk).values_list("stock", flat=True).first() or 0
            raise MarketError(
                "out_of_stock",
                _("재고 부족: 남은 수량 %(left)s개 (%(name)s)"),
                field="quantity",
                params={"left": left, "name": found[pk].name},
            )
    # Prices as they are now that the rows are locked.
    products = {
        p.pk: p for p in Product.objects.filter(pk__in=ids).select_related("supplier", "category")
    }
    rates = RateBook.load()
    by_supplier: dict[int, list[tuple[Product, int]]] = defaultdict(list)
    for pk, qty in items:
        by_supplier[products[pk].supplier_id].append((products[pk], qty))
    total = 0
    commissions: list[CommissionLine] = []
    for supplier_id in sorted(by_supplier):
        sub_total = sum(p.price * q for p, q in by_supplier[supplier_id])
        suborder = SubOrder.objects.create(order=order, supplier_id=supplier_id, total=sub_total)
        total += sub_total
        for product, qty in by_supplier[supplier_id]:
            line_total = product.price * qty
            supply, vat = money.vat_split(line_total, product.tax_type)
            line = OrderLine.objects.create(
                suborder=suborder,
                product=product,
                product_name=product.name,
                unit_price=product.price,
                tax_type=product.tax_type,
                quantity=qty,
                line_total=line_total,
                supply_amount=supply,
                vat_amount=vat,
                seller=seller,
                creator=creator,
            )
            commissions.extend(_commissions_for(line, product, rates))
    CommissionLine.objects.bulk_create(commissions)
    order.total = total
    order.save(update_fields=["total"])
    start = provider_for(payment_method).start(order)
    Payment.objects.create(
        order=order,
        provider=payment_method,
        amount=total,
        deadline=start.deadline,
        instructions=start.instructions,
    )
    audit_record(actor=buyer, action="market.order.place", obj=order, changes={"total": total})
    return order


def _commissions_for(line: OrderLine, product: Product, rates: RateBook) -> list[CommissionLine]:
    out = []
    parties: list[tuple[str, dict[str, Any]]] = [(CommissionKind.PLATFORM_FEE, {})]
    if line.seller_id:
        parties.append((CommissionKind.SELLER, {"seller_id": line.seller_id}))
    if line.creator_id:
        parties.append((CommissionKind.CREATOR, {"creator_id": line.creator_id}))
    taken = 0
    for kind, party in parties:
        rate = rates.rate(kind, product)
        amount = money.apply_rate(line.line_total, rate)
        taken += amount
        if rate:
            out.append(
                CommissionLine(order_line=line, kind=kind, rate_bp=rate, amount=amount, **party)
            )
    if taken > line.line_total:
        raise MarketError(
            "commission_config", _("수수료 합계가 판매가를 넘습니다. 운영자에게 문의해 주세요.")
        )
    return out


# --- ledger ---------------------------------------------------------------------------------


def _ledger():  # noqa: ANN202 - the ledger app's module
    from dure.ledger import services as ledger

    return ledger


def _kinds():  # noqa: ANN202
    from dure.ledger.models import AccountKind

    return AccountKind


STAGE: dict[tuple[str, bool], str] = {
    (CommissionKind.SELLER, False): "SELLER_PENDING",
    (CommissionKind.SELLER, True): "SELLER_PAYABLE",
    (CommissionKind.CREATOR, False): "CREATOR_PENDING",
    (CommissionKind.CREATOR, True): "CREATOR_PAYABLE",
}


class _Lines:
    """Accumulates signed ledger lines per (account kind, party) before one posting."""

    def __init__(self) -> None:
        self.amounts: dict[tuple[str, Any], int] = defaultdict(int)

    def add(self, kind: str, party: Any, amount: int) -> None:
        if amount:
            self.amounts[(kind, party)] += amount

    def post(self, *, memo: str, reference: str, key: str, at: dt.datetime | None = None):  # noqa: ANN201
        ledger, kinds = _ledger(), _kinds()
        lines = [
            (ledger.account(getattr(kinds, kind), party), amount)
            for (kind, party), amount in sorted(
                self.amounts.items(), key=lambda kv: (kv[0][0], getattr(kv[0][1], "pk", 0))
            )
            if amount
        ]
        if not lines:
            return None
        return ledger.post(
            lines=lines, memo=memo, reference=reference, idempotency_key=key, occurred_at=at
        )


def _party(kind: str, line: CommissionLine | OrderLine) -> Any:
    if kind == CommissionKind.SELLER:
        return SellerProfile(pk=line.seller_id)
    return CreatorProfile(pk=line.creator_id)


def _post_fee(lines: _Lines, fee_delta: int, fee_before: int, fee_after: int, sign: int) -> None:
    """Platform revenue and the VAT on the fee, split on the net fee so VAT_PAYABLE always
    equals the VAT of the fees kept."""
    vat = money.vat_split(fee_before, "taxable")[1] - money.vat_split(fee_after, "taxable")[1]
    lines.add("VAT_PAYABLE", None, sign * vat)
    lines.add("PLATFORM_REVENUE", None, sign * (fee_delta - vat))


# --- payment ------------------------------------------------------------------------------------


def payment_confirm(*, actor: Any, order: Order, reference: str = "") -> Order:
    """The operator confirms the deposit (or a gateway webhook, with ``actor=None``): the order
    and its sub-orders become paid and the money is posted. Safe to call twice."""
    if actor is not None:
        _require_operator(actor)
    now = timezone.now()
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status == OrderStatus.PAID:
            return order
        if order.status != OrderStatus.PLACED:
            raise MarketError("bad_transition", _("취소된 주문은 결제 확인할 수 없습니다."))
        Payment.objects.filter(order=order).update(
            status=PaymentStatus.CONFIRMED,
            confirmed_at=now,
            confirmed_by=actor if getattr(actor, "is_authenticated", False) else None,
            reference=(reference or "")[:60],
        )
        order.status = OrderStatus.PAID
        order.save(update_fields=["status"])
        SubOrder.objects.filter(order=order, status=SubOrderStatus.PLACED).update(
            status=SubOrderStatus.PAID, paid_at=now
        )
        post = _Lines()
        fees: dict[int, int] = defaultdict(int)
        lines = OrderLine.objects.filter(suborder__order=order).select_related("suborder")
        by_line: dict[int, list[CommissionLine]] = defaultdict(list)
        for cl in CommissionLine.objects.filter(order_line__suborder__order=order).exclude(
            status=CommissionStatus.VOID
        ):
            by_line[cl.order_line_id].append(cl)
        for line in lines:
            post.add("PAYMENT_CLEARING", None, line.line_total)
            taken = 0
            for cl in by_line[line.pk]:
                taken += cl.amount
                if cl.kind == CommissionKind.PLATFORM_FEE:
                    fees[line.pk] += cl.amount
                else:
                    post.add(STAGE[(cl.kind, False)], _party(cl.kind, cl), -cl.amount)
            supplier = SupplierProfile(pk=line.suborder.supplier_id)
            post.add("SUPPLIER_PENDING", supplier, -(line.line_total - taken))
        for fee in fees.values():
            _post_fee(post, fee, fee, 0, -1)
        post.post(
            memo=f"주문 {order.number} 결제 확인",
            reference=order.number,
            key=f"market:payment:{order.pk}",
            at=now,
        )
        audit_record(actor=actor, action="market.order.paid", obj=order)
    return order


# --- fulfilment ---------------------------------------------------------------------------------


def _supplier_side(actor: Any, suborder: SubOrder) -> None:
    if not (
        access.is_operator(actor)
        or suborder.supplier.organisation_id in access.supplier_organisation_ids(actor)
    ):
        raise MarketError("forbidden", _("이 주문을 처리할 권한이 없습니다."))


def suborder_ship(*, actor: Any, suborder: SubOrder, tracking: str = "") -> SubOrder:
    _supplier_side(actor, suborder)
    with transaction.atomic():
        suborder = SubOrder.objects.select_for_update().get(pk=suborder.pk)
        if suborder.status != SubOrderStatus.PAID:
            raise MarketError("bad_transition", _("결제가 확인된 주문만 발송할 수 있습니다."))
        suborder.status, suborder.shipped_at = SubOrderStatus.SHIPPED, timezone.now()
        suborder.tracking = (tracking or "").strip()[:60]
        suborder.save()
        audit_record(actor=actor, action="market.suborder.ship", obj=suborder)
    return suborder


def suborder_deliver(*, actor: Any, suborder: SubOrder, at: dt.datetime | None = None) -> SubOrder:
    """Delivery confirmed (by the supplier, the buyer or the operator); the refund window
    starts now."""
    if not (
        access.is_operator(actor)
        or suborder.supplier.organisation_id in access.supplier_organisation_ids(actor)
        or (roles_of(actor).authenticated and suborder.order.buyer_id == actor.pk)
    ):
        raise MarketError("forbidden", _("이 주문을 처리할 권한이 없습니다."))
    with transaction.atomic():
        suborder = SubOrder.objects.select_for_update().get(pk=suborder.pk)
        if suborder.status != SubOrderStatus.SHIPPED:
            raise MarketError("bad_transition", _("발송된 주문만 배송 완료할 수 있습니다."))
        suborder.status, suborder.delivered_at = SubOrderStatus.DELIVERED, at or timezone.now()
        suborder.save()
        audit_record(actor=actor, action="market.suborder.deliver", obj=suborder)
    return suborder


def _approve_suborder(suborder: SubOrder, at: dt.datetime) -> bool:
    suborder = SubOrder.objects.select_for_update().get(pk=suborder.pk)
    if suborder.approved_at is not None or suborder.status != SubOrderStatus.DELIVERED:
        return False
    post = _Lines()
    pending = list(
        CommissionLine.objects.filter(
            order_line__suborder=suborder, status=CommissionStatus.PENDING
        )
    )
    taken: dict[int, int] = defaultdict(int)
    for cl in pending:
        taken[cl.order_line_id] += cl.amount
        if cl.kind != CommissionKind.PLATFORM_FEE:
            party = _party(cl.kind, cl)
            post.add(STAGE[(cl.kind, False)], party, cl.amount)
            post.add(STAGE[(cl.kind, True)], party, -cl.amount)
    supplier = SupplierProfile(pk=suborder.supplier_id)
    share = sum(line.remaining_total - taken[line.pk] for line in suborder.lines.all())
    post.add("SUPPLIER_PENDING", supplier, share)
    post.add("SUPPLIER_PAYABLE", supplier, -share)
    CommissionLine.objects.filter(pk__in=[cl.pk for cl in pending]).update(
        status=CommissionStatus.APPROVED, approved_at=at
    )
    suborder.approved_at = at
    suborder.save(update_fields=["approved_at"])
    post.post(
        memo=f"주문 {suborder} 환불 기간 경과: 정산 확정",
        reference=str(suborder),
        key=f"market:approve:{suborder.pk}",
        at=at,
    )
    return True


def commissions_approve_due(*, now: dt.datetime | None = None) -> int:
    """Approve every delivered sub-order whose refund window has passed. Idempotent."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=refund_window_days())
    due = SubOrder.objects.filter(
        status=SubOrderStatus.DELIVERED, approved_at__isnull=True, delivered_at__lte=cutoff
    ).order_by("pk")
    count = 0
    for suborder in due:
        with transaction.atomic():
            count += _approve_suborder(suborder, now)
    return count


# --- refunds and cancellations --------------------------------------------------------------


def _refund_lines(suborder: SubOrder, lines: Sequence[Any] | None) -> list[tuple[OrderLine, int]]:
    """``[(order_line_id, quantity)]`` checked against what is left to refund (None: all)."""
    order_lines = {ol.pk: ol for ol in suborder.lines.all()}
    open_requests: dict[int, int] = defaultdict(int)
    for rl in RefundLine.objects.filter(
        refund__suborder=suborder, refund__status=RefundStatus.REQUESTED
    ):
        open_requests[rl.order_line_id] += rl.quantity
    if lines is None:
        wanted = {
            pk: ol.quantity - ol.refunded_quantity - open_requests[pk]
            for pk, ol in order_lines.items()
        }
        wanted = {pk: q for pk, q in wanted.items() if q > 0}
    else:
        wanted = defaultdict(int)
        for item in lines:
            pid, qty = (
                (item.get("order_line_id"), item.get("quantity"))
                if isinstance(item, dict)
                else item
            )
            try:
                pk = int(str(pid))
            except (TypeError, ValueError) as exc:
                raise MarketError(
                    "unknown_line", _("이 주문에 없는 항목입니다."), field="lines"
                ) from exc
            if pk not in order_lines:
                raise MarketError("unknown_line", _("이 주문에 없는 항목입니다."), field="lines")
            wanted[pk] += parse_quantity(qty)
    if not wanted:
        raise MarketError("nothing_to_refund", _("환불할 수 있는 수량이 없습니다."))
    out = []
    for pk, qty in sorted(wanted.items()):
        ol = order_lines[pk]
        left = ol.quantity - ol.refunded_quantity - open_requests[pk]
        if qty > left:
            raise MarketError(
                "refund_exceeds_paid",
                _("환불 수량이 결제한 수량을 넘습니다: ‘%(name)s’ 환불 가능 %(left)s개"),
                field="lines",
                params={"name": ol.product_name, "left": max(left, 0)},
            )
        out.append((ol, qty))
    return out


def refund_request(
    *, actor: Any, suborder: SubOrder, reason: str, lines: Sequence[Any] | None = None
) -> Refund:
    """The buyer (or the operator for them) asks for a refund of some units (None: all that
    is left). The amount is the frozen unit price × quantity: never more than was paid."""
    if not (
        access.is_operator(actor)
        or (roles_of(actor).authenticated and suborder.order.buyer_id == actor.pk)
    ):
        raise MarketError("forbidden", _("이 주문의 환불을 요청할 권한이 없습니다."))
    if not (reason or "").strip():
        raise MarketError("required", _("환불 사유를 입력해 주세요."), field="reason")
    return _refund_create(actor=actor, suborder=suborder, reason=reason, lines=lines)


def _refund_create(
    *, actor: Any, suborder: SubOrder, reason: str, lines: Sequence[Any] | None
) -> Refund:
    with transaction.atomic():
        suborder = SubOrder.objects.select_for_update().select_related("order").get(pk=suborder.pk)
        if suborder.status == SubOrderStatus.CANCELLED and 0 < suborder.total <= suborder.refunded:
            # refunded in full (a paid sub-order is cancelled by its last refund): nothing left
            raise MarketError("refund_exceeds_paid", _("이미 전액 환불된 주문입니다."))
        if suborder.status not in (
            SubOrderStatus.PAID,
            SubOrderStatus.SHIPPED,
            SubOrderStatus.DELIVERED,
        ):
            raise MarketError("not_paid", _("결제가 확인된 주문만 환불할 수 있습니다."))
        items = _refund_lines(suborder, lines)
        amount = sum(ol.unit_price * q for ol, q in items)
        refund = Refund.objects.create(
            suborder=suborder, requested_by=actor, reason=reason.strip()[:500], amount=amount
        )
        RefundLine.objects.bulk_create(
            [
                RefundLine(refund=refund, order_line=ol, quantity=q, amount=ol.unit_price * q)
                for ol, q in items
            ]
        )
        audit_record(actor=actor, action="market.refund.request", obj=refund)
    return refund


def refund_reject(*, actor: Any, refund: Refund, reason: str = "") -> Refund:
    _supplier_side(actor, refund.suborder)
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.status != RefundStatus.REQUESTED:
            raise MarketError("bad_transition", _("이미 처리된 환불입니다."))
        refund.status, refund.processed_at, refund.processed_by = (
            RefundStatus.REJECTED,
            timezone.now(),
            actor,
        )
        refund.save()
        audit_record(actor=actor, action="market.refund.reject", obj=refund)
    return refund


def refund_complete(*, actor: Any, refund: Refund) -> Refund:
    """The supplier or the operator accepts the refund: stock goes back, the commissions are
    recomputed on what is left (see the module docstring) and the money is posted."""
    _supplier_side(actor, refund.suborder)
    return _refund_execute(actor=actor, refund=refund)


def _refund_execute(*, actor: Any, refund: Refund) -> Refund:
    now = timezone.now()
    with transaction.atomic():
        # Lock order: sub-order, then refund (as cancellation and approval do), no deadlock.
        suborder = SubOrder.objects.select_for_update().get(pk=refund.suborder_id)
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.status != RefundStatus.REQUESTED:
            raise MarketError("bad_transition", _("이미 처리된 환불입니다."))
        approved = suborder.approved_at is not None
        post = _Lines()
        supplier = SupplierProfile(pk=suborder.supplier_id)
        new_lines: list[CommissionLine] = []
        for rl in refund.lines.select_related("order_line").order_by("order_line_id"):
            ol = OrderLine.objects.select_for_update().get(pk=rl.order_line_id)
            if rl.quantity > ol.quantity - ol.refunded_quantity:
                raise MarketError("refund_exceeds_paid", _("환불 수량이 결제한 수량을 넘습니다."))
            ol.refunded_quantity += rl.quantity
            ol.refunded_amount += rl.amount
            ol.save(update_fields=["refunded_quantity", "refunded_amount"])
            Product.objects.filter(pk=ol.product_id).update(stock=F("stock") + rl.quantity)
            deltas = 0
            by_kind: dict[str, list[CommissionLine]] = defaultdict(list)
            for cl in ol.commissions.exclude(status=CommissionStatus.VOID):
                by_kind[cl.kind].append(cl)
            for kind, cls in sorted(by_kind.items()):
                rate = cls[0].rate_bp
                net = sum(c.amount for c in cls)
                target = money.apply_rate(ol.remaining_total, rate)
                delta = net - target
                if delta == 0:
                    continue
                deltas += delta
                template = cls[0]
                if not approved:
                    CommissionLine.objects.filter(pk__in=[c.pk for c in cls]).update(
                        status=CommissionStatus.VOID
                    )
                    if target:
                        new_lines.append(
                            CommissionLine(
                                order_line=ol,
                                kind=kind,
                                seller_id=template.seller_id,
                                creator_id=template.creator_id,
                                rate_bp=rate,
                                amount=target,
                            )
                        )
                else:
                    new_lines.append(
                        CommissionLine(
                            order_line=ol,
                            kind=kind,
                            seller_id=template.seller_id,
                            creator_id=template.creator_id,
                            rate_bp=rate,
                            amount=-delta,
                            status=CommissionStatus.APPROVED,
                            approved_at=now,
                        )
                    )
                if kind == CommissionKind.PLATFORM_FEE:
                    _post_fee(post, delta, net, target, +1)
                else:
                    post.add(STAGE[(kind, approved)], _party(kind, template), delta)
            post.add(
                "SUPPLIER_PAYABLE" if approved else "SUPPLIER_PENDING",
                supplier,
                rl.amount - deltas,
            )
        CommissionLine.objects.bulk_create(new_lines)
        post.add("REFUNDS_PAYABLE", None, -refund.amount)
        suborder.refunded += refund.amount
        if suborder.refunded == suborder.total and suborder.status == SubOrderStatus.PAID:
            suborder.status = SubOrderStatus.CANCELLED
        suborder.save(update_fields=["refunded", "status"])
        refund.status, refund.processed_at, refund.processed_by = (
            RefundStatus.COMPLETED,
            now,
            actor if getattr(actor, "is_authenticated", False) else None,
        )
        refund.save()
        post.post(
            memo=f"환불 {refund.pk} ({suborder})",
            reference=str(suborder),
            key=f"market:refund:{refund.pk}",
            at=now,
        )
        # The money goes back to the buyer's account at once (bank transfer).
        back = _Lines()
        back.add("REFUNDS_PAYABLE", None, refund.amount)
        back.add("PAYMENT_CLEARING", None, -refund.amount)
        back.post(
            memo=f"환불 {refund.pk} 송금",
            reference=str(suborder),
            key=f"market:refund-paid:{refund.pk}",
            at=now,
        )
        _close_order_if_all_cancelled(suborder.order_id)
        audit_record(
            actor=actor,
            action="market.refund.complete",
            obj=refund,
            changes={"amount": refund.amount},
        )
    return refund


def _close_order_if_all_cancelled(order_id: int) -> None:
    if (
        not SubOrder.objects.filter(order_id=order_id)
        .exclude(status=SubOrderStatus.CANCELLED)
        .exists()
    ):
        Order.objects.filter(pk=order_id).update(status=OrderStatus.CANCELLED)


def order_cancel(*, actor: Any, order: Order, reason: str = "") -> Order:
    """Cancel an order. Unpaid: the stock is returned and nothing was posted. Paid and not yet
    shipped: every sub-order is refunded in full."""
    if not (
        access.is_operator(actor) or (roles_of(actor).authenticated and order.buyer_id == actor.pk)
    ):
        raise MarketError("forbidden", _("이 주문을 취소할 권한이 없습니다."))
    return _cancel(actor=actor, order=order, reason=reason)


def _cancel(*, actor: Any, order: Order, reason: str) -> Order:
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status == OrderStatus.CANCELLED:
            raise MarketError("bad_transition", _("이미 취소된 주문입니다."))
        suborders = list(order.suborders.select_for_update().order_by("pk"))
        if order.status == OrderStatus.PLACED:
            for line in OrderLine.objects.filter(suborder__order=order).order_by("product_id"):
                Product.objects.filter(pk=line.product_id).update(stock=F("stock") + line.quantity)
            CommissionLine.objects.filter(order_line__suborder__order=order).update(
                status=CommissionStatus.VOID
            )
            SubOrder.objects.filter(order=order).update(status=SubOrderStatus.CANCELLED)
            Payment.objects.filter(order=order).update(status=PaymentStatus.CANCELLED)
            order.status = OrderStatus.CANCELLED
            order.save(update_fields=["status"])
        else:
            if any(
                s.status not in (SubOrderStatus.PAID, SubOrderStatus.CANCELLED) for s in suborders
            ):
                raise MarketError(
                    "already_shipped",
                    _("발송된 주문은 취소할 수 없습니다. 환불을 요청해 주세요."),
                )
            for suborder in suborders:
                if suborder.refunded < suborder.total:
                    RefundLine.objects.filter(
                        refund__suborder=suborder, refund__status=RefundStatus.REQUESTED
                    ).delete()
                    Refund.objects.filter(suborder=suborder, status=RefundStatus.REQUESTED).update(
                        status=RefundStatus.REJECTED, processed_at=timezone.now()
                    )
                    refund = _refund_create(
                        actor=actor, suborder=suborder, reason=reason or "주문 취소", lines=None
                    )
                    _refund_execute(actor=actor, refund=refund)
            order.refresh_from_db()
        audit_record(actor=actor, action="market.order.cancel", obj=order)
    return order


def orders_cancel_expired(*, now: dt.datetime | None = None) -> int:
    """Cancel bank-transfer orders whose deposit deadline passed. Idempotent."""
    now = now or timezone.now()
    count = 0
    for order in Order.objects.filter(
        status=OrderStatus.PLACED,
        payment__status=PaymentStatus.PENDING,
        payment__deadline__lt=now,
    ).order_by("pk"):
        with transaction.atomic():
            _cancel(actor=None, order=order, reason="입금 기한 경과")
            count += 1
    return count


# --- offline market days -----------------------------------------------------------------------


def market_day_create(
    *,
    actor: Any,
    name: str,
    held_on: dt.date,
    location: str,
    partner: Organisation | None = None,
) -> MarketDay:
    _require_operator(actor)
    if not (name or "").strip() or not (location or "").strip():
        raise MarketError("required", _("장터 이름과 장소를 입력해 주세요."))
    with transaction.atomic():
        day = MarketDay.objects.create(
            name=name.strip()[:100],
            held_on=held_on,
            location=location.strip()[:200],
            partner=partner,
        )
        audit_record(actor=actor, action="market.day.create", obj=day)
    return day


def market_day_sale(
    *, actor: Any, market_day: MarketDay, lines: Sequence[Any], idempotency_key: str
) -> Order:
    """Record a sale at an offline market's stall: an order from the same catalogue and stock
    (the same checkout: server prices, conditional stock update), paid on site and handed
    over at once, so its refund window starts now and it is settled like an online order."""
    _require_operator(actor)
    with transaction.atomic():
        result = checkout(
            buyer=actor,
            lines=lines,
            idempotency_key=idempotency_key,
            payment_method=PaymentMethod.ON_SITE,
            market_day=market_day,
        )
        order = payment_confirm(actor=actor, order=result.order, reference=str(market_day))
        now = timezone.now()
        SubOrder.objects.filter(order=order, status=SubOrderStatus.PAID).update(
            status=SubOrderStatus.DELIVERED, shipped_at=now, delivered_at=now
        )
    return order


def market_day_report(market_day: MarketDay) -> list[dict[str, Any]]:
    """Sales of one market day per supplier, net of refunds."""
    rows = (
        SubOrder.objects.filter(order__market_day=market_day)
        .exclude(status=SubOrderStatus.CANCELLED)
        .values("supplier_id", "supplier__organisation__name")
        .annotate(total=Sum("total"), refunded=Sum("refunded"))
        .order_by("supplier__organisation__name")
    )
    return [
        {
            "supplier": r["supplier__organisation__name"],
            "sales": r["total"] - r["refunded"],
        }
        for r in rows
    ]


# --- settlements --------------------------------------------------------------------------------


def settlement_run(
    *,
    actor: Any,
    period_start: dt.date,
    period_end: dt.date,
    idempotency_key: str,
    minimum_payout: int = 10_000,
) -> Settlement:
    """Run a settlement through the ledger and mark each paid party's approved commission lines
    as paid — once: a repeated key returns the same settlement and a line already paid is never
    marked again."""
    if actor is not None:
        _require_operator(actor)
    key = (idempotency_key or "").strip()
    if not key or len(key) > 64:
        raise MarketError("idempotency_key_required", _("정산 키가 필요합니다."))
    if period_start > period_end:
        raise MarketError("invalid_period", _("정산 기간이 올바르지 않습니다."), field="period_end")
    if period_end > timezone.localdate():
        # a future cutoff would block every settlement up to that day
        raise MarketError(
            "invalid_period", _("정산 종료일은 오늘 이후일 수 없습니다."), field="period_end"
        )
    if (
        isinstance(minimum_payout, bool)
        or not isinstance(minimum_payout, int)
        or minimum_payout < 0
    ):
        raise MarketError(
            "invalid_amount",
            _("최소 지급액은 0 이상의 정수(원)여야 합니다."),
            field="minimum_payout",
        )
    existing = Settlement.objects.filter(idempotency_key=key).first()
    if existing:
        return existing
    ledger, kinds = _ledger(), _kinds()
    with transaction.atomic():
        batch = ledger.run_settlement(
            period_start=period_start,
            period_end=period_end,
            minimum_payout=minimum_payout,
            idempotency_key=f"market:{key}",
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        settlement = Settlement.objects.create(
            idempotency_key=key,
            period_start=period_start,
            period_end=period_end,
            ledger_batch_id=batch.pk,
            payout_count=batch.payout_count,
            payout_total=batch.total_amount,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        seller_label = SellerProfile._meta.label_lower
        creator_label = CreatorProfile._meta.label_lower
        paid_sellers, paid_creators = set(), set()
        for payout in batch.payouts.select_related("account"):
            acc = payout.account
            if acc.kind == kinds.SELLER_PAYABLE and acc.party_type == seller_label:
                paid_sellers.add(acc.party_id)
            elif acc.kind == kinds.CREATOR_PAYABLE and acc.party_type == creator_label:
                paid_creators.add(acc.party_id)
        base = CommissionLine.objects.filter(
            status=CommissionStatus.APPROVED, approved_at__lte=batch.cutoff
        )
        base.filter(kind=CommissionKind.SELLER, seller_id__in=paid_sellers).update(
            status=CommissionStatus.PAID, settlement=settlement
        )
        base.filter(kind=CommissionKind.CREATOR, creator_id__in=paid_creators).update(
            status=CommissionStatus.PAID, settlement=settlement
        )
        # The platform's own fee lines need no payout: settled with the batch.
        base.filter(kind=CommissionKind.PLATFORM_FEE).update(
            status=CommissionStatus.PAID, settlement=settlement
        )
        audit_record(
            actor=actor,
            action="market.settlement.run",
            obj=settlement,
            changes={"payouts": batch.payout_count, "total": batch.total_amount},
        )
    return settlement


def commission_totals(**filters: Any) -> dict[str, int]:
    rows = (
        CommissionLine.objects.filter(**filters)
        .values("status")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {r["status"]: r["total"] or 0 for r in rows}


# ================================================================================================
# === Public purchasing (공공구매): quotation requests → quotes → award → purchase order =========
# ================================================================================================
#
# A public institution's purchaser writes a request (draft), sends it (open) to invited approved
# suppliers or to every approved supplier of a division/category; suppliers quote (one current
# quote each, revisions replace it) until the reply deadline (an aware datetime; naive input is
# read in Asia/Seoul); after the deadline — or once the institution closes it early — the
# institution awards one quote, which freezes it into a purchase order with the VAT split per
# line. The PO then goes issued → accepted (supplier) → delivered → invoiced (supplier) → paid
# (institution), or is cancelled by the institution before delivery. POs are paid by the
# institution directly to the supplier (no platform commission, clearing or settlement) and
# count in ``selectors.priority_purchase_report``. Every refusal is a ``MarketError`` raised
# before anything is written.

MAX_REQUEST_LINES = 50
MAX_INVITED = 50


def _seoul(value: dt.datetime) -> dt.datetime:
    """A naive datetime from a form or client is Korean time (TIME_ZONE)."""
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _require_institution(actor: Any, organisation_id: int) -> None:
    if organisation_id not in access.institution_ids(actor):
        raise MarketError("forbidden", _("이 기관의 구매 담당자만 할 수 있습니다."))


def _text(value: Any, field: str, label: Any, max_length: int, *, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise MarketError(
            "required", _("%(label)s을(를) 입력해 주세요."), field=field, params={"label": label}
        )
    if len(text) > max_length:
        raise MarketError(
            "too_long",
            _("%(label)s은(는) %(max)s자 이하로 입력해 주세요."),
            field=field,
            params={"label": label, "max": max_length},
        )
    return text


def _request_lines(lines: Sequence[Any]) -> list[dict[str, Any]]:
    if not lines:
        raise MarketError("empty", _("요청 품목을 하나 이상 입력해 주세요."), field="lines")
    if len(lines) > MAX_REQUEST_LINES:
        raise MarketError(
            "too_many_lines",
            _("품목은 %(max)s개까지 요청할 수 있습니다."),
            field="lines",
            params={"max": MAX_REQUEST_LINES},
        )
    out = []
    for item in lines:
        if not isinstance(item, dict):
            raise MarketError("invalid_line", _("요청 품목이 올바르지 않습니다."), field="lines")
        product = None
        if item.get("product_id") not in (None, ""):
            product = (
                Product.objects.filter(
                    pk=_product_id(item["product_id"]),
                    active=True,
                    supplier__status=SupplierStatus.APPROVED,
                )
                .select_related("supplier")
                .first()
            )
            if product is None:
                raise MarketError("unknown_product", _("존재하지 않는 상품입니다."), field="lines")
        description = _text(
            item.get("description") or (product.name if product else ""),
            "lines",
            _("품목"),
            200,
        )
        unit = _text(item.get("unit") or (product.unit if product else ""), "lines", _("단위"), 20)
        out.append(
            {
                "product": product,
                "description": description,
                "quantity": parse_quantity(item.get("quantity"), field="lines"),
                "unit": unit,
            }
        )
    return out


def quotation_request_create(
    *,
    actor: Any,
    organisation: Organisation,
    title: str,
    delivery_place: str,
    needed_by: dt.date,
    reply_deadline: dt.datetime,
    lines: Sequence[Any],
    description: str = "",
    supplier_ids: Iterable[Any] = (),
    open_to_all: bool = False,
    division: str = "",
    category_id: Any = None,
    send: bool = False,
) -> Any:
    """A new quotation request (draft, or sent at once with ``send``)."""
    _require_institution(actor, organisation.pk)
    title = _text(title, "title", _("제목"), 150)
    delivery_place = _text(delivery_place, "delivery_place", _("납품 장소"), 200)
    description = _text(description, "description", _("요청 내용"), 5000, required=False)
    if not isinstance(needed_by, dt.date) or isinstance(needed_by, dt.datetime):
        raise MarketError("invalid", _("납품 기한을 입력해 주세요."), field="needed_by")
    if not isinstance(reply_deadline, dt.datetime):
        raise MarketError("invalid", _("견적 마감 일시를 입력해 주세요."), field="reply_deadline")
    reply_deadline = _seoul(reply_deadline)
    items = _request_lines(lines)
    category = None
    if open_to_all:
        if division not in Division.values:
            raise MarketError(
                "required", _("공개 요청은 사업 분야를 골라야 합니다."), field="division"
            )
        if category_id not in (None, ""):
            category = Category.objects.filter(pk=_product_id(category_id)).first()
            if category is None or category.division != division:
                raise MarketError(
                    "invalid_choice", _("사업 분야에 속한 분류를 골라 주세요."), field="category"
                )
        suppliers: list[SupplierProfile] = []
    else:
        division = ""
        ids = sorted({_product_id(pk) for pk in supplier_ids})
        if len(ids) > MAX_INVITED:
            raise MarketError(
                "too_many_suppliers",
                _("입점사는 %(max)s곳까지 지정할 수 있습니다."),
                field="suppliers",
                params={"max": MAX_INVITED},
            )
        suppliers = list(SupplierProfile.objects.filter(pk__in=ids, status=SupplierStatus.APPROVED))
        if len(suppliers) != len(ids):
            raise MarketError(
                "invalid_supplier", _("승인된 입점사만 지정할 수 있습니다."), field="suppliers"
            )
    with transaction.atomic():
        request = QuotationRequest.objects.create(
            buyer_organisation=organisation,
            created_by=actor,
            title=title,
            description=description,
            delivery_place=delivery_place,
            needed_by=needed_by,
            reply_deadline=reply_deadline,
            open_to_all=bool(open_to_all),
            division=division if open_to_all else "",
            category=category,
        )
        QuotationLine.objects.bulk_create(
            QuotationLine(request=request, position=i, **item) for i, item in enumerate(items, 1)
        )
        request.suppliers.set(suppliers)
        audit_record(actor=actor, action="market.quotation.create", obj=request)
        if send:
            _send(actor, request)
    return request


def _send(actor: Any, request: Any) -> None:
    now = timezone.now()
    if request.reply_deadline <= now:
        raise MarketError(
            "deadline_passed",
            _("견적 마감 일시는 지금보다 뒤여야 합니다."),
            field="reply_deadline",
        )
    if request.needed_by < timezone.localdate(request.reply_deadline):
        raise MarketError(
            "invalid", _("납품 기한은 견적 마감일 이후여야 합니다."), field="needed_by"
        )
    recipients = sorted(set(access.eligible_supplier_ids(request).values_list("pk", flat=True)))
    if not recipients:
        raise MarketError(
            "no_recipients",
            _("견적을 받을 승인된 입점사가 없습니다. 입점사를 지정하거나 분야를 바꿔 주세요."),
            field="suppliers",
        )
    request.status, request.sent_at = QuotationStatus.OPEN, now
    request.save(update_fields=["status", "sent_at"])
    audit_record(
        actor=actor, action="market.quotation.send", obj=request, changes={"suppliers": recipients}
    )
    # e-mailed after commit (a rolled-back send mails nobody), as a task: a mail server failure
    # is recorded on the task instead of undoing the send (``robust``: nor failing the request)
    request_id = request.pk
    transaction.on_commit(
        lambda: email_quotation_request.enqueue(request_id, recipients), robust=True
    )


def _locked_request(actor: Any, request: Any) -> Any:
    _require_institution(actor, request.buyer_organisation_id)
    return QuotationRequest.objects.select_for_update().get(pk=request.pk)


def quotation_request_send(*, actor: Any, request: Any) -> Any:
    """Send a draft: suppliers can quote from now until the reply deadline."""
    with transaction.atomic():
        request = _locked_request(actor, request)
        if request.status == QuotationStatus.OPEN:
            return request
        if request.status != QuotationStatus.DRAFT:
            raise MarketError("bad_transition", _("작성 중인 견적요청만 보낼 수 있습니다."))
        _send(actor, request)
    return request


def quotation_request_close(*, actor: Any, request: Any) -> Any:
    """Stop taking quotes (before the deadline, too); then the institution can award."""
    with transaction.atomic():
        request = _locked_request(actor, request)
        if request.status == QuotationStatus.CLOSED:
            return request
        if request.status != QuotationStatus.OPEN:
            raise MarketError("bad_transition", _("견적 접수 중인 요청만 마감할 수 있습니다."))
        request.status, request.closed_at = QuotationStatus.CLOSED, timezone.now()
        request.save(update_fields=["status", "closed_at"])
        audit_record(actor=actor, action="market.quotation.close", obj=request)
    return request


def quotation_request_cancel(*, actor: Any, request: Any, reason: str = "") -> Any:
    with transaction.atomic():
        request = _locked_request(actor, request)
        if request.status == QuotationStatus.CANCELLED:
            return request
        if request.status == QuotationStatus.AWARDED:
            raise MarketError(
                "bad_transition",
                _("이미 낙찰된 견적요청은 취소할 수 없습니다. 발주서를 취소해 주세요."),
            )
        request.status = QuotationStatus.CANCELLED
        request.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="market.quotation.cancel",
            obj=request,
            changes={"reason": (reason or "")[:500]},
        )
    return request


def _quote_lines(request: Any, lines: Any) -> list[tuple[Any, int, str]]:
    """``lines``: ``{request_line_id: (unit_price, tax_type)}`` or
    ``[{"line_id", "unit_price", "tax_type"}]``; every requested line priced exactly once."""
    if isinstance(lines, dict):
        pairs = [(k, v[0], v[1]) for k, v in lines.items()]
    else:
        pairs = []
        for item in lines or []:
            if not isinstance(item, dict):
                raise MarketError(
                    "invalid_line", _("견적 품목이 올바르지 않습니다."), field="lines"
                )
            pairs.append((item.get("line_id"), item.get("unit_price"), item.get("tax_type")))
    wanted = {line.pk: line for line in request.lines.all()}
    priced: dict[int, tuple[int, str]] = {}
    for line_id, price, tax_type in pairs:
        try:
            pk = int(line_id)
        except (TypeError, ValueError):
            pk = -1
        if pk not in wanted or pk in priced:
            raise MarketError(
                "unknown_line", _("요청에 없는 품목이거나 중복된 품목입니다."), field="lines"
            )
        amount = _whole_won(price, "lines", _("단가"))
        if tax_type not in TaxType.values:
            raise MarketError("invalid_choice", _("과세 유형을 골라 주세요."), field="lines")
        priced[pk] = (amount, tax_type)
    missing = [line for pk, line in wanted.items() if pk not in priced]
    if missing:
        raise MarketError(
            "missing_price",
            _("모든 품목의 단가를 입력해 주세요: %(name)s"),
            field="lines",
            params={"name": missing[0].description},
        )
    return [(wanted[pk], *priced[pk]) for pk in sorted(priced, key=lambda p: wanted[p].position)]


def quote_submit(
    *,
    actor: Any,
    request: Any,
    supplier: SupplierProfile,
    lines: Any,
    delivery_date: dt.date,
    valid_until: dt.date,
    note: str = "",
) -> Any:
    """Submit or revise ``supplier``'s quote. Prices are per unit, whole 원, VAT-inclusive; the
    line totals and the total are computed here (a client's totals are never read)."""
    if supplier.organisation_id not in access.supplier_organisation_ids(actor):
        raise MarketError("forbidden", _("이 입점사의 견적을 낼 권한이 없습니다."))
    if not access.eligible_supplier_ids(request).filter(pk=supplier.pk).exists():
        raise MarketError(
            "not_invited", _("이 견적요청에 견적을 낼 수 있는 입점사가 아닙니다."), field="supplier"
        )
    note = _text(note, "note", _("비고"), 3000, required=False)
    priced = _quote_lines(request, lines)
    today = timezone.localdate()
    for value, field, label in (
        (delivery_date, "delivery_date", _("납품 가능일")),
        (valid_until, "valid_until", _("견적 유효기한")),
    ):
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise MarketError(
                "required",
                _("%(label)s을(를) 입력해 주세요."),
                field=field,
                params={"label": label},
            )
    if delivery_date < today:
        raise MarketError(
            "invalid", _("납품 가능일은 오늘 이후여야 합니다."), field="delivery_date"
        )
    if valid_until < timezone.localdate(request.reply_deadline):
        raise MarketError(
            "invalid", _("견적 유효기한은 견적 마감일 이후여야 합니다."), field="valid_until"
        )
    with transaction.atomic():
        locked = QuotationRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != QuotationStatus.OPEN:
            raise MarketError("bad_transition", _("견적을 받는 중인 요청이 아닙니다."))
        if timezone.now() >= locked.reply_deadline:
            raise MarketError(
                "deadline_passed",
                _("견적 마감 일시(%(deadline)s)가 지났습니다."),
                params={
                    "deadline": timezone.localtime(locked.reply_deadline).strftime("%Y-%m-%d %H:%M")
                },
            )
        total = sum(price * line.quantity for line, price, _tax in priced)
        quote = Quote.objects.select_for_update().filter(request=locked, supplier=supplier).first()
        fields = {
            "delivery_date": delivery_date,
            "valid_until": valid_until,
            "note": note,
            "total": total,
            "submitted_by": actor,
            "submitted_at": timezone.now(),
        }
        if quote is None:
            quote = Quote.objects.create(request=locked, supplier=supplier, **fields)
            previous = None
        else:
            previous = quote.total
            for key, value in fields.items():
                setattr(quote, key, value)
            quote.revision += 1
            quote.save()
            quote.lines.all().delete()
        QuoteLine.objects.bulk_create(
            QuoteLine(
                quote=quote,
                request_line=line,
                unit_price=price,
                tax_type=tax,
                quantity=line.quantity,
                line_total=price * line.quantity,
            )
            for line, price, tax in priced
        )
        audit_record(
            actor=actor,
            action="market.quote.submit" if previous is None else "market.quote.revise",
            obj=quote,
            changes={"revision": quote.revision, "total": total, "previous_total": previous},
        )
    return quote


def quotation_award(*, actor: Any, request: Any, quote: Any) -> Any:
    """Award ``quote``: a purchase order with the quote's lines frozen and the VAT split per
    line; the other quotes are marked not selected. Awarding the same quote again returns the
    same PO; another quote after an award is refused (the request row is locked, and the PO's
    one-to-one keys make a second award impossible in the database too)."""
    now = timezone.now()
    with transaction.atomic():
        request = _locked_request(actor, request)
        if request.status == QuotationStatus.AWARDED:
            po = PurchaseOrder.objects.get(request=request)
            if po.quote_id == getattr(quote, "pk", None):
                return po
            raise MarketError("already_awarded", _("이미 다른 견적을 선정했습니다."))
        if request.status not in (QuotationStatus.OPEN, QuotationStatus.CLOSED):
            raise MarketError("bad_transition", _("견적을 선정할 수 있는 요청이 아닙니다."))
        if request.status == QuotationStatus.OPEN and now < request.reply_deadline:
            raise MarketError(
                "deadline_not_passed",
                _("견적 마감 전에는 선정할 수 없습니다. 먼저 접수를 마감해 주세요."),
            )
        quote = (
            Quote.objects.select_for_update()
            .filter(pk=getattr(quote, "pk", None) or 0, request=request)
            .select_related("supplier")
            .first()
        )
        if quote is None:
            raise MarketError(
                "unknown_quote", _("이 요청에 들어온 견적이 아닙니다."), field="quote"
            )
        if quote.valid_until < timezone.localdate(now):
            raise MarketError("quote_expired", _("유효기한이 지난 견적입니다."), field="quote")
        if quote.supplier.status != SupplierStatus.APPROVED:
            raise MarketError(
                "invalid_supplier", _("승인이 취소된 입점사의 견적입니다."), field="quote"
            )
        lines = []
        for ql in quote.lines.select_related("request_line"):
            supply, vat = money.vat_split(ql.line_total, ql.tax_type)
            lines.append(
                PurchaseOrderLine(
                    product_id=ql.request_line.product_id,
                    description=ql.request_line.description,
                    unit=ql.request_line.unit,
                    unit_price=ql.unit_price,
                    tax_type=ql.tax_type,
                    quantity=ql.quantity,
                    line_total=ql.line_total,
                    supply_amount=supply,
                    vat_amount=vat,
                )
            )
        po = PurchaseOrder.objects.create(
            request=request,
            quote=quote,
            buyer_organisation_id=request.buyer_organisation_id,
            supplier=quote.supplier,
            total=sum(line.line_total for line in lines),
            supply_total=sum(line.supply_amount for line in lines),
            vat_total=sum(line.vat_amount for line in lines),
            delivery_place=request.delivery_place,
            delivery_date=quote.delivery_date,
            issued_by=actor,
            issued_at=now,
        )
        for line in lines:
            line.purchase_order = po
        PurchaseOrderLine.objects.bulk_create(lines)
        Quote.objects.filter(request=request).exclude(pk=quote.pk).update(
            status=QuoteStatus.NOT_SELECTED
        )
        Quote.objects.filter(pk=quote.pk).update(status=QuoteStatus.SELECTED)
        request.status, request.awarded_at = QuotationStatus.AWARDED, now
        request.closed_at = request.closed_at or now
        request.save(update_fields=["status", "awarded_at", "closed_at"])
        audit_record(
            actor=actor,
            action="market.quotation.award",
            obj=po,
            changes={"request": request.pk, "quote": quote.pk, "total": po.total},
        )
    return po


# action → (states it may leave, state it enters, who acts, timestamp field)
PO_TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str, str]] = {
    "accept": (("issued",), "accepted", "supplier", "accepted_at"),
    "deliver": (("accepted",), "delivered", "either", "delivered_at"),
    "invoice": (("delivered",), "invoiced", "supplier", "invoiced_at"),
    "pay": (("invoiced",), "paid", "buyer", "paid_at"),
    "cancel": (("issued", "accepted"), "cancelled", "buyer", "cancelled_at"),
}


def purchase_order_transition(*, actor: Any, po: Any, action: str) -> Any:
    """Move a PO on: the supplier accepts, delivers and invoices (the institution may confirm
    the delivery too), the institution records the payment or cancels before delivery.
    Repeating the step just taken changes nothing."""
    if action not in PO_TRANSITIONS:
        raise MarketError("invalid_choice", _("알 수 없는 처리입니다."), field="action")
    sources, target, side, stamp = PO_TRANSITIONS[action]
    buyer = po.buyer_organisation_id in access.institution_ids(actor)
    supplier = po.supplier.organisation_id in access.supplier_organisation_ids(actor)
    allowed = {"buyer": buyer, "supplier": supplier, "either": buyer or supplier}[side]
    if not allowed:
        raise MarketError("forbidden", _("이 발주서를 처리할 권한이 없습니다."))
    with transaction.atomic():
        po = PurchaseOrder.objects.select_for_update().get(pk=po.pk)
        if po.status == target:
            return po
        if po.status not in sources:
            raise MarketError(
                "bad_transition",
                _("지금 상태(%(status)s)에서는 할 수 없습니다."),
                params={"status": po.get_status_display()},
            )
        po.status = target
        setattr(po, stamp, timezone.now())
        po.save(update_fields=["status", stamp])
        audit_record(actor=actor, action=f"market.po.{action}", obj=po)
    return po


def purchase_order_accept(*, actor: Any, po: Any) -> Any:
    return purchase_order_transition(actor=actor, po=po, action="accept")


def purchase_order_deliver(*, actor: Any, po: Any) -> Any:
    return purchase_order_transition(actor=actor, po=po, action="deliver")
