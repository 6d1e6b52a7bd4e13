"""Personnel-exchange requests: the period class computed at submission (boundaries in
test_rules), matching to available experts, the decision flow, and who sees what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dure.core.models import AuditEvent
from dure.techbank import access, royalty, selectors, services
from dure.techbank.models import ExchangeRequest, Expert

pytestmark = pytest.mark.django_db


def codes(exc: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in exc.error_dict.items()}


def today() -> dt.date:
    return timezone.localdate()


def submit(users, org, *, who="sme", days=30, start_in=7, **kwargs):
    start = today() + dt.timedelta(days=start_in)
    kwargs.setdefault("field", "레이저 용접")
    kwargs.setdefault("direction", "dispatch")
    return services.exchange_submit(
        actor=users[who],
        requester=org,
        start_date=start,
        end_date=start + dt.timedelta(days=days - 1),
        purpose="공정 안정화 지원",
        **kwargs,
    ).exchange


@pytest.mark.parametrize(("days", "expected"), [(1, "short"), (7, "short"), (8, "mid")])
def test_the_period_class_is_computed_at_submission(users, hanbit, days, expected):
    assert submit(users, hanbit, days=days).period_class == expected


def test_six_calendar_months_is_long(users, hanbit):
    start = today() + dt.timedelta(days=3)
    end = royalty.add_months(start, 6) - dt.timedelta(days=1)
    request = services.exchange_submit(
        actor=users["sme"],
        requester=hanbit,
        direction="training",
        field="도금",
        start_date=start,
        end_date=end,
        purpose="연수",
    ).exchange
    assert request.period_class == "long"
    shorter = services.exchange_submit(
        actor=users["sme"],
        requester=hanbit,
        direction="training",
        field="도금 2",
        start_date=start,
        end_date=end - dt.timedelta(days=1),
        purpose="연수",
    ).exchange
    assert shorter.period_class == "mid"


def test_invalid_requests_are_refused_with_every_error(users, hanbit):
    with pytest.raises(ValidationError) as exc:
        services.exchange_submit(
            actor=users["sme"],
            requester=hanbit,
            direction="vacation",
            field="",
            start_date=today() - dt.timedelta(days=1),
            end_date=today() - dt.timedelta(days=3),
            purpose="",
        )
    assert codes(exc.value) == {
        "direction": ["invalid_choice"],
        "purpose": ["required"],
        "field": ["required"],
        "end_date": ["date_order"],
        "start_date": ["date_in_past"],
    }
    with pytest.raises(ValidationError) as exc:
        submit(users, hanbit, days=4 * 365)
    assert codes(exc.value) == {"end_date": ["exchange_too_long"]}


def test_naming_an_expert_who_is_not_open_to_exchange_is_refused(users, hanbit):
    closed = Expert.objects.get(name="정하늘")  # demo: not available for exchange
    with pytest.raises(ValidationError) as exc:
        submit(users, hanbit, expert=closed, field="")
    assert codes(exc.value) == {"expert": ["expert_unavailable"]}
    open_ = Expert.objects.get(name="김태호")
    request = submit(users, hanbit, expert=open_, field="")
    assert request.institute == open_.institute  # the institute follows the expert


def test_the_institute_agrees_naming_its_expert_and_the_applicant_may_withdraw(
    users, hanbit, institute
):
    request = submit(users, hanbit, institute=institute("KITECH"))
    candidates = selectors.exchange_candidates(user=users["researcher"], request=request)
    assert [e.name for e in candidates][:1] == ["김태호"]  # fields: 레이저 용접
    with pytest.raises(ValidationError) as exc:
        services.exchange_decide(actor=users["researcher"], request=request, decision="agree")
    assert codes(exc.value) == {"expert": ["expert_required"]}
    etri_expert = Expert.objects.get(name="최민수")
    with pytest.raises(ValidationError):
        services.exchange_decide(
            actor=users["researcher"], request=request, decision="agree", expert=etri_expert
        )
    agreed = services.exchange_decide(
        actor=users["researcher"], request=request, decision="agree", expert=candidates[0]
    )
    assert (agreed.status, agreed.expert) == ("agreed", candidates[0])
    assert AuditEvent.objects.filter(action="exchange.agree", object_id=str(request.pk)).exists()
    withdrawn = services.exchange_withdraw(actor=users["sme"], request=agreed, note="일정 변경")
    assert withdrawn.status == "withdrawn"
    assert list(withdrawn.events.values_list("to_status", flat=True)) == [
        "submitted",
        "agreed",
        "withdrawn",
    ]
    with pytest.raises(ValidationError):
        services.exchange_decide(
            actor=users["center"], request=withdrawn, decision="decline", note="x"
        )


def test_declining_needs_a_reason(users, hanbit):
    request = submit(users, hanbit)
    with pytest.raises(ValidationError) as exc:
        services.exchange_decide(actor=users["center"], request=request, decision="decline")
    assert codes(exc.value) == {"note": ["required"]}


def test_who_sees_and_decides_an_exchange_request(users, hanbit, institute):
    to_kitech = submit(users, hanbit, institute=institute("KITECH"))
    to_etri = submit(users, hanbit, institute=institute("ETRI"), field="LiDAR")
    open_to_all = submit(users, hanbit, field="표면처리")

    def seeing(request):
        return {
            role
            for role in ("admin", "center", "researcher", "sme", "coop", "member")
            if access.exchange_requests_visible_to(users[role]).filter(pk=request.pk).exists()
        }

    assert seeing(to_kitech) == {"admin", "center", "researcher", "sme"}
    assert seeing(to_etri) == {"admin", "center", "sme"}
    assert seeing(open_to_all) == {"admin", "center", "researcher", "sme"}
    with pytest.raises(PermissionDenied):
        services.exchange_decide(
            actor=users["researcher"], request=to_etri, decision="decline", note="x"
        )
    with pytest.raises(PermissionDenied):
        services.exchange_decide(
            actor=users["sme"], request=to_kitech, decision="decline", note="x"
        )
    with pytest.raises(PermissionDenied):
        services.exchange_withdraw(actor=users["coop"], request=to_kitech)
    assert ExchangeRequest.objects.get(pk=to_kitech.pk).status == "submitted"


@pytest.mark.parametrize("role", ["member", "researcher", "supplier"])
def test_only_people_acting_for_an_sme_or_cooperative_request(role, users, serio, org):
    requester = serio if role != "supplier" else org("우리밀협동조합")
    if role == "supplier":
        # the supplier represents 우리밀협동조합: a cooperative may ask
        assert submit(users, requester, who=role).status == "submitted"
        return
    with pytest.raises(PermissionDenied):
        submit(users, requester, who=role)


# --- a retried request (idempotency key) ----------------------------------------------------------


def _counts() -> tuple[int, int]:
    return ExchangeRequest.objects.count(), AuditEvent.objects.count()


def test_a_retry_with_the_same_key_returns_the_first_request_and_writes_nothing(users, hanbit):
    start = today() + dt.timedelta(days=10)
    request = {
        "actor": users["sme"],
        "requester": hanbit,
        "direction": "training",
        "field": "도금",
        "start_date": start,
        "end_date": start + dt.timedelta(days=4),
        "purpose": "연수",
    }
    first = services.exchange_submit(**request, idempotency_key="click-1")
    assert first.created
    before = _counts()
    again = services.exchange_submit(
        **{**request, "field": " 도금 ", "requester": hanbit.pk}, idempotency_key="click-1"
    )
    assert (again.exchange.pk, again.created) == (first.exchange.pk, False)
    assert _counts() == before
    # a changed or invalid request with the used key is refused, and nothing is written
    for changed in ({"purpose": "다른 목적"}, {"field": "", "purpose": ""}):
        with pytest.raises(ValidationError) as exc:
            services.exchange_submit(**{**request, **changed}, idempotency_key="click-1")
        assert codes(exc.value) == {"idempotency_key": ["idempotency_conflict"]}
    assert _counts() == before
    # another person's same key is theirs alone; no key, a new request each time
    other = services.exchange_submit(
        **{**request, "actor": users["admin"]}, idempotency_key="click-1"
    )
    assert other.created and other.exchange.pk != first.exchange.pk
    assert services.exchange_submit(**request).created
    with pytest.raises(ValidationError) as exc:
        services.exchange_submit(**request, idempotency_key="k" * 201)
    assert codes(exc.value) == {"idempotency_key": ["idempotency_key_invalid"]}


def test_the_api_answers_a_retry_with_200_and_another_body_with_409(client_for, hanbit):
    import json

    start = today() + dt.timedelta(days=10)
    body = {
        "requester_id": hanbit.pk,
        "direction": "dispatch",
        "field": "레이저 용접",
        "start_date": start.isoformat(),
        "end_date": (start + dt.timedelta(days=2)).isoformat(),
        "purpose": "현장 진단",
    }
    client = client_for("sme")

    def post(payload, key):
        return client.post(
            "/api/v1/techbank/exchanges",
            data=json.dumps(payload),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=key,
        )

    first = post(body, "api-1")
    assert first.status_code == 201, first.content.decode()
    before = _counts()
    again = post(body, "api-1")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    conflict = post({**body, "purpose": "다른 목적"}, "api-1")
    assert conflict.status_code == 409
    assert (conflict.json()["code"], conflict.json()["field"]) == (
        "idempotency_conflict",
        "Idempotency-Key",
    )
    assert _counts() == before


def test_the_form_sent_twice_makes_one_request(client_for, hanbit):
    import re

    client = client_for("sme")
    page = client.get("/techbank/exchanges/new/").content.decode()
    [key] = re.findall(r'name="idempotency_key" value="([^"]+)"', page)
    start = today() + dt.timedelta(days=10)
    form = {
        "requester": hanbit.pk,
        "direction": "training",
        "field": "두 번 누른 연수",
        "start_date": start.isoformat(),
        "end_date": (start + dt.timedelta(days=2)).isoformat(),
        "purpose": "연수",
        "idempotency_key": key,
    }
    first = client.post("/techbank/exchanges/new/", form)
    assert first.status_code == 302
    again = client.post("/techbank/exchanges/new/", form, follow=True)
    assert again.redirect_chain[0][0] == first["Location"]
    assert "이미 접수된 신청입니다." in again.content.decode()
    assert ExchangeRequest.objects.filter(field="두 번 누른 연수").count() == 1
    # the same form changed: refused with the reason and a fresh key for a new request
    refused = client.post("/techbank/exchanges/new/", {**form, "purpose": "다른 목적"})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "이미 처리되었습니다" in html
    [fresh] = re.findall(r'name="idempotency_key" value="([^"]+)"', html)
    assert fresh != key
