"""Schemas and input types shared by every router."""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Header, Schema
from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

from dure.core.idempotency import MAX_KEY_LENGTH


def _storable(value: str) -> str:
    """Refuse text no database should get: NUL (PostgreSQL rejects it) and lone surrogates
    (not encodable as UTF-8)."""
    if "\x00" in value:
        raise PydanticCustomError("invalid_characters", "NUL characters are not allowed")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise PydanticCustomError("invalid_characters", "text is not valid Unicode") from exc
    return value


def IdempotencyKeyHeader(what: str) -> Any:
    """The optional ``Idempotency-Key`` header of a create endpoint (``what``: "신청" …)."""
    return Header(
        None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description=f"중복 {what} 방지 키 (요청마다 새 값, 예: UUID). 같은 키로 다시 보내면 처음 "
        f"{what}을 200으로 돌려줍니다. 같은 키에 다른 내용이면 409입니다.",
    )


def Text(max_length: int) -> Any:
    """A trimmed string of at most ``max_length`` characters that a database can store."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, max_length=max_length),
        AfterValidator(_storable),
    ]


class ErrorItem(Schema):
    code: str
    message: str
    field: str | None = None


class ErrorOut(ErrorItem):
    """``errors`` lists every problem when there is more than one."""

    errors: list[ErrorItem] | None = None


def error_responses(*statuses: int) -> dict[int, type[ErrorOut]]:
    return dict.fromkeys(statuses, ErrorOut)
