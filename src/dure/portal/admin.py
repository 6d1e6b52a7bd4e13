"""Notices and stories in the admin site, to look up: they change through the pages and the
API (consent steps, events and the audit log)."""

from django.contrib import admin

from .models import Notice, Story


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["title", "category", "publisher", "status", "pinned", "published_at"]
    list_filter = ["status", "category"]
    search_fields = ["title"]
    list_select_related = ["publisher"]


@admin.register(Story)
class StoryAdmin(ReadOnlyAdmin):
    list_display = ["title", "subject", "centre", "support_kind", "status", "published_at"]
    list_filter = ["status", "support_kind"]
    search_fields = ["title", "subject__name"]
    list_select_related = ["subject", "centre"]
