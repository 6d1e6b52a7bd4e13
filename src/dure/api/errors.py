"""Every API error is JSON ``{"code", "message", "field"}``.

``code`` is stable (clients branch on it), ``message`` is localized for the request's language
(Korean by default, English with ``Accept-Language: en``) and ``field`` names the input the
error is about, or is ``null``. When several inputs are wrong at once the body is::

    {"code": "validation_error", "message": ..., "field": <first field>,
     "errors": [{"code", "message", "field"}, ...]}

Status codes: 400 malformed JSON (or another bad request), 401 unauthenticated (or a bad
token), 403 forbidden or CSRF, 404 not found (also for objects the caller may not see), 405
method not allowed, 413 body too large, 422 invalid input (pydantic or a service's
``ValidationError``), 429 throttled, 500 a bug (logged).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger("dure.api")

MESSAGES = {
    "unauthenticated": _("로그인하거나 API 토큰(Authorization: Bearer)을 보내 주세요."),
    "invalid_token": _("API 토큰이 올바르지 않거나 폐기되었습니다."),
    "csrf_failed": _("CSRF 검증에 실패했습니다. 페이지를 새로 고친 뒤 다시 시도해 주세요."),
    "forbidden": _("이 작업을 할 권한이 없습니다."),
    "not_found": _("요청한 대상을 찾을 수 없습니다."),
    "method_not_allowed": _("이 주소에서 허용되지 않는 요청 방식입니다."),
    "malformed_json": _("요청 본문이 올바른 JSON이 아닙니다."),
    "bad_request": _("요청을 처리할 수 없습니다."),
    "too_large": _("요청 본문이 너무 큽니다."),
    "throttled": _("요청이 너무 많습니다. 잠시 후 다시 시도해 주세요."),
    "server_error": _("서버에서 오류가 발생했습니다. 잠시 후 다시 시도해 주세요."),
    "validation_error": _("입력값 %(count)s개를 확인해 주세요."),
    "invalid": _("입력값이 올바르지 않습니다."),
}

# pydantic error type → (our code, localized message; may use the error's ctx).
_REQUIRED = ("required", _("필수 항목입니다."))
_INTEGER = ("invalid_integer", _("정수를 입력해 주세요."))
_BOOLEAN = ("invalid_boolean", _("true 또는 false여야 합니다."))
_STRING = ("invalid_string", _("문자열이어야 합니다."))
_DATE = ("invalid_date", _("날짜는 YYYY-MM-DD 형식이어야 합니다."))
_OBJECT = ("invalid_object", _("JSON 객체여야 합니다."))
_CHOICE = ("invalid_choice", _("허용되지 않는 값입니다. 가능한 값: %(expected)s"))
_MIN_VALUE = ("min_value", _("%(limit)s 이상이어야 합니다."))
_MAX_VALUE = ("max_value", _("%(limit)s 이하여야 합니다."))
PYDANTIC_ERRORS: dict[str, tuple[str, Any]] = {
    "missing": _REQUIRED,
    "string_too_long": ("max_length", _("%(max_length)s자 이하로 입력해 주세요.")),
    "string_too_short": ("min_length", _("%(min_length)s자 이상 입력해 주세요.")),
    "too_long": ("max_items", _("항목은 %(max_length)s개까지 입력할 수 있습니다.")),
    "too_short": ("min_items", _("항목을 %(min_length)s개 이상 입력해 주세요.")),
    "greater_than_equal": _MIN_VALUE,
    "greater_than": _MIN_VALUE,
    "less_than_equal": _MAX_VALUE,
    "less_than": _MAX_VALUE,
    "enum": _CHOICE,
    "literal_error": _CHOICE,
    "int_parsing": _INTEGER,
    "int_parsing_size": _INTEGER,
    "int_type": _INTEGER,
    "int_from_float": _INTEGER,
    "bool_parsing": _BOOLEAN,
    "bool_type": _BOOLEAN,
    "string_type": _STRING,
    "string_unicode": _STRING,
    "date_parsing": _DATE,
    "date_type": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "list_type": ("invalid_list", _("목록(JSON 배열)이어야 합니다.")),
    "model_attributes_type": _OBJECT,
    "model_type": _OBJECT,
    "dict_type": _OBJECT,
    "extra_forbidden": ("unknown_field", _("알 수 없는 항목입니다.")),
    "json_invalid": ("malformed_json", MESSAGES["malformed_json"]),
    "invalid_characters": (
        "invalid_characters",
        _("입력할 수 없는 문자(널 문자 등)가 들어 있습니다."),
    ),
}

STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "throttled",
}


class ApiError(Exception):
    """An error the API raises itself, with its status, code and (lazy) message."""

    def __init__(
        self, status: int, code: str, message: Any = None, field: str | None = None
    ) -> None:
        self.status = status
        self.code = code
        self.message = message if message is not None else MESSAGES.get(code, code)
        self.field = field
        super().__init__(code)


def call_service(fn: Any, names: Mapping[str, str], /, **kwargs: Any) -> Any:
    """Call a service; its field errors come out under the API's field names (``names``: the
    service's field → the API's, e.g. ``{"centre": "centre_id"}``)."""
    try:
        return fn(**kwargs)
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise DjangoValidationError(
            {names.get(f, f): e for f, e in exc.error_dict.items()}
        ) from exc


def idempotency_conflict_as_409(exc: DjangoValidationError, field: str = "Idempotency-Key") -> None:
    """A service's refusal of a used idempotency key with another request (already renamed to
    the API's ``field``) is the API's 409; any other error is left to the caller."""
    for error in getattr(exc, "error_dict", {}).get(field, []):
        if error.code == "idempotency_conflict":
            raise ApiError(409, error.code, error.messages[0], field) from exc


def error_item(code: str, message: Any, field: str | None = None) -> dict[str, Any]:
    return {"code": code, "message": str(message), "field": field}


def error_body(items: list[dict[str, Any]]) -> dict[str, Any]:
    """One error as is; several wrapped in a ``validation_error`` listing them all."""
    if len(items) == 1:
        return items[0]
    return {
        "code": "validation_error",
        "message": str(MESSAGES["validation_error"]) % {"count": len(items)},
        "field": next((i["field"] for i in items if i["field"]), None),
        "errors": items,
    }


def _format(message: Any, params: dict[str, Any] | None) -> str:
    text = str(message)
    if params:
        try:
            return text % params
        except (KeyError, TypeError, ValueError):
            return text
    return text


# --- Django ValidationError (services, models) --------------------------------------------------


def django_validation_items(exc: DjangoValidationError) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []

    def add(field: str | None, errors: Iterable[DjangoValidationError]) -> None:
        for error in errors:
            items.append(
                error_item(
                    error.code or "invalid",
                    _format(error.message, error.params),
                    None if field in (None, NON_FIELD_ERRORS) else field,
                )
            )

    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            add(field, errors)
    else:
        add(None, exc.error_list)
    return items or [error_item("invalid", MESSAGES["invalid"])]


# --- pydantic / ninja validation -----------------------------------------------------------------


def _field_of(loc: tuple[Any, ...], body_param_names: frozenset[str]) -> str | None:
    """("body", "payload", "name") → "name"; ("query", "page") → "page"; ("body", "payload",
    "strategic_fields", 2) → "strategic_fields"; ("body", "payload") → None."""
    parts = [str(p) for p in loc[1:] if isinstance(p, str)]
    if loc and loc[0] == "body" and parts and parts[0] in body_param_names:
        parts = parts[1:]
    return parts[0] if parts else None


def pydantic_items(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    items = []
    for err in errors:
        loc = tuple(err.get("loc") or ())
        kind = str(err.get("type", ""))
        code, message = PYDANTIC_ERRORS.get(kind, ("invalid", MESSAGES["invalid"]))
        ctx = dict(err.get("ctx") or {})
        if "expected" in ctx:  # pydantic says "'a', 'b' or 'c'"; keep it language-neutral
            ctx["expected"] = str(ctx["expected"]).replace(" or ", ", ")
        ctx.setdefault("limit", next((ctx[k] for k in ("ge", "gt", "le", "lt") if k in ctx), ""))
        field = _field_of(loc, frozenset({"payload", "body", "data"}))
        if kind == "missing" and field is None and loc and loc[0] == "body":
            code, message = "invalid_object", PYDANTIC_ERRORS["dict_type"][1]
        items.append(error_item(code, _format(message, ctx), field))
    return items or [error_item("invalid", MESSAGES["invalid"])]


# --- the handlers --------------------------------------------------------------------------------


def respond(
    api: NinjaAPI, request: HttpRequest, status: int, items: list[dict[str, Any]]
) -> HttpResponse:
    response = api.create_response(request, error_body(items), status=status)
    if status == 401:  # RFC 6750
        error = ', error="invalid_token"' if items[0]["code"] == "invalid_token" else ""
        response["WWW-Authenticate"] = f'Bearer realm="dure"{error}'
    return response


def register_error_handlers(api: NinjaAPI) -> None:
    def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return respond(api, request, exc.status, [error_item(exc.code, exc.message, exc.field)])

    def on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return respond(api, request, 422, django_validation_items(exc))

    def on_ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        items = pydantic_items(list(exc.errors))
        status = 400 if any(i["code"] == "malformed_json" for i in items) else 422
        return respond(api, request, status, items)

    def on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return respond(
            api, request, 401, [error_item("unauthenticated", MESSAGES["unauthenticated"])]
        )

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc, Throttled):
            return respond(api, request, 429, [error_item("throttled", MESSAGES["throttled"])])
        if exc.status_code == 400 and getattr(request, "_dure_malformed_body", False):
            code = "malformed_json"
        else:
            code = STATUS_CODES.get(exc.status_code, "bad_request")
        return respond(api, request, exc.status_code, [error_item(code, MESSAGES[code])])

    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(api, request, 404, [error_item("not_found", MESSAGES["not_found"])])

    def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(api, request, 403, [error_item("forbidden", MESSAGES["forbidden"])])

    def on_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        # Django answers these 400 itself, but ninja catches them first: a body over
        # DATA_UPLOAD_MAX_MEMORY_SIZE, too many query parameters, a bad Host …
        if isinstance(exc, RequestDataTooBig):
            return respond(api, request, 413, [error_item("too_large", MESSAGES["too_large"])])
        return respond(api, request, 400, [error_item("bad_request", MESSAGES["bad_request"])])

    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("unhandled API error on %s %s", request.method, request.path)
        return respond(api, request, 500, [error_item("server_error", MESSAGES["server_error"])])

    api.add_exception_handler(ApiError, on_api_error)
    api.add_exception_handler(DjangoValidationError, on_django_validation)
    api.add_exception_handler(NinjaValidationError, on_ninja_validation)
    api.add_exception_handler(AuthenticationError, on_authentication)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(PermissionDenied, on_permission_denied)
    api.add_exception_handler(SuspiciousOperation, on_suspicious)
    api.add_exception_handler(Exception, on_unexpected)
