from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "dure.directory"
    label = "directory"
    verbose_name = _("기관 디렉터리")

    def ready(self) -> None:
        from . import cache_invalidation, search_index

        search_index.register()
        cache_invalidation.connect()
