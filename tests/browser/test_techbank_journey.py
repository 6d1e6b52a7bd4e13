"""The technology-bank journey in a real browser, with axe-core on every page visited:

an SME (demo ``sme``, 한빛정밀) searches the technology bank the way it describes its need,
narrows by a facet, opens a technology, applies for a transfer (first with an empty form, then
properly, with the keyboard) → the holder institute (demo ``researcher``, KITECH) finds it in
its queue and starts the review → the SME sees the new status."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

APPLICATION_NUMBER = "10-2020-0112873"  # a KITECH technology nobody has applied for yet


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

    def follow(self, page: Any, link: Any, label: str) -> None:
        with page.expect_navigation():
            link.click()
        self.check(page, label)

    def submit(self, page: Any, button: str, label: str) -> None:
        with page.expect_navigation():
            page.locator("main").get_by_role("button", name=button, exact=True).click()
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


def test_an_sme_finds_a_technology_applies_and_the_institute_reviews(journey):
    from dure.techbank.models import Technology, TransferApplication

    tech = Technology.objects.get(application_number=APPLICATION_NUMBER)

    # --- 1. The SME searches in its own words -----------------------------------------------
    sme = journey.person("sme")
    sme.goto("/techbank/")
    journey.check(sme, "techbank home")
    assert sme.locator("h1").inner_text() == "기술은행"
    sme.locator("#id_q").fill(tech.title.split()[0] + " " + (tech.keywords or ["기술"])[0])
    journey.submit(sme, "검색", "search results")
    assert sme.locator("#result-count").is_visible()
    assert sme.locator("ol.results > li").count() >= 1
    # the kind tabs and the facets are links with counts
    journey.follow(sme, sme.locator("nav.tabs a").nth(1), "search: technologies tab")
    assert sme.locator("nav.tabs a[aria-current='page']").count() == 1

    # --- 2. It opens the technology and applies -------------------------------------------
    sme.goto(f"/techbank/technologies/{tech.pk}/")
    journey.check(sme, "technology detail")
    journey.follow(
        sme, sme.locator("main .actions").get_by_role("link", name="기술이전 신청"), "apply"
    )
    assert sme.locator("h1").inner_text() == "기술이전 신청"
    journey.submit(sme, "신청하기", "apply with errors")
    assert sme.locator("#form-errors").is_visible()
    assert sme.locator("#id_intended_use").get_attribute("aria-invalid") == "true"
    sme.locator("#id_intended_use").focus()
    sme.keyboard.type("배관 플랜지 정밀 가공 라인에 적용해 불량률을 줄이려 합니다.")
    journey.submit(sme, "신청하기", "application detail (submitted)")
    application = TransferApplication.objects.get(technology=tech)
    assert urlsplit(sme.url).path == f"/techbank/transfers/{application.pk}/"
    assert application.status == "submitted"

    # --- 3. KITECH's researcher reviews it ---------------------------------------------
    researcher = journey.person("researcher")
    researcher.goto("/techbank/transfers/")
    journey.check(researcher, "transfer queue")
    link = researcher.locator(f"a[href='/techbank/transfers/{application.pk}/']").first
    journey.follow(researcher, link, "application (institute)")
    researcher.locator("#id_note").fill("기술 설명회 일정을 잡겠습니다.")
    journey.submit(researcher, "검토 시작", "application under review")
    application.refresh_from_db()
    assert application.status == "under_review"

    # --- 4. The SME sees where it stands -------------------------------------------------
    sme.goto(f"/techbank/transfers/{application.pk}/")
    journey.check(sme, "application (sme, under review)")
    assert "기관 검토" in sme.locator("[aria-current='step']").inner_text()

    assert not journey.problems, journey.report()


def test_the_other_techbank_pages_pass_axe(journey):
    """Pages the journey does not pass through: lists, equipment with its schedule and the
    booking form (with errors), the expert pages, statistics, exchanges, create forms."""
    from dure.techbank.models import Equipment, Expert, Lab

    equipment = Equipment.objects.get(nfec_number="NFEC-2016-04-209871")
    researcher = journey.person("researcher")
    for path in (
        "/techbank/technologies/",
        "/techbank/equipment/",
        f"/techbank/equipment/{equipment.pk}/",
        "/techbank/labs/",
        f"/techbank/labs/{Lab.objects.first().pk}/",
        "/techbank/experts/",
        f"/techbank/experts/{Expert.objects.get(name='김태호').pk}/",
        "/techbank/statistics/",
        "/techbank/bookings/",
        "/techbank/exchanges/",
        "/techbank/technologies/new/",
        "/techbank/equipment/new/",
    ):
        researcher.goto(path)
        journey.check(researcher, path)
    sme = journey.person("sme")
    sme.goto(f"/techbank/equipment/{equipment.pk}/book/")
    journey.check(sme, "booking form")
    journey.submit(sme, "예약 신청", "booking form with errors")
    assert sme.locator("#form-errors").is_visible()
    sme.goto("/techbank/exchanges/new/")
    journey.check(sme, "exchange form")
    assert not journey.problems, journey.report()
