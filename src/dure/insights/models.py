from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .indicators import IndicatorKey

FIRST_YEAR, LAST_YEAR = 2012, 2100  # the Framework Act on Cooperatives took effect in 2012


class PolicyTarget(models.Model):
    """A year's target for one indicator, set by the support centres' staff."""

    year = models.PositiveSmallIntegerField(_("연도"))
    indicator = models.CharField(_("지표"), max_length=40, choices=IndicatorKey.choices)
    target = models.PositiveBigIntegerField(_("목표"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("수정 일시"), auto_now=True)

    class Meta:
        verbose_name = _("정책 목표")
        verbose_name_plural = _("정책 목표")
        ordering = ["-year", "indicator"]
        constraints = [
            models.UniqueConstraint(fields=["year", "indicator"], name="policy_target_once_a_year"),
            models.CheckConstraint(
                condition=Q(year__gte=FIRST_YEAR, year__lte=LAST_YEAR),
                name="policy_target_year_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.get_indicator_display()}: {self.target}"
