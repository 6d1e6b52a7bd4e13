from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dure.market"
    verbose_name = _("협동조합 간 거래")

    def ready(self) -> None:
        from . import search_index

        search_index.register()
