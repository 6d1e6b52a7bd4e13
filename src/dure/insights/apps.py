from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "dure.insights"
    label = "insights"
    verbose_name = _("성과 지표")
