from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, Consent, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Dure", {"fields": ("display_name", "phone", "preferred_language", "is_platform_admin")}),
    )
    list_display = ("username", "display_name", "email", "is_platform_admin", "is_active")


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "version", "agreed_at", "withdrawn_at")
    readonly_fields = ("user", "kind", "version", "agreed_at")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "digest", "created_at", "last_used_at")
