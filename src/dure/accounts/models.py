"""Users, privacy consents and personal API tokens.

We collect the minimum (개인정보 보호법 art. 16): a username, a display name and an e-mail for
password resets; a phone number only if the person gives one. Never a resident registration
number.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    display_name = models.CharField(_("표시 이름"), max_length=60, blank=True)
    phone = models.CharField(_("연락처"), max_length=30, blank=True)
    preferred_language = models.CharField(
        _("선호 언어"), max_length=5, choices=settings.LANGUAGES, default="ko"
    )
    is_platform_admin = models.BooleanField(
        _("플랫폼 관리자"),
        default=False,
        help_text=_("모든 기관과 기능을 관리할 수 있습니다."),
    )

    class Meta:
        verbose_name = _("사용자")
        verbose_name_plural = _("사용자")

    def __str__(self) -> str:
        return self.display_name or self.username


class Consent(models.Model):
    """A recorded consent to a version of a privacy notice (동의 이력, kept after withdrawal)."""

    class Kind(models.TextChoices):
        PRIVACY = "privacy", _("개인정보 수집·이용")
        MARKETING = "marketing", _("홍보·안내 수신")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(_("동의 종류"), max_length=20, choices=Kind.choices)
    version = models.CharField(_("고지 버전"), max_length=20)
    agreed_at = models.DateTimeField(_("동의 일시"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("철회 일시"), null=True, blank=True)

    class Meta:
        verbose_name = _("동의 기록")
        verbose_name_plural = _("동의 기록")
        ordering = ["-agreed_at"]

    def __str__(self) -> str:
        return f"{self.user} {self.kind} {self.version}"


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 digest is stored; the token is shown once."""

    PREFIX = "dure_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("이름"), max_length=60)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("생성 일시"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("마지막 사용"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("폐기 일시"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 토큰")
        verbose_name_plural = _("API 토큰")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def new_secret() -> str:
        return ApiToken.PREFIX + secrets.token_urlsafe(32)

    @staticmethod
    def digest_of(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()
