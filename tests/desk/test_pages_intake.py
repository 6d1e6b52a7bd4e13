"""The intake pages: the public form (anonymous or logged in), the receipt, and the staff form
for calls and visits. Bad input gets a clear error on its field, and nothing half-written:
no case, no attachment row, no file on disk."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from dure.core.models import AuditEvent
from dure.desk.models import DESCRIPTION_MAX_LENGTH, Case, CaseAttachment, CaseEvent, Status

from .conftest import EXE, HWP, PDF, VALID_BUSINESS_NUMBER, upload

pytestmark = pytest.mark.django_db

ONE_H1 = re.compile(r"<h1[ >]")


def form_data(**overrides):
    data = {
        "company_name": "페이지정밀",
        "business_number": VALID_BUSINESS_NUMBER,
        "sido": "48",
        "company_size": "small",
        "contact_name": "홍길동",
        "contact_phone": "010-1234-5678",
        "contact_email": "hong@example.kr",
        "description": "프레스로 찍은 판금 부품의 모서리가 자꾸 갈라집니다.",
        "desired_support": ["consulting"],
        "privacy_consent": "on",
        "idempotency_key": "page-key-1",
    }
    data.update(overrides)
    return data


def private_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "desk"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def snapshot():
    return (
        Case.objects.count(),
        CaseEvent.objects.count(),
        CaseAttachment.objects.count(),
        AuditEvent.objects.count(),
        len(private_files()),
    )


# --- the public form ---------------------------------------------------------------------------


def test_the_form_has_one_heading_a_fresh_key_the_privacy_notice_and_the_counter(client):
    first = client.get("/desk/new/").content.decode()
    second = client.get("/desk/new/").content.decode()
    assert len(ONE_H1.findall(first)) == 1
    keys = [re.search(r'name="idempotency_key" value="([^"]+)"', h)[1] for h in (first, second)]
    assert keys[0] != keys[1], "every rendered form carries its own key"
    assert "개인정보 수집·이용 안내" in first and "보유 기간" in first
    assert 'data-counter="id_description_counter"' in first
    assert 'maxlength="10000"' in first
    assert 'enctype="multipart/form-data"' in first
    assert 'name="attachments"' in first and "multiple" in first
    assert (
        "no-store" in client.get("/desk/new/")["Cache-Control"]
        or "max-age=0" in client.get("/desk/new/")["Cache-Control"]
    )


def test_a_logged_in_requester_finds_their_details_filled_in(client_for, users):
    html = client_for("sme").get("/desk/new/").content.decode()
    assert 'value="한빛정밀"' in html
    assert f'value="{users["sme"].email}"' in html


def test_an_anonymous_submission_files_one_case_and_shows_the_receipt_to_its_session_only(
    client, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/desk/new/", form_data(attachments=[upload(PDF, "도면.pdf"), upload(HWP, "a.hwp")])
        )
    case = Case.objects.get(company_name="페이지정밀")
    assert response.status_code == 302
    assert response["Location"] == f"/desk/receipt/{case.number}/"
    assert case.status == Status.RECEIVED and case.channel == "web" and case.requester is None
    assert sorted(case.attachments.values_list("kind", flat=True)) == ["hwp", "pdf"]
    assert len(private_files()) == 2

    receipt = client.get(response["Location"])
    html = receipt.content.decode()
    assert receipt.status_code == 200
    assert case.number in html
    link = re.search(r'class="status-link" href="([^"]+)"', html)[1]
    assert "/desk/status/" in link
    assert client.get(link).status_code == 200  # the link works

    # the e-mail carries the link too; another browser does not see the receipt
    assert len(mailoutbox) == 1 and "/desk/status/" in mailoutbox[0].body
    assert client_for("anonymous").get(response["Location"]).status_code == 404
    assert client_for("center").get(response["Location"]).status_code == 404


def test_a_logged_in_submission_is_theirs_and_listed_in_my_cases(client_for, users):
    client = client_for("sme")
    response = client.post("/desk/new/", form_data(contact_email=users["sme"].email))
    case = Case.objects.get(company_name="페이지정밀")
    assert response.status_code == 302 and case.requester == users["sme"]
    assert case.number in client.get("/desk/mine/").content.decode()
    assert "내 문의" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"description": ""}, "description", "애로 내용을 입력해 주세요."),
        ({"description": "  \n "}, "description", "애로 내용을 입력해 주세요."),
        (
            {"description": "가" * (DESCRIPTION_MAX_LENGTH + 1)},
            "description",
            "10,000자 이하",
        ),
        ({"business_number": "123-45-67890"}, "business_number", "사업자등록번호"),
        ({"business_number": "12345"}, "business_number", "10자리"),
        ({"contact_email": ""}, "contact_email", "이메일"),
        ({"privacy_consent": ""}, "privacy_consent", "동의"),
        ({"company_name": ""}, "company_name", "기업명을 입력해 주세요."),
        ({"contact_phone": "12"}, "contact_phone", "전화번호"),
        (
            {"description": "주민번호 900101-1234567 입니다"},
            "description",
            "주민등록번호",
        ),
    ],
)
def test_bad_input_is_refused_with_an_error_on_its_field_and_nothing_written(
    client, overrides, field, message
):
    before = snapshot()
    response = client.post(
        "/desk/new/", form_data(attachments=[upload(PDF, "도면.pdf")], **overrides)
    )
    html = response.content.decode()
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert message in " ".join(form.errors[field])
    assert f'id="id_{field}_error"' in html
    tag = re.search(rf'<(?:input|textarea|select)\b[^>]*\bid="id_{field}"[^>]*>', html)[0]
    assert re.search(rf'aria-describedby="[^"]*id_{field}_error', tag), tag
    assert 'aria-invalid="true"' in tag
    assert 'role="alert"' in html  # the summary is announced
    assert "<title>오류" in html
    assert snapshot() == before


def test_a_disguised_file_is_refused_by_its_content_and_nothing_is_written(client):
    before = snapshot()
    response = client.post(
        "/desk/new/",
        form_data(attachments=[upload(PDF, "진짜.pdf"), upload(EXE, "견적서.pdf")]),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors["attachments"]
    assert len(errors) == 1 and errors[0].startswith("견적서.pdf")
    assert "내용으로 확인" in errors[0]
    assert snapshot() == before
    assert private_files() == []


def test_the_service_refusing_a_disguised_file_leaves_nothing_either(client, monkeypatch):
    """Even if the form let a file through, the service checks it again before writing."""
    from dure.desk import forms

    monkeypatch.setattr(forms.files, "sniff", lambda fh, name="": None)
    before = snapshot()
    response = client.post("/desk/new/", form_data(attachments=[upload(EXE, "설치.pdf")]))
    assert response.status_code == 400
    assert "attachments" in response.context["form"].errors
    assert snapshot() == before


def test_the_same_key_twice_files_one_case(client):
    data = form_data(idempotency_key="double-click")
    first = client.post("/desk/new/", data)
    second = client.post("/desk/new/", form_data(idempotency_key="double-click"))
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Case.objects.filter(company_name="페이지정밀").count() == 1
    assert client.get(second["Location"]).status_code == 200


def test_a_retry_after_an_error_keeps_the_key_and_files_one_case(client):
    bad = client.post("/desk/new/", form_data(idempotency_key="retry-key", description=""))
    assert bad.status_code == 400
    assert 'value="retry-key"' in bad.content.decode()
    good = client.post("/desk/new/", form_data(idempotency_key="retry-key"))
    again = client.post("/desk/new/", form_data(idempotency_key="retry-key"))
    assert good["Location"] == again["Location"]
    assert Case.objects.filter(company_name="페이지정밀").count() == 1


def test_a_post_without_a_key_still_files_and_a_shown_again_form_gets_one(client):
    data = form_data(description="")
    del data["idempotency_key"]
    response = client.post("/desk/new/", data)
    assert response.status_code == 400
    assert re.search(r'name="idempotency_key" value="[^"]{20,}"', response.content.decode())


def test_exactly_ten_thousand_characters_are_accepted(client):
    response = client.post("/desk/new/", form_data(description="가" * DESCRIPTION_MAX_LENGTH))
    assert response.status_code == 302
    assert len(Case.objects.get(company_name="페이지정밀").description) == DESCRIPTION_MAX_LENGTH


# --- the staff form ----------------------------------------------------------------------------


def staff_data(desk, **overrides):
    data = form_data(
        channel="phone_1379",
        receiving_centre=str(desk.national.pk),
        contact_email="",
        idempotency_key="staff-key",
    )
    data.update(overrides)
    return data


def test_centre_staff_record_a_call_and_land_on_the_case(desk, client_for):
    response = client_for("center").post("/desk/intake/", staff_data(desk))
    case = Case.objects.get(company_name="페이지정밀")
    assert response.status_code == 302
    assert response["Location"] == f"/desk/cases/{case.number}/"
    assert case.channel == "phone_1379"
    assert case.receiving_centre == desk.national
    assert case.submitted_by == desk.center and case.requester is None


def test_a_regional_centre_records_a_visit_for_itself_only(desk, client):
    client.force_login(desk.regional_staff)
    page = client.get("/desk/intake/").content.decode()
    assert desk.regional.name in page and desk.other_regional.name not in page
    refused = client.post(
        "/desk/intake/",
        staff_data(desk, channel="visit", receiving_centre=str(desk.other_regional.pk)),
    )
    assert refused.status_code == 400
    assert "receiving_centre" in refused.context["form"].errors
    ok = client.post(
        "/desk/intake/", staff_data(desk, channel="visit", receiving_centre=str(desk.regional.pk))
    )
    assert ok.status_code == 302
    assert Case.objects.get(company_name="페이지정밀").receiving_centre == desk.regional


def test_a_call_needs_a_phone_number_or_an_email(desk, client_for):
    client = client_for("center")
    before = snapshot()
    response = client.post("/desk/intake/", staff_data(desk, contact_phone="", contact_email=""))
    assert response.status_code == 400
    assert "contact_phone" in response.context["form"].errors
    assert snapshot() == before


def test_the_staff_form_shows_channel_and_centre(client_for):
    html = client_for("center").get("/desk/intake/").content.decode()
    assert "1379 전화" in html and "080 전화" in html and "지역센터 방문" in html
    assert 'name="receiving_centre"' in html
    assert len(ONE_H1.findall(html)) == 1


def test_every_post_needs_the_csrf_token(desk, client_for):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    before = snapshot()
    assert strict.post("/desk/new/", form_data()).status_code == 403
    strict.force_login(desk.center)
    case = Case.objects.order_by("pk").first()
    after_login = snapshot()
    assert strict.post("/desk/intake/", form_data()).status_code == 403
    assert strict.post(f"/desk/cases/{case.number}/note/", {"body": "메모"}).status_code == 403
    assert snapshot() == after_login
    assert snapshot()[:3] == before[:3]
    # the form carries the token the middleware asks for
    page = strict.get("/desk/new/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    ok = strict.post("/desk/new/", form_data(csrfmiddlewaretoken=token))
    assert ok.status_code == 302


def test_the_form_speaks_english_too(client):
    client.get("/i18n/language/?language=en&next=/desk/new/")
    html = client.get("/desk/new/").content.decode()
    assert '<html lang="en">' in html
