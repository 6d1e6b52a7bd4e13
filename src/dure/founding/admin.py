"""Founding consultations in the admin site, to look up: they change through the pages and
the API (stage steps, events and the audit log)."""

from django.contrib import admin

from .models import Consultation


@admin.register(Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    list_display = ["proposed_name", "kind", "centre", "stage", "consultant", "created_at"]
    list_filter = ["stage", "kind"]
    search_fields = ["proposed_name"]
    list_select_related = ["centre", "consultant"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
