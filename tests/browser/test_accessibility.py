"""axe-core (WCAG 2.1 A/AA) on every page each role can reach by following links, plus the
pages only forms lead to: validation errors, a search, the 404 page and the English version."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from dure.directory.demo import DEMO_USERNAMES

pytestmark = pytest.mark.browser

ROLES = ["anonymous", *DEMO_USERNAMES]

# Not pages of ours, or not HTML: Django admin, the API, uploaded files, downloads.
SKIPPED_PATHS = [
    re.compile(p)
    for p in (
        r"^/admin/",
        r"^/api/",
        r"^/media/",
        r"^/static/",
        r"^/i18n/",
        r"/logout/",
        r"^/accounts/profile/export/$",
        r"^/directory/mou/\d+/attachment/$",
    )
]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def links_in(html: str, url: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return [urljoin(url, href) for href in parser.hrefs]


def crawl(
    pages: list[Any], base_url: str, audit, start: str = "/", one_per_route: bool = False
) -> tuple[list[str], list[str]]:
    """Breadth-first over same-origin links from ``start``; returns (visited URLs, problems).

    A path is visited once, with the query string of the first link that led to it (so no
    ``?page=2`` or filter variants). With ``one_per_route`` only the first path of each URL
    pattern is visited (one organisation page, not all of them).

    Each page is fetched with the browser context's cookies first; a page already analysed
    (same fingerprint, e.g. seen by another role) is not opened again. The others open in
    two tabs, from the response already fetched, and the tabs take turns: while axe
    analyses one, the next page loads in the other.
    """
    from django.urls import Resolver404, resolve

    origin = urlsplit(base_url)
    request = pages[0].context.request
    fetched: dict[str, Any] = {}
    for tab in pages:
        tab.route(
            lambda url: url in fetched,
            lambda route: route.fulfill(response=fetched.pop(route.request.url)),
        )
    queue = deque([start])
    seen = {urlsplit(start).path}
    routes: set[str] = set()
    visited: list[str] = []
    problems: list[str] = []
    pending: dict[int, Callable[[], list[str]]] = {}
    turn = 0
    while queue:
        url = queue.popleft()
        response = request.get(url)
        final = response.url
        if response.status >= 400:
            problems.append(f"{url} answered HTTP {response.status} (broken link?)")
        if "text/html" not in response.headers.get("content-type", ""):
            continue  # a download (CSV, XLSX, a file): not a page
        visited.append(final)
        html = response.text()
        seen.add(urlsplit(final).path)
        for href in links_in(html, final):
            link = urlsplit(href)
            if (link.scheme, link.netloc) != (origin.scheme, origin.netloc):
                continue
            if link.path in seen or any(p.search(link.path) for p in SKIPPED_PATHS):
                continue
            seen.add(link.path)
            if one_per_route:
                try:
                    route = resolve(link.path).route
                except Resolver404:
                    route = link.path
                if route in routes:
                    continue
                routes.add(route)
            queue.append(link.path + (f"?{link.query}" if link.query else ""))
        known = audit.known(html, final)
        if known is not None:
            problems += known
            continue
        tab = turn % len(pages)
        turn += 1
        if tab in pending:
            problems += pending.pop(tab)()
        fetched[final] = response
        pages[tab].goto(final)
        pending[tab] = audit.start(pages[tab], html=html)
    for finish in pending.values():
        problems += finish()
    return visited, problems


def report(problems: list[str], pages: int) -> str:
    """The failure message: one line per element, "<url> <rule id> [<impact>] <selector>"."""
    return f"{len(problems)} accessibility problem(s) on {pages} page(s):\n  " + "\n  ".join(
        problems
    )


@pytest.mark.parametrize("role", ROLES)
def test_every_reachable_page_passes_axe_for_role(
    role, context, page, live_server, login_as, audit
):
    # Given a visitor with this role
    if role != "anonymous":
        login_as(role)

    # When they follow every link from the home page
    visited, problems = crawl([page, context.new_page()], live_server.url, audit)

    # Then no page has a WCAG 2.1 A/AA violation
    assert len(visited) >= 5, visited
    assert not problems, report(problems, len(visited))


def submit(page: Any, form: str) -> None:
    with page.expect_navigation():
        page.locator(f"{form} [type=submit]").click()


class Findings:
    """Problems gathered over several pages, reported together at the end of a test."""

    def __init__(self, audit) -> None:
        self.audit = audit
        self.pages = 0
        self.problems: list[str] = []

    def check(self, page: Any, label: str) -> None:
        self.pages += 1
        self.problems += self.audit(page, label)

    def expect(self, condition: bool, page: Any, message: str) -> None:
        if not condition:
            self.problems.append(f"{page.url} {message}")

    def report(self) -> str:
        return report(self.problems, self.pages)


def test_forms_with_validation_errors_pass_axe(page, login_as, audit):
    from dure.directory.models import Organisation

    found = Findings(audit)

    # Given the representative of 한빛정밀 on its edit page
    org = Organisation.objects.get(name="한빛정밀")
    login_as("sme")
    page.goto(f"/directory/{org.pk}/edit/")

    # When they submit a 사업자등록번호 whose check digit is wrong
    page.locator("#id_business_number").fill("123-45-67890")
    submit(page, "form:has(#id_business_number)")

    # Then the error is announced, tied to the field, named in the title, and passes axe
    field = page.locator("#id_business_number")
    assert field.get_attribute("aria-invalid") == "true"
    described = (field.get_attribute("aria-describedby") or "").split()
    assert "id_business_number_error" in described
    assert page.locator("#id_business_number_error").is_visible()
    assert page.locator("[role=alert]").count() == 1
    assert page.title().startswith("오류")
    found.check(page, "organisation form with errors")

    # The account deletion form with a wrong confirmation phrase
    page.goto("/accounts/profile/delete/")
    page.locator("#id_confirm").fill("아니요")
    submit(page, "form:has(#id_confirm)")
    assert page.locator("#id_confirm").get_attribute("aria-invalid") == "true"
    found.check(page, "delete account with errors")

    # A new API token, shown once
    page.goto("/accounts/profile/")
    page.locator("#id_name").fill("통계 연동")
    submit(page, "form:has(#id_name)")
    assert page.locator("#token-secret").is_visible()
    found.check(page, "token created")

    # Support-centre staff registering an MOU without choosing its parties
    login_as("center")
    page.goto("/directory/mou/new/")
    page.locator("#id_title").fill("협약 제목")
    submit(page, "form:has(#id_title)")
    assert page.locator("[role=alert]").count() == 1
    found.check(page, "MOU form with errors")

    assert not found.problems, found.report()


def test_login_errors_search_and_404_pass_axe(page, audit):
    found = Findings(audit)

    # A failed login shows a form-level error
    page.goto("/accounts/login/")
    page.locator("#id_username").fill("sme")
    page.locator("#id_password").fill("wrong password")
    submit(page, "form:has(#id_password)")
    assert page.locator("[role=alert]").count() == 1
    assert page.title().startswith("오류")
    found.check(page, "login with errors")

    # A search from the home page, with highlighted matches
    page.goto("/")
    page.locator("#home-q").fill("협동조합")
    submit(page, "form:has(#home-q)")
    assert "q=" in page.url
    found.check(page, "search results")

    # A search that finds nothing
    page.goto("/directory/?q=없는기관이름xyz")
    found.check(page, "empty search")

    # The 404 page
    response = page.goto("/directory/999999/")
    assert response is not None and response.status == 404
    found.check(page, "404")

    assert not found.problems, found.report()


def test_english_version_passes_axe(context, page, live_server, login_as, audit):
    # Given a member who switches the language with the form in the header
    login_as("sme")
    page.goto("/")
    page.locator("#lang-select").select_option("en")
    submit(page, "form:has(#lang-select)")
    assert page.locator("html").get_attribute("lang") == "en"

    # When they visit one page of every kind, Then every page is in English and passes axe
    visited, problems = crawl(
        [page, context.new_page()], live_server.url, audit, one_per_route=True
    )
    assert not problems, report(problems, len(visited))
    for url in visited:
        assert '<html lang="en">' in context.request.get(url).text(), url


def test_password_reset_pages_pass_axe(page, audit):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from dure.accounts.models import User

    found = Findings(audit)

    # The request form, then the "mail sent" page
    page.goto("/accounts/password-reset/")
    found.check(page, "reset request")
    page.locator("#id_email").fill("sme@dure.example")
    submit(page, "form:has(#id_email)")
    found.check(page, "reset mail sent")

    # The link from the mail: the new-password form, shown again with errors
    user = User.objects.get(username="sme")
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    page.goto(f"/accounts/reset/{uid}/{default_token_generator.make_token(user)}/")
    found.check(page, "new password form")
    page.locator("#id_new_password1").fill("another-long-password-1")
    page.locator("#id_new_password2").fill("a-different-password-2")
    submit(page, "form:has(#id_new_password1)")
    found.check(page, "new password form with errors")
    found.expect(
        page.locator("[role=alert]").count() == 1, page, "errors not announced (no role=alert)"
    )
    found.expect(page.title().startswith("오류"), page, "the title does not say there are errors")

    # An expired link, and the final page
    page.goto(f"/accounts/reset/{uid}/expired-token/")
    found.check(page, "expired reset link")
    page.goto("/accounts/reset/done/")
    found.check(page, "password changed")

    assert not found.problems, found.report()
