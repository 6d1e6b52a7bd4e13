"""Demo policy targets: this year's and last year's, as a support centre would set them."""

from __future__ import annotations

from django.utils import timezone

from .indicators import IndicatorKey
from .models import PolicyTarget

TARGETS = {
    IndicatorKey.FOUNDING_CONSULTATIONS: 30,
    IndicatorKey.COOPERATIVES_FOUNDED: 12,
    IndicatorKey.COOPERATIVE_JOBS: 60,
    IndicatorKey.SME_CASES_RESOLVED: 40,
    IndicatorKey.TECHNOLOGY_TRANSFERS: 6,
    IndicatorKey.TECHNOLOGIES_COMMERCIALISED: 3,
    IndicatorKey.EDUCATION_PARTICIPANTS: 300,
    IndicatorKey.MOUS_SIGNED: 5,
}


def load_demo() -> dict[str, int]:
    year = timezone.localdate().year
    for y in (year - 1, year):
        for key, target in TARGETS.items():
            PolicyTarget.objects.get_or_create(year=y, indicator=key, defaults={"target": target})
    return {"policy_targets": PolicyTarget.objects.count()}
