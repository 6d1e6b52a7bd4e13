"""Account use cases: consent, personal API tokens, and the data subject's rights
(download and delete one's own data — 개인정보 보호법 arts. 35–36)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dure.core.audit import audit_record
from dure.core.models import AuditEvent

from .models import ApiToken, Consent, User


@transaction.atomic
def consent_record(*, user: User, kind: str = Consent.Kind.PRIVACY, version: str = "") -> Consent:
    consent = Consent.objects.create(
        user=user, kind=kind, version=version or settings.DURE_PRIVACY_NOTICE_VERSION
    )
    audit_record(
        actor=user,
        action="consent.agree",
        obj=user,
        changes={"kind": kind, "version": consent.version},
    )
    return consent


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; the secret is returned once and only its digest is kept."""
    secret = ApiToken.new_secret()
    token = ApiToken.objects.create(
        user=user, name=name[:60] or "API", digest=ApiToken.digest_of(secret)
    )
    audit_record(actor=user, action="api_token.create", obj=token)
    return token, secret


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> None:
    updated = ApiToken.objects.filter(user=user, pk=token_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if updated:
        audit_record(
            actor=user,
            action="api_token.revoke",
            object_type="accounts.apitoken",
            object_id=str(token_id),
        )


def api_token_authenticate(secret: str) -> User | None:
    if not secret or not secret.startswith(ApiToken.PREFIX) or len(secret) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=ApiToken.digest_of(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def account_export(*, user: User) -> dict[str, Any]:
    """Everything Dure holds about this person, as JSON-friendly data."""
    memberships = [
        {
            "organisation": m.organisation.name,
            "role": m.role,
            "title": m.title,
            "granted_at": m.granted_at.isoformat(),
        }
        for m in user.memberships.select_related("organisation")
    ]
    activity = [
        {"at": e.at.isoformat(), "action": e.action, "object": e.object_repr}
        for e in AuditEvent.objects.filter(actor=user).order_by("-at")[:1000]
    ]
    return {
        "exported_at": timezone.now().isoformat(),
        "account": {
            "username": user.username,
            "display_name": user.display_name,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "phone": user.phone,
            "preferred_language": user.preferred_language,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
        },
        "consents": [
            {
                "kind": c.kind,
                "version": c.version,
                "agreed_at": c.agreed_at.isoformat(),
                "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None,
            }
            for c in user.consents.all()
        ],
        "memberships": memberships,
        "api_tokens": [
            {
                "name": t.name,
                "created_at": t.created_at.isoformat(),
                "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
            }
            for t in user.api_tokens.all()
        ],
        "activity": activity,
    }


@transaction.atomic
def account_delete(*, user: User) -> None:
    """Erase personal data and deactivate. The row stays (anonymised) so that the audit trail
    and records the law requires us to keep still point somewhere."""
    user = User.objects.select_for_update().get(pk=user.pk)
    audit_record(actor=user, action="account.delete", obj=user)
    user.memberships.all().delete()
    user.api_tokens.all().delete()
    user.consents.update(withdrawn_at=timezone.now())
    user.username = f"deleted-{user.pk}"
    user.display_name = ""
    user.first_name = ""
    user.last_name = ""
    user.email = ""
    user.phone = ""
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.is_platform_admin = False
    user.set_unusable_password()
    user.save()
    # simple_history may hold copies of the personal fields on historical rows.
    if hasattr(User, "history"):
        User.history.filter(id=user.pk).delete()
