from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _claim_referrals_on_login(
    sender: Any, request: Any = None, user: Any = None, **kwargs: Any
) -> None:
    """The referral clicks made before logging in stay with the buyer: the session cookie the
    login request came with still names the pre-login session (``login()`` has already given
    the session a new key when this signal is sent)."""
    if request is None or user is None:
        return
    from django.conf import settings

    from . import services

    previous = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    session = getattr(request, "session", None)
    services.referral_clicks_claim(
        user=user,
        previous_session_key=previous,
        session_key=getattr(session, "session_key", "") or "",
    )


class MarketConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dure.market"
    verbose_name = _("협동조합 간 거래")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import search_index

        search_index.register()
        user_logged_in.connect(_claim_referrals_on_login, dispatch_uid="market.claim_referrals")
