from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TechbankConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dure.techbank"
    verbose_name = _("기술은행")

    def ready(self) -> None:
        from . import search_index

        search_index.register()
