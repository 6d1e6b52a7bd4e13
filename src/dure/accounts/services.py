"""Account use cases: consent, personal API tokens, and the data subject's rights
(download and delete one's own data — 개인정보 보호법 arts. 35–36)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dure.core.append_only import create_statements, drop_statements
from dure.core.audit import audit_record
from dure.core.models import AuditEvent, PersonalDataAccess

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


# Audit objects whose label may be shown back to the person who acted on them: their own account,
# tokens, consents and memberships, and organisations. Labels of anything else (another person,
# someone else's membership) may name other people and are left out of an export.
_OWN_OBJECT_TYPES = frozenset({"accounts.apitoken", "accounts.consent"})
_PUBLIC_OBJECT_TYPES = frozenset({"directory.organisation", "directory.mou"})


def account_export(*, user: User) -> dict[str, Any]:
    """Everything Dure holds about this person, as JSON-friendly data — and nothing about
    anybody else (activity on other people's records keeps only the kind and id of the record).
    """
    from dure.founding.selectors import consultations_of_person
    from dure.portal.selectors import consents_given_by
    from dure.programs.selectors import registrations_of_person

    memberships = list(user.memberships.select_related("organisation"))
    registrations = registrations_of_person(user=user)
    own = {
        "accounts.user": {str(user.pk)},
        "directory.membership": {str(m.pk) for m in memberships},
        "programs.registration": {str(r["id"]) for r in registrations},
    }

    def label(event: AuditEvent) -> str:
        if event.object_type in _OWN_OBJECT_TYPES or event.object_type in _PUBLIC_OBJECT_TYPES:
            return event.object_repr
        if event.object_id and event.object_id in own.get(event.object_type, ()):
            return event.object_repr
        return ""

    activity = [
        {
            "at": e.at.isoformat(),
            "action": e.action,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "object": label(e),
        }
        for e in AuditEvent.objects.filter(actor=user).order_by("-at", "-id")[:1000]
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
        "memberships": [
            {
                "organisation": m.organisation.name,
                "role": m.role,
                "title": m.title,
                "granted_at": m.granted_at.isoformat(),
            }
            for m in sorted(memberships, key=lambda m: (m.organisation.name, m.role))
        ],
        "api_tokens": [
            {
                "name": t.name,
                "created_at": t.created_at.isoformat(),
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
            }
            for t in user.api_tokens.all()
        ],
        "program_registrations": registrations,
        "founding_consultations": consultations_of_person(user=user),
        "story_consents": consents_given_by(user=user),
        "activity": activity,
    }


@transaction.atomic
def account_delete(*, user: User) -> User:
    """Erase personal data and deactivate. The row stays (anonymised) so that the audit trail
    and records the law requires us to keep still point somewhere; the audit rows stay too,
    with the person's name, username and e-mail replaced by the pseudonym ``deleted-<id>``.

    Returns the anonymised user (the caller's instance still holds the old values)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    pseudonym = f"deleted-{user.pk}"
    identifiers = [
        user.username,
        user.email,
        user.phone,
        user.display_name,
        user.get_full_name(),
        str(user),
    ]
    old_username, old_email = user.username, user.email
    membership_ids = [str(pk) for pk in user.memberships.values_list("pk", flat=True)]
    now = timezone.now()

    from dure.founding.services import applicant_forget
    from dure.programs.services import registrations_forget

    registrations_forget(user=user)  # frees their seats while they can still act
    applicant_forget(user=user)
    user.memberships.all().delete()
    user.api_tokens.all().delete()
    user.consents.filter(withdrawn_at__isnull=True).update(withdrawn_at=now)
    user.username = pseudonym
    user.display_name = ""
    user.first_name = ""
    user.last_name = ""
    user.email = ""
    user.phone = ""
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.is_platform_admin = False
    user.set_unusable_password()  # also ends every session (the session hash changes)
    user.save()

    _anonymise_logs(
        user_id=user.pk,
        pseudonym=pseudonym,
        usernames=[u for u in (old_username, old_email) if u],
        identifiers=identifiers,
        membership_ids=membership_ids,
    )
    _forget_login_attempts(usernames=[u for u in (old_username, old_email) if u])
    audit_record(actor=user, action="account.delete", obj=user)
    return user


def _anonymise_logs(
    *,
    user_id: int,
    pseudonym: str,
    usernames: list[str],
    identifiers: list[str],
    membership_ids: list[str],
) -> None:
    """Replace who the person was by their pseudonym in the append-only logs.

    The logs refuse UPDATE in the database itself; erasure on the data subject's request is
    the one sanctioned exception, so the triggers are lifted and put back inside this
    transaction (other sessions never see them missing: the DDL locks the tables until
    commit). Only the identifying labels change — never what was done, when, or to what.
    """
    # Longest first, and nothing so short that it would blot out unrelated text.
    names = sorted({i for i in identifiers if i and len(i) >= 2}, key=len, reverse=True)

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            if value in usernames:
                return pseudonym
            for name in names:
                value = value.replace(name, pseudonym)
            return value
        if isinstance(value, list):
            return [scrub(v) for v in value]
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items()}
        return value

    connection = transaction.get_connection()
    with connection.cursor() as cursor:
        for sql in drop_statements(connection.vendor):
            cursor.execute(sql)
    AuditEvent.objects.filter(actor_id=user_id).update(actor_label=pseudonym)
    AuditEvent.objects.filter(object_type="accounts.user", object_id=str(user_id)).update(
        object_repr=pseudonym
    )
    # Failed logins record the name that was typed.
    AuditEvent.objects.filter(
        object_type="accounts.user", object_id="", object_repr__in=usernames
    ).update(object_repr=pseudonym)
    # Others' actions on this person's memberships name them in the label and the changes.
    about_memberships = AuditEvent.objects.filter(object_type="directory.membership").filter(
        Q(object_id__in=membership_ids) | Q(changes__user__in=usernames)
    )
    for event in about_memberships.only("pk", "object_repr", "changes"):
        AuditEvent.objects.filter(pk=event.pk).update(
            object_repr=scrub(event.object_repr)[:200], changes=scrub(event.changes)
        )
    PersonalDataAccess.objects.filter(actor_id=user_id).update(actor_label=pseudonym)
    with connection.cursor() as cursor:
        for sql in create_statements(connection.vendor):
            cursor.execute(sql)


def _forget_login_attempts(*, usernames: list[str]) -> None:
    """django-axes keeps the names typed at login, with IP address and browser."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username__in=usernames).delete()
