"""Marketplace API (/api/v1/market)."""

from ninja import Router

router = Router(tags=["market"])
