"""Background work of cooperative governance (django-tasks; see settings.TASKS)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mass_mail
from django.utils.translation import gettext as _
from django_tasks import task

from .models import Member, Notice


@task()
def email_notice(notice_id: int) -> int:
    """E-mail a notice of meeting to those of its recorded recipients who have an address; the
    others are on the printable mailing list. Returns the number of messages sent. A failure is
    recorded on the task (database backend: retried by running the task again) rather than
    lost in the request that sent the notice."""
    notice = Notice.objects.select_related("assembly__organisation").get(pk=notice_id)
    assembly = notice.assembly
    emails = (
        Member.objects.filter(pk__in=notice.recipients)
        .exclude(email="")
        .order_by("number")
        .values_list("email", flat=True)
    )
    subject = f"[{assembly.organisation.name}] {assembly.title} " + _("소집 통지")
    sender = settings.DEFAULT_FROM_EMAIL
    return send_mass_mail([(subject, notice.body, sender, [email]) for email in emails])
