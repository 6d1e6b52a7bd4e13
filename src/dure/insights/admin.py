from django.contrib import admin

from .models import PolicyTarget


@admin.register(PolicyTarget)
class PolicyTargetAdmin(admin.ModelAdmin):
    """To look up: targets change on the targets page or the API (audited)."""

    list_display = ["year", "indicator", "target", "set_by", "updated_at"]
    list_filter = ["year", "indicator"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
