import pytest

pytestmark = pytest.mark.django_db


def test_home_page_renders_in_korean_for_anonymous_visitors(client):
    response = client.get("/")
    assert response.status_code == 200
    assert '<html lang="ko">' in response.content.decode()
    assert "본문 바로가기" in response.content.decode()


def test_demo_stories_are_loaded(org):
    fusion = org("기술융합협동조합")
    assert fusion.member_count == 7
    assert fusion.affiliates.filter(kind="sme").count() == 3
