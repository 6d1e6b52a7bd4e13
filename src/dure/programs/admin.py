"""Programmes and registrations in the admin site, to look up: they change through the pages
and the API (services keep the seats, the waiting list and the audit log right)."""

from django.contrib import admin

from .models import Program, Registration


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Program)
class ProgramAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "host", "starts_at", "status", "capacity", "seats_taken"]
    list_filter = ["kind", "status"]
    search_fields = ["title", "summary"]
    list_select_related = ["host"]


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdmin):
    list_display = ["program", "person", "organisation", "status", "attended", "created_at"]
    list_filter = ["status", "attended"]
    list_select_related = ["program", "person", "organisation"]
