"""Append-only records shared by every app: the audit log and the personal-data access log.

Both tables refuse UPDATE and DELETE in the database itself (triggers created by the
migration), so not even a bug in the application can rewrite history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    pass


class AppendOnlyModel(models.Model):
    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only")


class AuditEvent(AppendOnlyModel):
    """Who did what to which object, when, from where."""

    at = models.DateTimeField(_("시각"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("수행자"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    actor_label = models.CharField(_("수행자 표시"), max_length=150, blank=True)
    action = models.CharField(_("동작"), max_length=60, db_index=True)
    object_type = models.CharField(_("대상 종류"), max_length=60, blank=True)
    object_id = models.CharField(_("대상 ID"), max_length=64, blank=True)
    object_repr = models.CharField(_("대상"), max_length=200, blank=True)
    changes = models.JSONField(_("변경 내용"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP 주소"), null=True, blank=True)

    class Meta:
        verbose_name = _("감사 기록")
        verbose_name_plural = _("감사 기록")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"


class PersonalDataAccess(AppendOnlyModel):
    """A staff member viewed or exported someone's personal data (개인정보 처리 기록)."""

    class Via(models.TextChoices):
        PAGE = "page", _("화면")
        API = "api", _("API")
        EXPORT = "export", _("내보내기")
        ADMIN = "admin", _("관리자 화면")

    at = models.DateTimeField(_("시각"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("열람자"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    actor_label = models.CharField(_("열람자 표시"), max_length=150)
    via = models.CharField(_("경로"), max_length=10, choices=Via.choices)
    subject_type = models.CharField(_("정보주체 종류"), max_length=60)
    subject_id = models.CharField(_("정보주체 ID"), max_length=64)
    fields = models.JSONField(_("열람 항목"), default=list)
    purpose = models.CharField(_("목적"), max_length=200)

    class Meta:
        verbose_name = _("개인정보 열람 기록")
        verbose_name_plural = _("개인정보 열람 기록")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.subject_type}:{self.subject_id}"


class DataVersion(models.Model):
    """A counter bumped by every write to public data; cached public pages are keyed by it, so
    a change anywhere invalidates them at once in every server process."""

    name = models.CharField(max_length=30, primary_key=True)
    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("데이터 버전")
        verbose_name_plural = _("데이터 버전")

    def __str__(self) -> str:
        return f"{self.name}={self.version}"
