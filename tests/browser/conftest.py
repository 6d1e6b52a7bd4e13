"""Real-browser tests: Chromium headless driven by Playwright, pages checked with axe-core.

One browser serves all the tests in this package. If Chromium (or Playwright) is not
installed, every test marked ``browser`` is skipped and one line in the terminal summary says
why. Set DURE_CHROMIUM to use another Chromium binary.

Browser tests use pytest-django's ``live_server``, which makes them transactional: Django
flushes every table after each one. So each test loads the reference and demo data it needs
(``browser_data``), and the module-scoped ``_restore_demo_data`` loads it once more after the
last browser test of a module, so tests that run later in the same session still find the data
that ``django_db_setup`` loaded.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("DURE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
_skipped: list[str] = []


def missing_requirement() -> str | None:
    """Why browser tests cannot run here, or None if they can."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium is missing ({CHROMIUM} not found)"
    for module in ("playwright", "axe_playwright_python"):
        if importlib.util.find_spec(module) is None:
            return f"the Python package {module} is not installed"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = missing_requirement()
    if reason is None:
        return
    skip = pytest.mark.skip(reason=f"browser tests skipped: {reason}")
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(skip)
            _skipped.append(item.nodeid)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if _skipped:
        terminalreporter.write_line(
            f"browser tests skipped because {missing_requirement()}: "
            f"{len(_skipped)} test(s) marked 'browser' not run.",
            yellow=True,
            bold=True,
        )


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One headless Chromium for all the browser tests.

    Playwright's sync API keeps an event loop running in this thread for as long as it is
    started, which makes Django's ORM refuse to run ("async unsafe"). The tests really are
    synchronous, so the check is switched off while the browser is up. The browser lives as
    long as this package's tests run (in one go, unless the order is shuffled), not the
    whole session, so that neither the running loop nor DJANGO_ALLOW_ASYNC_UNSAFE leaks into
    other tests (``dure check --deploy`` in a subprocess rejects that variable).
    """
    from django.db import connections
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield chromium
    finally:
        # While Playwright's event loop runs in this thread, Django (through asgiref) keeps
        # the thread's database connections in a context variable instead of the thread-local:
        # close them now, or that connection stays open to the end and PostgreSQL refuses to
        # drop the test database ("1 other session using the database").
        connections.close_all()
        chromium.close()
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _load_data() -> None:
    from dure.core.demo import load_all_demo
    from dure.directory.reference import load_all

    load_all()
    load_all_demo()


@pytest.fixture(scope="module")
def _restore_demo_data(django_db_blocker) -> Iterator[None]:
    yield
    with django_db_blocker.unblock():
        _load_data()


@pytest.fixture
def browser_data(_restore_demo_data, django_db_reset_sequences, live_server) -> None:
    """Reference and demo data, loaded afresh with sequences that start again at 1, so every
    test sees the same rows with the same ids (and the same page at the same URL; see
    ``audit``). The first browser test finds the data ``django_db_setup`` loaded, with its
    own ids: it empties the database first."""
    from django.core.management import call_command

    from dure.accounts.models import User

    if User.objects.exists():
        call_command("flush", interactive=False, verbosity=0)
    _load_data()


@pytest.fixture
def context(browser, axe, live_server, browser_data) -> Iterator[Any]:
    """A fresh browser context (own cookies) per test, Korean first like our users. axe-core
    is loaded into every page as it opens (the site's CSP does not apply to that)."""
    ctx = browser.new_context(
        base_url=live_server.url,
        locale="ko-KR",
        timezone_id="Asia/Seoul",
        # also for context.request, which the crawler uses to fetch pages before showing them
        extra_http_headers={"Accept-Language": "ko-KR,ko;q=0.9"},
    )
    ctx.set_default_timeout(15_000)
    ctx.add_init_script(script=axe.axe_script)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context) -> Any:
    return context.new_page()


@pytest.fixture
def login_as(context, live_server):
    """login_as("sme") → put a session cookie for that demo user into the browser context
    (fast; the keyboard test logs in through the real login page instead)."""
    from urllib.parse import urlsplit

    from django.conf import settings
    from django.test import Client

    from dure.accounts.models import User

    def login(username: str) -> None:
        client = Client()
        client.force_login(User.objects.get(username=username))
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": cookie.value,
                    "domain": urlsplit(live_server.url).hostname,
                    "path": "/",
                    "httpOnly": True,
                }
            ]
        )

    return login


# --- axe-core ----------------------------------------------------------------------------------

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# Structural rules from DESIGN.md §3.11 that axe's WCAG tags do not cover on their own.
_STRUCTURE_JS = """() => {
  const problems = [];
  const h1 = document.querySelectorAll("h1").length;
  if (h1 !== 1) problems.push(["one-h1", "html", `${h1} <h1> elements, expected exactly one`]);
  if (!document.documentElement.getAttribute("lang"))
    problems.push(["html-lang", "html", "<html> has no lang attribute"]);
  const skip = document.querySelector("a.skip-link[href^='#']");
  if (!skip) problems.push(["skip-link", "body", "no skip link"]);
  else if (!document.getElementById(skip.getAttribute("href").slice(1)))
    problems.push(["skip-link", "a.skip-link", "skip link target is missing"]);
  if (document.querySelectorAll("main").length !== 1)
    problems.push(["one-main", "html", "expected exactly one <main>"]);
  return problems;
}"""


AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}

# Pages with the same fingerprint get the same axe result, so each is analysed once per
# session: a page several roles see, and the 30 edit forms of 30 organisations. The site has no
# scripts (the HTML the server sends is the DOM axe analyses) and its style sheets are files
# the page links (kept as they are), so what axe checks is the markup: the elements, the
# attributes that bear on a rule, and whether an element has text (a link's name, a heading,
# a label), not which text. The fingerprint is that markup with text reduced to "has text",
# data-only attribute values (hrefs, form values, the CSRF token, aria-label words) reduced
# to "has a value", and ids renamed in order of first use, references (for,
# aria-labelledby, href="#…") renamed with them, so duplicated or dangling ids still tell
# pages apart.
_KEPT_VALUES = frozenset(
    {
        "class",
        "role",
        "type",
        "lang",
        "dir",
        "scope",
        "colspan",
        "rowspan",
        "tabindex",
        "autocomplete",
        "style",
        "hidden",
        "disabled",
        "required",
        "readonly",
        "multiple",
    }
)
_ID_REFERENCES = frozenset(
    {
        "for",
        "headers",
        "list",
        "form",
        "aria-labelledby",
        "aria-describedby",
        "aria-controls",
        "aria-owns",
        "aria-activedescendant",
        "aria-errormessage",
        "aria-details",
        "aria-flowto",
    }
)
# aria-* attributes whose value is words, not a token
_ARIA_TEXT = frozenset(
    {"aria-label", "aria-description", "aria-roledescription", "aria-valuetext", "aria-placeholder"}
)
# what a form field holds, which no rule reads
_IGNORED = frozenset({"selected", "checked"})
_BUTTON_INPUTS = frozenset({"submit", "reset", "button", "image"})


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[str] = []
        self.ids: dict[str, str] = {}
        self.raw = False  # inside <style> or <script>, whose text is kept as it is

    def _id(self, value: str) -> str:
        return self.ids.setdefault(value, f"#{len(self.ids)}")

    def _attribute(self, tag: str, name: str, value: str) -> str:
        if name == "id":
            return self._id(value)
        if name in _ID_REFERENCES:
            return " ".join(self._id(v) for v in value.split())
        if name == "href" and value.startswith("#"):
            return self._id(value[1:])
        if name in _KEPT_VALUES or (name.startswith("aria-") and name not in _ARIA_TEXT):
            return value
        if tag in ("link", "meta"):
            return value  # which style sheets; the viewport rule reads <meta>
        return "…" if value else ""

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], close: str) -> None:
        given = dict(attrs)
        parts = [
            f"{name}={self._attribute(tag, name, value or '')}"
            for name, value in sorted(attrs)
            if name not in _IGNORED
            # a field's value names nothing; a button's value is its name
            and not (name == "value" and given.get("type") not in _BUTTON_INPUTS)
        ]
        self.tokens.append(f"<{tag} {' '.join(parts)}{close}>")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs, "")
        self.raw = tag in ("style", "script")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs, "/")

    def handle_endtag(self, tag: str) -> None:
        self.tokens.append(f"</{tag}>")
        self.raw = False

    def handle_data(self, data: str) -> None:
        if self.raw:
            self.tokens.append(data)
        elif data.strip() and self.tokens[-1:] != ["text"]:
            self.tokens.append("text")


def fingerprint(html: str) -> str:
    markup = _Markup()
    markup.feed(html)
    markup.close()
    return hashlib.sha256("\n".join(markup.tokens).encode()).hexdigest()


@pytest.fixture(scope="session")
def axe() -> Any:
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


# The memo outlives the run, in files under var/: CI runs the suite on SQLite and then on
# PostgreSQL, and the second run renders every page again (on its own database) but opens in
# the browser only the pages whose markup the first did not analyse. The files are named by a
# hash of everything else the result depends on: axe-core, the site's style sheets and this
# file (the fingerprint, the rules run, the structure checks). Delete the directory to start
# afresh; DURE_AXE_MEMO_DIR puts it elsewhere.
AXE_MEMO_DIR = Path(
    os.environ.get("DURE_AXE_MEMO_DIR", Path(__file__).parents[2] / "var" / "test-axe-memo")
)
STYLE_SHEETS = sorted((Path(__file__).parents[2] / "src" / "dure").glob("*/static/**/*.css"))


def _memo_version(axe: Any) -> str:
    digest = hashlib.sha256(axe.axe_script.encode())
    for path in [Path(__file__), *STYLE_SHEETS]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def _axe_memo(axe) -> Iterator[dict[str, list[str]]]:
    version = _memo_version(axe)
    memo: dict[str, list[str]] = {}
    for path in AXE_MEMO_DIR.glob("*.json"):
        if path.name.startswith(f"{version}-"):
            try:
                memo.update(json.loads(path.read_text(encoding="utf-8")))
            except ValueError:
                continue  # unreadable: its pages are analysed again
        else:
            path.unlink(missing_ok=True)  # made for another axe, style sheet or fingerprint
    yield memo
    # one file per xdist worker, replaced whole (it holds what this worker loaded too)
    AXE_MEMO_DIR.mkdir(parents=True, exist_ok=True)
    mine = AXE_MEMO_DIR / f"{version}-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.json"
    draft = mine.with_suffix(f".{os.getpid()}.tmp")
    draft.write_text(json.dumps(memo, ensure_ascii=False), encoding="utf-8")
    draft.replace(mine)


class Auditor:
    """audit(page) → the accessibility problems of the page currently shown, one line per
    element: "<url> <rule id> [<impact>] <target selector> — <help>"; empty means it passes.

    audit.start(page) starts axe in the page and returns a function that waits for and
    returns the result, so a crawler can load the next page in another tab meanwhile; the
    page must not navigate before that function has been called. audit.known(html) returns
    the result for a page already analysed (with the same fingerprint), or None.
    """

    def __init__(self, axe: Any, memo: dict[str, list[str]]) -> None:
        self.axe = axe
        self.memo = memo

    def __call__(self, page: Any, label: str = "") -> list[str]:
        return self.start(page, label)()

    def known(self, html: str, where: str) -> list[str] | None:
        found = self.memo.get(fingerprint(html))
        return None if found is None else [f"{where} {line}" for line in found]

    def start(self, page: Any, label: str = "", html: str | None = None) -> Callable[[], list[str]]:
        where = page.url + (f" ({label})" if label else "")
        key = fingerprint(page.content() if html is None else html)
        if key in self.memo:
            found = self.memo[key]
            return lambda: [f"{where} {line}" for line in found]
        structure = [
            f"{rule} {target} — {msg}" for rule, target, msg in page.evaluate(_STRUCTURE_JS)
        ]
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.axe.axe_script)
        # Start axe in a later task, so that this call returns at once.
        page.evaluate(
            """options => {
              window.__dureAxe = new Promise(r => setTimeout(r, 0))
                .then(() => axe.run(document, options));
            }""",
            AXE_OPTIONS,
        )

        def finish() -> list[str]:
            violations = page.evaluate("() => window.__dureAxe.then(r => r.violations)")
            found = [
                f"{v['id']} [{v.get('impact')}] {_target(node)} — {v['help']}"
                for v in violations
                for node in v["nodes"]
            ]
            self.memo[key] = found + structure
            return [f"{where} {line}" for line in self.memo[key]]

        return finish


def _target(node: dict) -> str:
    return " ".join(t if isinstance(t, str) else " >> ".join(t) for t in node["target"])


@pytest.fixture
def audit(axe, _axe_memo) -> Auditor:
    return Auditor(axe, _axe_memo)
