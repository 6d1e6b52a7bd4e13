from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "dure.accounts"
    label = "accounts"
    verbose_name = _("계정")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (login / failed-login audit)
