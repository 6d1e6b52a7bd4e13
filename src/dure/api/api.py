"""The HTTP API at /api/v1/ (django-ninja). One router per app; errors are JSON
``{"code", "message", "field"}`` (see ``errors``); who is calling is decided in ``auth``."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path, re_path
from django.utils.translation import get_language
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from .errors import MESSAGES, error_item, register_error_handlers


class DureParser(Parser):
    """Marks the request when its body is not JSON, so the error says ``malformed_json``."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            return super().parse_body(request)
        except Exception:
            request._dure_malformed_body = True  # type: ignore[attr-defined]
            raise


class DureRenderer(JSONRenderer):
    """UTF-8 JSON: Korean text as itself, not ``\\uXXXX`` escapes."""

    json_dumps_params = {"ensure_ascii": False}


class DureAPI(NinjaAPI):
    """NinjaAPI whose every response under /api/v1/ is JSON: the root is a small JSON index,
    an unknown path a JSON 404 and a wrong method a JSON 405 (ninja and Django would answer
    those in HTML or plain text)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._openapi_schemas: dict[tuple[str, str | None], Any] = {}

    def get_openapi_operation_id(self, operation: Any) -> str:
        return str(operation.view_func.__name__)

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        """The OpenAPI document, built once per process, URL prefix and language: it changes
        only with the code, and building it walks every operation's models (about two
        seconds)."""
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        key = (path_prefix, get_language())
        if key not in self._openapi_schemas:
            self._openapi_schemas[key] = super().get_openapi_schema(path_prefix=path_prefix)
        return self._openapi_schemas[key]

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = self._json_method_not_allowed(pattern.callback)
        # ninja's root view raises a bare Http404 (an HTML page); keep its name, which ninja
        # reverses to find the API's prefix.
        urls = [p for p in urls if getattr(p, "name", None) != "api-root"]
        urls.append(path("", csrf_exempt(self._index), name="api-root"))
        urls.append(re_path(r"^.*$", csrf_exempt(self._not_found), name="not-found"))
        return urls

    def _json_method_not_allowed(self, view: Any) -> Any:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            response = view(request, *args, **kwargs)
            if response.status_code == 405 and "json" not in response.get("Content-Type", ""):
                allow = response.get("Allow", "")
                response = self.create_response(
                    request,
                    error_item("method_not_allowed", MESSAGES["method_not_allowed"]),
                    status=405,
                )
                response["Allow"] = allow
            return response

        return wrapper

    def _index(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            response = self.create_response(
                request,
                error_item("method_not_allowed", MESSAGES["method_not_allowed"]),
                status=405,
            )
            response["Allow"] = "GET, HEAD"
            return response
        base = request.path.rstrip("/")
        return self.create_response(
            request,
            {
                "name": self.title,
                "version": self.version,
                "openapi": f"{base}/openapi.json",
                "docs": f"{base}/docs",
            },
            status=200,
        )

    def _not_found(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.create_response(
            request, error_item("not_found", MESSAGES["not_found"]), status=404
        )


api = DureAPI(
    title="Dure API",
    version="1",
    description=(
        "두레 API — 기관 디렉터리 (Korean-first one-stop platform API).\n\n"
        "인증: 개인 API 토큰 (`Authorization: Bearer dure_…`) 또는 로그인 세션 (쓰기 요청에는 "
        "`X-CSRFToken` 헤더). 공개 정보는 인증 없이 읽을 수 있습니다.\n\n"
        '오류는 언제나 JSON `{"code", "message", "field"}` 입니다. `message`는 '
        "`Accept-Language`에 따라 한국어(기본) 또는 영어입니다."
    ),
    urls_namespace="api",
    parser=DureParser(),
    renderer=DureRenderer(),
)
register_error_handlers(api)


def _mount_routers() -> None:
    from dure.desk.api import router as desk_router
    from dure.directory.api import mous_router, organisations_router, reference_router
    from dure.founding.api import router as founding_router
    from dure.governance.api import router as governance_router
    from dure.insights.api import router as insights_router
    from dure.market.api import router as market_router
    from dure.market.api_purchasing import router as purchasing_router
    from dure.portal.api import router as portal_router
    from dure.programs.api import router as programs_router
    from dure.routing.api import router as routing_router
    from dure.techbank.api import router as techbank_router

    api.add_router("/organisations", organisations_router)
    api.add_router("/mous", mous_router)
    api.add_router("/reference", reference_router)
    api.add_router("/desk", desk_router)
    api.add_router("/routing", routing_router)
    api.add_router("/techbank", techbank_router)
    api.add_router("/governance", governance_router)
    api.add_router("/market", market_router)
    api.add_router("/market", purchasing_router)  # public purchasing (견적요청·발주)
    api.add_router("/insights", insights_router)
    api.add_router("/programs", programs_router)
    api.add_router("/founding", founding_router)
    api.add_router("/portal", portal_router)


_mount_routers()
