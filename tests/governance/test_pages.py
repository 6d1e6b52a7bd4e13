"""The governance pages do what they say: a whole assembly through the pages, the register's
privacy (art. 49: members inspect it without contacts), exports and the minutes PDF."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone

from dure.governance.models import (
    AgendaItem,
    Assembly,
    Attendance,
    Ballot,
    Member,
    Minutes,
    Proxy,
)

pytestmark = pytest.mark.django_db


def test_the_chair_runs_an_assembly_through_the_pages(client_for, serio, users):
    chair = client_for("coop")
    when = (timezone.localtime() + dt.timedelta(days=9)).strftime("%Y-%m-%dT%H:%M")
    r = chair.post(
        f"/coop/{serio.pk}/assemblies/new/",
        {
            "kind": "ordinary",
            "title": "페이지 정기총회",
            "scheduled_at": when,
            "place": "회의실",
            "purpose": "결산 승인",
            "board_decision": "이사회 결의",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    assembly = Assembly.objects.get(title="페이지 정기총회")
    for title, matter in (
        ("결산 승인", "financial_statements"),
        ("정관 변경", "articles_amendment"),
    ):
        r = chair.post(
            f"/coop/assemblies/{assembly.pk}/items/new/",
            {"title": title, "matter": matter, "recording_mode": "electronic"},
        )
        assert r.status_code == 302
    assert chair.get(f"/coop/assemblies/{assembly.pk}/notice/").status_code == 200
    assert chair.post(f"/coop/assemblies/{assembly.pk}/notice/").status_code == 302
    assert chair.post(f"/coop/assemblies/{assembly.pk}/open/").status_code == 302
    members = list(Member.objects.filter(organisation=serio).order_by("number"))
    for m in members[:5]:
        r = chair.post(f"/coop/assemblies/{assembly.pk}/checkin/", {"member": m.pk})
        assert r.status_code == 302
    r = chair.post(
        f"/coop/assemblies/{assembly.pk}/proxies/",
        {
            "member": members[5].pk,
            "proxy_member": members[1].pk,
            "authorisation_reference": "위임장",
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    assert Proxy.objects.filter(assembly=assembly).count() == 1
    assert Attendance.objects.filter(assembly=assembly).count() == 6
    ordinary, special = AgendaItem.objects.filter(assembly=assembly).order_by("order")
    for item in (ordinary, special):
        assert chair.post(f"/coop/items/{item.pk}/open/").status_code == 302
    member = client_for("member")
    page = member.get(f"/coop/items/{ordinary.pk}/")
    assert page.status_code == 200 and "대리 투표" in page.content.decode()
    assert (
        member.post(
            f"/coop/items/{ordinary.pk}/", {"choice": "yes", "for_member": members[1].pk}
        ).status_code
        == 302
    )
    assert (
        member.post(
            f"/coop/items/{ordinary.pk}/", {"choice": "yes", "for_member": members[5].pk}
        ).status_code
        == 302
    )
    again = member.post(
        f"/coop/items/{ordinary.pk}/", {"choice": "no", "for_member": members[1].pk}
    )
    assert again.status_code == 400 and "한 번만" in again.content.decode()
    assert (
        chair.post(
            f"/coop/items/{ordinary.pk}/", {"choice": "yes", "for_member": members[0].pk}
        ).status_code
        == 302
    )
    assert Ballot.objects.filter(item=ordinary).count() == 3
    assert chair.post(f"/coop/items/{ordinary.pk}/close/").status_code == 302
    ordinary.refresh_from_db()
    # 8 members, 6 present: ordinary needs 4 yes; 3 → 부결
    assert ordinary.passed is False and "출석 6명 중 찬성 3명" in ordinary.explanation
    assert chair.get(f"/coop/assemblies/{assembly.pk}/quorum/").status_code == 200
    assert chair.post(f"/coop/items/{special.pk}/close/").status_code == 302
    assert chair.post(f"/coop/assemblies/{assembly.pk}/close/").status_code == 302
    r = chair.post(f"/coop/assemblies/{assembly.pk}/minutes/")
    minutes = Minutes.objects.get(assembly=assembly)
    assert r["Location"] == f"/coop/minutes/{minutes.pk}/"
    page = chair.get(f"/coop/minutes/{minutes.pk}/")
    assert page.status_code == 200 and "출석: 6명" in page.content.decode()
    pdf = chair.get(f"/coop/minutes/{minutes.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert chair.get(f"/coop/assemblies/{assembly.pk}/").status_code == 200


def test_a_member_inspects_the_register_without_contacts(client_for, serio):
    page = client_for("member").get(f"/coop/{serio.pk}/members/").content.decode()
    assert "김연구" in page and "coop@dure.example" not in page
    officer_page = client_for("coop").get(f"/coop/{serio.pk}/members/").content.decode()
    assert "coop@dure.example" in officer_page


def test_nobody_sees_another_cooperatives_register(client_for, org):
    council = org("서울지역협동조합협의회")
    for role in ("coop", "member", "seller", "center"):
        assert client_for(role).get(f"/coop/{council.pk}/members/").status_code == 404


def test_register_exports(client_for, serio):
    from openpyxl import load_workbook

    r = client_for("coop").get(f"/coop/{serio.pk}/members/export.xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.values)
    # header + 8 members + the demo's withdrawn 문지현 (the register keeps departed members)
    assert rows[0][1] == "성명·법인명" and len(rows) == 10 and "이메일" in rows[0]
    member_rows = list(
        load_workbook(
            io.BytesIO(client_for("member").get(f"/coop/{serio.pk}/members/export.xlsx").content)
        ).active.values
    )
    assert "이메일" not in member_rows[0]
    pdf = client_for("member").get(f"/coop/{serio.pk}/members/export.pdf")
    assert pdf.content.startswith(b"%PDF")


def test_my_record_and_qr(client_for, serio, users):
    me = Member.objects.get(organisation=serio, user=users["member"])
    r = client_for("member").get(f"/coop/{serio.pk}/me/")
    assert r.status_code == 302 and r["Location"] == f"/coop/{serio.pk}/members/{me.pk}/"
    assert client_for("member").get(r["Location"]).status_code == 200
    assembly = Assembly.objects.get(organisation=serio, title="2026년 임시총회")
    qr = client_for("member").get(f"/coop/assemblies/{assembly.pk}/qr/")
    assert qr.status_code == 200 and "<svg" in qr.content.decode()


def test_the_council_ninth_assembly_is_in_the_demo(org):
    council = org("서울지역협동조합협의회")
    a = Assembly.objects.get(organisation=council, title="제9차 정기총회")
    assert a.place == "서울혁신파크 상상청" and a.scheduled_at.date().isoformat() == "2022-03-31"
    assert a.items.count() == 7
    assert all(i.passed for i in a.items.filter(is_report=False))


def test_an_officer_election_with_candidates_is_voted_by_name(client_for, serio):
    from dure.governance import services
    from dure.governance.models import Candidate

    chair_client = client_for("coop")
    assembly = Assembly.objects.get(organisation=serio, title="2026년 임시총회")
    chair = Member.objects.get(organisation=serio, user__username="coop").user
    item = services.agenda_item_add(
        actor=chair,
        assembly=assembly,
        title="감사 선출",
        matter="officer_election",
        recording_mode="electronic",
        candidates=["김연구", "박코팅"],
    )
    services.assembly_open(actor=chair, assembly=assembly)
    members = list(Member.objects.filter(organisation=serio).order_by("number"))
    services.checkins_bulk(assembly=assembly, member_ids=[m.pk for m in members[:6]])
    services.item_open(actor=chair, item=item)
    kim = Candidate.objects.get(item=item, name="김연구")
    page = client_for("member").get(f"/coop/items/{item.pk}/").content.decode()
    assert "박코팅" in page and 'name="candidate"' in page
    assert (
        client_for("member").post(f"/coop/items/{item.pk}/", {"candidate": kim.pk}).status_code
        == 302
    )
    assert chair_client.post(f"/coop/items/{item.pk}/", {"candidate": kim.pk}).status_code == 302
    services.ballots_cast_bulk(item=item, votes=[(m.pk, "yes") for m in members[2:4]])
    closed = services.item_close(actor=chair, item=item)
    # 4 ballots: 2 for 김연구 by name, 2 without a candidate; 6 present → 4 needed
    assert closed.yes == 2 and closed.passed is False and closed.explanation.startswith("김연구")


def test_the_settings_page_changes_the_delegate_cap_and_records_it(client_for, serio):
    from dure.core.models import AuditEvent
    from dure.governance.models import CoopSettings

    chair = client_for("coop")
    page = chair.get(f"/coop/{serio.pk}/settings/").content.decode()
    assert 'name="delegate_cap"' in page and 'value="100"' in page
    assert '<label for="id_delegate_cap"' in page
    r = chair.post(
        f"/coop/{serio.pk}/settings/",
        {"fiscal_year_end_month": 12, "delegate_cap": 150},
    )
    assert r.status_code == 302
    assert CoopSettings.objects.get(organisation=serio).delegate_cap == 150
    event = AuditEvent.objects.filter(action="governance.settings_update").latest("pk")
    assert event.changes["delegate_cap"] == 150
    assert 'value="150"' in chair.get(f"/coop/{serio.pk}/settings/").content.decode()


@pytest.mark.parametrize("value", ["99", "0", "-5", "100001", "12.5", "백"])
def test_the_settings_page_refuses_a_delegate_cap_below_100(client_for, serio, value):
    from dure.core.models import AuditEvent
    from dure.governance.models import CoopSettings

    chair = client_for("coop")
    events = AuditEvent.objects.count()
    r = chair.post(
        f"/coop/{serio.pk}/settings/",
        {"remote_voting_enabled": "on", "fiscal_year_end_month": 6, "delegate_cap": value},
    )
    assert r.status_code == 400
    form = r.context["form"]
    assert list(form.errors) == ["delegate_cap"]
    if value in {"99", "0", "-5", "100001"}:
        assert "100명 이상" in form.errors["delegate_cap"][0]
    row = CoopSettings.objects.get_or_create(organisation=serio)[0]
    assert (row.delegate_cap, row.remote_voting_enabled, row.fiscal_year_end_month) == (
        100,
        False,
        12,
    )
    assert AuditEvent.objects.count() == events
