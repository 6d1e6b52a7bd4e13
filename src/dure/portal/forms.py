from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dure.core.forms import AccessibleFormMixin
from dure.directory.models import Organisation, Sido

from .models import Notice, NoticeCategory, Story, SupportKind

LONG_TEXT = forms.Textarea(attrs={"rows": 12})


class NoticeFilterForm(AccessibleFormMixin, forms.Form):
    q = forms.CharField(label=_("검색어"), max_length=100, required=False)
    category = forms.ChoiceField(
        label=_("구분"), choices=[("", _("전체")), *NoticeCategory.choices], required=False
    )


class NoticeManageFilterForm(NoticeFilterForm):
    status = forms.ChoiceField(
        label=_("상태"), choices=[("", _("전체")), *Notice.Status.choices], required=False
    )


class NoticeForm(AccessibleFormMixin, forms.Form):
    publisher = forms.ModelChoiceField(label=_("게시 기관"), queryset=Organisation.objects.none())
    category = forms.ChoiceField(label=_("구분"), choices=NoticeCategory.choices)
    title = forms.CharField(label=_("제목"), max_length=150)
    body = forms.CharField(label=_("내용"), widget=LONG_TEXT, max_length=10_000)
    pinned = forms.BooleanField(label=_("목록 맨 위에 고정"), required=False)

    def __init__(self, *args: Any, centres: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if centres is None:  # editing: the publisher does not change
            del self.fields["publisher"]
        else:
            self.fields["publisher"].queryset = centres
        self._link_descriptions()


class StoryFilterForm(AccessibleFormMixin, forms.Form):
    q = forms.CharField(label=_("검색어"), max_length=100, required=False)
    support_kind = forms.ChoiceField(
        label=_("지원 분야"), choices=[("", _("전체")), *SupportKind.choices], required=False
    )
    sido = forms.ModelChoiceField(
        label=_("지역 (시도)"), queryset=Sido.objects.all(), required=False, empty_label=_("전체")
    )


class StoryManageFilterForm(AccessibleFormMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("상태"), choices=[("", _("전체")), *Story.Status.choices], required=False
    )


class StoryForm(AccessibleFormMixin, forms.Form):
    centre = forms.ModelChoiceField(label=_("작성 기관"), queryset=Organisation.objects.none())
    subject = forms.ModelChoiceField(
        label=_("사례 기업·조합"),
        queryset=Organisation.objects.none(),
        help_text=_("게시하려면 이 기관의 동의가 필요합니다."),
    )
    support_kind = forms.ChoiceField(label=_("지원 분야"), choices=SupportKind.choices)
    year = forms.IntegerField(label=_("지원 연도"), min_value=2000)
    title = forms.CharField(label=_("제목"), max_length=150)
    summary = forms.CharField(
        label=_("요약"), max_length=300, help_text=_("목록에 보이는 한두 문장입니다.")
    )
    body = forms.CharField(label=_("내용"), widget=LONG_TEXT, max_length=10_000)
    jobs_created = forms.IntegerField(label=_("늘어난 일자리 (명)"), min_value=0, required=False)
    sales_increase = forms.IntegerField(label=_("늘어난 연 매출 (원)"), min_value=0, required=False)

    def __init__(self, *args: Any, centres: Any = None, subjects: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if centres is None:  # editing: the writing centre does not change
            del self.fields["centre"]
        else:
            self.fields["centre"].queryset = centres
        self.fields["subject"].queryset = subjects
        self.fields["year"].widget.attrs["max"] = timezone.localdate().year
        self._link_descriptions()


class ReasonForm(AccessibleFormMixin, forms.Form):
    reason = forms.CharField(label=_("사유 (선택)"), max_length=300, required=False)


class WrittenConsentForm(AccessibleFormMixin, forms.Form):
    note = forms.CharField(
        label=_("서면 동의 내용"),
        max_length=300,
        help_text=_("누가 언제 어떤 동의서에 서명했는지 적어 주세요."),
    )
