"""Public pages are served from the cache for visitors without a session, and never stale."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def _queries_for(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return response, len(ctx)


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/directory/",
        "/directory/?q=협동조합",
        "/directory/mou/",
        "/api/v1/organisations?page_size=5",
    ],
)
def test_an_anonymous_repeat_visit_is_answered_from_the_cache(url):
    client = Client()
    first, _ = _queries_for(client, url)
    second, queries = _queries_for(client, url)
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert queries == 1  # only the data-version check


def test_a_change_through_the_service_invalidates_cached_pages(users, org):
    from dure.directory.services import organisation_update

    anonymous = Client()
    fusion = org("기술융합협동조합")
    assert "시제품 개발" in anonymous.get(fusion.get_absolute_url()).content.decode()
    organisation_update(
        actor=users["admin"], organisation=fusion, data={"description": "새로운 소개 문구입니다."}
    )
    page = anonymous.get(fusion.get_absolute_url()).content.decode()
    assert "새로운 소개 문구입니다." in page
    assert "시제품 개발" not in page


def test_a_rolled_back_change_leaves_the_version_alone(org):
    from django.db import transaction

    from dure.core.pagecache import data_version

    before = data_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        fusion = org("기술융합협동조합")
        fusion.description = "저장되지 않을 내용"
        fusion.save()
        raise RuntimeError
    assert data_version() == before


def test_signed_in_visitors_are_never_served_a_cached_page(client_for):
    anonymous = Client()
    anonymous.get("/")
    member = client_for("coop")
    page = member.get("/").content.decode()
    assert "내 기관" in page and "세리오협동조합" in page


def test_pages_are_cached_per_language():
    korean = Client()
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    ko_page = korean.get("/").content.decode()
    en_page = english.get("/").content.decode()
    assert '<html lang="ko">' in ko_page and "본문 바로가기" in ko_page
    assert '<html lang="en">' in en_page and "Skip to main content" in en_page
    assert "본문 바로가기" not in en_page


def test_the_language_switch_sets_a_cookie_and_only_redirects_locally():
    client = Client()
    response = client.get("/i18n/language/", {"language": "en", "next": "/directory/"})
    assert response.status_code == 302 and response["Location"] == "/directory/"
    assert response.cookies["django_language"].value == "en"
    outside = client.get("/i18n/language/", {"language": "en", "next": "https://evil.example/"})
    assert outside["Location"] == "/"
    unknown = Client().get("/i18n/language/", {"language": "xx", "next": "/"})
    assert "django_language" not in unknown.cookies
