"""The whole journey of one difficulty through the desk, in a real browser, with axe-core on
every page visited:

an anonymous SME fills in the intake form with the keyboard alone (attachment included) →
centre staff (demo ``center``) triage it with the routing recommendation and assign it →
KITECH's researcher (demo ``researcher``) starts and answers → the requester opens the status
link from the e-mail and replies → the researcher resolves it → the requester answers the
satisfaction survey."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

DESCRIPTION = (
    "찍어낸 플라스틱 케이스 겉면에 물결무늬가 남아요. 금형 온도를 올려 봐도 그대로이고, "
    "불량이 하루 수십 개씩 나옵니다. 원인과 해결 방법을 알고 싶습니다."
)
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"

FOCUSED = """() => {
  const el = document.activeElement;
  return {tag: el.tagName.toLowerCase(), id: el.id, type: el.getAttribute("type") || "",
          text: (el.textContent || "").trim(), name: el.getAttribute("name") || ""};
}"""


def focused(page: Any) -> dict[str, Any]:
    return page.evaluate(FOCUSED)


def tab_to(page: Any, wanted, what: str, limit: int = 80) -> dict[str, Any]:
    trail = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = focused(page)
        if wanted(element):
            return element
        trail.append(element["id"] or element["text"][:20] or element["tag"])
    raise AssertionError(f"Tab never reached {what}; focus went through {trail}")


def tab_to_id(page: Any, element_id: str) -> None:
    tab_to(page, lambda e: e["id"] == element_id, element_id)


def choose_file_with_space(page: Any, element_id: str, path: Any) -> None:
    """Space on the focused file input opens the file chooser. On a loaded machine Chromium
    now and then drops that first key press (no chooser ever opens), so the press is repeated
    — still from the keyboard, with the focus checked each time."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _attempt in range(3):
        assert focused(page)["id"] == element_id
        try:
            with page.expect_file_chooser(timeout=10_000) as chooser:
                page.keyboard.press("Space")
        except PlaywrightTimeout:
            continue
        chooser.value.set_files(str(path))
        return
    raise AssertionError(f"Space on #{element_id} never opened the file chooser")


class Journey:
    """Pages visited by several people, each in their own browser context, all checked with
    axe-core; problems are reported together at the end."""

    def __init__(self, browser, axe, audit, live_server) -> None:
        self.browser, self.axe, self.audit, self.live_server = browser, axe, audit, live_server
        self.contexts: list[Any] = []
        self.problems: list[str] = []
        self.pages = 0

    def person(self, username: str | None = None) -> Any:
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
        if username:
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

    def submit(self, page: Any, button: str, label: str, *, within: str = "main") -> None:
        with page.expect_navigation():
            page.locator(within).get_by_role("button", name=button, exact=True).click()
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
    # Load the recommender (model and profile vectors) before the first page needs it.
    from dure.routing.services import recommend

    recommend("사출 성형 플라스틱 케이스 표면 물결무늬", limit=1)
    trip = Journey(browser, axe, audit, live_server)
    try:
        yield trip
    finally:
        trip.close()


def test_a_difficulty_goes_from_intake_to_survey(journey, mailoutbox, tmp_path):
    from dure.desk.models import Case, CaseEvent, CaseSurvey, Status
    from dure.directory.demo import demo_business_number

    attachment = tmp_path / "불량사진.pdf"
    attachment.write_bytes(PDF)

    # --- 1. An anonymous SME submits, with the keyboard alone ------------------------------------
    sme = journey.person()
    sme.goto("/desk/new/")
    journey.check(sme, "intake form")
    assert sme.locator("h1").inner_text() == "기술 애로 접수"

    tab_to_id(sme, "id_company_name")
    sme.keyboard.type("물결플라스틱")
    tab_to_id(sme, "id_business_number")
    sme.keyboard.type("000-00-0000")  # wrong on purpose: the form shows the error first
    tab_to_id(sme, "id_sido")
    sme.keyboard.press("ArrowDown")  # the first 시도 in the list
    tab_to_id(sme, "id_contact_name")
    sme.keyboard.type("김사장")
    tab_to_id(sme, "id_contact_email")
    sme.keyboard.type("owner@wave-plastic.example")
    tab_to_id(sme, "id_description")
    sme.keyboard.type(DESCRIPTION)
    counter = sme.locator("#id_description_counter")
    assert counter.is_visible(), "the character counter shows once the script runs"
    assert str(len(DESCRIPTION)) in counter.inner_text()
    tab_to(
        sme,
        lambda e: e["name"] == "desired_support" and e["id"].endswith("_0"),
        "the first desired support box",
    )
    sme.keyboard.press("Space")
    tab_to_id(sme, "id_attachments")
    choose_file_with_space(sme, "id_attachments", attachment)
    tab_to_id(sme, "id_privacy_consent")
    sme.keyboard.press("Space")
    tab_to(sme, lambda e: e["type"] == "submit" and e["text"] == "접수하기", "접수하기")
    with sme.expect_navigation():
        sme.keyboard.press("Enter")

    # The wrong business number comes back as an error tied to its field; nothing is filed.
    journey.check(sme, "intake form with an error")
    assert Case.objects.filter(company_name="물결플라스틱").count() == 0
    field = sme.locator("#id_business_number")
    assert field.get_attribute("aria-invalid") == "true"
    assert "id_business_number_error" in (field.get_attribute("aria-describedby") or "")
    assert sme.title().startswith("오류")

    # The error summary links to the field: follow it by keyboard and correct the number.
    tab_to(sme, lambda e: e["tag"] == "a" and "사업자등록번호" in e["text"], "the error link")
    sme.keyboard.press("Enter")
    if focused(sme)["id"] != "id_business_number":
        tab_to_id(sme, "id_business_number")
    sme.keyboard.press("ControlOrMeta+A")
    sme.keyboard.press("Delete")
    sme.keyboard.type(demo_business_number(4242))
    # Files are not kept by the browser between two submissions: attach it again.
    tab_to_id(sme, "id_attachments")
    choose_file_with_space(sme, "id_attachments", attachment)
    tab_to_id(sme, "id_privacy_consent")
    if not sme.locator("#id_privacy_consent").is_checked():
        sme.keyboard.press("Space")
    tab_to(sme, lambda e: e["type"] == "submit" and e["text"] == "접수하기", "접수하기")
    with sme.expect_navigation():
        sme.keyboard.press("Enter")

    journey.check(sme, "receipt")
    case = Case.objects.get(company_name="물결플라스틱")
    assert case.status == Status.RECEIVED and case.requester is None
    assert list(case.attachments.values_list("original_name", flat=True)) == ["불량사진.pdf"]
    assert case.number in sme.locator("main").inner_text()
    assert sme.locator("a.status-link").count() == 1

    # The e-mail carries the signed status link.
    mails = [m for m in mailoutbox if "owner@wave-plastic.example" in m.to]
    assert len(mails) == 1
    status_path = urlsplit(re.search(r"https?://\S+/desk/status/\S+/", mails[0].body)[0]).path

    # --- 2. Centre staff triage with the recommendation, and assign ------------------------------
    center = journey.person("center")
    center.goto("/desk/?queue=unassigned")
    journey.check(center, "queue: unassigned")
    with center.expect_navigation():
        center.get_by_role("link", name=case.number).click()
    journey.check(center, "case page: received")
    recommendations = center.locator("#triage table")
    assert recommendations.locator("tbody tr").count() >= 1
    assert "%" in recommendations.locator("tbody tr").first.inner_text()
    center.locator("#id_triage_category").select_option("rnd_short")
    lead = center.locator("#id_triage_lead_institute")
    kitech = center.locator("#id_triage_lead_institute option", has_text="KITECH").get_attribute(
        "value"
    )
    if lead.input_value() != kitech:
        lead.select_option(kitech)
    journey.submit(center, "분류 저장", "case page: triaged")
    case.refresh_from_db()
    assert case.status == Status.TRIAGED and case.lead_institute.acronym == "KITECH"
    triaged = case.events.get(kind=CaseEvent.Kind.TRIAGED)
    assert triaged.data["recommended"], "the recommendation shown is recorded"

    center.locator("#id_assign_team").select_option(label="뿌리기술 지원팀 · 자동 배정")
    journey.submit(center, "배정", "case page: assigned")
    case.refresh_from_db()
    assert case.status == Status.ASSIGNED and case.assignee.username == "researcher"

    # --- 3. KITECH's researcher starts and answers -----------------------------------------------
    researcher = journey.person("researcher")
    researcher.goto("/desk/?queue=mine")
    journey.check(researcher, "queue: mine (researcher)")
    with researcher.expect_navigation():
        researcher.get_by_role("link", name=case.number).click()
    journey.check(researcher, "case page: researcher")
    journey.submit(researcher, "처리 시작", "case page: in progress")
    researcher.locator("#id_message_body").fill(
        "금형 온도보다 사출 속도와 게이트 위치가 원인일 가능성이 큽니다. 성형 조건표를 보내 주세요."
    )
    journey.submit(researcher, "답변 보내기", "case page: answered")
    researcher.locator("#id_note_body").fill("게이트 위치 변경 사례 자료를 찾아 둘 것")
    journey.submit(researcher, "내부 메모 저장", "case page: with an internal note")
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS and case.first_response_at is not None

    # --- 4. The requester follows the status link and replies ------------------------------------
    sme.goto(status_path)
    journey.check(sme, "status page")
    text = sme.locator("main").inner_text()
    assert "사출 속도와 게이트 위치" in text
    assert "게이트 위치 변경 사례" not in text, "internal notes never reach the requester"
    sme.locator("#id_message_body").fill("성형 조건표를 첨부합니다. 사출 속도는 60%입니다.")
    with sme.expect_file_chooser() as chooser:
        sme.locator("#id_message_attachments").click()
    chooser.value.set_files(str(attachment))
    journey.submit(sme, "보내기", "status page: replied")
    assert sme.locator("[role=status]").first.inner_text().strip() == "답변을 보냈습니다."
    assert case.messages.filter(author_kind="requester", via_status_link=True).count() == 1

    # --- 5. The researcher resolves it ------------------------------------------------------------
    researcher.goto(f"/desk/cases/{case.number}/")
    journey.check(researcher, "case page: requester replied")
    researcher.locator("#id_resolve_outcome").select_option("consulting")
    researcher.locator("#id_resolve_summary").fill("사출 속도 조정과 게이트 위치 변경을 안내")
    journey.submit(researcher, "해결로 처리", "case page: resolved")
    case.refresh_from_db()
    assert case.status == Status.RESOLVED

    # --- 6. The requester answers the survey through the status link -----------------------------
    sme.goto(status_path)
    journey.check(sme, "status page: resolved, survey open")
    sme.get_by_label("5 — 매우 만족").check()
    sme.locator("#id_survey_comment").fill("빠르게 원인을 찾아 주셔서 고맙습니다.")
    journey.submit(sme, "응답 보내기", "status page: survey answered")
    survey = CaseSurvey.objects.get(case=case)
    assert survey.rating == 5 and survey.via_status_link

    # Centre staff see the result on the dashboard.
    center.goto("/desk/dashboard/")
    journey.check(center, "dashboard")
    assert "KITECH" in center.locator("#performance-heading + div table").inner_text()

    assert not journey.problems, journey.report()


def test_the_other_desk_pages_pass_axe_with_and_without_errors(journey):
    """Pages the journey does not pass through: staff intake (and its errors), "내 문의", the
    requester's own case page, a refused move, a bad status link, filtered and empty queues,
    and the intake form in English."""
    from dure.desk.models import Case
    from dure.desk.services import status_token_for

    center = journey.person("center")
    center.goto("/desk/intake/")
    journey.check(center, "staff intake")
    journey.submit(center, "접수하기", "staff intake with errors")
    assert center.locator("#form-errors").is_visible()
    assert center.locator("#id_company_name").get_attribute("aria-invalid") == "true"

    received = Case.objects.filter(status="received").order_by("pk").first()
    center.goto(f"/desk/cases/{received.number}/")
    journey.check(center, "case page: received (centre)")

    # A stale page: the case is resolved meanwhile, then "처리 재개" is pressed.
    from dure.accounts.models import User
    from dure.desk.services import case_resolve

    working = Case.objects.filter(status="waiting").first()
    center.goto(f"/desk/cases/{working.number}/")
    case_resolve(actor=User.objects.get(username="center"), case=working, outcome="information")
    journey.submit(center, "처리 재개", "case page: a move out of turn")
    alert = center.locator("[role=alert]")
    assert "할 수 없습니다" in alert.inner_text()
    assert center.title().startswith("오류")
    center.goto("/desk/?queue=overdue")
    journey.check(center, "queue: overdue")
    center.goto("/desk/?queue=all&status=closed&category=tech_transfer&q=없는건")
    journey.check(center, "queue: empty result")
    center.goto("/desk/dashboard/?since=2026-05-01&until=2026-01-01")
    journey.check(center, "dashboard with a bad period")

    sme = journey.person("sme")
    sme.goto("/desk/mine/")
    journey.check(sme, "my cases")
    own = Case.objects.filter(requester__username="sme").first()
    with sme.expect_navigation():
        sme.get_by_role("link", name=own.number).click()
    journey.check(sme, "requester's case page")
    journey.submit(sme, "보내기", "requester's case page with an empty reply")
    assert sme.locator("#id_message_body_error").is_visible()

    visitor = journey.person()
    token = status_token_for(case=own)
    visitor.goto(f"/desk/status/{token[:-3]}xyz/")
    journey.check(visitor, "status link error")
    assert "조회 링크를 열 수 없습니다" in visitor.locator("h1").inner_text()
    visitor.goto("/desk/new/")
    visitor.locator("#lang-select").select_option("en")
    with visitor.expect_navigation():
        visitor.get_by_role("button", name="언어 변경").click()
    journey.check(visitor, "intake form (English)")

    assert not journey.problems, journey.report()
