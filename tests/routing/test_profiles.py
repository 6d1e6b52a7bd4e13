"""Loading and checking the institute profiles."""

from __future__ import annotations

import pytest

from dure.routing.profiles import ProfileError, load_institutes, reference_institutes

from .conftest import TINY_PROFILES, profile_toml, write_profile

GOOD = profile_toml("KITECH", "소개.", ["주조", "금형"], ["주물에 구멍이 생겨요."])


def test_every_reference_institute_is_routable_with_or_without_a_profile(tmp_path):
    # given
    write_profile(tmp_path, "KITECH", GOOD)
    # when
    institutes = load_institutes(tmp_path)
    # then
    assert [i.acronym for i in institutes] == [r.acronym for r in reference_institutes()]
    by_acronym = {i.acronym: i for i in institutes}
    assert by_acronym["KITECH"].has_profile
    assert by_acronym["KITECH"].problems == ("주물에 구멍이 생겨요.",)
    assert by_acronym["KITECH"].all_fields[0] == "뿌리기술"  # reference fields first
    assert "금형" in by_acronym["KITECH"].all_fields
    assert not by_acronym["KFRI"].has_profile
    assert by_acronym["KFRI"].reference_fields  # the reference fields_ko still count


def test_affiliated_institutes_are_separate_institutes(tmp_path):
    institutes = {i.acronym: i for i in load_institutes(tmp_path)}
    assert institutes["WiKim"].affiliated_to == "KFRI"
    assert institutes["NSR"].affiliated_to == "ETRI"
    assert institutes["KIT"].affiliated_to == "KRICT"
    assert {"WiKim", "KFRI", "NSR", "ETRI", "KIT", "KRICT"} <= set(institutes)


@pytest.mark.parametrize(
    ("file_name", "body", "message"),
    [
        ("KITEC.toml", GOOD.replace("KITECH", "KITEC"), "unknown institute acronym 'KITEC'"),
        ("kitech.toml", GOOD.replace("KITECH", "kitech"), "unknown institute acronym 'kitech'"),
        ("KITECH.toml", GOOD.replace('acronym = "KITECH"', 'acronym = "KIMS"'), "does not match"),
        (
            "KITECH.toml",
            GOOD.replace('["주물에 구멍이 생겨요."]', "[]"),
            "'problems' must not be empty",
        ),
        ("KITECH.toml", GOOD.replace('["주조", "금형"]', "[]"), "'fields' must not be empty"),
        ("KITECH.toml", GOOD.replace('["주조", "금형"]', '["주조", ""]'), "'fields' item 2"),
        ("KITECH.toml", GOOD.replace('["주조", "금형"]', '["주조", 3]'), "'fields' item 2"),
        ("KITECH.toml", GOOD.replace('["주조", "금형"]', '"주조"'), "'fields' must be a list"),
        ("KITECH.toml", GOOD.replace('summary = "소개."', 'summary = " "'), "'summary'"),
        ("KITECH.toml", GOOD.replace('summary = "소개."\n', ""), "missing summary"),
        ("KITECH.toml", GOOD + 'problem = ["오타"]\n', "unknown keys problem"),
        ("KITECH.toml", GOOD + "fields = [\n", "not valid TOML"),
    ],
)
def test_a_bad_profile_is_refused_with_a_clear_error(tmp_path, file_name, body, message):
    # given
    (tmp_path / file_name).write_text(body, encoding="utf-8")
    # when / then
    with pytest.raises(ProfileError) as excinfo:
        load_institutes(tmp_path)
    assert message in str(excinfo.value)
    assert file_name in str(excinfo.value)


def test_a_profile_that_is_not_utf8_is_refused(tmp_path):
    (tmp_path / "KITECH.toml").write_bytes(GOOD.encode("euc-kr"))
    with pytest.raises(ProfileError, match="not UTF-8"):
        load_institutes(tmp_path)


def test_repeated_items_count_once_and_whitespace_is_normalised(tmp_path):
    write_profile(
        tmp_path,
        "KFRI",
        profile_toml(
            "KFRI", "식품  연구.", ["김치", "김치", " 발효 "], ["떡이  굳어요.", "떡이 굳어요."]
        ),
    )
    kfri = {i.acronym: i for i in load_institutes(tmp_path)}["KFRI"]
    assert kfri.fields == ("김치", "발효")
    assert kfri.problems == ("떡이 굳어요.",)
    assert kfri.summary == "식품 연구."


def test_files_other_than_toml_are_ignored(tmp_path):
    write_profile(tmp_path, "KITECH", GOOD)
    (tmp_path / "README.md").write_text("notes", encoding="utf-8")
    (tmp_path / ".KIMS.toml.swp").write_text("junk", encoding="utf-8")
    assert sum(i.has_profile for i in load_institutes(tmp_path)) == 1


def test_a_missing_profiles_directory_means_reference_fields_only(tmp_path):
    institutes = load_institutes(tmp_path / "nowhere")
    assert len(institutes) == len(reference_institutes())
    assert not any(i.has_profile for i in institutes)


def test_the_test_profile_set_is_valid(tiny_profiles):
    institutes = load_institutes(tiny_profiles)
    assert {i.acronym for i in institutes if i.has_profile} == set(TINY_PROFILES)


def test_the_shipped_profiles_are_valid():
    """Whatever profiles the repository has must load (their content is not tested here)."""
    institutes = load_institutes()
    assert len(institutes) == len(reference_institutes())
