"""Past routing decisions, kept as evidence for future recommendations.

Whenever staff confirm or override the lead institute of a case, the desk records the case
text and the institutes that were right (``services.routing_example_record``). One row per
source object: a changed decision replaces the earlier one. The sentence embedding is stored
beside the row as bytes (float16), portable across SQLite and PostgreSQL without pgvector.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils.translation import gettext_lazy as _

MAX_TEXT_CHARS = 10_000


class RoutingExample(models.Model):
    text = models.TextField(_("요청 내용"))
    institutes = models.JSONField(
        _("담당 기관"), default=list, help_text=_('맞는 기관의 약칭 목록 (예: ["KITECH"])')
    )
    source = models.CharField(_("출처 종류"), max_length=50, help_text=_("예: desk.case"))
    source_id = models.CharField(_("출처 ID"), max_length=64)
    embedding = models.BinaryField(_("문장 임베딩"), editable=False)
    embedding_model = models.CharField(_("임베딩 모델"), max_length=60, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("결정한 사람"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("등록 시각"), auto_now_add=True)
    updated_at = models.DateTimeField(_("변경 시각"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("배정 사례")
        verbose_name_plural = _("배정 사례")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"], name="routing_example_one_per_source"
            ),
            models.CheckConstraint(
                condition=~Q(source="") & ~Q(source_id=""),
                name="routing_example_source_given",
            ),
            models.CheckConstraint(
                condition=Q(
                    GreaterThanOrEqual(Length("text"), 1),
                    LessThanOrEqual(Length("text"), MAX_TEXT_CHARS),
                ),
                name="routing_example_text_length",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.source_id} → {', '.join(self.institutes)}"
