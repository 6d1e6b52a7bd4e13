"""Assembly checker API: ``POST /api/v1/governance/assembly-check``.

Public (no login; a token or a session is accepted but changes nothing), stateless, and the same
answer as ``dure assembly-check``: one object in → one result out, a list in → a list out in the
same order. Input the API cannot read (a count that is not a non-negative integer, an unknown
``kind`` or ``matter``, a date not ``YYYY-MM-DD``, an unknown field) is a 422 JSON error naming
the field; a well-formed item that the Act does not allow (present > members, more votes than
people present, a delegate assembly of 200 members, a merger decided by delegates, fewer than 5
founders, a late notice …) is a 200 result with ``passed: false`` and its ``errors``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import ConfigDict, StrictInt, StringConstraints, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from dure.api.auth import OPTIONAL_AUTH_OPENAPI, READ_AUTH
from dure.api.errors import ApiError
from dure.api.schemas import error_responses

from . import rules

router = Router(tags=["governance"])

MAX_ITEMS = 500

IdText = Annotated[str, StringConstraints(max_length=200)]
Count = Annotated[StrictInt, Field(ge=0, le=10_000_000)]
KindIn = Literal["general", "delegate", "founding", "board"]
MatterIn = Literal[
    "business_plan",
    "budget",
    "financial_statements",
    "audit_report",
    "officer_election",
    "officer_removal",
    "bylaws",
    "other",
    "articles_amendment",
    "merger",
    "split",
    "dissolution",
    "expulsion",
    "capital_refund",
    "preferred_investment",
]


class AssemblyCheckIn(Schema):
    model_config = ConfigDict(extra="forbid")

    id: StrictInt | IdText | None = Field(None, description="돌려줄 식별자 (그대로 돌아옴)")
    kind: KindIn = Field(
        ...,
        description="general(총회) · delegate(대의원총회) · founding(창립총회) · board(이사회)",
    )
    members: Count = Field(
        ...,
        description="의결권자 수: 조합원, 대의원총회는 대의원, 창립총회는 설립동의자, 이사회는 이사",
    )
    total_members: Count | None = Field(None, description="조합원 총수 (대의원총회에 필요)")
    founders: Count | None = Field(None, description="발기인 수 (창립총회)")
    present: Count = Field(..., description="출석 (대리인으로 출석한 조합원 포함)")
    yes: Count = Field(..., description="찬성")
    no: Count = Field(..., description="반대")
    abstain: Count = Field(..., description="기권 (출석으로 세고 찬성으로 세지 않음)")
    matter: MatterIn | None = Field(
        None, description="안건 종류 (총회·대의원총회에 필요): 보통결의 또는 특별결의를 정함"
    )
    meeting_date: dt.date | None = Field(None, description="회의일 (YYYY-MM-DD)")
    notice_date: dt.date | None = Field(None, description="소집 통지일: 회의 7일 전까지")
    expulsion_notice_date: dt.date | None = Field(
        None, description="제명 사유 통지일 (matter=expulsion): 회의 10일 전까지"
    )


class AssemblyCheckOut(Schema):
    id: int | str | None
    quorum: bool = Field(..., description="의사정족수(과반수 출석) 충족")
    required_present: int = Field(..., description="필요한 출석 인원")
    resolution: Literal["ordinary", "special"]
    required_yes: int = Field(..., description="가결에 필요한 찬성 수")
    notice_ok: bool | None = Field(..., description="통지 기한 준수 (날짜가 없으면 null)")
    passed: bool
    errors: list[str]
    explanation: str = Field(..., description="규칙과 계산을 말로 풀어 쓴 설명")


def _check(item: AssemblyCheckIn) -> dict[str, Any]:
    return rules.check(rules.CheckInput(**item.model_dump())).as_dict()


_ITEM = TypeAdapter(AssemblyCheckIn)
_ITEM_SCHEMA = AssemblyCheckIn.model_json_schema()
REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [
                    _ITEM_SCHEMA,
                    {"type": "array", "items": _ITEM_SCHEMA, "minItems": 1, "maxItems": MAX_ITEMS},
                ]
            }
        }
    },
}


def _validate(data: Any, prefix: str | None) -> tuple[AssemblyCheckIn | None, list[dict]]:
    try:
        return _ITEM.validate_python(data), []
    except PydanticValidationError as exc:
        errors = []
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            name = ".".join(loc)
            if prefix is not None:
                name = f"{prefix}.{name}" if name else prefix
            errors.append({**err, "loc": ("body", "payload", name) if name else ("body",)})
        return None, errors


@router.post(
    "/assembly-check",
    response={
        200: AssemblyCheckOut | list[AssemblyCheckOut],
        **error_responses(400, 401, 403, 413, 422),
    },
    auth=READ_AUTH,
    openapi_extra={**OPTIONAL_AUTH_OPENAPI, "requestBody": REQUEST_BODY},
    summary="총회 요건 확인",
)
def assembly_check(request: HttpRequest) -> Any:
    """총회·대의원총회·창립총회·이사회가 적법하게 성립하는지(과반수 출석), 안건이 가결되는지
    (보통결의 과반수, 특별결의 2/3, 창립총회 2/3, 이사회 과반수), 소집 통지(7일)와 제명 사유
    통지(10일)가 기한 안에 나갔는지 계산하고 그 근거를 한국어로 설명합니다. 객체 하나를 보내면
    결과 하나, 목록을 보내면 같은 순서의 목록을 돌려줍니다(최대 500개). 결과는
    ``dure assembly-check --stdin``과 같습니다. 읽을 수 없는 입력은 422(필드 이름 포함), 법이
    허용하지 않는 총회(출석이 조합원보다 많음, 200명 이하 조합의 대의원총회 등)는
    ``passed: false``와 ``errors``로 답합니다."""
    try:
        data = json.loads(request.body or b"")
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, "malformed_json") from exc
    if isinstance(data, list):
        if not 1 <= len(data) <= MAX_ITEMS:
            raise ApiError(
                422,
                "invalid_items",
                _("항목은 1개 이상 %(max)s개 이하로 보내 주세요.") % {"max": MAX_ITEMS},
            )
        items, errors = [], []
        for index, raw in enumerate(data):
            item, item_errors = _validate(raw, f"[{index}]")
            items.append(item)
            errors.extend(item_errors)
        if errors:
            raise NinjaValidationError(errors)
        return [_check(item) for item in items if item is not None]
    if not isinstance(data, dict):
        raise ApiError(422, "invalid_object", _("JSON 객체 또는 객체의 목록을 보내 주세요."))
    item, errors = _validate(data, None)
    if errors or item is None:
        raise NinjaValidationError(errors)
    return _check(item)
