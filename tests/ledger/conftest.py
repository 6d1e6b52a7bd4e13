"""Ledger fixtures. Parties are unsaved organisations with high primary keys: the ledger keys
accounts by (model label, pk) without a foreign key, so tests stay clear of the demo data's
accounts (the market demo posts to the real organisations)."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

SEOUL = ZoneInfo("Asia/Seoul")
_next_pk = itertools.count(9_000_000)


def seoul(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SEOUL)


@pytest.fixture
def make_party():
    from dure.directory.models import Organisation

    return lambda: Organisation(pk=next(_next_pk), name="테스트 조합")


@pytest.fixture
def books(db, make_party):
    """A supplier and a seller with their payables, plus the platform accounts."""
    from dure.ledger import services
    from dure.ledger.models import AccountKind as K

    supplier, seller = make_party(), make_party()

    class Books:
        pass

    b = Books()
    b.supplier, b.seller = supplier, seller
    b.clearing = services.account(K.PAYMENT_CLEARING)
    b.revenue = services.account(K.PLATFORM_REVENUE)
    b.vat = services.account(K.VAT_PAYABLE)
    b.payouts = services.account(K.PAYOUTS)
    b.supplier_payable = services.account(K.SUPPLIER_PAYABLE, supplier)
    b.seller_payable = services.account(K.SELLER_PAYABLE, seller)
    return b
