"""Assembly checker API (owned by the rules/checker work)."""

from ninja import Router

router = Router(tags=["governance"])
