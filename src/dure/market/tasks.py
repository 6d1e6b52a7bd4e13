"""Background work of the marketplace (django-tasks; see settings.TASKS)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mass_mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from dure.directory.models import ORGANISATION_EDITOR_ROLES, Membership, Role

from .models import QuotationRequest, SupplierProfile

SEOUL = ZoneInfo("Asia/Seoul")

# who acts for a supplier (as in ``access.supplier_organisation_ids``): its 입점사 role holders
# and the organisation's representative/editors
SUPPLIER_CONTACT_ROLES = frozenset({Role.MARKET_SUPPLIER, *ORGANISATION_EDITOR_ROLES})


def supplier_contacts(supplier_ids: list[int]) -> dict[str, tuple[str, list[str]]]:
    """``{address: (language, [supplier organisation names])}`` of the active people acting for
    the given suppliers who have an e-mail address (one entry per address)."""
    names = dict(
        SupplierProfile.objects.filter(pk__in=supplier_ids).values_list(
            "organisation_id", "organisation__name"
        )
    )
    rows = (
        Membership.objects.filter(
            organisation_id__in=names,
            role__in=SUPPLIER_CONTACT_ROLES,
            user__is_active=True,
        )
        .exclude(user__email="")
        .order_by("user__email", "organisation__name")
        .values_list("user__email", "user__preferred_language", "organisation_id")
    )
    contacts: dict[str, tuple[str, list[str]]] = {}
    for email, language, organisation_id in rows:
        _language, orgs = contacts.setdefault(email.strip(), (language, []))
        if names[organisation_id] not in orgs:
            orgs.append(names[organisation_id])
    return contacts


@task()
def email_quotation_request(request_id: int, supplier_ids: list[int]) -> int:
    """E-mail the suppliers a quotation request was sent to (one message per address of the
    people acting for them). Returns the number of messages sent. A failure is recorded on
    the task (database backend: retried by running the task again); the request stays sent."""
    request = QuotationRequest.objects.select_related("buyer_organisation").get(pk=request_id)
    deadline = timezone.localtime(request.reply_deadline, SEOUL).strftime("%Y-%m-%d %H:%M")
    link = str(settings.DURE_SITE_URL).rstrip("/") + reverse("market:quote_incoming")
    sender = settings.DEFAULT_FROM_EMAIL
    messages = []
    for email, (language, organisations) in supplier_contacts(supplier_ids).items():
        with translation.override(language or settings.LANGUAGE_CODE):
            subject = _("[견적요청] %(buyer)s: %(title)s") % {
                "buyer": request.buyer_organisation.name,
                "title": request.title,
            }
            body = _(
                "%(suppliers)s 담당자님,\n\n"
                "%(buyer)s에서 견적을 요청했습니다.\n\n"
                "견적요청: %(number)s %(title)s\n"
                "납품 장소: %(place)s\n"
                "납품 기한: %(needed_by)s\n"
                "견적 마감: %(deadline)s (한국 시간)\n\n"
                "받은 견적요청 목록에서 내용을 확인하고 마감 전에 견적을 제출해 주세요:\n"
                "%(link)s\n"
            ) % {
                "suppliers": ", ".join(organisations),
                "buyer": request.buyer_organisation.name,
                "number": request.number,
                "title": request.title,
                "place": request.delivery_place,
                "needed_by": request.needed_by.isoformat(),
                "deadline": deadline,
                "link": link,
            }
        # a title is one line in the form but need not be through the API: no header injection
        messages.append((" ".join(subject.split()), body, sender, [email]))
    return send_mass_mail(messages) if messages else 0
