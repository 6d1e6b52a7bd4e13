"""The desk's forms on their own: shape checks, files judged by their content, the data they
hand to the services, prefilled details, and errors put back on the right field."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils.datastructures import MultiValueDict

from dure.desk import forms
from dure.desk.files import MAX_ATTACHMENTS_PER_UPLOAD
from dure.desk.models import DESCRIPTION_MAX_LENGTH
from dure.desk.services import DeskError

from .conftest import DOCX, EXE, HTML, HWP, PDF, PNG, VALID_BUSINESS_NUMBER, upload

pytestmark = pytest.mark.django_db


def intake_data(**overrides):
    data = {
        "company_name": "폼테스트",
        "business_number": VALID_BUSINESS_NUMBER,
        "sido": "48",
        "sigungu": "",
        "industry": "",
        "company_size": "small",
        "contact_name": "홍길동",
        "contact_phone": "010-1234-5678",
        "contact_email": "hong@example.kr",
        "title": "",
        "description": "판금 부품 모서리가 갈라집니다.",
        "desired_support": ["consulting", "information"],
        "privacy_consent": "on",
        "idempotency_key": "form-key",
    }
    data.update(overrides)
    return data


def bound(form_class=forms.IntakeForm, files=(), **overrides):
    return form_class(intake_data(**overrides), MultiValueDict({"attachments": list(files)}))


def test_a_complete_intake_form_hands_the_service_its_data():
    form = bound(files=[upload(PDF, "도면.pdf"), upload(HWP, "요청서.hwp")])
    assert form.is_valid(), form.errors
    assert form.service_data() == {
        "company_name": "폼테스트",
        "business_number": VALID_BUSINESS_NUMBER,
        "sido": "48",
        "sigungu": None,
        "industry": None,
        "company_size": "small",
        "contact_name": "홍길동",
        "contact_phone": "010-1234-5678",
        "contact_email": "hong@example.kr",
        "title": "",
        "description": "판금 부품 모서리가 갈라집니다.",
        "desired_support": ["consulting", "information"],
    }
    assert [f.name for f in form.cleaned_data["attachments"]] == ["도면.pdf", "요청서.hwp"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "   \n  "}, "description"),
        ({"description": "가" * (DESCRIPTION_MAX_LENGTH + 1)}, "description"),
        ({"company_name": ""}, "company_name"),
        ({"contact_name": ""}, "contact_name"),
        ({"contact_email": ""}, "contact_email"),
        ({"contact_email": "not-an-address"}, "contact_email"),
        ({"privacy_consent": ""}, "privacy_consent"),
        ({"sido": "99"}, "sido"),
        ({"desired_support": ["nonsense"]}, "desired_support"),
    ],
)
def test_bad_intake_input_is_an_error_on_its_field(overrides, field):
    form = bound(**overrides)
    assert not form.is_valid()
    assert field in form.errors
    # the field points at its error, for screen readers
    widget_attrs = form.fields[field].widget.attrs
    assert f"id_{field}_error" in widget_attrs["aria-describedby"]
    assert widget_attrs["aria-invalid"] == "true"


def test_the_description_limit_counts_a_line_break_once():
    text = "가" * (DESCRIPTION_MAX_LENGTH - 2) + "\r\n" + "나"
    form = bound(description=text)
    assert form.is_valid(), form.errors
    assert len(form.cleaned_data["description"]) == DESCRIPTION_MAX_LENGTH


def test_over_long_text_says_the_limit_and_the_length():
    form = bound(description="가" * (DESCRIPTION_MAX_LENGTH + 5))
    assert not form.is_valid()
    message = form.errors["description"][0]
    assert "10,000" in message and "10,005" in message


@pytest.mark.parametrize(
    ("content", "name"),
    [(EXE, "견적서.pdf"), (HTML, "사진.png"), (b"", "빈파일.pdf"), (b"MZ" + b"\0" * 64, "a.hwp")],
)
def test_files_are_judged_by_their_content_not_their_name(content, name):
    form = bound(files=[upload(PDF, "진짜.pdf"), upload(content, name)])
    assert not form.is_valid()
    errors = form.errors["attachments"]
    assert len(errors) == 1 and errors[0].startswith(name)


def test_every_allowed_kind_passes():
    form = bound(files=[upload(PDF, "a"), upload(PNG, "b"), upload(DOCX, "c"), upload(HWP, "d")])
    assert form.is_valid(), form.errors


def test_too_many_files_at_once_are_refused():
    files = [upload(PDF, f"{i}.pdf") for i in range(MAX_ATTACHMENTS_PER_UPLOAD + 1)]
    form = bound(files=files)
    assert not form.is_valid()
    assert "10" in form.errors["attachments"][0]


def test_staff_intake_needs_a_channel_and_a_centre_but_no_email(desk):
    centres = forms.staff_intake_centres(desk.center)
    form = bound(
        forms.StaffIntakeForm,
        contact_email="",
        channel="phone_1379",
        receiving_centre=str(desk.national.pk),
    )
    form = forms.StaffIntakeForm(form.data, centres=centres)
    assert form.is_valid(), form.errors
    web = forms.StaffIntakeForm(
        intake_data(channel="web", receiving_centre=str(desk.national.pk)), centres=centres
    )
    assert not web.is_valid() and "channel" in web.errors


def test_staff_intake_centres_are_the_national_centres_all_or_a_regional_centres_own(desk):
    everyone = forms.staff_intake_centres(desk.center)
    assert desk.national in everyone and desk.regional in everyone
    assert forms.staff_intake_centres(desk.regional_staff) == [desk.regional]
    assert forms.staff_intake_centres(desk.sme) == []


def test_a_logged_in_representative_finds_their_company_prefilled(desk):
    initial = forms.initial_for(desk.sme)
    org = desk.sme.memberships.get().organisation
    assert initial["company_name"] == org.name
    assert initial["contact_email"] == desk.sme.email
    assert initial["contact_name"] == desk.sme.display_name
    assert initial["sido"] == (org.sido_id or "")


def test_anonymous_visitors_get_an_empty_form():
    from django.contrib.auth.models import AnonymousUser

    assert forms.initial_for(AnonymousUser()) == {}


def test_an_organisations_detailed_industry_code_is_offered(desk):
    from dure.directory.models import IndustryClass

    deep = IndustryClass.objects.filter(level=5).order_by("code").first()
    form = forms.IntakeForm(initial={"industry": deep.code})
    values = [v for _group, options in form.fields["industry"].choices[1:] for v, _l in options]
    assert deep.code in values
    assert all(len(v) <= 2 for v in values if v != deep.code)


def test_service_errors_land_on_their_fields_and_the_rest_on_the_form():
    form = bound()
    assert form.is_valid()
    forms.apply_service_errors(
        form,
        ValidationError({"business_number": [ValidationError("검증번호가 맞지 않습니다.")]}),
    )
    forms.apply_service_errors(form, DeskError("transition_not_allowed", "지금은 할 수 없습니다."))
    assert form.errors["business_number"] == ["검증번호가 맞지 않습니다."]
    assert form.non_field_errors() == ["지금은 할 수 없습니다."]
    assert (
        "id_business_number_error"
        in form.fields["business_number"].widget.attrs["aria-describedby"]
    )


def test_move_forms_have_ids_of_their_own_so_they_can_share_a_page():
    ids = {
        forms.CloseForm()["reason"].auto_id,
        forms.ReopenForm()["reason"].auto_id,
        forms.ResolveForm()["reason"].auto_id,
        forms.MessageForm()["body"].auto_id,
        forms.NoteForm()["body"].auto_id,
    }
    assert len(ids) == 5


def test_a_survey_needs_a_rating_from_one_to_five():
    assert forms.SurveyForm({"rating": "5"}).is_valid()
    assert not forms.SurveyForm({"rating": "6"}).is_valid()
    assert not forms.SurveyForm({}).is_valid()


def test_the_triage_form_reads_the_recommendation_it_showed(desk):
    form = forms.TriageForm(
        {
            "category": "consulting",
            "priority": "normal",
            "lead_institute": str(desk.kitech.pk),
            "recommended": "KITECH, KIMM,,KIMS",
        },
        institutes=[desk.kitech, desk.kimm, desk.kims],
    )
    assert form.is_valid(), form.errors
    assert form.recommended_acronyms() == ["KITECH", "KIMM", "KIMS"]


def test_a_period_ends_after_it_starts():
    form = forms.PeriodForm({"since": "2026-03-01", "until": "2026-02-01"})
    assert not form.is_valid() and "until" in form.errors
