"""`dure backup` / `dure restore`: a whole-installation round trip and the refusals.

Runs on the configured database: SQLite (pytest-django's in-memory test database, copied with
SQLite's backup API through Django's own connection) and, with ``DATABASE_URL`` set, PostgreSQL
(pg_dump / pg_restore in other processes, hence committed data and transactional tests).
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import io
import json
import sqlite3
import stat
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from dure.core import backup as backup_module
from dure.core.backup import (
    DATABASE_FILES,
    BackupError,
    applied_migrations,
    backup_check,
    backup_create,
    backup_inspect,
    backup_restore,
)

OTHER_VENDOR = {"sqlite": "postgresql", "postgresql": "sqlite"}
SEARCHES = ["기술융합", "협동조합 지원", "정밀 가공", "대전"]


# --- helpers -----------------------------------------------------------------------------------


def _value(value):
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return value


def database_snapshot() -> dict[str, list[tuple]]:
    """Every row of every table (all columns), plus the id counters: SQLite's sqlite_sequence
    and PostgreSQL's sequences. FTS5's shadow tables are compared too (the SQLite restore copies
    the file page by page, so even the index blobs must come back identical)."""
    out: dict[str, list[tuple]] = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 - introspected names
            rows = [tuple(_value(v) for v in row) for row in cursor.fetchall()]
            out[table] = sorted(rows, key=repr)
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, seq FROM sqlite_sequence")
            out["<sqlite_sequence>"] = sorted(cursor.fetchall())
        else:
            cursor.execute(
                "SELECT schemaname, sequencename, last_value FROM pg_sequences ORDER BY 1, 2"
            )
            out["<sequences>"] = cursor.fetchall()
    return out


def differing_tables(before: dict, after: dict) -> list[str]:
    return sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))


def search_snapshot() -> dict[str, list[tuple]]:
    from dure.search.services import search

    return {
        query: [(h.kind, h.object_id, h.title, h.score) for h in search(query=query).hits]
        for query in SEARCHES
    }


def media_snapshot(root: Path) -> dict[str, bytes]:
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def trigger_names() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        return {row[0] for row in cursor.fetchall()}


def assert_audit_tables_refuse_update_and_delete() -> None:
    for table in ("core_auditevent", "core_personaldataaccess"):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
            assert cursor.fetchone()[0] > 0, f"{table} needs rows for the trigger to fire"
        for sql in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):  # noqa: S608
            with pytest.raises(DatabaseError, match="append-only"):
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(sql)


def rewrite_archive(
    source: Path, target: Path, *, manifest=None, rename=None, replace=None, extra=None
) -> Path:
    """Copy a tar.gz backup, changing its manifest (a function), renaming or replacing members,
    or adding (name, bytes) members — to fabricate foreign, newer and damaged backups."""
    rename = rename or {}
    replace = replace or {}
    with tarfile.open(source) as src, tarfile.open(target, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name == "manifest.json" and manifest is not None:
                data = json.dumps(manifest(json.loads(data))).encode()
            data = replace.get(member.name, data)
            info = tarfile.TarInfo(rename.get(member.name, member.name))
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
        for name, data in extra or []:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    return target


def seed_media(root: Path) -> None:
    (root / "첨부" / "2026").mkdir(parents=True)
    (root / "첨부" / "2026" / "회의록 1차.txt").write_text("1차 회의록", encoding="utf-8")
    (root / "logo.png").write_bytes(bytes(range(256)) * 64)


def load_reference_and_demo() -> None:
    # Transactional tests start from whatever the previous one left (flushed, usually).
    from dure.core.demo import load_all_demo
    from dure.directory.reference import load_all

    load_all()
    load_all_demo()


# --- the round trip ----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".tar.gz", ".zip"])
@pytest.mark.django_db(transaction=True)
def test_restore_brings_back_every_table_row_search_result_and_media_file(
    suffix, tmp_path, settings
):
    from dure.accounts.models import ApiToken, User
    from dure.accounts.services import api_token_create, consent_record
    from dure.core.audit import audit_record, personal_data_access_record
    from dure.directory.models import MOU, Membership, Organisation
    from dure.directory.search_index import KIND
    from dure.search.services import index_object

    # Given a populated installation with audit rows, tokens and uploaded files
    load_reference_and_demo()
    admin = User.objects.get(username="admin")
    researcher = User.objects.get(username="researcher")
    consent_record(user=researcher)
    api_token_create(user=researcher, name="통계 연동")
    personal_data_access_record(
        actor=admin, via="page", subject=researcher, fields=["phone"], purpose="기술 상담"
    )
    mou = MOU.objects.order_by("pk").first()
    mou.attachment.save("협약서.pdf", ContentFile(b"%PDF-1.4 demo"), save=True)
    media_root = Path(settings.MEDIA_ROOT)
    seed_media(media_root)
    rows_before = database_snapshot()
    search_before = search_snapshot()
    media_before = media_snapshot(media_root)
    assert search_before["기술융합"], "the demo data should be searchable"
    assert len(media_before) == 3

    # When it is backed up
    archive = tmp_path / f"dure{suffix}"
    out = io.StringIO()
    call_command("backup", str(archive), stdout=out)
    assert "백업을 만들었습니다" in out.getvalue()
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600

    # … and then changed in every way: rows updated, deleted and added, index and files changed
    fusion = Organisation.objects.get(name="기술융합협동조합")
    fusion.name = "이름을 바꾼 조합"
    fusion.save()
    index_object(KIND, fusion)
    Membership.objects.all().delete()
    MOU.objects.filter(pk=mou.pk).delete()
    ApiToken.objects.all().delete()
    User.objects.create_user(username="newcomer", email="new@example.kr", password="x")
    audit_record(actor=admin, action="after.backup", obj=admin)
    (media_root / "첨부" / "2026" / "회의록 1차.txt").write_text("고친 내용", encoding="utf-8")
    (media_root / "logo.png").unlink()
    (media_root / "backup-후-추가.txt").write_text("new", encoding="utf-8")
    assert differing_tables(rows_before, database_snapshot())
    assert search_snapshot() != search_before

    # … and restored
    out = io.StringIO()
    call_command("restore", str(archive), interactive=False, stdout=out)
    assert "복원했습니다" in out.getvalue()

    # Then every table, every search result and every file is as it was at backup time
    rows_after = database_snapshot()
    assert differing_tables(rows_before, rows_after) == []
    assert search_snapshot() == search_before
    assert media_snapshot(media_root) == media_before
    assert MOU.objects.get(pk=mou.pk).attachment.read() == b"%PDF-1.4 demo"
    # … and the audit logs are still append-only in the database itself
    assert {
        name for name in trigger_names() if name.startswith(("core_auditevent", "core_personal"))
    } == (
        {
            "core_auditevent_no_update",
            "core_auditevent_no_delete",
            "core_personaldataaccess_no_update",
            "core_personaldataaccess_no_delete",
        }
        if connection.vendor == "sqlite"
        else {"core_auditevent_no_change", "core_personaldataaccess_no_change"}
    )
    assert_audit_tables_refuse_update_and_delete()
    # … and the application works on the restored database
    assert User.objects.filter(username="newcomer").exists() is False
    audit_record(actor=admin, action="after.restore", obj=admin)


@pytest.mark.django_db(transaction=True)
def test_restore_into_an_empty_media_root_and_back_up_without_media(tmp_path, settings):
    media_root = Path(settings.MEDIA_ROOT)
    assert not media_root.exists()
    result = backup_create(path=tmp_path / "nomedia.tar.gz")
    assert result.manifest["media"] == {"files": 0, "bytes": 0}
    seed_media(media_root)

    restored = backup_restore(path=tmp_path / "nomedia.tar.gz")

    assert restored.media_files == 0
    assert media_snapshot(media_root) == {}
    assert media_root.is_dir()


@pytest.mark.django_db(transaction=True)
def test_a_symlinked_media_root_stays_a_symlink_with_the_restored_files(tmp_path, settings):
    real = tmp_path / "storage" / "media"
    real.mkdir(parents=True)
    link = tmp_path / "media-link"
    link.symlink_to(real, target_is_directory=True)
    settings.MEDIA_ROOT = link
    seed_media(link)
    backup_create(path=tmp_path / "b.zip")
    (link / "logo.png").unlink()
    (link / "new" / "x.txt").parent.mkdir()
    (link / "new" / "x.txt").write_text("x")

    backup_restore(path=tmp_path / "b.zip")

    assert link.is_symlink() and link.resolve() == real.resolve()
    assert sorted(media_snapshot(real)) == ["logo.png", "첨부/2026/회의록 1차.txt"]


@pytest.mark.django_db(transaction=True)
def test_a_backup_written_inside_the_media_root_does_not_swallow_its_own_work_files(
    tmp_path, settings
):
    media_root = Path(settings.MEDIA_ROOT)
    seed_media(media_root)

    result = backup_create(path=media_root / "backup.tar.gz")

    assert result.manifest["media"]["files"] == 2
    with tarfile.open(result.path) as archive:
        assert not [n for n in archive.getnames() if ".dure-backup-" in n]


# --- manifest and archive ----------------------------------------------------------------------
# Backups of pytest-django's in-memory SQLite database can only be taken outside a transaction
# (and pg_dump only sees committed data), so these tests are transactional too.


@pytest.mark.django_db(transaction=True)
def test_backup_manifest_describes_format_time_vendor_migrations_and_versions(tmp_path, settings):
    seed_media(Path(settings.MEDIA_ROOT))
    progress: list[tuple[str, int, int]] = []

    result = backup_create(path=tmp_path / "b.tar.gz", progress=lambda *args: progress.append(args))

    manifest = backup_inspect(path=result.path)
    assert manifest == result.manifest
    assert manifest["format"] == "dure-backup"
    assert manifest["format_version"] == 1
    created = dt.datetime.fromisoformat(manifest["created_at"])
    assert created.utcoffset() == dt.timedelta(hours=9)  # Asia/Seoul, aware
    assert abs(created - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["database"]["file"] == DATABASE_FILES[connection.vendor]
    assert manifest["migrations"] == applied_migrations()
    assert "0002_append_only_triggers" in manifest["migrations"]["core"]
    assert manifest["dure_version"] == importlib.metadata.version("dure")
    assert manifest["media"] == {"files": 2, "bytes": len("1차 회의록".encode()) + 256 * 64}
    with tarfile.open(result.path) as archive:
        names = archive.getnames()
    assert names[0] == "manifest.json"
    assert sorted(names[1:]) == sorted(
        [
            DATABASE_FILES[connection.vendor],
            "media/logo.png",
            "media/첨부/2026/회의록 1차.txt",
        ]
    )
    assert {step for step, _done, _total in progress} >= {"database", "archive"}


@pytest.mark.django_db(transaction=True)
def test_backup_refuses_to_overwrite_an_existing_file_unless_asked(tmp_path):
    target = tmp_path / "b.tar.gz"
    target.write_bytes(b"precious")
    with pytest.raises(BackupError) as refused:
        backup_create(path=target)
    assert refused.value.code == "exists"
    assert target.read_bytes() == b"precious"
    with pytest.raises(CommandError, match="이미 있습니다"):
        call_command("backup", str(target), stdout=io.StringIO())

    backup_create(path=target, overwrite=True)
    assert backup_inspect(path=target)["format"] == "dure-backup"


# --- refusals: nothing may change --------------------------------------------------------------
# Transactional, so that a backup wrongly accepted would really be restored and be noticed.


@pytest.fixture
def valid_backup(transactional_db, tmp_path):
    """A real backup; afterwards the database gets rows the backup does not have."""
    from dure.accounts.models import User
    from dure.core.audit import audit_record

    path = backup_create(path=tmp_path / "valid.tar.gz").path
    user = User.objects.create_user(username="after-backup", email="a@example.kr")
    audit_record(actor=user, action="after.backup", obj=user)
    return path


@pytest.fixture
def untouched(transactional_db, settings):
    """Asserts, after the test, that neither the database nor the media files changed."""
    media_root = Path(settings.MEDIA_ROOT)
    seed_media(media_root)
    rows, media = database_snapshot(), media_snapshot(media_root)
    yield
    assert differing_tables(rows, database_snapshot()) == []
    assert media_snapshot(media_root) == media


def refused(path: Path, code: str) -> BackupError:
    with pytest.raises(BackupError) as caught:
        backup_restore(path=path)
    assert caught.value.code == code, caught.value.message
    with pytest.raises(CommandError):
        call_command("restore", str(path), interactive=False, stdout=io.StringIO())
    return caught.value


def test_restore_refuses_a_garbage_file(tmp_path, untouched):
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(bytes(range(256)) * 40)
    error = refused(garbage, "not_a_backup")
    assert "Dure 백업 파일이 아닙니다" in error.message


def test_restore_refuses_an_archive_without_a_dure_manifest(valid_backup, tmp_path, untouched):
    plain = tmp_path / "photos.zip"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("photo.jpg", b"\xff\xd8")
    refused(plain, "not_a_backup")
    other = rewrite_archive(
        valid_backup, tmp_path / "other.tar.gz", manifest=lambda m: {**m, "format": "other"}
    )
    refused(other, "not_a_backup")
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(valid_backup.read_bytes()[:2000])
    refused(truncated, "not_a_backup")


def test_restore_refuses_a_missing_file(tmp_path, untouched):
    refused(tmp_path / "nowhere.tar.gz", "missing")


def test_restore_refuses_a_backup_of_another_database_vendor(valid_backup, tmp_path, untouched):
    other = OTHER_VENDOR[connection.vendor]
    ours = DATABASE_FILES[connection.vendor]
    foreign = rewrite_archive(
        valid_backup,
        tmp_path / "foreign.tar.gz",
        manifest=lambda m: {
            **m,
            "database": {**m["database"], "vendor": other, "file": DATABASE_FILES[other]},
        },
        rename={ours: DATABASE_FILES[other]},
    )
    error = refused(foreign, "vendor_mismatch")
    assert other in error.message and connection.vendor in error.message
    with pytest.raises(BackupError, match=other):
        backup_check(path=foreign)


def test_restore_refuses_a_backup_with_newer_migrations(valid_backup, tmp_path, untouched):
    def from_the_future(manifest):
        migrations = dict(manifest["migrations"])
        migrations["accounts"] = [*migrations["accounts"], "0099_from_the_future"]
        return {**manifest, "migrations": migrations}

    newer = rewrite_archive(valid_backup, tmp_path / "newer.tar.gz", manifest=from_the_future)
    error = refused(newer, "newer_migrations")
    assert "accounts.0099_from_the_future" in error.message


def test_restore_refuses_a_damaged_database_dump(valid_backup, tmp_path, untouched):
    name = DATABASE_FILES[connection.vendor]
    with tarfile.open(valid_backup) as archive:
        data = bytearray(archive.extractfile(name).read())
    data[len(data) // 2] ^= 0xFF
    damaged = rewrite_archive(valid_backup, tmp_path / "damaged.tar.gz", replace={name: data})
    refused(damaged, "corrupt")


def test_restore_refuses_unsafe_member_names(valid_backup, tmp_path, untouched):
    evil = rewrite_archive(
        valid_backup, tmp_path / "evil.tar.gz", extra=[("media/../../escaped.txt", b"x")]
    )
    refused(evil, "not_a_backup")
    assert not (tmp_path / "escaped.txt").exists()
    absolute = rewrite_archive(
        valid_backup, tmp_path / "abs.tar.gz", extra=[("/etc/dure-absolute.txt", b"x")]
    )
    refused(absolute, "not_a_backup")


def test_restore_refuses_to_run_inside_a_transaction(valid_backup, untouched):
    with pytest.raises(BackupError) as caught, transaction.atomic():
        backup_restore(path=valid_backup)
    assert caught.value.code == "in_transaction"


def test_restore_command_asks_for_confirmation(valid_backup, untouched, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="취소"):
        call_command("restore", str(valid_backup), stdout=io.StringIO())


# --- migrations and online copies --------------------------------------------------------------


@pytest.mark.django_db
def test_an_older_backup_is_accepted_and_its_missing_migrations_reported():
    applied = applied_migrations()
    older = {**applied, "core": [n for n in applied["core"] if n != "0002_append_only_triggers"]}

    newer, pending = backup_module._compare_migrations(older, using="default")

    assert newer == []
    assert pending == ["core.0002_append_only_triggers"]
    assert backup_module._compare_migrations(applied, using="default") == ([], [])


def test_sqlite_online_copy_is_consistent_while_another_connection_writes(tmp_path, monkeypatch):
    """The server keeps writing (WAL mode) while the backup API copies the database; small
    steps make the copy restart on every write until it falls back to a one-step snapshot."""
    monkeypatch.setattr(backup_module, "_SQLITE_PAGES_PER_STEP", 4)
    live = tmp_path / "live.sqlite3"
    setup = sqlite3.connect(live, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, pair INTEGER NOT NULL, pad TEXT)")
    setup.execute(
        "INSERT INTO t (pair, pad) SELECT 0, printf('%.500c', 'x') FROM json_each(?)",
        [json.dumps([0] * 2000)],
    )
    stop = threading.Event()
    writes = 0

    def writer():
        nonlocal writes
        conn = sqlite3.connect(live, isolation_level=None, timeout=10)
        while not stop.is_set():
            # Two rows per transaction: a consistent copy never has an odd count.
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t (pair) VALUES (?), (?)", [writes, writes])
            conn.execute("COMMIT")
            writes += 1
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while writes < 10:
            stop.wait(0.01)
        source = sqlite3.connect(live, isolation_level=None)
        target = sqlite3.connect(tmp_path / "copy.sqlite3")
        steps: list[tuple[int, int]] = []
        backup_module._sqlite_copy(
            source, target, "database", lambda step, done, total: steps.append((done, total))
        )
    finally:
        stop.set()
        thread.join()
    assert target.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    (count,) = target.execute("SELECT count(*) FROM t").fetchone()
    assert count >= 2000 + 20
    assert count % 2 == 0
    assert steps
