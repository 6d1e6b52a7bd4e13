"""Personal data and accounts: export, erasure, consent, API tokens, the audit trail."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from dure.accounts.models import ApiToken, Consent, User
from dure.accounts.services import (
    account_delete,
    account_export,
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
    consent_record,
)
from dure.core.audit import audit_record, personal_data_access_record
from dure.core.models import AppendOnlyError, AuditEvent, PersonalDataAccess
from dure.directory.demo import DEMO_USERNAMES

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", *DEMO_USERNAMES]
PASSWORD = "correct-horse-battery-staple-7"
AUDIT_TABLES = ("core_auditevent", "core_personaldataaccess")
SECRET_RE = re.compile(r"dure_[A-Za-z0-9_\-]{20,}")


def strings_in(value) -> list[str]:
    """Every string (keys too) anywhere in a JSON-like value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *strings_in(v)]]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []


def identifying(user: User) -> list[str]:
    return [v for v in (user.username, user.email, user.display_name, user.phone) if v]


def with_password(user: User) -> User:
    user.set_password(PASSWORD)
    user.save()
    return user


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- export (right of access, 개인정보 보호법 art. 35) --------------------------------------------


def test_export_holds_my_account_consents_memberships_tokens_and_activity(users):
    researcher = users["researcher"]
    researcher.phone = "010-1234-5678"
    researcher.save()
    consent_record(user=researcher)
    token, _secret = api_token_create(user=researcher, name="통계 연동")

    response = logged_in(researcher).get("/accounts/profile/export/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="dure-my-data-')
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["account"]["username"] == "researcher"
    assert data["account"]["email"] == "researcher@dure.example"
    assert data["account"]["display_name"] == "이연구"
    assert data["account"]["phone"] == "010-1234-5678"
    assert [(c["kind"], c["version"]) for c in data["consents"]] == [
        ("privacy", settings.DURE_PRIVACY_NOTICE_VERSION)
    ]
    assert [(m["organisation"], m["role"], m["title"]) for m in data["memberships"]] == [
        ("한국생산기술연구원", "researcher", "수석연구원")
    ]
    assert [t["name"] for t in data["api_tokens"]] == ["통계 연동"]
    assert token.digest not in response.content.decode()
    actions = {a["action"] for a in data["activity"]}
    assert {"consent.agree", "api_token.create", "auth.login"} <= actions


def test_export_contains_nothing_about_other_people(users, org):
    from dure.directory.models import Role
    from dure.directory.services import membership_grant

    admin, researcher = users["admin"], users["researcher"]
    # The admin acts on other people: grants the researcher a role, reads their phone number.
    membership_grant(
        actor=admin, user=researcher, organisation=org("세리오협동조합"), role="member"
    )
    personal_data_access_record(
        actor=admin, via="page", subject=researcher, fields=["phone"], purpose="상담"
    )
    audit_record(actor=users["sme"], action="organisation.update", obj=users["sme"])

    for me in (admin, researcher):
        data = account_export(user=me)
        values = strings_in(data)
        text = json.dumps(data, ensure_ascii=False)
        for other in User.objects.exclude(pk=me.pk):
            if other.username not in Role.values:  # "member" is also a role
                assert other.username not in values, (me, other)
            for value in (other.email, other.display_name):
                if value:
                    assert value not in text, (me, other, value)
    # … while the researcher's own view of the new membership is complete
    own = account_export(user=researcher)
    assert ("세리오협동조합", "member") in {
        (m["organisation"], m["role"]) for m in own["memberships"]
    }


def test_export_requires_login(client):
    response = client.get("/accounts/profile/export/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- deletion (right to erasure, art. 36) ------------------------------------------------------


def test_deleting_my_account_erases_personal_data_and_anonymises_the_audit_trail(users, org):
    from axes.models import AccessAttempt, AccessLog

    from dure.directory.services import membership_grant

    researcher = with_password(users["researcher"])
    researcher.phone = "010-9876-5432"
    researcher.first_name, researcher.last_name = "연구", "이"
    researcher.save()
    old = identifying(researcher) + [researcher.get_full_name()]
    pk = researcher.pk
    # Given a history: consents (one withdrawn long ago), a token, logins, failed logins,
    # roles granted by others, personal-data access, throttling records
    consent_record(user=researcher)
    earlier = consent_record(user=researcher, kind=Consent.Kind.MARKETING, version="2025-01-01")
    long_ago = timezone.now() - dt.timedelta(days=400)
    Consent.objects.filter(pk=earlier.pk).update(withdrawn_at=long_ago)
    _token, secret = api_token_create(user=researcher, name="연동")
    membership_grant(
        actor=users["admin"], user=researcher, organisation=org("세리오협동조합"), role="member"
    )
    personal_data_access_record(
        actor=researcher, via="page", subject=users["sme"], fields=["phone"], purpose="상담"
    )
    anonymous = Client()
    anonymous.post("/accounts/login/", {"username": "researcher", "password": "wrong"})
    client = Client()
    assert client.post("/accounts/login/", {"username": "researcher", "password": PASSWORD})[
        "Location"
    ]
    for model, extra in (
        (AccessAttempt, {"get_data": "", "post_data": "", "failures_since_start": 1}),
        (AccessLog, {}),
    ):
        model.objects.create(
            username="researcher",
            ip_address="127.0.0.1",
            user_agent="test",
            http_accept="*/*",
            path_info="/accounts/login/",
            **extra,
        )
    acted_before = AuditEvent.objects.filter(actor_id=pk).count()
    audit_rows_before = AuditEvent.objects.count()

    # When they delete their account
    response = client.post("/accounts/profile/delete/", {"confirm": "삭제합니다"})

    # Then they are logged out and their personal data is gone
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    user = User.objects.get(pk=pk)
    assert user.username == f"deleted-{pk}"
    assert (user.display_name, user.first_name, user.last_name, user.email, user.phone) == (
        "",
        "",
        "",
        "",
        "",
    )
    assert not user.is_active and not user.is_staff and not user.is_superuser
    assert not user.has_usable_password()
    assert not user.memberships.exists()
    assert not ApiToken.objects.filter(user_id=pk).exists()
    assert api_token_authenticate(secret) is None
    # … consents are withdrawn, the earlier withdrawal keeps its date
    assert not user.consents.filter(withdrawn_at__isnull=True).exists()
    assert user.consents.get(pk=earlier.pk).withdrawn_at == long_ago
    # … throttling records with the name are gone
    assert not AccessAttempt.objects.filter(username="researcher").exists()
    assert not AccessLog.objects.filter(username="researcher").exists()
    # … and the audit rows are all kept, pointing to the pseudonym, naming nobody
    assert AuditEvent.objects.filter(actor_id=pk).count() >= acted_before + 1
    assert AuditEvent.objects.count() >= audit_rows_before + 1
    assert set(AuditEvent.objects.filter(actor_id=pk).values_list("actor_label", flat=True)) == {
        f"deleted-{pk}"
    }
    assert AuditEvent.objects.filter(
        actor_id=pk, action="account.delete", actor_label=f"deleted-{pk}"
    ).exists()
    assert PersonalDataAccess.objects.get(actor_id=pk).actor_label == f"deleted-{pk}"
    trail = [
        json.dumps(row, ensure_ascii=False, default=str)
        for row in [
            *AuditEvent.objects.values("actor_label", "object_repr", "changes"),
            *PersonalDataAccess.objects.values("actor_label", "fields", "purpose"),
        ]
    ]
    for value in old:
        leaks = [row for row in trail if value in row]
        assert leaks == [], value
    # … and they are still append-only
    assert_audit_tables_refuse_update_and_delete()
    # … and login no longer works, with the old name or the new one
    for username in ("researcher", f"deleted-{pk}"):
        response = Client().post("/accounts/login/", {"username": username, "password": PASSWORD})
        assert response.status_code == 200  # the form again, with an error
        assert "_auth_user_id" not in response.client.session


def test_the_delete_page_requires_the_confirm_phrase(users):
    researcher = users["researcher"]
    client = logged_in(researcher)

    page = client.get("/accounts/profile/delete/")
    assert page.status_code == 200
    assert "삭제합니다" in page.content.decode()

    for phrase in ("", "delete", "삭제", "네"):
        response = client.post("/accounts/profile/delete/", {"confirm": phrase})
        assert response.status_code == 400
        assert 'aria-invalid="true"' in response.content.decode()
    researcher.refresh_from_db()
    assert researcher.is_active and researcher.username == "researcher"
    assert researcher.email == "researcher@dure.example"
    assert researcher.memberships.exists()
    assert client.get("/accounts/profile/").status_code == 200  # still logged in


def test_the_delete_page_is_for_logged_in_people_only(client, users):
    assert client.get("/accounts/profile/delete/").status_code == 302
    response = client.post("/accounts/profile/delete/", {"confirm": "삭제합니다"})
    assert response.status_code == 302
    assert User.objects.filter(is_active=False).count() == 0


def test_account_delete_returns_the_anonymised_user_and_spares_everybody_else(users):
    before = {
        u.pk: (u.username, u.email, u.display_name, u.is_active)
        for u in User.objects.exclude(username="sme")
    }
    memberships_before = {
        u.pk: sorted(u.memberships.values_list("pk", flat=True))
        for u in User.objects.exclude(username="sme")
    }

    user = account_delete(user=users["sme"])

    assert user.username == f"deleted-{user.pk}" and not user.is_active
    assert {
        u.pk: (u.username, u.email, u.display_name, u.is_active)
        for u in User.objects.exclude(pk=user.pk)
    } == before
    assert {
        u.pk: sorted(u.memberships.values_list("pk", flat=True))
        for u in User.objects.exclude(pk=user.pk)
    } == memberships_before


# --- consent ------------------------------------------------------------------------------------


def test_consent_records_carry_the_notice_version_and_date(users):
    member = users["member"]
    started = timezone.now()

    consent = consent_record(user=member)
    older = consent_record(user=member, kind=Consent.Kind.MARKETING, version="2025-03-01")

    consent.refresh_from_db()
    assert consent.kind == "privacy"
    assert consent.version == settings.DURE_PRIVACY_NOTICE_VERSION
    assert timezone.is_aware(consent.agreed_at)
    assert started <= consent.agreed_at <= timezone.now()
    assert consent.withdrawn_at is None
    assert older.version == "2025-03-01"
    event = AuditEvent.objects.get(action="consent.agree", actor=member, changes__kind="privacy")
    assert event.changes == {"kind": "privacy", "version": settings.DURE_PRIVACY_NOTICE_VERSION}
    page = logged_in(member).get("/accounts/profile/").content.decode()
    assert f"버전 {settings.DURE_PRIVACY_NOTICE_VERSION}" in page
    assert f"{timezone.localtime(consent.agreed_at):%Y-%m-%d}" in page


# --- API tokens ---------------------------------------------------------------------------------


def test_creating_a_token_stores_only_its_digest_and_shows_the_secret_once(users):
    sme = users["sme"]
    client = logged_in(sme)

    response = client.post("/accounts/tokens/", {"name": "ERP 연동"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secrets = SECRET_RE.findall(response.content.decode())
    assert len(set(secrets)) == 1
    secret = secrets[0]
    token = ApiToken.objects.get(user=sme)
    assert token.name == "ERP 연동"
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    # The secret itself is nowhere in the database: not on the token, not in the audit log
    stored = [str(getattr(token, f.attname)) for f in ApiToken._meta.concrete_fields]
    assert not any(secret in value for value in stored)
    assert not AuditEvent.objects.filter(object_repr__contains=secret).exists()
    assert AuditEvent.objects.filter(action="api_token.create", actor=sme).exists()
    # … and it is shown once only: the profile lists the token without it
    profile = client.get("/accounts/profile/").content.decode()
    assert "ERP 연동" in profile
    assert secret not in profile and not SECRET_RE.search(profile)
    assert api_token_authenticate(secret) == sme


def test_token_creation_needs_a_name_and_a_post(users):
    client = logged_in(users["sme"])
    assert client.get("/accounts/tokens/").status_code == 405
    response = client.post("/accounts/tokens/", {"name": ""})
    assert response.status_code == 302
    assert not ApiToken.objects.filter(user=users["sme"]).exists()


def test_revoking_a_token_stops_it_working(users):
    sme = users["sme"]
    token, secret = api_token_create(user=sme, name="연동")
    assert api_token_authenticate(secret) == sme

    response = logged_in(sme).post(f"/accounts/tokens/{token.pk}/revoke/")

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api_token_authenticate(secret) is None
    assert AuditEvent.objects.filter(
        action="api_token.revoke", actor=sme, object_id=str(token.pk)
    ).exists()
    # Revoking twice changes nothing and writes no second audit row
    api_token_revoke(user=sme, token_id=token.pk)
    assert AuditEvent.objects.filter(action="api_token.revoke").count() == 1


def test_nobody_can_revoke_someone_elses_token(users):
    token, secret = api_token_create(user=users["sme"], name="연동")

    logged_in(users["coop"]).post(f"/accounts/tokens/{token.pk}/revoke/")
    api_token_revoke(user=users["admin"], token_id=token.pk)

    token.refresh_from_db()
    assert token.revoked_at is None
    assert api_token_authenticate(secret) == users["sme"]
    assert not AuditEvent.objects.filter(action="api_token.revoke").exists()


def test_tokens_of_deactivated_people_and_malformed_secrets_do_not_authenticate(users):
    sme = users["sme"]
    _token, secret = api_token_create(user=sme, name="연동")
    for bad in ("", "dure_", "Bearer " + secret, secret + "x", "x" * 200, secret.upper()):
        assert api_token_authenticate(bad) is None
    User.objects.filter(pk=sme.pk).update(is_active=False)
    assert api_token_authenticate(secret) is None


# --- authentication audit -----------------------------------------------------------------------


def test_login_logout_and_failed_logins_are_audited(users):
    researcher = with_password(users["researcher"])
    client = Client(REMOTE_ADDR="203.0.113.7")

    failed = client.post("/accounts/login/", {"username": "researcher", "password": "nope"})
    unknown = client.post("/accounts/login/", {"username": "nobody-here", "password": "x"})
    ok = client.post("/accounts/login/", {"username": "researcher", "password": PASSWORD})
    out = client.post("/accounts/logout/")

    assert failed.status_code == unknown.status_code == 200
    assert ok.status_code == 302 and out.status_code == 302
    failures = AuditEvent.objects.filter(action="auth.login_failed").order_by("id")
    assert [(e.object_repr, e.actor_id, e.actor_label, e.ip_address) for e in failures] == [
        ("researcher", None, "anonymous", "203.0.113.7"),
        ("nobody-here", None, "anonymous", "203.0.113.7"),
    ]
    for action in ("auth.login", "auth.logout"):
        event = AuditEvent.objects.get(action=action, actor=researcher)
        assert event.actor_label == "researcher"
        assert event.ip_address == "203.0.113.7"
        assert (event.object_type, event.object_id) == ("accounts.user", str(researcher.pk))
    # A failed password never ends up in the log
    assert not AuditEvent.objects.filter(changes__icontains="nope").exists()


# --- the audit log is append-only in the database -----------------------------------------------


def assert_audit_tables_refuse_update_and_delete() -> None:
    for table in AUDIT_TABLES:
        for sql in (
            f"UPDATE {table} SET actor_label = 'rewritten'",  # noqa: S608 - fixed names
            f"DELETE FROM {table}",  # noqa: S608
        ):
            with pytest.raises(DatabaseError, match="append-only"):
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(sql)


def test_the_audit_tables_refuse_update_and_delete_in_the_database(users):
    admin = users["admin"]
    event = audit_record(actor=admin, action="test.event", obj=admin)
    access = personal_data_access_record(
        actor=admin, via="page", subject=users["researcher"], fields=["phone"], purpose="확인"
    )

    assert_audit_tables_refuse_update_and_delete()
    # The ORM's bulk paths reach the database and are refused there too
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        PersonalDataAccess.objects.filter(pk=access.pk).delete()
    # … and the model refuses before even asking
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        access.delete()
    event.refresh_from_db()
    assert event.action == "test.event"
    assert PersonalDataAccess.objects.filter(pk=access.pk).exists()


def test_the_append_only_triggers_are_installed():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            expected = {f"{t}_no_{op}" for t in AUDIT_TABLES for op in ("update", "delete")}
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            expected = {f"{t}_no_change" for t in AUDIT_TABLES}
        assert expected <= {row[0] for row in cursor.fetchall()}


# --- the staff audit page -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_audit_page_is_for_platform_admins_only(role, client_for, users):
    audit_record(actor=users["admin"], action="test.visible", obj=users["admin"])

    response = client_for(role).get("/staff/audit/")

    if role == "admin":
        assert response.status_code == 200
        assert "test.visible" in response.content.decode()
    elif role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code == 404
        assert "test.visible" not in response.content.decode()


# --- staff views of personal data are logged ------------------------------------------------------


def test_staff_viewing_another_organisations_people_leaves_a_processing_record(client_for, org):
    from dure.core.models import PersonalDataAccess

    serio = org("세리오협동조합")
    before = PersonalDataAccess.objects.count()
    page = client_for("center").get(serio.get_absolute_url()).content.decode()
    assert "최이사장" in page  # the chair's name is shown to support-centre staff
    record = PersonalDataAccess.objects.order_by("-id").first()
    assert PersonalDataAccess.objects.count() == before + 1
    assert record.actor_label == "center"
    assert record.subject_id == str(serio.pk) and record.via == "page"
    assert record.purpose


def test_members_reading_their_own_cooperatives_roster_are_not_logged(client_for, org):
    from dure.core.models import PersonalDataAccess

    before = PersonalDataAccess.objects.count()
    page = client_for("member").get(org("세리오협동조합").get_absolute_url()).content.decode()
    assert "최이사장" in page
    assert PersonalDataAccess.objects.count() == before


def test_admin_opening_a_user_in_django_admin_is_logged(client_for, users):
    from dure.core.models import PersonalDataAccess

    response = client_for("admin").get(f"/admin/accounts/user/{users['member'].pk}/change/")
    assert response.status_code == 200
    record = PersonalDataAccess.objects.order_by("-id").first()
    assert record.via == "admin" and record.subject_id == str(users["member"].pk)
