"""Forms of the desk pages. They parse and check the shape of the input (required fields,
choices, the content of attached files through ``files.sniff``); every rule about cases is
the services' (``services.case_submit`` and friends), whose ``DeskError``/``ValidationError``
the views put back on the fields with :func:`apply_service_errors`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from dure.core.forms import AccessibleFormMixin
from dure.directory.models import (
    CENTRE_KINDS,
    COOPERATIVE_KINDS,
    IndustryClass,
    Organisation,
    OrganisationKind,
    Sido,
    Sigungu,
)

from . import files
from .models import (
    DESCRIPTION_MAX_LENGTH,
    MESSAGE_MAX_LENGTH,
    STAFF_INTAKE_CHANNELS,
    Category,
    Channel,
    CompanySize,
    Outcome,
    Priority,
    Status,
)

ACCEPTED_FILES = ".pdf,.hwp,.hwpx,.docx,.xlsx,.jpg,.jpeg,.png"


def _interpolate(message: Any, params: dict[str, Any]) -> str:
    return str(message) % params


# A translated text with numbers in it, translated when shown (not when this module loads).
lazy_interpolate = lazy(_interpolate, str)


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ``ValidationError`` (or ``DeskError``) on the form: field errors on
    their fields, the rest (e.g. a move that is not allowed) as errors of the whole form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)
    form._link_descriptions()  # type: ignore[attr-defined]


# --- files -------------------------------------------------------------------------------------


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by its content (``files.sniff``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"multiple": True, "accept": ACCEPTED_FILES})
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        uploads = [d for d in (data if isinstance(data, list | tuple) else [data]) if d]
        if not uploads:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        if len(uploads) > files.MAX_ATTACHMENTS_PER_UPLOAD:
            raise ValidationError(
                _("첨부 파일은 한 번에 %(limit)s개까지 올릴 수 있습니다."),
                code="attachment_count",
                params={"limit": files.MAX_ATTACHMENTS_PER_UPLOAD},
            )
        errors = []
        for upload in uploads:
            name = str(getattr(upload, "name", "") or "").rsplit("/", 1)[-1][:100] or "-"
            try:
                files.sniff(upload, name=name)
            except files.AttachmentRejected as exc:
                errors.append(
                    ValidationError(
                        _("%(name)s: %(problem)s"),
                        code=exc.code,
                        params={"name": name, "problem": exc.message},
                    )
                )
        if errors:
            raise ValidationError(errors)
        return uploads


def attachments_field(label: Any = None) -> MultipleFileField:
    return MultipleFileField(
        label=label or _("첨부 파일"),
        help_text=lazy_interpolate(
            _(
                "PDF, HWP, HWPX, DOCX, XLSX, JPG, PNG 파일을 한 번에 %(count)s개까지, 한 개에 "
                "20MB까지 올릴 수 있습니다. 파일 이름이 아니라 내용으로 형식을 확인합니다."
            ),
            {"count": files.MAX_ATTACHMENTS_PER_UPLOAD},
        ),
    )


# --- choices read from the reference data ------------------------------------------------------


def sido_choices() -> list[tuple[str, str]]:
    return [("", _("선택 안 함"))] + [(s.pk, s.name) for s in Sido.objects.order_by("code")]


def sigungu_choices() -> list[Any]:
    groups: dict[str, list[tuple[str, str]]] = {}
    names: dict[str, str] = {}
    for sigungu in Sigungu.objects.select_related("sido").order_by("sido_id", "name"):
        groups.setdefault(sigungu.sido_id, []).append((sigungu.pk, sigungu.name))
        names[sigungu.sido_id] = sigungu.sido.name
    return [("", _("선택 안 함"))] + [(names[code], options) for code, options in groups.items()]


def industry_choices(extra: Iterable[str] = ()) -> list[Any]:
    """KSIC sections as groups of their divisions (2 digits); a deeper code already known
    (e.g. the requester's organisation's) is offered too."""
    nodes = list(IndustryClass.objects.filter(level__lte=2).order_by("code"))
    sections = {n.code: n.name for n in nodes if n.level == 1}
    groups: dict[str, list[tuple[str, str]]] = {}
    for node in nodes:
        if node.level == 2:
            groups.setdefault(node.parent_id or "", []).append((node.code, str(node)))
    choices: list[Any] = [("", _("선택 안 함"))]
    more = [
        (n.code, str(n)) for n in IndustryClass.objects.filter(code__in=list(extra), level__gt=2)
    ]
    if more:
        choices.append((_("기관에 등록된 업종"), more))
    for code, options in groups.items():
        choices.append((sections.get(code, code), options))
    return choices


def centre_choices(centres: Iterable[Organisation]) -> list[tuple[str, str]]:
    return [(str(c.pk), c.name) for c in centres]


# --- intake ------------------------------------------------------------------------------------


class IntakeForm(AccessibleFormMixin, forms.Form):
    """The public intake form (anonymous or logged in)."""

    company_name = forms.CharField(
        label=_("기업명"),
        max_length=100,
        error_messages={"required": _("기업명을 입력해 주세요.")},
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    business_number = forms.CharField(
        label=_("사업자등록번호"),
        required=False,
        max_length=20,
        help_text=_(
            "숫자 10자리, 하이픈은 있어도 됩니다 (예: 123-45-67890). 예비창업자는 비워 두세요."
        ),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    sido = forms.ChoiceField(label=_("지역 (시도)"), required=False)
    sigungu = forms.ChoiceField(label=_("시군구"), required=False)
    industry = forms.ChoiceField(
        label=_("업종 (한국표준산업분류)"),
        required=False,
        help_text=_("가장 가까운 업종을 골라 주세요. 모르면 비워 두어도 됩니다."),
    )
    company_size = forms.ChoiceField(
        label=_("기업 규모"),
        required=False,
        choices=[("", _("선택 안 함")), *CompanySize.choices],
    )
    contact_name = forms.CharField(
        label=_("담당자 이름"),
        max_length=60,
        error_messages={"required": _("담당자 이름을 입력해 주세요.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    contact_phone = forms.CharField(
        label=_("연락처"),
        required=False,
        max_length=30,
        help_text=_("예: 010-1234-5678, 055-123-4567"),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    contact_email = forms.EmailField(
        label=_("이메일"),
        max_length=254,
        help_text=_("접수 확인과 진행 상황 조회 링크를 이 주소로 보내 드립니다."),
        error_messages={
            "required": _("진행 상황 조회 링크를 보내 드릴 이메일 주소를 입력해 주세요."),
            "invalid": _("이메일 주소 형식이 올바르지 않습니다."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    title = forms.CharField(
        label=_("제목"),
        required=False,
        max_length=120,
        help_text=_("비워 두면 애로 내용의 첫 줄을 제목으로 씁니다."),
    )
    description = forms.CharField(
        label=_("애로 내용"),
        strip=False,
        help_text=lazy_interpolate(
            _(
                "어떤 제품이나 공정에서 무엇이 문제인지 평소 쓰는 말로 적어 주세요 "
                "(%(limit)s자 이하). 주민등록번호는 적지 마세요."
            ),
            {"limit": f"{DESCRIPTION_MAX_LENGTH:,}"},
        ),
        error_messages={"required": _("애로 내용을 입력해 주세요.")},
        widget=forms.Textarea(
            attrs={
                "rows": 10,
                "maxlength": DESCRIPTION_MAX_LENGTH,
                "data-counter": "id_description_counter",
            }
        ),
    )
    desired_support = forms.MultipleChoiceField(
        label=_("희망 지원 (여러 개 선택 가능)"),
        required=False,
        choices=Category.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    attachments = attachments_field()
    privacy_consent = forms.BooleanField(
        label=_("위의 개인정보 수집·이용 안내를 읽었으며 동의합니다."),
        error_messages={
            "required": _("개인정보 수집·이용에 동의해야 접수할 수 있습니다."),
        },
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=200)

    staff_intake = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sido"].choices = sido_choices()
        self.fields["sigungu"].choices = sigungu_choices()
        known = [str(self.initial.get("industry") or "")]
        if self.is_bound:
            known.append(str(self.data.get("industry") or ""))
        self.fields["industry"].choices = industry_choices([k for k in known if k])
        self._link_descriptions()

    def clean_description(self) -> str:
        from .services import clean_description

        try:
            return clean_description(self.cleaned_data.get("description"))
        except ValidationError as exc:
            raise ValidationError(exc.error_dict["description"]) from exc

    def clean_business_number(self) -> str:
        return (self.cleaned_data.get("business_number") or "").strip()

    def service_data(self) -> dict[str, Any]:
        """The ``data`` argument of ``services.case_submit``."""
        data = self.cleaned_data
        return {
            "company_name": data["company_name"],
            "business_number": data.get("business_number") or "",
            "sido": data.get("sido") or None,
            "sigungu": data.get("sigungu") or None,
            "industry": data.get("industry") or None,
            "company_size": data.get("company_size") or "",
            "contact_name": data["contact_name"],
            "contact_phone": data.get("contact_phone") or "",
            "contact_email": data.get("contact_email") or "",
            "title": data.get("title") or "",
            "description": data["description"],
            "desired_support": list(data.get("desired_support") or []),
        }


class StaffIntakeForm(IntakeForm):
    """A call to 1379 or the 080 line, or a visit to a centre, typed in by centre staff."""

    channel = forms.ChoiceField(
        label=_("접수 경로"),
        choices=[(c.value, c.label) for c in Channel if c in STAFF_INTAKE_CHANNELS],
        widget=forms.RadioSelect,
        error_messages={"required": _("접수 경로를 골라 주세요.")},
    )
    receiving_centre = forms.ChoiceField(
        label=_("접수 센터"), error_messages={"required": _("접수 센터를 골라 주세요.")}
    )

    staff_intake = True
    field_order = ["channel", "receiving_centre"]

    def __init__(self, *args: Any, centres: Iterable[Organisation] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["receiving_centre"].choices = centre_choices(centres)
        email = self.fields["contact_email"]
        email.required = False
        email.help_text = _("있으면 접수 확인과 진행 상황 조회 링크를 이 주소로 보내 드립니다.")
        self.fields["contact_phone"].help_text = _(
            "연락처나 이메일 중 하나는 꼭 입력해 주세요. 예: 010-1234-5678"
        )
        self.fields["privacy_consent"].label = _(
            "요청자에게 개인정보 수집·이용 안내를 알리고 동의를 받았습니다."
        )
        self._link_descriptions()


def initial_for(user: Any) -> dict[str, Any]:
    """What the intake form knows already about a logged-in requester: their contact details
    and the SME or cooperative they represent (or belong to)."""
    if not getattr(user, "is_authenticated", False):
        return {}
    initial: dict[str, Any] = {
        "contact_name": user.display_name or user.get_full_name() or "",
        "contact_email": user.email or "",
        "contact_phone": user.phone or "",
    }
    org = (
        Organisation.objects.filter(
            memberships__user=user,
            kind__in=[OrganisationKind.SME, *COOPERATIVE_KINDS],
        )
        .order_by("memberships__pk")
        .first()
    )
    if org is not None:
        initial.update(
            {
                "company_name": org.name,
                "business_number": org.business_number_display if org.business_number else "",
                "sido": org.sido_id or "",
                "sigungu": org.sigungu_id or "",
                "industry": org.industry_id or "",
            }
        )
    return initial


def staff_intake_centres(user: Any) -> list[Organisation]:
    """The centres a staff member may record as the receiving centre (all for the national
    intake centre's staff and platform admins; else their own and those under them)."""
    from . import access

    qs = Organisation.objects.filter(kind__in=CENTRE_KINDS).order_by("kind", "name")
    roles = access.roles_of(user)
    if roles.platform_admin or access.sees_all_cases(user):
        return list(qs)
    mine = access.centre_ids(roles)
    return list(qs.filter(pk__in=access.centre_scope(mine)))


# --- the case page -----------------------------------------------------------------------------


def _note_field(label: Any = None, *, required: bool = False, help_text: Any = "") -> forms.Field:
    return forms.CharField(
        label=label or _("메모"),
        required=required,
        max_length=2000,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MoveForm(AccessibleFormMixin, forms.Form):
    """Base of the forms on the case page; ``move`` names the form (ids and anchors)."""

    move = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{self.move}_%s")
        super().__init__(*args, **kwargs)


class TriageForm(MoveForm):
    move = "triage"

    category = forms.ChoiceField(
        label=_("분류"),
        choices=[("", _("선택해 주세요")), *Category.choices],
        error_messages={"required": _("분류를 골라 주세요.")},
    )
    priority = forms.ChoiceField(label=_("우선순위"), choices=Priority.choices)
    sido = forms.ChoiceField(label=_("지역 (시도)"), required=False)
    lead_institute = forms.ChoiceField(
        label=_("주관 연구기관"),
        help_text=_("추천 1순위가 미리 골라져 있습니다. 다른 기관으로 바꿀 수 있습니다."),
        error_messages={"required": _("주관 연구기관을 골라 주세요.")},
    )
    collaborating_institutes = forms.MultipleChoiceField(
        label=_("협력 연구기관 (선택)"), required=False, widget=forms.CheckboxSelectMultiple
    )
    recommended = forms.CharField(widget=forms.HiddenInput, required=False, max_length=400)
    note = _note_field(_("분류 메모 (내부용)"))

    def __init__(self, *args: Any, institutes: Iterable[Organisation] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        options = [
            (str(o.pk), f"{o.acronym} · {o.name}" if o.acronym else o.name) for o in institutes
        ]
        self.fields["lead_institute"].choices = [("", _("선택해 주세요")), *options]
        self.fields["collaborating_institutes"].choices = options
        self.fields["sido"].choices = sido_choices()
        self._link_descriptions()

    def recommended_acronyms(self) -> list[str]:
        raw = self.cleaned_data.get("recommended") or ""
        return [a.strip() for a in raw.split(",") if a.strip()][:10]


class AssignForm(MoveForm):
    move = "assign"

    team = forms.ChoiceField(label=_("전담팀"), required=False)
    assignee = forms.ChoiceField(
        label=_("담당 연구원"),
        required=False,
        help_text=_(
            "비워 두면 팀의 자동 배정 설정에 따라 진행 중인 건이 가장 적은 팀원에게 배정합니다."
        ),
    )
    remember = forms.BooleanField(
        label=_("이 기업의 전담팀으로 기억하기 (1기업 1전담팀)"), required=False, initial=True
    )
    note = _note_field(_("배정 메모"))

    def __init__(self, *args: Any, teams: Iterable[Any] = (), people: Iterable[Any] = (), **kwargs):
        super().__init__(*args, **kwargs)
        team_options = [
            (str(t.pk), t.name + (" · " + str(_("자동 배정")) if t.auto_assign else ""))
            for t in teams
        ]
        self.fields["team"].choices = [("", _("기업의 전담팀 또는 선택 안 함")), *team_options]
        self.fields["assignee"].choices = [
            ("", _("자동 배정")),
            *[(str(p.pk), person_label(p)) for p in people],
        ]
        self._link_descriptions()


def person_label(user: Any) -> str:
    name = user.display_name or user.get_full_name() or user.get_username()
    return f"{name} ({user.get_username()})"


class ConfirmForm(MoveForm):
    """A move without input (start, resume)."""


class StartForm(ConfirmForm):
    move = "start"


class ResumeForm(ConfirmForm):
    move = "resume"


class WaitForm(MoveForm):
    move = "wait"

    message = forms.CharField(
        label=_("요청자에게 보낼 메시지 (필요한 자료 등)"),
        required=False,
        max_length=MESSAGE_MAX_LENGTH,
        help_text=_("답변을 기다리는 동안 처리 기한 계산이 멈춥니다."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ResolveForm(MoveForm):
    move = "resolve"

    outcome = forms.ChoiceField(
        label=_("해결 결과"),
        choices=[("", _("선택해 주세요")), *Outcome.choices],
        error_messages={"required": _("해결 결과를 골라 주세요.")},
    )
    summary = forms.CharField(
        label=_("처리 내용 요약"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    reason = forms.CharField(
        label=_("해결 불가 사유"),
        required=False,
        max_length=2000,
        help_text=_("해결 결과가 '해결 불가'이면 꼭 적어 주세요."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    follow_up_url = forms.CharField(
        label=_("후속 연계 링크"),
        required=False,
        max_length=300,
        help_text=_("예: 기술이전 신청서 주소 (https://…)"),
        widget=forms.URLInput,
    )
    follow_up_reference = forms.CharField(label=_("후속 연계 참조"), required=False, max_length=100)


class CloseForm(MoveForm):
    move = "close"

    reason = _note_field(
        _("종료 사유"),
        help_text=_("해결되지 않은 건(중복, 스팸, 취소)을 종료할 때는 꼭 적어 주세요."),
    )


class ReopenForm(MoveForm):
    move = "reopen"

    reason = _note_field(_("다시 여는 이유"))


class MessageForm(MoveForm):
    """A public message to the requester (or, from the requester, to the people working on
    the case)."""

    move = "message"

    body = forms.CharField(
        label=_("메시지"),
        max_length=MESSAGE_MAX_LENGTH,
        strip=False,
        error_messages={"required": _("내용을 입력해 주세요.")},
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": MESSAGE_MAX_LENGTH}),
    )
    attachments = attachments_field()


class NoteForm(MessageForm):
    move = "note"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].label = _("내부 메모")
        self.fields["body"].help_text = _("요청자에게는 보이지 않습니다.")
        self.fields["attachments"].label = _("내부 첨부 파일")
        self._link_descriptions()


class CollaboratorForm(MoveForm):
    move = "collaborator"

    user = forms.ChoiceField(
        label=_("협업자"), error_messages={"required": _("협업자를 골라 주세요.")}
    )
    note = forms.CharField(label=_("역할 메모"), required=False, max_length=100)

    def __init__(self, *args: Any, people: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [
            ("", _("선택해 주세요")),
            *[(str(p.pk), person_label(p)) for p in people],
        ]
        self._link_descriptions()


RATING_CHOICES = [
    ("5", _("5 — 매우 만족")),
    ("4", _("4 — 만족")),
    ("3", _("3 — 보통")),
    ("2", _("2 — 불만족")),
    ("1", _("1 — 매우 불만족")),
]


class SurveyForm(MoveForm):
    move = "survey"

    rating = forms.ChoiceField(
        label=_("처리 결과에 얼마나 만족하셨나요?"),
        choices=RATING_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("만족도를 골라 주세요.")},
    )
    comment = forms.CharField(
        label=_("의견 (선택)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# --- lists and dashboards ----------------------------------------------------------------------


class QueueFilterForm(AccessibleFormMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("상태"), required=False, choices=[("", _("전체")), *Status.choices]
    )
    category = forms.ChoiceField(
        label=_("분류"), required=False, choices=[("", _("전체")), *Category.choices]
    )
    channel = forms.ChoiceField(
        label=_("접수 경로"), required=False, choices=[("", _("전체")), *Channel.choices]
    )
    sido = forms.ChoiceField(label=_("지역"), required=False)
    centre = forms.TypedChoiceField(
        label=_("접수 센터"), required=False, coerce=int, empty_value=None
    )
    institute = forms.TypedChoiceField(
        label=_("주관 연구기관"), required=False, coerce=int, empty_value=None
    )
    q = forms.CharField(
        label=_("접수번호·제목·기업명"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )

    def __init__(
        self,
        *args: Any,
        centres: Iterable[Organisation] = (),
        institutes: Iterable[Organisation] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sido"].choices = [("", _("전체")), *sido_choices()[1:]]
        centre_options = centre_choices(centres)
        institute_options = [(str(o.pk), o.acronym or o.name) for o in institutes]
        if centre_options:
            self.fields["centre"].choices = [("", _("전체")), *centre_options]
        else:
            del self.fields["centre"]
        if institute_options:
            self.fields["institute"].choices = [("", _("전체")), *institute_options]
        else:
            del self.fields["institute"]
        self._link_descriptions()


class PeriodForm(AccessibleFormMixin, forms.Form):
    since = forms.DateField(
        label=_("시작일"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("종료일"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("종료일은 시작일과 같거나 뒤여야 합니다."))
        return data


EXPORT_REPORTS = ("evaluation", "performance", "counts")
EXPORT_FORMATS = ("csv", "xlsx")


class ExportForm(PeriodForm):
    report = forms.ChoiceField(
        choices=[
            ("evaluation", _("기관 평가용 접수 건 목록 (개인정보 없음)")),
            ("performance", _("기관별 지원 실적")),
            ("counts", _("분류·지역·기관·경로별 건수")),
        ]
    )
    format = forms.ChoiceField(choices=[("csv", "CSV"), ("xlsx", "XLSX")])
