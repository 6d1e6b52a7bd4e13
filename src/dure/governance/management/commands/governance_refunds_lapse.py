"""``dure governance-refunds-lapse``: mark lapsed every capital refund nobody claimed within
2 years of becoming claimable (art. 26②). Idempotent: run it from cron daily (or as often as
you like); a refund is marked once, with its audit row. ``--open-missing`` first opens the
refunds of members who left before refunds were recorded."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from dure.governance.services import capital_refunds_lapse, capital_refunds_open_missing


class Command(BaseCommand):
    help = "청구 기한(2년)이 지난 출자금 환급을 시효 소멸로 처리합니다 (여러 번 실행해도 됩니다)."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="이 날짜 기준으로 판단 (YYYY-MM-DD; 기본: 오늘)")
        parser.add_argument(
            "--open-missing",
            action="store_true",
            help="환급 기록 없이 탈퇴 처리된 조합원의 환급 기록을 먼저 엽니다",
        )

    def handle(self, *args, **options):
        today = None
        if options.get("today"):
            try:
                today = dt.date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError(_("--today 값이 YYYY-MM-DD 날짜가 아닙니다.")) from exc
        if options.get("open_missing"):
            opened = capital_refunds_open_missing()
            self.stdout.write(_("새로 연 환급 기록 %(n)s건") % {"n": opened})
        marked = capital_refunds_lapse(today=today)
        self.stdout.write(_("시효 소멸 처리 %(n)s건") % {"n": marked})
