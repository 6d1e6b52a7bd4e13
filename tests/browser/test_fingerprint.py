"""The accessibility audit analyses each page once per fingerprint (see ``conftest.fingerprint``):
pages that differ only in what no axe rule reads share one; a difference a rule can see must
give another. These run without a browser."""

from __future__ import annotations

import pytest

from .conftest import STYLE_SHEETS, fingerprint

PAGE = """<!doctype html><html lang="ko"><head><title>{title}</title>
<link rel="stylesheet" href="/static/dure/dure.css"></head>
<body><a class="skip-link" href="#main">본문 바로가기</a>
<header><span class="whoami">{who}</span></header>
<main id="main"><h1>{title}</h1>
<form method="post" action="/directory/{pk}/edit/">
<input type="hidden" name="csrfmiddlewaretoken" value="{token}">
<label for="id_name">이름</label><input id="id_name" name="name" type="text" value="{name}">
<label for="id_kind">종류</label><select id="id_kind" name="kind">
<option value="coop"{coop}>협동조합</option><option value="sme"{sme}>중소기업</option></select>
<label><input type="checkbox" name="public"{public}> 공개</label>
<button type="submit">저장</button></form>
<p><a href="/directory/{pk}/history/">변경 이력</a></p></main></body></html>"""

ONE = dict(
    title="한빛정밀 수정",
    who="center",
    pk=26,
    token="a" * 64,
    name="한빛정밀",
    coop="",
    sme=" selected",
    public=" checked",
)


def page(**changes: object) -> str:
    return PAGE.format(**{**ONE, **changes})


def test_pages_that_differ_only_in_what_no_rule_reads_share_a_fingerprint():
    other = page(
        title="세리오협동조합 수정",
        who="admin",
        pk=36,
        token="b" * 64,
        name="세리오",
        coop=" selected",
        sme="",
        public="",
    )
    assert fingerprint(other) == fingerprint(page())
    # ids are renamed in order of use, so other names for the same structure match too
    assert fingerprint(page().replace("id_name", "id_title")) == fingerprint(page())


@pytest.mark.parametrize(
    "changed",
    [
        pytest.param(page(title=""), id="empty title and heading"),
        pytest.param(page().replace(">변경 이력</a>", "></a>"), id="link without a name"),
        pytest.param(page().replace('id="id_name"', 'id="id_kind"'), id="duplicated id"),
        pytest.param(page().replace('for="id_name"', 'for="id_gone"'), id="label for no field"),
        pytest.param(page().replace('href="#main"', 'href="#content"'), id="skip link target"),
        pytest.param(page().replace('lang="ko"', 'lang="xx"'), id="invalid lang"),
        pytest.param(page().replace("<h1>", '<h1 class="muted">'), id="class (colours)"),
        pytest.param(page().replace("dure.css", "other.css"), id="another style sheet"),
        pytest.param(page().replace("<header>", '<header aria-hidden="true">'), id="aria state"),
        pytest.param(
            page().replace('<button type="submit">저장', '<button type="submit">'),
            id="button without a name",
        ),
        pytest.param(page().replace('<label for="id_name">이름</label>', ""), id="unlabelled"),
    ],
)
def test_a_difference_a_rule_can_see_changes_the_fingerprint(changed):
    assert fingerprint(changed) != fingerprint(page())


def test_a_button_input_keeps_whether_it_has_a_value_its_name():
    def with_button(value: str) -> str:
        return page().replace(
            '<button type="submit">저장</button>', f'<input type="submit" value="{value}">'
        )

    assert fingerprint(with_button("저장")) == fingerprint(with_button("보내기"))
    assert fingerprint(with_button("")) != fingerprint(with_button("저장"))


def test_the_remembered_results_are_keyed_by_the_site_s_style_sheets():
    # colours come from these files, not from the markup: a change to them must invalidate
    assert {"dure.css", "desk.css"} <= {path.name for path in STYLE_SHEETS}
