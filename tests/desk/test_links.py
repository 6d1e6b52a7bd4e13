"""Signed status links: the requester's no-login way in, refused with distinct codes when
forged, tampered with, expired or revoked."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.core import signing

from dure.desk import links, services
from dure.desk.links import StatusLinkError
from dure.desk.models import CaseMessage

pytestmark = pytest.mark.django_db


def test_a_token_opens_its_case(submit):
    case = submit()
    token = links.make_token(case)
    assert links.case_for_token(token).pk == case.pk
    assert links.status_url(case).endswith(links.status_path(token))


def refused(token):
    with pytest.raises(StatusLinkError) as exc:
        links.case_for_token(token)
    return exc.value.code


def test_tampered_forged_malformed_expired_and_revoked_links_have_distinct_codes(submit, settings):
    case, other = submit(), submit()
    token = links.make_token(case)
    payload, stamp, signature = token.split(":")

    # tampered: the payload of another case with this case's signature
    other_payload = links.make_token(other).split(":")[0]
    assert refused(f"{other_payload}:{stamp}:{signature}") == "status_link_invalid"
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    assert refused(f"{payload}:{stamp}:{flipped}") == "status_link_invalid"
    # forged: signed with another key
    forged = signing.dumps({"c": case.pk, "s": case.status_secret}, key="x" * 50, salt=links.SALT)
    assert refused(forged) == "status_link_invalid"
    # not a token at all
    for garbage in ("", "abc", "../../etc/passwd", "a:b", "x" * 400, "가:나:다"):
        assert refused(garbage) == "status_link_malformed"
    # expired: issued 181 days ago with a 180-day lifetime
    settings.DURE_DESK_STATUS_LINK_DAYS = 180
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 181 * 86400):
        old = links.make_token(case)
    assert refused(old) == "status_link_expired"
    settings.DURE_DESK_STATUS_LINK_DAYS = 200
    assert links.case_for_token(old).pk == case.pk
    # revoked: the case's secret was rotated
    services.case_status_link_rotate(actor=case_staff(), case=case, send=False)
    assert refused(token) == "status_link_revoked"
    case.refresh_from_db()
    assert links.case_for_token(links.make_token(case)).pk == case.pk


def case_staff():
    from dure.accounts.models import User

    return User.objects.get(username="center")


def test_a_link_for_one_case_cannot_post_to_another(submit):
    case, other = submit(), submit()
    token = links.make_token(case)
    with pytest.raises(services.DeskError) as refused_:
        services.case_message_post(case=other, status_token=token, body="남의 건에 글쓰기")
    assert refused_.value.code == "status_link_invalid"
    assert not CaseMessage.objects.filter(case=other).exists()


def test_a_requester_with_a_link_can_never_write_an_internal_note(submit):
    from django.core.exceptions import PermissionDenied

    case = submit()
    with pytest.raises(PermissionDenied):
        services.case_message_post(
            case=case, status_token=links.make_token(case), body="메모", is_internal=True
        )
    assert not CaseMessage.objects.filter(case=case).exists()
