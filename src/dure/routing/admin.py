"""Past routing decisions in the back office: to look at, not to edit (they are written by
``services.routing_example_record`` when staff triage a case, with the embedding beside)."""

from django.contrib import admin

from .models import RoutingExample


@admin.register(RoutingExample)
class RoutingExampleAdmin(admin.ModelAdmin):
    list_display = ("source", "source_id", "institutes", "actor", "updated_at")
    list_filter = ("source",)
    search_fields = ("text", "source_id")
    readonly_fields = (
        "text",
        "institutes",
        "source",
        "source_id",
        "embedding_model",
        "actor",
        "created_at",
        "updated_at",
    )
    exclude = ("embedding",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # through services.routing_example_delete, which writes the audit row
