"""The policy indicators the platform counts itself, each from its own app's selectors.

An indicator's actual value is what the data holds, counted per month of a calendar year in
Korean time; its target is set by the support centres' staff (``PolicyTarget``). The
definitions are shown on the dashboard beside the numbers, so nobody has to guess what a
figure counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class IndicatorKey(models.TextChoices):
    FOUNDING_CONSULTATIONS = "founding_consultations", _("협동조합 설립 상담")
    COOPERATIVES_FOUNDED = "cooperatives_founded", _("협동조합 설립")
    COOPERATIVE_JOBS = "cooperative_jobs", _("신설 협동조합 일자리")
    SME_CASES_RESOLVED = "sme_cases_resolved", _("기술 애로 해결")
    TECHNOLOGY_TRANSFERS = "technology_transfers", _("기술이전 계약")
    TECHNOLOGIES_COMMERCIALISED = "technologies_commercialised", _("특허·기술 사업화")
    EDUCATION_PARTICIPANTS = "education_participants", _("교육·행사 참석 인원")
    MOUS_SIGNED = "mous_signed", _("업무협약 체결")


@dataclass(frozen=True)
class Indicator:
    key: str
    unit: Promise
    definition: Promise
    monthly: Callable[[int], list[int]]

    @property
    def label(self) -> str:
        return str(IndicatorKey(self.key).label)


def _founding(year: int) -> list[int]:
    from dure.founding.selectors import consultations_received_monthly

    return consultations_received_monthly(year=year)


def _cooperatives(year: int) -> list[int]:
    from dure.directory.selectors import cooperatives_founded_monthly

    return cooperatives_founded_monthly(year=year)


def _jobs(year: int) -> list[int]:
    from dure.directory.selectors import cooperative_jobs_founded_monthly

    return cooperative_jobs_founded_monthly(year=year)


def _cases(year: int) -> list[int]:
    from dure.desk.selectors import cases_resolved_monthly

    return cases_resolved_monthly(year=year)


def _transfers(status: str) -> Callable[[int], list[int]]:
    def count(year: int) -> list[int]:
        from dure.techbank.selectors import transfers_reaching_monthly

        return transfers_reaching_monthly(year=year, status=status)

    return count


def _attendance(year: int) -> list[int]:
    from dure.programs.selectors import attendance_monthly

    return attendance_monthly(year=year)


def _mous(year: int) -> list[int]:
    from dure.directory.selectors import mous_signed_monthly

    return mous_signed_monthly(year=year)


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        IndicatorKey.FOUNDING_CONSULTATIONS,
        pgettext_lazy("indicator unit", "건"),
        _("지원센터가 받은 협동조합 설립 상담 신청 (신청일 기준)"),
        _founding,
    ),
    Indicator(
        IndicatorKey.COOPERATIVES_FOUNDED,
        pgettext_lazy("indicator unit", "개"),
        _(
            "기관 디렉터리의 협동조합(일반·사회적·직원협동조합, 연합회, 협의회) 중 설립일이 그 달인 곳"
        ),
        _cooperatives,
    ),
    Indicator(
        IndicatorKey.COOPERATIVE_JOBS,
        pgettext_lazy("indicator unit", "명"),
        _("그 달에 설립된 협동조합에 기록된 직원 수의 합"),
        _jobs,
    ),
    Indicator(
        IndicatorKey.SME_CASES_RESOLVED,
        pgettext_lazy("indicator unit", "건"),
        _(
            "원스톱 애로 상담에서 해결된 사례 (해결 일시 기준; 다시 열린 사례와 "
            "'해결 불가'로 끝난 사례 제외)"
        ),
        _cases,
    ),
    Indicator(
        IndicatorKey.TECHNOLOGY_TRANSFERS,
        pgettext_lazy("indicator unit", "건"),
        _("기술이전 신청이 계약 체결 단계에 이른 건수 (계약 일시 기준)"),
        _transfers("contracted"),
    ),
    Indicator(
        IndicatorKey.TECHNOLOGIES_COMMERCIALISED,
        pgettext_lazy("indicator unit", "건"),
        _("기술이전 신청이 사업화 단계에 이른 건수 (사업화 보고 일시 기준)"),
        _transfers("commercialised"),
    ),
    Indicator(
        IndicatorKey.EDUCATION_PARTICIPANTS,
        pgettext_lazy("indicator unit", "명"),
        _("교육·행사에서 출석으로 기록된 인원 (교육·행사 시작일 기준)"),
        _attendance,
    ),
    Indicator(
        IndicatorKey.MOUS_SIGNED,
        pgettext_lazy("indicator unit", "건"),
        _("체결일이 그 달인 업무협약 (협의 중인 협약 제외)"),
        _mous,
    ),
)

BY_KEY = {indicator.key: indicator for indicator in INDICATORS}
