from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from dure.core.audit import personal_data_access_record
from dure.core.models import PersonalDataAccess

from .models import ApiToken, Consent, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Dure", {"fields": ("display_name", "phone", "preferred_language", "is_platform_admin")}),
    )
    list_display = ("username", "display_name", "email", "is_platform_admin", "is_active")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            subject = self.get_object(request, object_id)
            if subject is not None and subject.pk != request.user.pk:
                personal_data_access_record(
                    actor=request.user,
                    via=PersonalDataAccess.Via.ADMIN,
                    subject=subject,
                    fields=["username", "display_name", "email", "phone"],
                    purpose="관리자 화면의 사용자 정보 열람",
                )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "version", "agreed_at", "withdrawn_at")
    readonly_fields = ("user", "kind", "version", "agreed_at")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "digest", "created_at", "last_used_at")
