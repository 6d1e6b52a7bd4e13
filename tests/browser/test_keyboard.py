"""Everything a representative does to update their organisation works with the keyboard
alone: Tab to move, typing to fill in, Enter to follow links and submit. No mouse, and no
filling fields found by selector."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser

NEW_DESCRIPTION = "키보드만으로 고친 소개: 정밀 가공과 시제품 제작을 함께합니다."

FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    type: el.getAttribute("type") || "",
    href: el.getAttribute("href") || "",
    text: (el.textContent || "").trim(),
    className: el.className || "",
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth) || 0,
    visible: box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0,
  };
}"""


def focused(page: Any) -> dict[str, Any]:
    return page.evaluate(FOCUSED)


def tab_until(page: Any, wanted, what: str, limit: int = 120) -> dict[str, Any]:
    """Press Tab until the focused element satisfies ``wanted``; fail after ``limit`` presses."""
    trail = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = focused(page)
        if wanted(element):
            return element
        trail.append(element["id"] or element["href"] or element["text"][:20] or element["tag"])
    raise AssertionError(f"Tab never reached {what}; focus went through {trail}")


def assert_focus_visible(element: dict[str, Any]) -> None:
    assert element["visible"], f"focused element is off screen: {element}"
    assert element["outlineStyle"] != "none" and element["outlineWidth"] >= 2, (
        f"no visible focus indicator on {element}"
    )


def test_representative_updates_their_organisation_with_the_keyboard_only(page, live_server):
    from dure.directory.models import Organisation

    org = Organisation.objects.get(name="한빛정밀")
    edit_path = f"/directory/{org.pk}/edit/"

    # Given an anonymous visitor on the home page
    page.goto("/")

    # The first Tab lands on the skip link, which shows itself with a visible focus ring
    skip = tab_until(page, lambda e: "skip-link" in e["className"], "the skip link", limit=1)
    assert skip["href"] == "#main"
    assert_focus_visible(skip)

    # When they Tab to "로그인" in the header and press Enter
    login_link = tab_until(
        page, lambda e: e["tag"] == "a" and e["href"] == "/accounts/login/", "the login link"
    )
    assert_focus_visible(login_link)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/accounts/login/")

    # And type the username (the field has focus already) and password, and press Enter
    username = focused(page)
    if username["id"] != "id_username":
        username = tab_until(page, lambda e: e["id"] == "id_username", "the username field")
    assert_focus_visible(username)
    page.keyboard.type("sme")
    tab_until(page, lambda e: e["id"] == "id_password", "the password field", limit=1)
    page.keyboard.type("dure-demo-2026")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # Then they are logged in and back on the home page
    assert page.url == f"{live_server.url}/"
    assert "박대표" in page.locator(".whoami").inner_text()

    # When they follow the skip link and Tab to "한빛정밀 정보 수정" and press Enter
    tab_until(page, lambda e: "skip-link" in e["className"], "the skip link", limit=1)
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"
    edit_link = tab_until(page, lambda e: e["href"] == edit_path, "the edit link")
    assert "한빛정밀" in edit_link["text"]
    assert_focus_visible(edit_link)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(edit_path)

    # And Tab to the description, replace it, Tab to "저장" and press Enter
    description = tab_until(page, lambda e: e["id"] == "id_description", "the description")
    assert_focus_visible(description)
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.press("Delete")
    page.keyboard.type(NEW_DESCRIPTION)
    save = tab_until(page, lambda e: e["type"] == "submit" and e["text"] == "저장", "저장")
    assert_focus_visible(save)
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # Then the new description is saved and shown on the organisation's page
    assert page.url.endswith(org.get_absolute_url())
    org.refresh_from_db()
    assert org.description == NEW_DESCRIPTION
    assert page.locator("main").get_by_text(NEW_DESCRIPTION).is_visible()
    assert page.locator("[role=status]").inner_text().strip() == "기관 정보를 저장했습니다."
