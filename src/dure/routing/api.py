"""Routing API: rank the research institutes for a request text.

Open to everyone (the public intake form shows it too). The evidence always has the matched
Kiwi terms and the most similar profile sentences; past routed cases (their texts and ids)
only for staff: platform and centre staff see all, institute staff and researchers the cases
routed to their own institute.
"""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Router, Schema
from pydantic import AfterValidator, ConfigDict
from pydantic_core import PydanticCustomError

from dure.api.auth import OPTIONAL_AUTH_OPENAPI, READ_AUTH
from dure.api.schemas import Text, error_responses

from . import selectors, services
from .models import MAX_TEXT_CHARS

router = Router(tags=["routing"])

MAX_LIMIT = 25


def _not_blank(value: str) -> str:
    if not value:  # already stripped
        raise PydanticCustomError(
            "string_too_short", "String should have at least 1 character", {"min_length": 1}
        )
    return value


RequestText = Annotated[Text(MAX_TEXT_CHARS), AfterValidator(_not_blank)]


class RecommendIn(Schema):
    model_config = ConfigDict(extra="forbid")

    text: RequestText = Field(
        ...,
        description="요청 내용 (1~10,000자). 전문 용어도, 일상적인 말도 됩니다.",
        examples=["찍어낸 플라스틱 케이스 겉면에 물결무늬가 남아요"],
    )
    limit: int = Field(5, ge=1, le=MAX_LIMIT, description="몇 개 기관까지 (1~25)")


class SentenceOut(Schema):
    kind: str = Field(..., description="field | summary | problem")
    text: str
    similarity: float


class ExampleOut(Schema):
    id: int
    source: str = Field(..., description="예: desk.case")
    source_id: str
    institutes: list[str] = Field(..., description="그 사례에서 맞다고 정한 기관")
    text: str
    similarity: float


class EvidenceOut(Schema):
    terms: list[str] = Field(..., description="요청과 기관 프로필에 함께 나오는 형태소")
    sentences: list[SentenceOut] = Field(..., description="가장 비슷한 프로필 문장")
    examples: list[ExampleOut] | None = Field(
        None, description="비슷한 과거 배정 사례 (운영진·해당 기관 직원에게만; 그 밖에는 null)"
    )


class RankingItemOut(Schema):
    institute: str = Field(..., description="기관 약칭 (기준 정보, 예: KITECH)")
    name: str
    score: float = Field(..., ge=0, le=1, description="0~1, 모든 기관의 합이 1")
    evidence: EvidenceOut


class RecommendOut(Schema):
    ranking: list[RankingItemOut]


@router.post(
    "/recommend",
    response={200: RecommendOut, **error_responses(400, 401, 403, 422)},
    auth=READ_AUTH,
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
)
def recommend(request: HttpRequest, payload: RecommendIn) -> dict:
    """요청 내용에 맞는 출연연구기관 순위 (점수와 근거)."""
    ranking = services.recommend(payload.text, limit=payload.limit)
    scope = selectors.example_scope(request.user)
    items = []
    for item in ranking:
        data = item.as_dict()
        if scope:
            data["evidence"]["examples"] = [
                e
                for e in data["evidence"]["examples"]
                if selectors.may_see_example(scope, e["institutes"])
            ]
        else:
            data["evidence"]["examples"] = None
        items.append(data)
    return {"ranking": items}
