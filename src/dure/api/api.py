"""The HTTP API at /api/v1/ (django-ninja). One router per app; errors are JSON
``{"code", "message", "field"}``."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(
    title="Dure API",
    version="1",
    description="두레 API — 기관 디렉터리 (Korean-first one-stop platform API)",
    urls_namespace="api",
)
