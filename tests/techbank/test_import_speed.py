"""What makes the importer fast, asserted as behaviour (never as time): a batch of rows is
analysed in at most one Kiwi call, words seen before are not analysed again, and the documents
a batch import writes are exactly those one-by-one indexing would write."""

from __future__ import annotations

import csv

import pytest

from dure.search import analysis
from dure.search.models import SearchDocument
from dure.search.services import reindex
from dure.techbank.importers import import_file
from dure.techbank.models import Technology

pytestmark = pytest.mark.django_db

HEADER = ["출원번호", "발명의 명칭", "요약", "IPC", "출원인", "등록상태"]


def rows(n: int, start: int = 0) -> list[list[str]]:
    return [
        [
            f"10-2021-{8_100_000 + start + i:07d}",
            f"누수 위치 탐지 장치 {i} (Leak Locator {i})",
            f"본 발명은 상수도 배관의 누수음을 감지하여 누수 위치를 찾는 장치에 관한 것이다. "
            f"센서 {i}번은 B23K 9/16 용접부 근처에 설치된다.",
            "G01M 3/24",
            "한국생산기술연구원",
            "등록",
        ]
        for i in range(n)
    ]


def write(path, data) -> str:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(data)
    return str(path)


@pytest.fixture
def kiwi_calls(monkeypatch):
    """Count the Kiwi calls and the texts each one analysed."""
    calls: list[int] = []
    real = analysis.kiwi()

    class Counting:
        def tokenize(self, text, *args, **kwargs):
            calls.append(1 if isinstance(text, str) else len(text))
            return real.tokenize(text, *args, **kwargs)

    monkeypatch.setattr(analysis, "kiwi", lambda: Counting())
    analysis.clear_cache()
    return calls


def test_a_batch_is_analysed_in_one_kiwi_call_and_known_words_never_again(tmp_path, kiwi_calls):
    report = import_file(kind="technologies", path=write(tmp_path / "a.csv", rows(40)))
    assert report.created == 40
    # 40 titles and 40 bodies: one batch of their words, and one of the few words read
    # again as bare nouns (see analysis._bare_nouns)
    assert len(kiwi_calls) <= 2
    first_words = kiwi_calls[0]
    assert sum(kiwi_calls[1:]) < first_words
    kiwi_calls.clear()
    # 40 more rows of the same kind of text: only the words not seen before go to Kiwi
    report = import_file(kind="technologies", path=write(tmp_path / "b.csv", rows(40, 40)))
    assert report.created == 40
    assert len(kiwi_calls) <= 2
    assert sum(kiwi_calls) < first_words


def test_bulk_import_writes_the_same_documents_as_one_by_one_indexing(tmp_path):
    import_file(kind="technologies", path=write(tmp_path / "a.csv", rows(12)))
    ids = list(
        Technology.objects.filter(application_number__startswith="10-2021-81").values_list(
            "pk", flat=True
        )
    )
    assert len(ids) == 12

    def documents():
        return {
            d.object_id: (d.title, d.title_tokens, d.body_tokens, d.filters)
            for d in SearchDocument.objects.filter(kind="technology", object_id__in=ids)
        }

    imported = documents()
    analysis.clear_cache()
    reindex(kinds=["technology"])
    assert documents() == imported
    # the identifiers of the rows are searchable tokens
    some = next(iter(imported.values()))
    assert "g01m3g24" in some[2]
    assert "b23k9g16" in some[2]
