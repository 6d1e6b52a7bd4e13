"""Back up and restore a whole Dure installation: the database and the uploaded media files.

One archive (``.tar.gz``, or ``.zip`` when the name ends so) holds::

    manifest.json        format, created_at (Asia/Seoul), vendor, migration state, versions
    database.sqlite3     SQLite: a consistent copy made with SQLite's online backup API
    database.pgdump      PostgreSQL: ``pg_dump --format=custom``
    media/…              every file under ``MEDIA_ROOT``

Backups are taken online (the server may keep running: SQLite in WAL mode lets the backup API
read a consistent snapshot while others write; ``pg_dump`` reads one MVCC snapshot).

A restore checks everything it can before it touches anything — that the file is a Dure
backup, that it was made from the same database vendor, that its migration state is not newer
than this code, and that the dump is intact — and refuses with a ``BackupError`` otherwise.
Then it replaces the database (SQLite: backup API into the live connection; PostgreSQL:
``pg_restore --clean --if-exists --no-owner`` in one transaction), makes sure the append-only
triggers on the audit tables (and the ledger's, see ``append_only.TRIGGER_MODULES``) exist, and
swaps the media directory for the archived one.

The archive holds personal data: it is written with mode 0600.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import io
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import tarfile
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any
from zoneinfo import ZoneInfo

import django
from django.conf import settings
from django.db import connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

from .append_only import all_create_statements

FORMAT = "dure-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA_PREFIX = "media/"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
SUPPORTED_VENDORS = tuple(DATABASE_FILES)
SEOUL = ZoneInfo("Asia/Seoul")
_CHUNK = 1024 * 1024
_SQLITE_PAGES_PER_STEP = 1024
_SQLITE_MAX_RESTARTS = 3
_SQLITE_MAX_WAITS = 240  # × 250 ms
LOCK_TIMEOUT_MS = 60_000

# progress(step, done, total): step is "database", "media" or "archive"; total 0 = unknown.
Progress = Callable[[str, int, int], None]


class BackupError(Exception):
    """A backup or restore refused or failed; ``code`` is stable, the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: dict[str, Any]
    archive_bytes: int
    skipped_media: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True)
class RestoreResult:
    path: Path
    manifest: dict[str, Any]
    media_files: int
    media_bytes: int
    dropped_tables: list[str] = field(default_factory=list)
    pending_migrations: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _noop(step: str, done: int, total: int) -> None:
    return None


# --- Public API ----------------------------------------------------------------------------------


def backup_create(
    *,
    path: str | os.PathLike[str],
    overwrite: bool = False,
    using: str = "default",
    progress: Progress | None = None,
) -> BackupResult:
    """Write one archive with the manifest, a consistent database dump and all media files."""
    started = time.monotonic()
    report = progress or _noop
    target = Path(path).expanduser().absolute()
    if target.exists() and not overwrite:
        raise BackupError("exists", _("%(path)s 파일이 이미 있습니다.") % {"path": target})
    if not target.parent.is_dir():
        raise BackupError("no_directory", _("%(path)s 폴더가 없습니다.") % {"path": target.parent})
    connection = connections[using]
    vendor = connection.vendor
    _check_vendor(vendor)
    media_root = Path(settings.MEDIA_ROOT)

    with tempfile.TemporaryDirectory(prefix=".dure-backup-", dir=target.parent) as tmp:
        work = Path(tmp)
        dump = work / DATABASE_FILES[vendor]
        # The migration state is read before the dump: a migration applied meanwhile can only
        # make the dump newer than the manifest says, never older than the code expects.
        migrations = applied_migrations(using=using)
        if vendor == "sqlite":
            _sqlite_dump(connection, dump, report)
        else:
            _postgres_dump(connection, dump, report)
        # (Not our own work files, should the backup be written inside MEDIA_ROOT.)
        media = [m for m in _media_files(media_root) if work not in m[1].parents]
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": timezone.now().astimezone(SEOUL).isoformat(),
            "dure_version": _dure_version(),
            "django_version": django.get_version(),
            "database": {
                "vendor": vendor,
                "file": dump.name,
                "bytes": dump.stat().st_size,
                "sha256": _sha256(dump),
                "server_version": _server_version(connection),
            },
            "migrations": migrations,
            "media": {"files": len(media), "bytes": sum(size for _rel, _abs, size in media)},
        }
        partial = work / "archive.part"
        skipped: list[str] = []
        with _ArchiveWriter.open(partial, zip_format=target.suffix.lower() == ".zip") as archive:
            archive.add_bytes(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2).encode())
            total = dump.stat().st_size + manifest["media"]["bytes"]
            done = 0

            def advance(n: int) -> None:
                nonlocal done
                done += n
                report("archive", done, total)

            archive.add_file(dump.name, dump, advance)
            for rel, absolute, _size in media:
                try:
                    archive.add_file(MEDIA_PREFIX + rel, absolute, advance)
                except FileNotFoundError:  # deleted while we were backing up
                    skipped.append(rel)
        os.chmod(partial, stat.S_IRUSR | stat.S_IWUSR)
        os.replace(partial, target)
    return BackupResult(
        path=target,
        manifest=manifest,
        archive_bytes=target.stat().st_size,
        skipped_media=skipped,
        seconds=time.monotonic() - started,
    )


def backup_inspect(*, path: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of a Dure backup (raises ``BackupError("not_a_backup")`` otherwise)."""
    with _ArchiveReader.open(Path(path)) as archive:
        return archive.manifest


def backup_restore(
    *,
    path: str | os.PathLike[str],
    using: str = "default",
    progress: Progress | None = None,
) -> RestoreResult:
    """Replace the database and the media files with the contents of a Dure backup.

    Refuses — before changing anything — a file that is not a Dure backup, a backup of another
    database vendor, one whose migration state is newer than this code, or a damaged one.
    """
    started = time.monotonic()
    report = progress or _noop
    source = Path(path).expanduser().absolute()
    connection = connections[using]
    vendor = connection.vendor
    _check_vendor(vendor)
    media_root = Path(settings.MEDIA_ROOT)

    with _ArchiveReader.open(source) as archive:
        manifest = archive.manifest
        pending = _preflight(manifest, using=using)
        media_root.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".dure-restore-") as tmp:
            dump = Path(tmp) / DATABASE_FILES[vendor]
            archive.extract_database(dump, report)
            if vendor == "sqlite":
                _sqlite_check(dump, manifest)
            else:
                toc = _postgres_toc(connection, dump)
            staging = Path(tempfile.mkdtemp(prefix=".dure-media-restore-", dir=media_root.parent))
            try:
                media_files, media_bytes = archive.extract_media(staging, report)
                if connection.in_atomic_block:
                    raise BackupError(
                        "in_transaction",
                        _("트랜잭션 안에서는 데이터베이스를 복원할 수 없습니다."),
                    )
                # Everything has been checked: from here on the installation is replaced.
                dropped: list[str] = []
                if vendor == "sqlite":
                    _sqlite_restore(connection, dump, report)
                else:
                    dropped = _postgres_restore(connection, dump, toc, report)
                _ensure_append_only_triggers(connection)
                _swap_media(staging, media_root)
            finally:
                shutil.rmtree(staging, ignore_errors=True)

    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    return RestoreResult(
        path=source,
        manifest=manifest,
        media_files=media_files,
        media_bytes=media_bytes,
        dropped_tables=dropped,
        pending_migrations=pending,
        seconds=time.monotonic() - started,
    )


def backup_check(*, path: str | os.PathLike[str], using: str = "default") -> dict[str, Any]:
    """The manifest, if this backup could be restored here; else the refusal (``BackupError``).

    Reads only the manifest; the dump itself is checked when it is restored."""
    with _ArchiveReader.open(Path(path).expanduser().absolute()) as archive:
        _preflight(archive.manifest, using=using)
        return archive.manifest


def applied_migrations(*, using: str = "default") -> dict[str, list[str]]:
    """{app_label: [migration names applied in the database]}, sorted."""
    recorder = MigrationRecorder(connections[using])
    if not recorder.has_table():
        return {}
    out: dict[str, list[str]] = {}
    for app_label, name in recorder.applied_migrations():
        out.setdefault(app_label, []).append(name)
    return {app: sorted(names) for app, names in sorted(out.items())}


# --- Checks -------------------------------------------------------------------------------------


def _check_vendor(vendor: str) -> None:
    if vendor not in SUPPORTED_VENDORS:
        raise BackupError(
            "unsupported_vendor",
            _("%(vendor)s 데이터베이스의 백업은 지원하지 않습니다.") % {"vendor": vendor},
        )


def _preflight(manifest: dict[str, Any], *, using: str) -> list[str]:
    """Refuse another vendor's backup or a newer schema; return the migrations to apply."""
    vendor = connections[using].vendor
    _check_vendor(vendor)
    archived_vendor = manifest["database"]["vendor"]
    if archived_vendor != vendor:
        raise BackupError(
            "vendor_mismatch",
            _(
                "이 백업은 %(archive)s 데이터베이스의 것이라 %(current)s 데이터베이스에 "
                "복원할 수 없습니다."
            )
            % {"archive": archived_vendor, "current": vendor},
        )
    newer, pending = _compare_migrations(manifest["migrations"], using=using)
    if newer:
        raise BackupError(
            "newer_migrations",
            _(
                "백업의 데이터베이스 구조가 이 버전의 Dure보다 새롭습니다 "
                "(이 코드에 없는 마이그레이션: %(names)s). Dure를 업그레이드한 뒤 복원하세요."
            )
            % {"names": ", ".join(newer)},
        )
    return pending


def _compare_migrations(
    archived: dict[str, list[str]], *, using: str
) -> tuple[list[str], list[str]]:
    """(migrations in the backup this code does not know, code migrations the backup lacks)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known: set[tuple[str, str]] = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update(migration.replaces)
    # Rows left by apps no longer installed are tolerated when this database has them too.
    current = {(a, n) for a, names in applied_migrations(using=using).items() for n in names}
    applied = {(app, name) for app, names in archived.items() for name in names}
    newer = sorted(f"{a}.{n}" for a, n in applied - known - current)
    pending = sorted(
        f"{a}.{n}"
        for (a, n), migration in loader.disk_migrations.items()
        if (a, n) not in applied
        and not (migration.replaces and all(r in applied for r in migration.replaces))
    )
    return newer, pending


def _valid_manifest(data: Any) -> bool:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return False
    database = data.get("database")
    migrations = data.get("migrations")
    return (
        isinstance(data.get("format_version"), int)
        and isinstance(database, dict)
        and database.get("vendor") in SUPPORTED_VENDORS
        and database.get("file") == DATABASE_FILES[database["vendor"]]
        and isinstance(database.get("sha256"), str)
        and isinstance(migrations, dict)
        and all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(n, str) for n in v)
            for k, v in migrations.items()
        )
    )


# --- SQLite -------------------------------------------------------------------------------------


class _TooBusy(Exception):
    pass


def _sqlite_copy(
    source: sqlite3.Connection, target: sqlite3.Connection, step: str, report: Progress
) -> None:
    """Copy with the online backup API, reporting pages. A stepwise copy restarts whenever
    another connection writes; after a few restarts take the snapshot in one step instead.
    Gives up (rather than wait for ever) when the database stays locked."""
    state = {"remaining": -1, "restarts": 0, "waits": 0, "stepwise": True}
    (page_size,) = source.execute("PRAGMA page_size").fetchone()

    def on_step(status: int, remaining: int, total: int) -> None:
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            state["waits"] += 1  # sqlite3 sleeps 250 ms before it retries
            if state["waits"] > _SQLITE_MAX_WAITS:
                raise BackupError(
                    "busy", _("데이터베이스가 잠겨 있어 복사하지 못했습니다. 다시 시도하세요.")
                )
            return
        state["waits"] = 0
        if state["stepwise"] and 0 <= state["remaining"] < remaining:
            state["restarts"] += 1
            if state["restarts"] > _SQLITE_MAX_RESTARTS:
                raise _TooBusy
        state["remaining"] = remaining
        report(step, (total - remaining) * page_size, total * page_size)

    try:
        source.backup(target, pages=_SQLITE_PAGES_PER_STEP, progress=on_step)
    except _TooBusy:
        state["stepwise"] = False
        source.backup(target, pages=-1, progress=on_step)


def _sqlite_connect(dump: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A plain connection with Django's SQL functions (check constraints may use REGEXP …)."""
    if read_only:
        conn = sqlite3.connect(f"{dump.as_uri()}?mode=ro", uri=True)
    else:
        conn = sqlite3.connect(dump)
    try:
        from django.db.backends.sqlite3._functions import register
    except ImportError:  # pragma: no cover - a private module; REGEXP is what we need
        conn.create_function(
            "REGEXP",
            2,
            lambda pattern, value: (
                None if pattern is None or value is None else bool(re.search(pattern, str(value)))
            ),
            deterministic=True,
        )
    else:
        register(conn)
    return conn


def _sqlite_dump(connection: Any, dump: Path, report: Progress) -> None:
    if connection.is_in_memory_db():
        # Tests: only Django's own connection can reach the database, and SQLite cannot copy
        # from a connection that is in the middle of a write transaction.
        if connection.in_atomic_block:
            raise BackupError(
                "in_transaction",
                _("트랜잭션 안에서는 메모리 데이터베이스를 백업할 수 없습니다."),
            )
        connection.ensure_connection()
        source = connection.connection
    else:
        # A connection of our own reads the last committed state (WAL: while others write).
        source = sqlite3.connect(connection.settings_dict["NAME"], timeout=30)
    target = _sqlite_connect(dump)
    try:
        _sqlite_copy(source, target, "database", report)
        # A self-contained file (no -wal/-shm beside it), checked before it goes in the archive.
        target.execute("PRAGMA journal_mode=DELETE")
        (result,) = target.execute("PRAGMA quick_check").fetchone()
        if result != "ok":
            raise BackupError("corrupt", _("데이터베이스 사본 검사 실패: %(r)s") % {"r": result})
    finally:
        target.close()
        if source is not connection.connection:
            source.close()


def _sqlite_check(dump: Path, manifest: dict[str, Any]) -> None:
    try:
        source = _sqlite_connect(dump, read_only=True)
        try:
            (result,) = source.execute("PRAGMA quick_check").fetchone()
            rows = source.execute("SELECT app, name FROM django_migrations").fetchall()
        finally:
            source.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(
            "corrupt", _("백업의 데이터베이스가 손상되었습니다: %(e)s") % {"e": exc}
        ) from exc
    if result != "ok":
        raise BackupError(
            "corrupt", _("백업의 데이터베이스가 손상되었습니다: %(e)s") % {"e": result}
        )
    in_file = {(a, n) for a, n in rows}
    in_manifest = {(a, n) for a, names in manifest["migrations"].items() for n in names}
    if in_file != in_manifest:
        raise BackupError("corrupt", _("백업의 마이그레이션 기록이 매니페스트와 다릅니다."))


def _sqlite_restore(connection: Any, dump: Path, report: Progress) -> None:
    connection.ensure_connection()
    source = _sqlite_connect(dump, read_only=True)
    try:
        _sqlite_copy(source, connection.connection, "database", report)
    except sqlite3.OperationalError as exc:
        raise BackupError(
            "restore_failed", _("데이터베이스를 복원하지 못했습니다: %(e)s") % {"e": exc}
        ) from exc
    finally:
        source.close()


# --- PostgreSQL ---------------------------------------------------------------------------------


def _pg_env(connection: Any) -> dict[str, str]:
    """libpq environment for the configured database: the password never goes on argv."""
    params = connection.settings_dict
    env = dict(os.environ)
    for key, value in {
        "PGHOST": params.get("HOST"),
        "PGPORT": params.get("PORT"),
        "PGUSER": params.get("USER"),
        "PGPASSWORD": params.get("PASSWORD"),
        "PGDATABASE": params.get("NAME"),
    }.items():
        if value:
            env[key] = str(value)
        else:
            env.pop(key, None)
    options = params.get("OPTIONS") or {}
    for option, variable in (
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("sslcert", "PGSSLCERT"),
        ("sslkey", "PGSSLKEY"),
        ("passfile", "PGPASSFILE"),
        ("service", "PGSERVICE"),
    ):
        if options.get(option):
            env[variable] = str(options[option])
    env["PGCONNECT_TIMEOUT"] = env.get("PGCONNECT_TIMEOUT", "10")
    return env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            "tool_missing",
            _("%(tool)s 명령을 찾을 수 없습니다 (PostgreSQL 클라이언트를 설치하세요).")
            % {"tool": name},
        )
    return found


def _pg_run(args: list[str], env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # noqa: S603 - fixed tool and flags; no shell, secrets in env only
        args, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()[-2000:]
        raise BackupError(
            code,
            _("%(tool)s 실행 실패: %(detail)s") % {"tool": Path(args[0]).name, "detail": detail},
        )
    return result


def _postgres_dump(connection: Any, dump: Path, report: Progress) -> None:
    report("database", 0, 0)
    _pg_run(
        [_pg_tool("pg_dump"), "--format=custom", "--no-password", f"--file={dump}"],
        _pg_env(connection),
        "dump_failed",
    )
    size = dump.stat().st_size
    report("database", size, size)


_TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (\S+) (\S+) ")


def _postgres_toc(connection: Any, dump: Path) -> set[str]:
    """Tables in a custom-format dump (``pg_restore --list`` also proves the dump readable)."""
    result = subprocess.run(  # noqa: S603 - fixed tool and flags, no shell
        [_pg_tool("pg_restore"), "--list", str(dump)],
        env=_pg_env(connection),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(
            "corrupt",
            _("백업의 데이터베이스가 손상되었습니다: %(e)s") % {"e": result.stderr.strip()[-500:]},
        )
    tables: set[str] = set()
    for line in result.stdout.splitlines():
        match = _TOC_TABLE.match(line)
        if match:
            tables.add(match.group(2))
    if "django_migrations" not in tables:
        raise BackupError("corrupt", _("백업에 Dure 데이터베이스가 들어 있지 않습니다."))
    return tables


def _postgres_restore(connection: Any, dump: Path, toc: set[str], report: Progress) -> list[str]:
    report("database", 0, 0)
    # Tables of this code's models that the backup does not have (it predates a migration)
    # would keep restored tables from being dropped through their foreign keys: drop them
    # first. Tables that are not Dure's are left alone.
    current = set(connection.introspection.django_table_names(only_existing=True))
    extra = sorted(current - toc)
    if extra:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            for table in extra:
                cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE")
    # pg_restore needs exclusive locks: our own idle connection must not hold any, and a
    # session of the running server that holds one makes the restore fail, not hang.
    connection.close()
    env = _pg_env(connection)
    env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c lock_timeout={LOCK_TIMEOUT_MS}".strip()
    _pg_run(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={connection.settings_dict['NAME']}",
            str(dump),
        ],
        env,
        "restore_failed",
    )
    size = dump.stat().st_size
    report("database", size, size)
    return extra


def _server_version(connection: Any) -> str:
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        return sqlite3.sqlite_version
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return str(cursor.fetchone()[0])


def _ensure_append_only_triggers(connection: Any) -> None:
    """The audit tables refuse UPDATE and DELETE (and posted ledger rows any change); a restore
    must never lose that."""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for sql in all_create_statements(connection.vendor, tables):
            cursor.execute(sql)


# --- Media --------------------------------------------------------------------------------------


def _media_files(root: Path) -> Iterator[tuple[str, Path, int]]:
    """(relative posix path, absolute path, size) of every regular file, symlinks skipped."""
    if not root.is_dir():
        return
    for directory, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            absolute = Path(directory) / name
            with contextlib.suppress(FileNotFoundError):
                info = absolute.lstat()
                if stat.S_ISREG(info.st_mode):
                    yield absolute.relative_to(root).as_posix(), absolute, info.st_size


def _swap_media(staging: Path, media_root: Path) -> None:
    """Put the restored media in place of the current ones (a rename where possible)."""
    if media_root.is_symlink() or (media_root.is_dir() and os.path.ismount(media_root)):
        _replace_contents(staging, media_root)
    elif media_root.is_dir():
        mode = stat.S_IMODE(media_root.stat().st_mode)
        old = media_root.with_name(f".{media_root.name}-replaced-{os.getpid()}-{time.time_ns()}")
        try:
            media_root.rename(old)
        except OSError:
            _replace_contents(staging, media_root)
            return
        os.chmod(staging, mode)
        staging.rename(media_root)
        shutil.rmtree(old, ignore_errors=True)
    else:
        if media_root.exists():
            media_root.unlink()
        os.chmod(staging, 0o755)  # noqa: S103 - a media directory is served to the web
        staging.rename(media_root)


def _replace_contents(staging: Path, media_root: Path) -> None:
    """For a media root that cannot be renamed (a symlink or a mount point)."""
    for child in media_root.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    for child in staging.iterdir():
        shutil.move(str(child), media_root / child.name)


# --- Archives -----------------------------------------------------------------------------------


class _CountingReader(io.RawIOBase):
    def __init__(self, raw: IO[bytes], advance: Callable[[int], None]) -> None:
        self._raw = raw
        self._advance = advance

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        if data:
            self._advance(len(data))
        return data


class _ArchiveWriter:
    def __init__(self, path: Path, zip_format: bool) -> None:
        self._zip = zip_format
        if zip_format:
            self._zf = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True)
        else:
            self._tf = tarfile.open(path, "w:gz", compresslevel=6, format=tarfile.PAX_FORMAT)

    @classmethod
    @contextlib.contextmanager
    def open(cls, path: Path, *, zip_format: bool) -> Iterator[_ArchiveWriter]:
        writer = cls(path, zip_format)
        try:
            yield writer
        finally:
            (writer._zf if zip_format else writer._tf).close()

    def add_bytes(self, name: str, data: bytes) -> None:
        if self._zip:
            self._zf.writestr(name, data)
        else:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = int(time.time())
            info.mode = 0o600
            self._tf.addfile(info, io.BytesIO(data))

    def add_file(self, name: str, source: Path, advance: Callable[[int], None]) -> None:
        with open(source, "rb") as raw:
            size = os.fstat(raw.fileno()).st_size
            mtime = os.fstat(raw.fileno()).st_mtime
            if self._zip:
                zinfo = zipfile.ZipInfo(name, date_time=time.localtime(max(mtime, 315532800))[:6])
                zinfo.compress_type = zipfile.ZIP_DEFLATED
                zinfo.external_attr = 0o600 << 16
                with self._zf.open(zinfo, "w", force_zip64=True) as out:
                    _copy(raw, out, advance, limit=None)
            else:
                tinfo = tarfile.TarInfo(name)
                tinfo.size = size
                tinfo.mtime = int(mtime)
                tinfo.mode = 0o600
                # tarfile copies exactly tinfo.size bytes: a file that grows is cut, one that
                # shrinks meanwhile raises (and fails the backup rather than corrupt it).
                self._tf.addfile(tinfo, _CountingReader(raw, advance))


def _copy(
    source: IO[bytes], target: IO[bytes], advance: Callable[[int], None], limit: int | None
) -> int:
    copied = 0
    while limit is None or copied < limit:
        chunk = source.read(_CHUNK if limit is None else min(_CHUNK, limit - copied))
        if not chunk:
            break
        target.write(chunk)
        copied += len(chunk)
        advance(len(chunk))
    return copied


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _media_name(name: str) -> str | None:
    """The safe relative path of an archived media file, or None if the name is unsafe."""
    if not name.startswith(MEDIA_PREFIX) or "\\" in name or "\x00" in name:
        return None
    relative = PurePosixPath(name[len(MEDIA_PREFIX) :])
    if relative.is_absolute() or not relative.parts or ".." in relative.parts:
        return None
    return relative.as_posix()


class _ArchiveReader:
    """Read and check a backup archive; every member name is validated before any use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tf: tarfile.TarFile | None = None
        self._zf: zipfile.ZipFile | None = None
        self.manifest: dict[str, Any] = {}
        self._media: list[tuple[str, int]] = []

    def _not_a_backup(self, why: str = "") -> BackupError:
        message = _("%(path)s은(는) Dure 백업 파일이 아닙니다.") % {"path": self.path}
        return BackupError("not_a_backup", f"{message} {why}".strip())

    @classmethod
    @contextlib.contextmanager
    def open(cls, path: Path) -> Iterator[_ArchiveReader]:
        reader = cls(path)
        if not path.is_file():
            raise BackupError("missing", _("%(path)s 파일이 없습니다.") % {"path": path})
        try:
            if zipfile.is_zipfile(path):
                reader._zf = zipfile.ZipFile(path)
            elif tarfile.is_tarfile(path):
                reader._tf = tarfile.open(path, "r:*")
            else:
                raise reader._not_a_backup()
        except (OSError, tarfile.TarError, zipfile.BadZipFile, EOFError) as exc:
            raise reader._not_a_backup(str(exc)) from exc
        try:
            reader._load()
            yield reader
        finally:
            if reader._zf is not None:
                reader._zf.close()
            if reader._tf is not None:
                reader._tf.close()

    def _members(self) -> list[tuple[str, str, int]]:
        """(name, "file" | "dir" | "other", size) of every member."""
        try:
            if self._zf is not None:
                return [
                    (i.filename, "dir" if i.is_dir() else "file", i.file_size)
                    for i in self._zf.infolist()
                ]
            assert self._tf is not None  # noqa: S101
            return [
                (m.name, "file" if m.isreg() else "dir" if m.isdir() else "other", m.size)
                for m in self._tf.getmembers()
            ]
        except (OSError, tarfile.TarError, zipfile.BadZipFile, EOFError) as exc:
            raise self._not_a_backup(str(exc)) from exc

    @contextlib.contextmanager
    def _stream(self, name: str) -> Iterator[IO[bytes]]:
        """A member's bytes; damage found while reading is reported as a damaged backup."""
        try:
            if self._zf is not None:
                with self._zf.open(name) as zhandle:
                    yield zhandle
                return
            assert self._tf is not None  # noqa: S101
            thandle = self._tf.extractfile(name)
            if thandle is None:
                raise self._not_a_backup(name)
            with thandle:
                yield thandle
        except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error) as exc:
            raise BackupError(
                "corrupt", _("백업 파일이 손상되었습니다: %(e)s") % {"e": exc}
            ) from exc

    def _load(self) -> None:
        members = self._members()
        names = {name for name, kind, _size in members if kind == "file"}
        if MANIFEST not in names:
            raise self._not_a_backup(_("(매니페스트가 없습니다)"))
        with self._stream(MANIFEST) as handle:
            raw = handle.read(1024 * 1024 + 1)
        try:
            manifest = json.loads(raw.decode("utf-8")) if len(raw) <= 1024 * 1024 else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            manifest = None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise self._not_a_backup(_("(매니페스트를 읽을 수 없습니다)"))
        version = manifest.get("format_version")
        if isinstance(version, int) and version > FORMAT_VERSION:
            raise BackupError(
                "unsupported_format",
                _("이 백업의 형식(버전 %(v)s)은 이 버전의 Dure가 읽을 수 없습니다.")
                % {"v": version},
            )
        if not _valid_manifest(manifest):
            raise self._not_a_backup(_("(매니페스트가 올바르지 않습니다)"))
        database_file = manifest["database"]["file"]
        if database_file not in names:
            raise self._not_a_backup(_("(데이터베이스 사본이 없습니다)"))
        for name, kind, _size in members:
            if name in (MANIFEST, database_file):
                continue
            bare = name.rstrip("/")
            if kind == "dir" and (bare + "/" == MEDIA_PREFIX or _media_name(bare)):
                continue
            if kind != "file" or _media_name(name) is None:
                raise self._not_a_backup(_("(허용되지 않는 항목: %(n)s)") % {"n": name})
        self._media = [
            (name, size) for name, kind, size in members if kind == "file" and _media_name(name)
        ]
        self.manifest = manifest

    def extract_database(self, target: Path, report: Progress) -> None:
        database = self.manifest["database"]
        total = int(database.get("bytes") or 0)
        digest = hashlib.sha256()
        done = 0
        with self._stream(database["file"]) as source, open(target, "wb") as out:
            for chunk in iter(lambda: source.read(_CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
                done += len(chunk)
                report("extract", done, total)
        if digest.hexdigest() != database["sha256"]:
            raise BackupError(
                "corrupt", _("백업의 데이터베이스 사본이 손상되었습니다 (체크섬 불일치).")
            )

    def extract_media(self, staging: Path, report: Progress) -> tuple[int, int]:
        total = sum(size for _name, size in self._media)
        done = 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            report("media", done, total)

        report("media", 0, total)
        count = 0
        root = staging.resolve()
        for name, _size in self._media:
            relative = _media_name(name)
            assert relative is not None  # noqa: S101 - checked in _load
            target = (staging / relative).resolve()
            if root not in target.parents:
                raise self._not_a_backup(_("(허용되지 않는 항목: %(n)s)") % {"n": name})
            target.parent.mkdir(parents=True, exist_ok=True)
            with self._stream(name) as source, open(target, "wb") as out:
                _copy(source, out, advance, limit=None)
            count += 1
        return count, done


def _dure_version() -> str:
    try:
        return importlib.metadata.version("dure")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"
