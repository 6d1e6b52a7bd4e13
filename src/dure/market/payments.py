"""Payment providers behind one interface.

Two built-in providers take no card data and need no external service:

- ``BankTransferProvider`` (무통장입금): the buyer receives the account to pay into, the amount,
  the order number to write as the depositor name and a deposit deadline; the operator confirms
  the deposit (``services.payment_confirm``). Unpaid orders past the deadline are cancelled
  (``services.orders_cancel_expired``).
- ``InvoiceProvider`` (후불 청구서): for public institutions, which pay against an invoice on
  their own schedule (30 days by default); the operator confirms the payment the same way.

Extension point — a card payment gateway (e.g. a PG company's API): write a class with the same
``name``/``label``/``start`` and register it in ``PROVIDERS``. ``start`` would create the
payment on the gateway and return its redirect URL in ``PaymentStart.redirect_url``; the
gateway's signed webhook (a view you add, verifying the signature and the amount against
``Payment.amount``) calls ``services.payment_confirm(actor=None, order=..., reference=<PG tid>)``
— that service is idempotent, so a webhook delivered twice confirms once. Never trust an amount
sent by the browser.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from .models import Order


@dataclass(frozen=True)
class PaymentStart:
    instructions: str
    deadline: dt.datetime | None
    redirect_url: str = ""


class PaymentProvider(Protocol):
    name: str
    label: str

    def start(self, order: Order) -> PaymentStart: ...


class BankTransferProvider:
    name = "bank_transfer"
    label = "무통장입금"

    def start(self, order: Order) -> PaymentStart:
        days = int(getattr(settings, "DURE_MARKET_DEPOSIT_DAYS", 3))
        deadline = timezone.localtime(order.created_at or timezone.now()) + dt.timedelta(days=days)
        account = getattr(
            settings,
            "DURE_MARKET_BANK_ACCOUNT",
            "국민은행 000000-00-000000 (예금주: 서울지역협동조합협의회)",
        )
        text = _(
            "입금 계좌: %(account)s\n입금액: %(amount)s원\n입금자명: %(number)s\n"
            "입금 기한: %(deadline)s까지 (기한이 지나면 주문이 취소됩니다)"
        ) % {
            "account": account,
            "amount": f"{order.total:,}",
            "number": order.number,
            "deadline": deadline.strftime("%Y-%m-%d %H:%M"),
        }
        return PaymentStart(instructions=text, deadline=deadline)


class InvoiceProvider:
    name = "invoice"
    label = "후불 청구서"

    def start(self, order: Order) -> PaymentStart:
        days = int(getattr(settings, "DURE_MARKET_INVOICE_DAYS", 30))
        due = timezone.localtime(order.created_at or timezone.now()) + dt.timedelta(days=days)
        text = _(
            "청구서 번호: %(number)s\n청구액: %(amount)s원\n지급 기한: %(due)s\n"
            "기관의 지출 절차에 따라 지급해 주세요."
        ) % {"number": order.number, "amount": f"{order.total:,}", "due": due.date()}
        return PaymentStart(instructions=text, deadline=None)


class OnSiteProvider:
    """Paid at an offline market day's stall (cash or the partner's terminal); the operator
    records the sale already paid."""

    name = "on_site"
    label = "현장 결제"

    def start(self, order: Order) -> PaymentStart:
        day = order.market_day
        where = f"{day.name} ({day.held_on})" if day else ""
        return PaymentStart(
            instructions=_("현장 결제: %(where)s") % {"where": where}, deadline=None
        )


PROVIDERS: dict[str, PaymentProvider] = {
    BankTransferProvider.name: BankTransferProvider(),
    InvoiceProvider.name: InvoiceProvider(),
    OnSiteProvider.name: OnSiteProvider(),
}


def provider_for(name: str) -> PaymentProvider:
    return PROVIDERS[name]
