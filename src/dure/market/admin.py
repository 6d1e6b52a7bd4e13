"""Back-office views of the marketplace for the operator. The catalogue and the commission
rates are editable here; money records (orders and their lines, commissions, payments, refunds,
settlements) and referral clicks change only through the services, which post to the ledger,
so they are read-only. Supplier onboarding goes through the review steps on the operator's
pages (survey → site inspection → approval), so a supplier's status is read-only here."""

from __future__ import annotations

from django.contrib import admin

from dure.core.audit import audit_record
from dure.search.services import index_object

from .models import (
    Category,
    CommissionLine,
    CommissionRule,
    CreatorContent,
    CreatorProfile,
    MarketDay,
    Order,
    OrderLine,
    Payment,
    Product,
    ReferralClick,
    Refund,
    RefundLine,
    SellerProfile,
    Settlement,
    SubOrder,
    SupplierProfile,
)
from .search_index import KIND as PRODUCT_KIND


class AuditedAdmin(admin.ModelAdmin):
    """Admin edits bypass the services, so they are audited here as the services would."""

    audit_action = ""

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        audit_record(
            actor=request.user,
            action=f"{self.audit_action}.{'update' if change else 'create'}",
            obj=form.instance,
            changes={"via": "admin", "fields": sorted(form.changed_data)},
        )

    def delete_model(self, request, obj) -> None:
        audit_record(
            actor=request.user,
            action=f"{self.audit_action}.delete",
            obj=obj,
            changes={"via": "admin"},
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            audit_record(
                actor=request.user,
                action=f"{self.audit_action}.delete",
                obj=obj,
                changes={"via": "admin"},
            )
        super().delete_queryset(request, queryset)


class ReadOnlyAdmin(admin.ModelAdmin):
    """A frozen record: view only (no add, change or delete)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# --- participants ---------------------------------------------------------------------------------


@admin.register(SupplierProfile)
class SupplierProfileAdmin(AuditedAdmin):
    audit_action = "market.supplier.admin"
    list_display = ["organisation", "business_number", "economy_type", "status", "created_at"]
    list_filter = ["status", "economy_type"]
    search_fields = ["organisation__name", "business_number"]
    list_select_related = ["organisation"]
    # the review is a sequence of recorded steps (services.supplier_review), not a free edit
    readonly_fields = [
        "organisation",
        "business_number",
        "status",
        "capacity_survey",
        "surveyed_at",
        "inspection_record",
        "inspected_at",
        "decided_at",
        "decided_by",
        "rejection_reason",
        "applied_by",
        "created_at",
    ]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReferrerAdmin(AuditedAdmin):
    audit_action = "market.referrer.admin"
    list_display = [
        "display_name",
        "referral_code",
        "user",
        "organisation",
        "active",
        "valid_until",
    ]
    list_filter = ["active"]
    search_fields = ["display_name", "referral_code", "user__username", "organisation__name"]
    list_select_related = ["user", "organisation"]
    # the operator may pause a code or give it an end date; who and which code stay as registered
    readonly_fields = ["user", "organisation", "referral_code", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


admin.site.register(SellerProfile, ReferrerAdmin)
admin.site.register(CreatorProfile, ReferrerAdmin)


# --- catalogue ------------------------------------------------------------------------------------


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    audit_action = "market.category.admin"
    list_display = ["name", "division"]
    list_filter = ["division"]
    search_fields = ["name"]


@admin.register(Product)
class ProductAdmin(AuditedAdmin):
    audit_action = "market.product.admin"
    list_display = ["name", "supplier", "category", "price", "tax_type", "stock", "active"]
    list_filter = ["active", "tax_type", "category__division", "category"]
    search_fields = ["name", "description", "supplier__organisation__name"]
    list_select_related = ["supplier__organisation", "category"]
    autocomplete_fields = ["supplier", "category"]
    readonly_fields = ["created_at", "updated_at"]

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        index_object(PRODUCT_KIND, form.instance)  # the Korean search sees the change


@admin.register(CreatorContent)
class CreatorContentAdmin(AuditedAdmin):
    audit_action = "market.content.admin"
    list_display = ["title", "creator", "published", "created_at"]
    list_filter = ["published"]
    search_fields = ["title", "body", "creator__display_name"]
    list_select_related = ["creator"]
    autocomplete_fields = ["creator", "products"]


@admin.register(CommissionRule)
class CommissionRuleAdmin(AuditedAdmin):
    audit_action = "market.rule.admin"
    list_display = ["kind", "scope", "supplier", "category", "product", "rate_bp"]
    list_filter = ["kind", "scope"]
    search_fields = ["supplier__organisation__name", "category__name", "product__name"]
    list_select_related = ["supplier__organisation", "category", "product"]
    autocomplete_fields = ["supplier", "category", "product"]


@admin.register(MarketDay)
class MarketDayAdmin(AuditedAdmin):
    audit_action = "market.day.admin"
    list_display = ["name", "held_on", "location", "partner"]
    list_filter = ["held_on"]
    search_fields = ["name", "location", "partner__name"]
    list_select_related = ["partner"]
    date_hierarchy = "held_on"
    autocomplete_fields = ["partner"]


# --- money: read-only -----------------------------------------------------------------------------


@admin.register(ReferralClick)
class ReferralClickAdmin(ReadOnlyAdmin):
    list_display = ["clicked_at", "seller", "creator", "content", "user"]
    list_filter = ["clicked_at"]
    search_fields = ["seller__referral_code", "creator__referral_code", "user__username"]
    list_select_related = ["seller", "creator", "content", "user"]
    date_hierarchy = "clicked_at"
    exclude = ["session_key"]  # a session key is a credential


class SubOrderInline(ReadOnlyInline):
    model = SubOrder
    fields = ["supplier", "status", "total", "refunded", "tracking", "paid_at", "delivered_at"]
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "buyer",
        "buyer_organisation",
        "status",
        "payment_method",
        "total",
        "seller",
        "creator",
        "market_day",
        "created_at",
    ]
    list_filter = ["status", "payment_method", "created_at"]
    search_fields = ["buyer__username", "buyer_organisation__name", "idempotency_key"]
    list_select_related = ["buyer", "buyer_organisation", "seller", "creator", "market_day"]
    date_hierarchy = "created_at"
    exclude = ["fingerprint"]
    inlines = [SubOrderInline]


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = [
        "product_name",
        "unit_price",
        "tax_type",
        "quantity",
        "line_total",
        "supply_amount",
        "vat_amount",
        "refunded_quantity",
        "refunded_amount",
    ]
    readonly_fields = fields


@admin.register(SubOrder)
class SubOrderAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "supplier", "status", "total", "refunded", "paid_at", "approved_at"]
    list_filter = ["status"]
    search_fields = ["supplier__organisation__name", "tracking"]
    list_select_related = ["order", "supplier__organisation"]
    inlines = [OrderLineInline]


@admin.register(OrderLine)
class OrderLineAdmin(ReadOnlyAdmin):
    list_display = [
        "product_name",
        "suborder",
        "unit_price",
        "quantity",
        "line_total",
        "tax_type",
        "refunded_amount",
    ]
    list_filter = ["tax_type"]
    search_fields = ["product_name"]
    list_select_related = ["suborder__order"]


@admin.register(CommissionLine)
class CommissionLineAdmin(ReadOnlyAdmin):
    list_display = [
        "order_line",
        "kind",
        "seller",
        "creator",
        "rate_bp",
        "amount",
        "status",
        "settlement",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["seller__display_name", "creator__display_name", "order_line__product_name"]
    list_select_related = ["order_line", "seller", "creator", "settlement"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["order", "provider", "status", "amount", "deadline", "confirmed_at"]
    list_filter = ["status", "provider"]
    search_fields = ["reference", "order__buyer__username"]
    list_select_related = ["order"]


class RefundLineInline(ReadOnlyInline):
    model = RefundLine
    fields = ["order_line", "quantity", "amount"]
    readonly_fields = fields
    show_change_link = False


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "suborder", "status", "amount", "created_at", "processed_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["reason", "suborder__supplier__organisation__name"]
    list_select_related = ["suborder__order"]
    inlines = [RefundLineInline]


@admin.register(Settlement)
class SettlementAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "payout_count", "payout_total", "created_by", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["idempotency_key"]
    list_select_related = ["created_by"]
