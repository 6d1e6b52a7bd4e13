"""The public assembly checker page (/coop/check/): a labelled form, and the result with the
rule and the arithmetic in Korean words, by GET (shareable) or POST."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

URL = "/coop/check/"


def form_data(**fields) -> dict:
    data = {
        "kind": "general",
        "members": "10",
        "present": "7",
        "yes": "5",
        "no": "1",
        "abstain": "1",
        "matter": "expulsion",
        "meeting_date": "",
        "notice_date": "",
        "expulsion_notice_date": "",
    }
    data.update(fields)
    return data


def test_the_url_name_is_governance_check():
    assert reverse("governance:check") == URL


def test_empty_page_shows_a_form_with_every_field_labelled(client):
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>총회 요건 확인</h1>" in html
    for name in (
        "kind",
        "members",
        "total_members",
        "founders",
        "present",
        "yes",
        "no",
        "abstain",
        "matter",
        "meeting_date",
        "notice_date",
        "expulsion_notice_date",
    ):
        assert f'<label for="id_{name}">' in html, name
        assert f'id="id_{name}"' in html
    assert 'id="result"' not in html
    assert "form-errors" not in html  # an unsent form shows no errors


def test_matter_select_has_korean_labels_grouped_by_resolution(client):
    html = client.get(URL).content.decode()
    assert '<optgroup label="보통결의 안건 (출석 과반수 찬성)">' in html
    assert '<optgroup label="특별결의 안건 (출석 2/3 이상 찬성)">' in html
    assert '<option value="expulsion">조합원 제명</option>' in html
    assert '<option value="officer_election">임원 선출</option>' in html
    assert 'type="date"' in html


def test_get_with_the_form_shows_the_result_in_a_region_with_a_heading(client):
    response = client.get(URL, form_data())
    html = response.content.decode()
    assert response.status_code == 200
    assert '<section class="card" aria-labelledby="result-heading" id="result">' in html
    assert '<h2 id="result-heading" tabindex="-1">확인 결과: 가결</h2>' in html
    assert "<caption>정족수와 계산</caption>" in html
    assert "특별결의" in html
    assert "6명 이상 출석 필요" in html
    assert "5명 이상" in html
    assert "출석 7명 중 찬성 5명 ≥ 2/3(5명) → 가결" in html
    assert '<ol id="explanation"><li>조합원 10명 중 출석 7명 ≥ 과반수(6명) → 성원.</li>' in html
    assert "기권 1명은 출석으로 세지만 찬성으로 세지 않습니다" in html
    assert response.context["result"].passed is True


def test_post_gives_the_same_result(client):
    get = client.get(URL, form_data(yes="4", no="2")).context["result"]
    post = client.post(URL, form_data(yes="4", no="2")).context["result"]
    assert get == post
    assert post.passed is False
    assert post.required_yes == 5


def test_the_result_is_said_in_words_not_only_colour(client):
    html = client.get(URL, form_data(present="5", yes="5", no="0", abstain="0")).content.decode()
    assert "확인 결과: 부결" in html
    assert "미달" in html
    assert "정확히 절반은 과반수가 아닙니다" in html
    assert "<title>부결: 총회 요건 확인" in html


def test_late_notice_is_shown_as_an_error(client):
    response = client.get(
        URL,
        form_data(
            meeting_date="2025-07-31", notice_date="2025-07-24", expulsion_notice_date="2025-07-20"
        ),
    )
    html = response.content.decode()
    assert "위반" in html
    assert "소집 통지가 늦었습니다" in html
    assert "2025-07-23" in html
    assert response.context["result"].notice_ok is False


def test_delegate_assembly_of_200_members_is_refused(client):
    response = client.post(
        URL, form_data(kind="delegate", members="30", total_members="200", present="20", yes="20",
                       no="0", abstain="0", matter="budget")
    )  # fmt: skip
    result = response.context["result"]
    assert result.passed is False
    assert "200명을 넘는" in response.content.decode()


def test_founding_and_board_need_no_matter(client):
    founding = client.get(
        URL, form_data(kind="founding", members="20", founders="5", present="11", yes="8", no="3",
                       abstain="0", matter="")
    ).context["result"]  # fmt: skip
    assert (founding.required_yes, founding.passed) == (8, True)
    board = client.get(
        URL,
        form_data(kind="board", members="5", present="3", yes="2", no="1", abstain="0", matter=""),
    ).context["result"]
    assert board.passed is True


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"members": ""}, "members", "필수 항목입니다"),
        ({"present": "x"}, "present", "정수를 입력하세요"),
        ({"yes": "-1"}, "yes", "0 이상"),
        ({"matter": ""}, "matter", "안건 종류를 골라 주세요"),
        ({"matter": "party"}, "matter", "올바르게 선택해 주세요"),
        ({"kind": "delegate", "total_members": ""}, "total_members", "조합원 총수"),
        ({"notice_date": "2025-07-20"}, "meeting_date", "회의일"),
        ({"meeting_date": "2025-02-30"}, "meeting_date", "날짜"),
    ],
)
def test_bad_input_shows_errors_linked_to_their_fields(client, fields, field, message):
    response = client.get(URL, form_data(**fields))
    assert response.status_code == 200
    assert response.context["result"] is None
    html = response.content.decode()
    assert 'id="form-errors"' in html
    assert f'href="#id_{field}"' in html
    error = re.search(rf'<p class="error" id="id_{field}_error">([^<]*)</p>', html)
    assert error, html
    assert message in error.group(1) or message in html
    control = re.search(rf'<(input|select)[^>]*id="id_{field}"[^>]*>', html).group(0)
    assert f"id_{field}_error" in control
    assert 'aria-invalid="true"' in control
    assert "<title>오류: 총회 요건 확인" in html


def test_unrelated_query_parameters_do_not_make_an_error_page(client):
    response = client.get(URL, {"utm_source": "newsletter"})
    assert response.status_code == 200
    assert "form-errors" not in response.content.decode()


def test_page_is_korean_and_lists_the_rules(client):
    html = client.get(URL).content.decode()
    assert 'lang="ko"' in html
    assert "7월 31일 회의라면 7월 23일까지" in html
    assert "출석 7명이면 보통결의 4명, 특별결의 5명" in html


def test_logged_in_users_get_the_same_page(client_for):
    for role in ("member", "coop", "admin"):
        response = client_for(role).get(URL, form_data())
        assert response.status_code == 200
        assert response.context["result"].passed is True


def test_the_page_stores_nothing(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):  # the page cache's data version, nothing else
        client.get(URL, form_data())
