from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from dure.core.forms import AccessibleFormMixin


class LoginForm(AccessibleFormMixin, AuthenticationForm):
    pass


class ResetForm(AccessibleFormMixin, PasswordResetForm):
    pass


class NewPasswordForm(AccessibleFormMixin, SetPasswordForm):
    pass


class ApiTokenForm(AccessibleFormMixin, forms.Form):
    name = forms.CharField(
        label=_("토큰 이름"),
        max_length=60,
        help_text=_("어디에 쓰는 토큰인지 적어 두세요 (예: 통계 연동)."),
    )


class DeleteAccountForm(AccessibleFormMixin, forms.Form):
    confirm = forms.CharField(
        label=_("확인 문구"),
        max_length=20,
        help_text=_("계정을 삭제하려면 '삭제합니다'를 입력하세요."),
    )

    def clean_confirm(self):
        value = self.cleaned_data["confirm"].strip()
        if value not in ("삭제합니다", "DELETE"):
            raise forms.ValidationError(_("확인 문구가 맞지 않습니다."), code="confirm")
        return value
