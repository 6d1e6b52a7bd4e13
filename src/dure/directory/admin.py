from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from dure.core.audit import audit_record
from dure.search.services import index_object

from .models import (
    MOU,
    Capability,
    IndustryClass,
    Membership,
    Organisation,
    Sido,
    Sigungu,
    StrategicField,
)
from .search_index import KIND as ORGANISATION_KIND


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):
    list_display = ("name", "kind", "sido", "business_number", "is_public")
    list_filter = ("kind", "sido", "is_public")
    search_fields = ("name", "name_en", "acronym", "business_number")
    autocomplete_fields = ("parent", "industry")
    filter_horizontal = ("strategic_fields", "capabilities")

    def save_related(self, request, form, formsets, change):
        # Admin edits bypass the service layer's form, so keep index and audit in step here.
        super().save_related(request, form, formsets, change)
        index_object(ORGANISATION_KIND, form.instance)
        audit_record(
            actor=request.user,
            action="organisation.update" if change else "organisation.create",
            obj=form.instance,
            changes={"via": "admin", "fields": sorted(form.changed_data)},
        )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation", "role", "title", "granted_at")
    list_filter = ("role",)
    search_fields = ("user__username", "organisation__name")
    autocomplete_fields = ("user", "organisation")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="role.grant" if not change else "role.change",
            obj=obj,
            changes={
                "role": obj.role,
                "organisation": obj.organisation_id,
                "user": obj.user.get_username(),
            },
        )

    def delete_model(self, request, obj):
        audit_record(
            actor=request.user,
            action="role.revoke",
            obj=obj,
            changes={"role": obj.role, "organisation": obj.organisation_id},
        )
        super().delete_model(request, obj)


@admin.register(MOU)
class MOUAdmin(SimpleHistoryAdmin):
    list_display = ("title", "status", "signed_on")
    filter_horizontal = ("parties",)


@admin.register(IndustryClass)
class IndustryClassAdmin(admin.ModelAdmin):
    search_fields = ("code", "name")
    list_display = ("code", "name", "level")


admin.site.register(Sido)
admin.site.register(Sigungu)
admin.site.register(StrategicField)
admin.site.register(Capability)
