"""Back-office views of governance records. Read-mostly: the record of an assembly (ballots,
results, signed minutes) changes only through the services, so those are read-only here."""

from __future__ import annotations

from django.contrib import admin

from .models import (
    AgendaItem,
    Assembly,
    Attendance,
    CoopSettings,
    Delegate,
    DuesPayment,
    DuesSchedule,
    ExpulsionCase,
    Founder,
    FoundingConsent,
    Member,
    Minutes,
    Notice,
    OfficerTerm,
    Proxy,
    ShareIssue,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CoopSettings)
class CoopSettingsAdmin(admin.ModelAdmin):
    list_display = ["organisation", "remote_voting_enabled", "fiscal_year_end_month"]


@admin.register(Member)
class MemberAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "number", "name", "kind", "stakeholder_type", "status"]
    list_filter = ["status", "kind", "stakeholder_type"]
    search_fields = ["name", "organisation__name"]


@admin.register(ShareIssue)
class ShareIssueAdmin(ReadOnlyAdmin):
    list_display = ["member", "count", "unit_price", "preferred", "paid", "issued_on"]


@admin.register(DuesSchedule)
class DuesScheduleAdmin(admin.ModelAdmin):
    list_display = ["organisation", "name", "amount", "starts_year"]


@admin.register(DuesPayment)
class DuesPaymentAdmin(ReadOnlyAdmin):
    list_display = ["member", "schedule", "year", "amount", "paid_on"]


class ItemInline(admin.TabularInline):
    model = AgendaItem
    fields = ["order", "title", "matter", "resolution", "status", "passed", "explanation"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Assembly)
class AssemblyAdmin(ReadOnlyAdmin):
    list_display = ["title", "organisation", "kind", "scheduled_at", "status"]
    list_filter = ["kind", "status"]
    inlines = [ItemInline]


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["assembly", "sent_at", "emailed", "mailed", "in_time"]


@admin.register(Attendance)
class AttendanceAdmin(ReadOnlyAdmin):
    list_display = ["assembly", "member", "method", "checked_in_at"]


@admin.register(Proxy)
class ProxyAdmin(ReadOnlyAdmin):
    list_display = ["assembly", "member", "proxy_name", "cohabiting_family"]


@admin.register(Minutes)
class MinutesAdmin(ReadOnlyAdmin):
    list_display = ["assembly", "version", "status", "locked_at"]


@admin.register(ExpulsionCase)
class ExpulsionCaseAdmin(ReadOnlyAdmin):
    list_display = ["member", "ground", "status", "reasons_notified_on"]


@admin.register(OfficerTerm)
class OfficerTermAdmin(ReadOnlyAdmin):
    list_display = ["member", "office", "starts_on", "ends_on"]


# --- delegates and founding records (changed through the services only) ------------------------


@admin.register(Delegate)
class DelegateAdmin(ReadOnlyAdmin):
    list_display = ["member", "starts_on", "ends_on", "left_on", "method", "district"]
    list_select_related = ["member"]


@admin.register(Founder)
class FounderAdmin(ReadOnlyAdmin):
    list_display = ["name", "stakeholder_type", "assembly"]


@admin.register(FoundingConsent)
class FoundingConsentAdmin(ReadOnlyAdmin):
    list_display = ["member", "submitted_on", "assembly"]
    list_select_related = ["member", "assembly"]
