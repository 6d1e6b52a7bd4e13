"""The desk in the Django admin, for platform admins. Cases are read-mostly here: their status
changes only through the services (the pages and the API); the timeline and messages are shown
read-only."""

from django.contrib import admin

from .models import (
    Case,
    CaseAttachment,
    CaseCollaborator,
    CaseEvent,
    CaseMessage,
    CasePause,
    CaseResolution,
    CaseSurvey,
    CompanyTeam,
    DeskCentre,
    NotificationLog,
    SlaPolicy,
    Team,
    TeamMember,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CaseEventInline(ReadOnlyInline):
    model = CaseEvent
    fields = ("at", "kind", "from_status", "to_status", "actor_label", "data", "is_internal")
    readonly_fields = fields
    ordering = ("at", "id")


class CaseMessageInline(ReadOnlyInline):
    model = CaseMessage
    fields = ("created_at", "author_kind", "author", "is_internal", "body")
    readonly_fields = fields


class CaseAttachmentInline(ReadOnlyInline):
    model = CaseAttachment
    fields = ("created_at", "original_name", "kind", "size", "sha256", "is_internal")
    readonly_fields = fields


class CaseCollaboratorInline(admin.TabularInline):
    model = CaseCollaborator
    fk_name = "case"
    extra = 0
    autocomplete_fields = ("user",)
    readonly_fields = ("institute", "added_by", "added_at")


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "title",
        "status",
        "channel",
        "category",
        "lead_institute",
        "assignee",
        "received_at",
        "first_response_due_at",
    )
    list_filter = ("status", "channel", "category", "priority", "receiving_centre")
    search_fields = ("number", "title", "company_name")
    date_hierarchy = "received_at"
    list_select_related = ("lead_institute", "assignee")
    readonly_fields = (
        "number",
        "year",
        "sequence",
        "status",
        "received_at",
        "requester",
        "submitted_by",
        "consent_version",
        "consent_at",
        "consent",
        "idempotency_key",
        "triaged_at",
        "assigned_at",
        "started_at",
        "first_response_at",
        "resolved_at",
        "closed_at",
        "waiting_since",
        "first_response_due_at",
        "resolution_due_at",
        "first_response_warned_at",
        "first_response_escalated_at",
        "resolution_warned_at",
        "resolution_escalated_at",
        "outcome",
        "resolution_count",
    )
    autocomplete_fields = ("organisation", "industry")
    raw_id_fields = ("receiving_centre", "lead_institute", "team", "assignee")
    inlines = [CaseCollaboratorInline, CaseMessageInline, CaseAttachmentInline, CaseEventInline]

    def has_add_permission(self, request):
        return False  # cases come in through the intake services

    def has_delete_permission(self, request, obj=None):
        return False  # the timeline and audit trail refer to them


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    list_display = ("at", "case", "kind", "from_status", "to_status", "actor_label")
    list_filter = ("kind",)
    search_fields = ("case__number",)
    list_select_related = ("case",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DeskCentre)
class DeskCentreAdmin(admin.ModelAdmin):
    list_display = ("organisation", "is_national_intake", "manager", "email")
    autocomplete_fields = ("organisation", "manager")


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("category", "first_response_days", "resolution_days")


class TeamMemberInline(admin.TabularInline):
    model = TeamMember
    extra = 0
    autocomplete_fields = ("user",)
    readonly_fields = ("last_assigned_at",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "institute", "auto_assign", "is_active")
    list_filter = ("auto_assign", "is_active")
    search_fields = ("name", "institute__name", "institute__acronym")
    autocomplete_fields = ("institute",)
    inlines = [TeamMemberInline]


@admin.register(CompanyTeam)
class CompanyTeamAdmin(admin.ModelAdmin):
    list_display = ("institute", "business_number", "organisation", "team", "updated_at")
    autocomplete_fields = ("institute", "organisation", "team")


@admin.register(CaseResolution)
class CaseResolutionAdmin(admin.ModelAdmin):
    list_display = ("case", "round", "outcome", "resolved_at", "business_days", "met_target")
    list_filter = ("outcome", "met_target")
    list_select_related = ("case",)
    readonly_fields = ("case", "round", "resolved_at", "resolved_by", "business_days", "met_target")


@admin.register(CaseSurvey)
class CaseSurveyAdmin(admin.ModelAdmin):
    list_display = ("case", "rating", "answered_at", "via_status_link")
    list_filter = ("rating",)
    readonly_fields = ("resolution", "case", "rating", "comment", "answered_at", "via_status_link")


admin.site.register(CasePause)
admin.site.register(NotificationLog)
