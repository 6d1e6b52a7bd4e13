"""A cooperative's assembly in a real browser, with axe-core on every page visited:

세리오협동조합's chair (demo ``coop``) convenes an extraordinary assembly, puts an ordinary and a
special item on the agenda, sends the notice and opens the session; members check in at the
desk — 김연구 by written proxy to 정조합원 (demo ``member``) — and vote on their phones (the
member twice: for themself and as proxy); the chair closes both items (the ordinary one passes,
the special one fails: 3 of 5 present is short of 2/3), generates the minutes and names the
signers; the chair and three elected members sign and the minutes are locked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser


class Journey:
    def __init__(self, browser, axe, audit, live_server) -> None:
        self.browser, self.axe, self.audit, self.live_server = browser, axe, audit, live_server
        self.contexts: list[Any] = []
        self.problems: list[str] = []
        self.pages = 0

    def person(self, username: str) -> Any:
        from django.conf import settings
        from django.test import Client

        from dure.accounts.models import User

        ctx = self.browser.new_context(
            base_url=self.live_server.url,
            locale="ko-KR",
            timezone_id="Asia/Seoul",
            extra_http_headers={"Accept-Language": "ko-KR,ko;q=0.9"},
            viewport={"width": 390, "height": 844} if username == "member" else None,
        )
        ctx.set_default_timeout(30_000)
        ctx.add_init_script(script=self.axe.axe_script)
        self.contexts.append(ctx)
        client = Client()
        client.force_login(User.objects.get(username=username))
        ctx.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "domain": urlsplit(self.live_server.url).hostname,
                    "path": "/",
                    "httpOnly": True,
                }
            ]
        )
        return ctx.new_page()

    def check(self, page: Any, label: str) -> None:
        self.pages += 1
        self.problems += self.audit(page, label)

    def submit(self, page: Any, button: str, label: str, scope: Any = None) -> None:
        where = scope if scope is not None else page.locator("main")
        with page.expect_navigation():
            where.get_by_role("button", name=button, exact=True).first.click()
        self.check(page, label)

    def close(self) -> None:
        for ctx in self.contexts:
            ctx.close()

    def report(self) -> str:
        return f"{len(self.problems)} accessibility problem(s) on {self.pages} page(s):\n  " + (
            "\n  ".join(self.problems)
        )


@pytest.fixture
def journey(browser, axe, audit, live_server, browser_data) -> Iterator[Journey]:
    trip = Journey(browser, axe, audit, live_server)
    try:
        yield trip
    finally:
        trip.close()


def test_the_chair_convenes_members_vote_and_the_minutes_are_signed(journey):
    import datetime as dt

    from django.utils import timezone

    from dure.accounts.models import User
    from dure.directory.models import Organisation
    from dure.governance.models import AgendaItem, Assembly, Member, Minutes

    serio = Organisation.objects.get(name="세리오협동조합")
    # two more employees get accounts, to sign the minutes as elected members
    for username, name in (("gov-signer-1", "이분석"), ("gov-signer-2", "한세정")):
        user = User.objects.create(username=username, display_name=name)
        Member.objects.filter(organisation=serio, name=name).update(user=user)

    # --- 1. The chair convenes --------------------------------------------------------------
    chair = journey.person("coop")
    chair.goto("/coop/")
    journey.check(chair, "governance home")
    with chair.expect_navigation():
        chair.get_by_role("link", name="세리오협동조합").click()
    journey.check(chair, "cooperative home")
    with chair.expect_navigation():
        chair.locator("main").get_by_role("link", name="총회·이사회 소집").first.click()
    journey.check(chair, "convene form")
    journey.submit(chair, "저장", "convene form with errors")
    assert chair.locator("#form-errors").is_visible()
    when = timezone.localtime() + dt.timedelta(days=10)
    chair.select_option("#id_kind", "extraordinary")
    chair.fill("#id_title", "브라우저 임시총회")
    chair.fill("#id_scheduled_at", when.strftime("%Y-%m-%dT18:30"))
    chair.fill("#id_place", "대덕 연구동 회의실")
    chair.fill("#id_purpose", "설비 투자와 정관 변경을 의결합니다.")
    chair.fill("#id_board_decision", "2026년 제4차 이사회 결의")
    journey.submit(chair, "저장", "assembly (convened)")
    assembly = Assembly.objects.get(title="브라우저 임시총회")
    assert urlsplit(chair.url).path == f"/coop/assemblies/{assembly.pk}/"

    for title, matter in (
        ("설비 투자 사업계획 승인", "business_plan"),
        ("정관 변경 (사업 목적 추가)", "articles_amendment"),
    ):
        chair.goto(f"/coop/assemblies/{assembly.pk}/items/new/")
        journey.check(chair, "item form")
        chair.fill("#id_title", title)
        chair.select_option("#id_matter", matter)
        chair.select_option("#id_recording_mode", "electronic")
        journey.submit(chair, "저장", "assembly with items")
    ordinary, special = AgendaItem.objects.filter(assembly=assembly).order_by("order")
    assert (ordinary.resolution, special.resolution) == ("ordinary", "special")

    chair.goto(f"/coop/assemblies/{assembly.pk}/notice/")
    journey.check(chair, "printable notice")
    journey.submit(chair, "이메일로 통지 보내기", "notice sent")
    assert assembly.notices.get().in_time
    chair.goto(f"/coop/assemblies/{assembly.pk}/")
    journey.submit(chair, "개회", "assembly in session")

    # --- 2. Check-in at the desk, one by proxy ------------------------------------------------
    chair.goto(f"/coop/assemblies/{assembly.pk}/checkin/")
    journey.check(chair, "check-in desk")
    members = {m.name: m for m in Member.objects.filter(organisation=serio)}
    for name in ("최이사장", "정조합원", "이분석", "한세정"):
        chair.select_option("#id_member", str(members[name].pk))
        journey.submit(chair, "출석", f"checked in {name}")
    chair.goto(f"/coop/assemblies/{assembly.pk}/proxies/")
    journey.check(chair, "proxy form")
    chair.select_option("#id_member", str(members["김연구"].pk))
    chair.select_option("#id_proxy_member", str(members["정조합원"].pk))
    chair.fill("#id_authorisation_reference", "위임장 접수 2026-01호 (서면)")
    journey.submit(chair, "등록하고 대리 출석", "desk after proxy")
    assert assembly.attendances.count() == 5
    assert "대리 출석 1명" in chair.locator("main").inner_text()

    chair.goto(f"/coop/assemblies/{assembly.pk}/")
    for item in (ordinary, special):
        journey.submit(chair, f"{item.title} 표결 시작", "item opened", scope=chair.locator("main"))

    # --- 3. Members vote on their phones ------------------------------------------------------
    member = journey.person("member")
    for item in (ordinary, special):
        member.goto(f"/coop/items/{item.pk}/")
        journey.check(member, "vote page")
        own, represented = members["정조합원"].pk, members["김연구"].pk
        member.locator(f"#choice-yes-{own}").check()
        journey.submit(
            member, "투표하기", "voted", scope=member.locator(f"section:has(#choice-yes-{own})")
        )
        member.locator(f"#choice-yes-{represented}").check()
        journey.submit(
            member,
            "투표하기",
            "voted as proxy",
            scope=member.locator(f"section:has(#choice-yes-{represented})"),
        )
        assert member.locator(".gov-vote").get_by_text("투표했습니다.").count() == 2
        chair.goto(f"/coop/items/{item.pk}/")
        own = members["최이사장"].pk
        chair.locator(f"#choice-yes-{own}").check()
        journey.submit(chair, "투표하기", "chair voted")

    chair.goto(f"/coop/assemblies/{assembly.pk}/quorum/")
    journey.check(chair, "live quorum")
    chair.goto(f"/coop/assemblies/{assembly.pk}/")
    for item in (ordinary, special):
        journey.submit(chair, f"{item.title} 마감", "item closed")
    ordinary.refresh_from_db()
    special.refresh_from_db()
    assert (
        ordinary.passed is True
        and "출석 5명 중 찬성 3명 ≥ 과반수(3명) → 가결" in ordinary.explanation
    )
    assert special.passed is False and "< 2/3(4명) → 부결" in special.explanation
    assert "가결" in chair.locator("main table").inner_text()
    journey.submit(chair, "폐회", "assembly closed")

    # --- 4. Minutes: generated, signers named, signed, locked ----------------------------------
    journey.submit(chair, "의사록 만들기", "minutes draft")
    minutes = Minutes.objects.get(assembly=assembly)
    assert "출석: 5명" in chair.locator("pre").inner_text()
    chair.goto(f"/coop/minutes/{minutes.pk}/signers/")
    journey.check(chair, "signers form")
    chair.select_option("#id_chair", str(members["최이사장"].pk))
    for name in ("정조합원", "이분석", "한세정"):
        chair.locator(f"input[name='members'][value='{members[name].pk}']").check()
    journey.submit(chair, "저장", "minutes with signers")
    journey.submit(chair, "이 의사록에 서명", "chair signed")
    for username in ("member", "gov-signer-1", "gov-signer-2"):
        signer = member if username == "member" else journey.person(username)
        signer.goto(f"/coop/minutes/{minutes.pk}/")
        journey.submit(signer, "이 의사록에 서명", f"{username} signed")
    chair.goto(f"/coop/minutes/{minutes.pk}/")
    journey.submit(chair, "확정 (잠금)", "minutes locked")
    minutes.refresh_from_db()
    assert minutes.status == "locked"
    assert chair.locator("main").get_by_text("서명 전").count() == 0

    assert not journey.problems, journey.report()


def test_the_other_governance_pages_pass_axe(journey):
    from dure.directory.models import Organisation
    from dure.governance.models import Assembly, Member

    serio = Organisation.objects.get(name="세리오협동조합")
    upcoming = Assembly.objects.get(organisation=serio, title="2026년 임시총회")
    me = Member.objects.get(organisation=serio, user__username="member")
    chair = journey.person("coop")
    for path in (
        f"/coop/{serio.pk}/members/",
        f"/coop/{serio.pk}/members/new/",
        f"/coop/{serio.pk}/members/{me.pk}/",
        f"/coop/{serio.pk}/members/{me.pk}/shares/",
        f"/coop/{serio.pk}/assemblies/",
        f"/coop/{serio.pk}/settings/",
        f"/coop/assemblies/{upcoming.pk}/",
    ):
        chair.goto(path)
        journey.check(chair, path)
    member = journey.person("member")
    for path in (f"/coop/{serio.pk}/members/", f"/coop/assemblies/{upcoming.pk}/qr/"):
        member.goto(path)
        journey.check(member, path)
    assert not journey.problems, journey.report()
