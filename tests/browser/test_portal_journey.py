"""Notices and success stories in a real browser, with axe-core on every page visited:

the support centre (demo ``center``) writes a notice with the keyboard and publishes it → an
anonymous visitor finds it on /notices/ and on the home page. The centre writes a success story
about 한빛정밀 (first without a summary), asks for consent → 한빛정밀's representative (demo
``sme``) reads it from "우리 기관 사례 동의" and consents → the centre publishes it → the public
reads it → the representative withdraws the consent and the story is gone from the portal."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from .test_desk_journey import Journey as DeskJourney
from .test_desk_journey import focused

pytestmark = pytest.mark.browser

NOTICE_TITLE = "2027년 상반기 협동조합 기술 상담회 참가 안내"
NOTICE_BODY = "출연연 연구자와 1:1로 만나는 기술 상담회를 엽니다. 두레에서 신청해 주세요."
STORY_TITLE = "한빛정밀, 기술이전으로 배관 용접 자동화에 성공하다"
STORY_SUMMARY = "출연연의 용접 자동화 특허를 이전받아 불량률을 3분의 1로 줄였습니다."
STORY_BODY = (
    "한빛정밀은 숙련공이 부족해 배관 용접 품질이 들쭉날쭉했습니다. 지원센터의 기술이전 "
    "상담으로 용접 자동화 특허를 찾아 통상실시권을 받고, 연구원과 함께 현장에 맞췄습니다."
)
WITHDRAW_REASON = "거래처 사정으로 당분간 공개하지 않기로 했습니다."


class Journey(DeskJourney):
    """People (``person()`` without a name: an anonymous visitor), each in their own browser
    context; every page is checked with axe-core and the problems reported together."""

    def follow(self, page: Any, link: Any, label: str) -> None:
        with page.expect_navigation():
            link.click()
        self.check(page, label)

    def visit(self, page: Any, path: str, label: str) -> None:
        response = page.goto(path)
        assert response is not None and response.status == 200, (path, response)
        self.check(page, label)

    def english(self, page: Any) -> None:
        """Switch the language with the form in the header (the page stays the same)."""
        page.locator("#lang-select").select_option("en")
        with page.expect_navigation():
            page.locator("form.lang-form [type=submit]").click()
        assert page.locator("html").get_attribute("lang") == "en"


@pytest.fixture
def journey(browser, axe, audit, live_server, browser_data) -> Iterator[Journey]:
    trip = Journey(browser, axe, audit, live_server)
    try:
        yield trip
    finally:
        trip.close()


def path_of(page: Any) -> str:
    return urlsplit(page.url).path


def test_a_centre_publishes_a_notice_and_a_story_the_organisation_consents_to(journey: Journey):
    from dure.portal.models import Notice, Story

    # --- 1. The centre writes a notice, with the keyboard, and publishes it -----------------
    center = journey.person("center")
    journey.visit(center, "/notices/", "notices (centre)")
    journey.follow(
        center, center.locator("main .actions").get_by_role("link", name="공지 쓰기"), "notice form"
    )
    assert (
        center.locator("#id_publisher option:checked").inner_text() == "과학기술인협동조합지원센터"
    )
    center.locator("#id_category").select_option("recruitment")
    center.locator("#id_category").focus()
    center.keyboard.press("Tab")
    assert focused(center)["id"] == "id_title"
    center.keyboard.type(NOTICE_TITLE)
    center.keyboard.press("Tab")
    assert focused(center)["id"] == "id_body"
    center.keyboard.type(NOTICE_BODY)
    center.keyboard.press("Tab")
    assert focused(center)["id"] == "id_pinned"
    center.keyboard.press("Tab")
    save = focused(center)
    assert save["type"] == "submit" and save["text"] == "저장", save
    with center.expect_navigation():
        center.keyboard.press("Enter")
    journey.check(center, "notice detail (draft)")
    notice = Notice.objects.get(title=NOTICE_TITLE)
    assert path_of(center) == f"/notices/{notice.pk}/"
    assert notice.status == Notice.Status.DRAFT
    assert notice.category == "recruitment" and notice.body == NOTICE_BODY
    assert not notice.pinned
    journey.submit(center, "게시하기", "notice detail (published)")
    notice.refresh_from_db()
    assert notice.status == Notice.Status.PUBLISHED
    assert center.locator("main").get_by_role("button", name="게시 끝내기").is_visible()

    # --- 2. Anyone sees it on the list and on the home page ---------------------------------
    visitor = journey.person()
    journey.visit(visitor, "/notices/", "notices (anonymous)")
    journey.follow(visitor, visitor.get_by_role("link", name=NOTICE_TITLE), "notice (anonymous)")
    assert NOTICE_BODY in visitor.locator("article").inner_text()
    journey.visit(visitor, "/", "home (anonymous)")
    notices = visitor.locator("section[aria-labelledby=notices-heading]")
    assert notices.get_by_role("link", name=NOTICE_TITLE).is_visible()
    assert notices.get_by_role("link", name="2027년 교육 일정 (작성 중)").count() == 0

    # --- 3. The centre writes a story about 한빛정밀, first without a summary ---------------
    journey.visit(center, "/stories/", "stories (centre)")
    journey.follow(
        center, center.locator("main .actions").get_by_role("link", name="사례 쓰기"), "story form"
    )
    center.locator("#id_subject").select_option(label="한빛정밀")
    center.locator("#id_support_kind").select_option("technology_transfer")
    center.locator("#id_year").fill("2026")
    center.locator("#id_title").focus()
    center.keyboard.type(STORY_TITLE)
    center.keyboard.press("Tab")
    assert focused(center)["id"] == "id_summary"  # left empty
    center.keyboard.press("Tab")
    assert focused(center)["id"] == "id_body"
    center.keyboard.type(STORY_BODY)
    center.locator("#id_jobs_created").fill("4")
    journey.submit(center, "저장", "story form with errors")
    assert not Story.objects.filter(title=STORY_TITLE).exists()
    # the errors are announced, summarised with links to the fields, tied to the field, and
    # named in the title; what was typed is kept
    alert = center.locator("[role=alert]")
    assert alert.count() == 1 and center.locator("#form-errors").is_visible()
    assert center.title().startswith("오류")
    links = center.locator("#form-errors a")
    assert links.count() == 1
    assert links.first.get_attribute("href") == "#id_summary"
    assert "요약" in links.first.inner_text()
    summary = center.locator("#id_summary")
    assert summary.get_attribute("aria-invalid") == "true"
    assert (summary.get_attribute("aria-describedby") or "").split() == [
        "id_summary_help",
        "id_summary_error",
    ]
    assert center.locator("#id_summary_error").is_visible()
    assert center.locator("#id_title").input_value() == STORY_TITLE
    assert center.locator("#id_body").input_value() == STORY_BODY
    for field in ("title", "body", "subject"):
        assert center.locator(f"#id_{field}").get_attribute("aria-invalid") is None
    # Enter on the summary's link takes the keyboard to the field
    links.first.focus()
    center.keyboard.press("Enter")
    center.wait_for_function("() => location.hash === '#id_summary'")
    assert focused(center)["id"] == "id_summary"
    center.keyboard.type(STORY_SUMMARY)
    journey.submit(center, "저장", "story detail (draft, centre)")
    story = Story.objects.get(title=STORY_TITLE)
    assert path_of(center) == f"/stories/{story.pk}/"
    assert story.status == Story.Status.DRAFT and story.summary == STORY_SUMMARY
    assert story.subject.name == "한빛정밀" and story.jobs_created == 4

    journey.submit(center, "사례 기관에 동의 요청", "story detail (awaiting, centre)")
    story.refresh_from_db()
    assert story.status == Story.Status.AWAITING
    assert center.locator("main").get_by_role("button", name="서면 동의 기록").is_visible()

    # --- 4. 한빛정밀's representative reads it and consents --------------------------------
    sme = journey.person("sme")
    journey.visit(sme, "/stories/", "stories (sme)")
    assert sme.get_by_role("link", name=STORY_TITLE).count() == 0  # not published yet
    journey.follow(
        sme,
        sme.locator("main .actions").get_by_role("link", name="우리 기관 사례 동의"),
        "story consents (sme)",
    )
    row = sme.locator("tbody tr", has=sme.get_by_role("link", name=STORY_TITLE))
    assert "동의 요청 중" in row.inner_text()
    journey.follow(sme, row.get_by_role("link", name=STORY_TITLE), "story detail (awaiting, sme)")
    assert STORY_BODY in sme.locator("article").inner_text()
    assert sme.locator("main").get_by_role("link", name="고치기").count() == 0
    journey.submit(sme, "게시에 동의", "story detail (approved, sme)")
    story.refresh_from_db()
    assert story.status == Story.Status.APPROVED
    assert story.consent_method == Story.ConsentMethod.PLATFORM
    assert story.consent_by is not None and story.consent_by.username == "sme"
    assert sme.locator("#id_withdraw-reason").is_visible()

    # --- 5. The centre publishes it; the public reads it -----------------------------------
    center.reload()
    journey.check(center, "story detail (approved, centre)")
    journey.submit(center, "포털에 게시", "story detail (published, centre)")
    story.refresh_from_db()
    assert story.status == Story.Status.PUBLISHED
    journey.visit(visitor, "/stories/", "stories (anonymous)")
    journey.follow(visitor, visitor.get_by_role("link", name=STORY_TITLE), "story (anonymous)")
    assert path_of(visitor) == f"/stories/{story.pk}/"
    assert STORY_SUMMARY in visitor.locator("article").inner_text()
    # the public sees neither the consent record nor its forms
    assert visitor.locator("#consent-heading").count() == 0
    assert visitor.locator("main form").count() == 0
    # (the cached home page is checked by test_the_public_home_page_follows_the_portal_at_once)

    # --- 6. The representative withdraws the consent: the story is gone --------------------
    journey.visit(sme, f"/stories/{story.pk}/", "story detail (published, sme)")
    sme.locator("#id_withdraw-reason").fill(WITHDRAW_REASON)
    journey.submit(sme, "동의 철회", "story detail (withdrawn, sme)")
    story.refresh_from_db()
    assert story.status == Story.Status.WITHDRAWN
    assert WITHDRAW_REASON in sme.locator("table").inner_text()
    journey.visit(visitor, "/stories/", "stories (anonymous, after withdrawal)")
    assert visitor.get_by_role("link", name=STORY_TITLE).count() == 0
    response = visitor.goto(f"/stories/{story.pk}/")
    assert response is not None and response.status == 404
    journey.visit(center, "/stories/manage/", "story manage (centre)")
    row = center.locator("tbody tr", has=center.get_by_role("link", name=STORY_TITLE))
    assert "동의 철회" in row.inner_text()

    assert journey.pages >= 20
    assert not journey.problems, journey.report()


def test_the_other_portal_pages_pass_axe_in_korean_and_english(journey: Journey):
    """Pages the journey does not pass through — a filtered notice list, a story search, the
    centre's story management (filtered too), the edit forms of a notice and of a story
    awaiting consent (with its warning), a draft notice, the written-consent form with an
    error, and the home page of a chair whose cooperative's consent is awaited — in Korean,
    then in English."""
    from dure.portal.models import Notice, Story

    notice = Notice.objects.get(title="연말 상담 일정 안내")
    draft = Notice.objects.get(title="2027년 교육 일정 (작성 중)")
    awaiting = Story.objects.get(title="연구원들이 함께 세운 직원협동조합, 세리오")
    published = Story.objects.get(title__startswith="한빛정밀, 용접부 부식 문제")

    center = journey.person("center")
    visitor = journey.person()
    coop = journey.person("coop")
    pages = [
        (visitor, "/notices/?category=recruitment"),
        (visitor, "/notices/?category=result&q=포럼"),
        (visitor, "/stories/?q=협동조합"),
        (visitor, "/stories/?q=없는사례xyz"),
        (center, "/notices/?status=draft"),
        (center, "/stories/manage/"),
        (center, "/stories/manage/?status=awaiting"),
        (center, f"/notices/{notice.pk}/edit/"),
        (center, f"/notices/{draft.pk}/"),
        (center, f"/stories/{awaiting.pk}/edit/"),
        (center, f"/stories/{published.pk}/"),
        (coop, f"/stories/{awaiting.pk}/"),
        (coop, "/stories/consents/"),
        (coop, "/"),
    ]
    for language in ("ko", "en"):
        if language == "en":
            for person in (visitor, center, coop):
                person.goto("/")
                journey.english(person)
        for person, path in pages:
            journey.visit(person, path, f"{path} ({language})")
            assert person.locator("html").get_attribute("lang") == language, path

        # Korean: the filters took effect
        if language == "ko":
            visitor.goto("/notices/?category=recruitment")
            results = visitor.locator("ul.results")
            assert "2027년 협동조합 기술사업화 지원 사업 참여 조합 모집" in results.inner_text()
            assert "연말 상담 일정 안내" not in results.inner_text()

        # the story edit form warns that a change asks for consent again
        center.goto(f"/stories/{awaiting.pk}/edit/")
        assert center.locator("[role=note]").is_visible()
        # the written-consent form, sent empty, with its error
        center.goto(f"/stories/{awaiting.pk}/")
        with center.expect_navigation():
            center.locator("form:has(#id_written-note) [type=submit]").click()
        journey.check(center, f"written consent with errors ({language})")
        assert center.locator("#id_written-note").get_attribute("aria-invalid") == "true"
        assert center.locator("[role=alert]").count() == 1
        # the notice form, sent empty, with its errors
        center.goto(f"/notices/{notice.pk}/edit/")
        center.locator("#id_title").fill("")
        with center.expect_navigation():
            center.locator("main form:has(#id_title) [type=submit]").click()
        journey.check(center, f"notice edit with errors ({language})")
        assert center.locator("#id_title").get_attribute("aria-invalid") == "true"

        # the chair of 세리오협동조합 is told on the home page that a story awaits its consent
        coop.goto("/")
        waiting = coop.locator("main a[href='/stories/consents/']")
        assert waiting.count() == 1
        assert (
            waiting.inner_text()
            == {
                "ko": "우리 기관 성공 사례 1건이 게시 동의를 기다립니다",
                "en": "1 success story about your organisation awaits your consent",
            }[language]
        )
        journey.follow(coop, waiting, f"consents from the home page ({language})")
        assert coop.get_by_role("link", name=awaiting.title).is_visible()

    awaiting.refresh_from_db()
    assert awaiting.status == Story.Status.AWAITING  # nothing was changed
    assert not journey.problems, journey.report()


def test_the_portal_pages_speak_english_when_english_is_chosen(journey: Journey):
    """Not only <html lang="en">: the portal's headings are in English too."""
    visitor = journey.person()
    visitor.goto("/")
    journey.english(visitor)
    untranslated = []
    for path, selector in (
        ("/", "#notices-heading"),
        ("/", "#stories-heading"),
        ("/notices/", "h1"),
        ("/stories/", "h1"),
    ):
        visitor.goto(path)
        text = visitor.locator(selector).inner_text()
        if re.search("[\uac00-\ud7a3]", text):
            untranslated.append(f"{path} {selector}: {text}")
    assert not untranslated, untranslated


def test_the_public_home_page_follows_the_portal_at_once(journey: Journey):
    from dure.accounts.models import User
    from dure.portal import services
    from dure.portal.models import Notice, Story

    story = Story.objects.get(title__startswith="한빛정밀, 용접부 부식 문제")
    draft = Notice.objects.get(title="2027년 교육 일정 (작성 중)")

    # An anonymous visitor sees the home page (now cached) with 한빛정밀's published story
    visitor = journey.person()
    visitor.goto("/")
    home_stories = visitor.locator("section[aria-labelledby=stories-heading]")
    assert home_stories.get_by_role("link", name=story.title).is_visible()

    # The centre publishes a notice; 한빛정밀's representative withdraws the story's consent
    services.notice_publish(actor=User.objects.get(username="center"), notice=draft)
    sme = journey.person("sme")
    sme.goto(f"/stories/{story.pk}/")
    sme.locator("#id_withdraw-reason").fill(WITHDRAW_REASON)
    journey.submit(sme, "동의 철회", "story withdrawn")
    story.refresh_from_db()
    assert story.status == Story.Status.WITHDRAWN
    visitor.goto("/stories/")
    assert visitor.get_by_role("link", name=story.title).count() == 0  # the list is not cached

    # The home page follows at once
    visitor.goto("/")
    stale = []
    if home_stories.get_by_role("link", name=story.title).count():
        stale.append(f"the withdrawn story is still listed: {story.title}")
    home_notices = visitor.locator("section[aria-labelledby=notices-heading]")
    if not home_notices.get_by_role("link", name=draft.title).count():
        stale.append(f"the published notice is missing: {draft.title}")
    assert not stale, stale
