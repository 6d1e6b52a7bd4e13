from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FoundingConfig(AppConfig):
    name = "dure.founding"
    label = "founding"
    verbose_name = _("협동조합 설립 상담")
