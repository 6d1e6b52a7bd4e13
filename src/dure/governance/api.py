"""Governance API (/api/v1/governance)."""

from ninja import Router

from .api_checker import router as checker_router

router = Router(tags=["governance"])
router.add_router("", checker_router)
