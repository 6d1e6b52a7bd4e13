"""Education and events in a real browser, with axe-core on every page visited:

the support centre (demo ``center``) registers a course (first with an empty form), publishes
it → an SME representative (demo ``sme``) finds it and registers with the keyboard only → the
centre sees them on the registrant list. Then the full workshop: a newcomer (``seller``) joins
its waiting list behind ``member``, ``coop`` cancels, and ``member`` moves up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .test_techbank_journey import Journey

pytestmark = pytest.mark.browser

TITLE = "스마트공장 협동조합 실무 교육"


@pytest.fixture
def journey(browser, axe, audit, live_server, browser_data) -> Iterator[Journey]:
    trip = Journey(browser, axe, audit, live_server)
    try:
        yield trip
    finally:
        trip.close()


def test_a_centre_publishes_a_course_and_an_sme_registers_with_the_keyboard(journey: Journey):
    from dure.programs.models import Program, Registration

    # --- 1. The centre registers the course -------------------------------------------------
    center = journey.person("center")
    center.goto("/programs/")
    journey.check(center, "programs (centre)")
    journey.follow(
        center, center.locator("main .actions").get_by_role("link", name="교육·행사 등록"), "new"
    )
    journey.submit(center, "저장", "program form with errors")
    assert center.locator("#form-errors").is_visible()
    assert center.locator("#id_title").get_attribute("aria-invalid") == "true"
    center.locator("#id_kind").select_option("education")
    center.locator("#id_title").fill(TITLE)
    center.locator("#id_summary").fill("스마트공장 도입을 준비하는 제조 협동조합을 위한 실무 교육")
    center.locator("#id_starts_at").fill("2031-04-01T14:00")
    center.locator("#id_ends_at").fill("2031-04-01T17:00")
    center.locator("#id_venue").fill("대전 유성구 지원센터 교육장")
    center.locator("#id_capacity").fill("20")
    journey.submit(center, "저장", "program detail (draft)")
    program = Program.objects.get(title=TITLE)
    assert program.status == Program.Status.DRAFT
    journey.submit(center, "모집 공개", "program detail (published)")
    program.refresh_from_db()
    assert program.status == Program.Status.PUBLISHED

    # --- 2. The SME finds it and registers, keyboard only -----------------------------------
    sme = journey.person("sme")
    sme.goto("/programs/")
    journey.check(sme, "programs (sme)")
    journey.follow(sme, sme.get_by_role("link", name=TITLE), "program detail (sme)")
    register = sme.locator("main").get_by_role("link", name="신청하기")
    register.focus()
    with sme.expect_navigation():
        sme.keyboard.press("Enter")
    journey.check(sme, "registration form")
    sme.locator("#id_organisation").focus()
    sme.keyboard.press("Tab")  # to the note
    sme.keyboard.type("수어 통역이 필요합니다")
    with sme.expect_navigation():
        sme.keyboard.press("Enter")
    journey.check(sme, "program detail (registered)")
    registration = Registration.objects.get(program=program, person__username="sme")
    assert registration.status == Registration.Status.CONFIRMED
    assert registration.note == "수어 통역이 필요합니다"
    assert registration.organisation is not None and registration.organisation.name == "한빛정밀"
    assert sme.locator("[role=status], .alert--success").first.is_visible()
    sme.goto("/programs/mine/")
    journey.check(sme, "my registrations")
    assert sme.get_by_role("link", name=TITLE).is_visible()

    # --- 3. The centre sees the registrant ---------------------------------------------------
    center.goto(f"/programs/{program.pk}/registrants/")
    journey.check(center, "registrants")
    assert center.get_by_role("rowheader", name="박대표").is_visible()
    assert "수어 통역이 필요합니다" in center.locator("table").inner_text()

    assert not journey.problems, journey.report()


def test_a_cancellation_moves_the_first_waiting_person_up(journey: Journey):
    from dure.programs.models import Program, Registration

    workshop = Program.objects.get(title="사회적협동조합 회계 실무 워크숍")

    # A newcomer joins the waiting list behind member
    seller = journey.person("seller")
    seller.goto(f"/programs/{workshop.pk}/")
    journey.check(seller, "full workshop")
    journey.follow(
        seller, seller.locator("main").get_by_role("link", name="대기자로 신청"), "register (full)"
    )
    journey.submit(seller, "신청", "waitlisted")
    assert "대기 2번" in seller.locator("main").inner_text()

    # coop cancels its confirmed seat
    coop = journey.person("coop")
    coop.goto(f"/programs/{workshop.pk}/")
    journey.follow(
        coop, coop.locator("main").get_by_role("link", name="신청 취소"), "cancel registration"
    )
    journey.submit(coop, "신청 취소", "registration cancelled")

    # member, first in line, is confirmed; the newcomer is now first in line
    statuses = dict(
        Registration.objects.filter(program=workshop).values_list("person__username", "status")
    )
    assert statuses == {
        "coop": "cancelled",
        "supplier": "confirmed",
        "member": "confirmed",
        "seller": "waitlisted",
    }
    seller.reload()
    assert "대기 1번" in seller.locator("main").inner_text()
    assert not journey.problems, journey.report()
