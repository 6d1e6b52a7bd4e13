"""A founding consultation in a real browser, with axe-core on every page visited:

an SME representative (demo ``sme``) asks 과학기술인협동조합지원센터 for help founding a
cooperative (first with an empty form) → the centre's consultant (demo ``center``) finds it in
the queue, records a session (which starts the consultation), and tries to call the founding
meeting with too few founders → the applicant sees the session's shared summary but not the
internal note."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .test_techbank_journey import Journey

pytestmark = pytest.mark.browser

NAME = "정밀가공공동판매협동조합"


@pytest.fixture
def journey(browser, axe, audit, live_server, browser_data) -> Iterator[Journey]:
    trip = Journey(browser, axe, audit, live_server)
    try:
        yield trip
    finally:
        trip.close()


def test_an_sme_asks_for_help_founding_and_the_centre_takes_it_on(journey: Journey):
    from dure.founding.models import Consultation, Stage

    # --- 1. The SME asks ----------------------------------------------------------------------
    sme = journey.person("sme")
    sme.goto("/founding/")
    journey.check(sme, "founding guide")
    journey.follow(
        sme, sme.locator("main .actions").get_by_role("link", name="설립 상담 신청"), "request"
    )
    journey.submit(sme, "신청", "request with errors")
    assert sme.locator("#form-errors").is_visible()
    assert sme.locator("#id_proposed_name").get_attribute("aria-invalid") == "true"
    sme.locator("#id_centre").select_option(label="과학기술인협동조합지원센터")
    sme.locator("#id_proposed_name").fill(NAME)
    sme.locator("#id_business").fill(
        "경남의 정밀가공 업체들이 함께 영업하고 공동 판매하는 협동조합"
    )
    sme.locator("#id_founders").fill("3")
    journey.submit(sme, "신청", "consultation (applicant)")
    consultation = Consultation.objects.get(proposed_name=NAME)
    assert consultation.stage == Stage.RECEIVED
    assert consultation.applicant.username == "sme"

    # --- 2. The centre records a session and tries to call the founding meeting --------------
    center = journey.person("center")
    center.goto("/founding/queue/")
    journey.check(center, "founding queue")
    journey.follow(center, center.get_by_role("link", name=NAME), "consultation (centre)")
    journey.follow(center, center.get_by_role("link", name="상담 기록 추가"), "session form")
    center.locator("#id_mode").select_option("visit")
    center.get_by_label("정관 작성").check()
    center.locator("#id_summary").fill(
        "공동 판매 사업의 출자 구조와 정관 초안을 함께 검토했습니다."
    )
    center.locator("#id_next_steps").fill("발기인 두 곳 더 모으기")
    center.locator("#id_internal_note").fill("대표의 다른 조합 경험 확인 필요")
    journey.submit(center, "저장", "consultation after a session")
    consultation.refresh_from_db()
    assert consultation.stage == Stage.CONSULTING
    assert consultation.consultant.username == "center"

    center.locator("#id_stage").select_option("preparing")
    journey.submit(center, "단계 바꾸기", "consultation preparing")
    center.locator("#id_stage").select_option("assembly")
    journey.submit(center, "단계 바꾸기", "founding meeting refused (3 founders)")
    assert "5명 이상" in center.locator("#form-errors").inner_text()
    consultation.refresh_from_db()
    assert consultation.stage == Stage.PREPARING

    # --- 3. The applicant sees what is shared, not the internal note ------------------------
    sme.reload()
    journey.check(sme, "consultation (applicant, preparing)")
    main = sme.locator("main").inner_text()
    assert "발기인 두 곳 더 모으기" in main
    assert "대표의 다른 조합 경험 확인 필요" not in main
    assert "설립 준비" in main

    assert not journey.problems, journey.report()
