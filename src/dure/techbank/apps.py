from django.apps import AppConfig


class TechbankConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dure.techbank"
