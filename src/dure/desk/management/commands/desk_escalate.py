"""``dure desk-escalate``: warn about cases due within one business day and escalate overdue
ones to the centre manager. Idempotent — run it from cron as often as you like (e.g. every
15 minutes); each warning and escalation happens once, with a case event and one e-mail."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from dure.desk.services import sla_escalate


class Command(BaseCommand):
    help = "SLA 기한 임박 알림과 기한 초과 건의 센터장 보고 (여러 번 실행해도 한 번만 보냅니다)"

    def add_arguments(self, parser):
        parser.add_argument(
            "--at",
            help="이 시각 기준으로 판단 (ISO 8601, 시간대 포함; 기본: 지금)",
        )

    def handle(self, *args, **options):
        now = None
        if options.get("at"):
            try:
                now = dt.datetime.fromisoformat(options["at"])
            except ValueError as exc:
                raise CommandError(_("--at 값이 ISO 8601 시각이 아닙니다.")) from exc
            if now.tzinfo is None:
                raise CommandError(_("--at 값에 시간대를 넣어 주세요 (예: +09:00)."))
        report = sla_escalate(now=now)
        self.stdout.write(
            _("기한 임박 알림 %(warned)s건, 기한 초과 보고 %(escalated)s건")
            % {"warned": report.warned, "escalated": report.escalated}
        )
