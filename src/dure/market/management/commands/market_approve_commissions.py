"""``dure market-approve-commissions``: approve the commissions of every delivered sub-order
whose refund window has passed (pending → payable), and cancel bank-transfer orders whose
deposit deadline passed. Idempotent: run it from cron as often as you like."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from dure.market import services


class Command(BaseCommand):
    help = "환불 기간이 지난 주문의 수수료를 확정하고, 입금 기한이 지난 주문을 취소합니다."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--no-expire", action="store_true", help="입금 기한이 지난 주문은 취소하지 않음"
        )

    def handle(self, *args, **options) -> None:
        approved = services.commissions_approve_due()
        cancelled = 0 if options["no_expire"] else services.orders_cancel_expired()
        self.stdout.write(f"approved sub-orders: {approved}; cancelled unpaid orders: {cancelled}")
