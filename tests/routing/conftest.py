"""Fixtures for the routing tests: a vector cache shared by the session (outside var/), and
small profile sets written in a temporary directory so that the tests do not depend on the
content of the shipped profiles."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def routing_cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("routing-cache")


@pytest.fixture(autouse=True)
def _routing_cache(settings, routing_cache_dir):
    settings.ROUTING_CACHE_DIR = routing_cache_dir


def write_profile(directory: Path, acronym: str, body: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{acronym}.toml"
    path.write_text(textwrap.dedent(body).strip() + "\n", encoding="utf-8")
    return path


def profile_toml(acronym: str, summary: str, fields: list[str], problems: list[str]) -> str:
    def array(items: list[str]) -> str:
        return "[" + ", ".join(f'"{item}"' for item in items) + "]"

    return (
        f'acronym = "{acronym}"\nsummary = "{summary}"\n'
        f"fields = {array(fields)}\nproblems = {array(problems)}\n"
    )


# Three institutes described the way the real profiles are: technical fields, and problems in
# the words of the people who bring them (written for these tests).
TINY_PROFILES = {
    "KITECH": profile_toml(
        "KITECH",
        "뿌리기술과 제조 공정을 연구합니다.",
        ["사출 성형", "금형", "주조", "용접"],
        [
            "틀에서 뽑아낸 플라스틱 뚜껑 겉에 줄무늬가 생겨요.",
            "쇳물을 부어 만든 부품 속에 구멍이 생깁니다.",
            "용접한 자리가 자꾸 갈라집니다.",
        ],
    ),
    "KFRI": profile_toml(
        "KFRI",
        "식품 가공과 저장 기술을 연구합니다.",
        ["식품 가공", "저장 유통", "식품 포장"],
        [
            "만든 반찬이 하루도 안 돼서 시큼하게 상해 버려요.",
            "과자가 봉지 안에서 금방 눅눅해져요.",
            "떡이 하룻밤 지나면 딱딱하게 굳어요.",
        ],
    ),
    "ETRI": profile_toml(
        "ETRI",
        "정보통신과 인공지능 소프트웨어를 연구합니다.",
        ["무선 통신", "인공지능", "영상 처리"],
        [
            "창고 안쪽에서는 무선 신호가 자꾸 끊겨요.",
            "손님 얼굴을 찍지 않고 매장 안 사람 수를 세고 싶어요.",
            "말로 주문을 받는 기계를 만들고 싶어요.",
        ],
    ),
}


@pytest.fixture
def tiny_profiles(tmp_path, settings) -> Path:
    """Profiles for KITECH, KFRI and ETRI only (the other institutes have their reference
    fields), used by the recommender for the test."""
    directory = tmp_path / "profiles"
    for acronym, body in TINY_PROFILES.items():
        write_profile(directory, acronym, body)
    settings.ROUTING_PROFILES_DIR = directory
    return directory
