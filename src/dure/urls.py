from django.contrib import admin
from django.urls import include, path

from dure.accounts.urls import auth_urlpatterns
from dure.api.api import api
from dure.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("privacy/", core_views.privacy, name="privacy"),
    path("healthz", core_views.health, name="health"),
    path("ping", core_views.ping, name="ping"),
    path("accounts/", include(auth_urlpatterns)),
    path("accounts/", include("dure.accounts.urls")),
    path("directory/", include("dure.directory.urls")),
    path("staff/", include("dure.core.urls")),
    path("desk/", include("dure.desk.urls")),
    path("techbank/", include("dure.techbank.urls")),
    path("coop/", include("dure.governance.urls")),
    path("market/", include("dure.market.urls")),
    path("programs/", include("dure.programs.urls")),
    path("insights/", include("dure.insights.urls")),
    path("founding/", include("dure.founding.urls")),
    path("", include("dure.portal.urls")),
    path("i18n/language/", core_views.switch_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

handler404 = "dure.core.views.error_404"
handler500 = "dure.core.views.error_500"
