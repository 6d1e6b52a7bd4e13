from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "dure.portal"
    label = "portal"
    verbose_name = _("공지사항·성공 사례")
