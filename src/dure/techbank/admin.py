"""The back office for the technology bank. Catalogue edits keep the search index and the audit
log in step; requests (bookings, transfer applications, exchange requests) change status only
through the services, so here their status and history are read-only."""

from __future__ import annotations

from django.contrib import admin

from dure.core.audit import audit_record, personal_data_access_record
from dure.core.pagecache import bump_data_version
from dure.search.services import index_object, remove_document

from .models import (
    Equipment,
    EquipmentBooking,
    ExchangeEvent,
    ExchangeRequest,
    Expert,
    ExpertContact,
    Lab,
    RoyaltyReport,
    Technology,
    TransferApplication,
    TransferEvent,
)
from .search_index import EQUIPMENT, EXPERT, LAB, TECHNOLOGY


class IndexedAdmin(admin.ModelAdmin):
    """Reindex and audit after an admin save or delete (admin bypasses the services)."""

    search_kind = ""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        bump_data_version()
        index_object(self.search_kind, form.instance)
        audit_record(
            actor=request.user,
            action=f"{self.search_kind}.{'update' if change else 'create'}",
            obj=form.instance,
            changes={"via": "admin", "fields": sorted(form.changed_data)},
        )

    def delete_model(self, request, obj):
        audit_record(
            actor=request.user,
            action=f"{self.search_kind}.delete",
            obj=obj,
            changes={"via": "admin"},
        )
        pk = obj.pk
        super().delete_model(request, obj)
        bump_data_version()
        remove_document(kind=self.search_kind, object_id=pk)


@admin.register(Technology)
class TechnologyAdmin(IndexedAdmin):
    search_kind = TECHNOLOGY
    list_display = (
        "application_number",
        "title",
        "holder",
        "status",
        "commercialisation",
        "trl",
    )
    list_filter = ("status", "commercialisation", "ipc_sections", "holder")
    search_fields = ("application_number", "title", "inventor_names")
    autocomplete_fields = ("holder", "ksic")
    filter_horizontal = ("inventors",)
    readonly_fields = ("ipc_sections", "created_by", "created_at", "updated_at")

    def save_model(self, request, obj, form, change):
        from .identifiers import ipc_sections

        obj.ipc_sections = ipc_sections(obj.ipc_codes or [])
        super().save_model(request, obj, form, change)


@admin.register(Equipment)
class EquipmentAdmin(IndexedAdmin):
    search_kind = EQUIPMENT
    list_display = ("nfec_number", "name", "institute", "sharing", "status")
    list_filter = ("sharing", "status", "institute")
    search_fields = ("nfec_number", "name", "name_en", "model_name")
    autocomplete_fields = ("institute",)


@admin.register(Lab)
class LabAdmin(IndexedAdmin):
    search_kind = LAB
    list_display = ("name", "institute")
    search_fields = ("name",)
    autocomplete_fields = ("institute",)
    filter_horizontal = ("capabilities", "equipment")


class ExpertContactInline(admin.StackedInline):
    model = ExpertContact
    can_delete = False
    extra = 0


@admin.register(Expert)
class ExpertAdmin(IndexedAdmin):
    search_kind = EXPERT
    list_display = ("name", "institute", "department", "available_for_exchange")
    list_filter = ("available_for_exchange", "institute")
    search_fields = ("name", "name_en", "department")
    autocomplete_fields = ("institute", "user")
    inlines = [ExpertContactInline]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # the inline shows personal data: record the view (PIPA processing record)
        if request.method == "GET":
            expert = Expert.objects.filter(pk=object_id).first()
            if expert is not None and ExpertContact.objects.filter(expert=expert).exists():
                personal_data_access_record(
                    actor=request.user,
                    via="admin",
                    subject=expert,
                    fields=["phone", "email", "cv"],
                    purpose="관리자 화면 열람",
                )
        return super().change_view(request, object_id, form_url, extra_context)


class ReadOnlyStatusMixin:
    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]  # type: ignore[attr-defined]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EquipmentBooking)
class EquipmentBookingAdmin(ReadOnlyStatusMixin, admin.ModelAdmin):
    list_display = ("equipment", "organisation", "starts_at", "ends_at", "status")
    list_filter = ("status",)
    date_hierarchy = "starts_at"


class TransferEventInline(admin.TabularInline):
    model = TransferEvent
    extra = 0
    can_delete = False
    readonly_fields = ("from_status", "to_status", "actor", "note", "at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(TransferApplication)
class TransferApplicationAdmin(ReadOnlyStatusMixin, admin.ModelAdmin):
    list_display = ("technology", "applicant", "deal_type", "status", "submitted_at")
    list_filter = ("status", "deal_type")
    inlines = [TransferEventInline]


@admin.register(RoyaltyReport)
class RoyaltyReportAdmin(ReadOnlyStatusMixin, admin.ModelAdmin):
    list_display = ("application", "period_start", "period_end", "sales", "royalty_due")


class ExchangeEventInline(admin.TabularInline):
    model = ExchangeEvent
    extra = 0
    can_delete = False
    readonly_fields = ("from_status", "to_status", "actor", "note", "at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ExchangeRequest)
class ExchangeRequestAdmin(ReadOnlyStatusMixin, admin.ModelAdmin):
    list_display = ("requester", "direction", "field", "period_class", "status")
    list_filter = ("status", "period_class", "direction")
    inlines = [ExchangeEventInline]
