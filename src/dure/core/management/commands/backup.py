"""``dure backup FILE``: the database and every uploaded file in one archive, taken online."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from dure.core.backup import BackupError, backup_create

STEP_LABELS = {
    "database": "데이터베이스",
    "extract": "백업 풀기",
    "media": "첨부 파일",
    "archive": "압축 파일 쓰기",
}


def console_for(command: BaseCommand) -> Console:
    # Django's OutputWrapper adds line endings; rich wants the raw stream.
    stream = cast(IO[str], getattr(command.stdout, "_out", command.stdout))
    return Console(file=stream, highlight=False, soft_wrap=True)


class ProgressDisplay:
    """Turns ``progress(step, done, total)`` calls into rich progress bars, one per step."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, step: str, done: int, total: int) -> None:
        if self._progress is None:
            return
        task = self._tasks.get(step)
        if task is None:
            task = self._progress.add_task(STEP_LABELS.get(step, step), total=total or None)
            self._tasks[step] = task
        self._progress.update(task, completed=done, total=total or None)


@contextlib.contextmanager
def progress_display(console: Console, *, enabled: bool) -> Iterator[ProgressDisplay]:
    if not enabled:
        yield ProgressDisplay(None)
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=not console.is_terminal,
    ) as progress:
        yield ProgressDisplay(progress)


def summary_table(title: str, rows: list[tuple[str, Any]]) -> Table:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("항목", style="bold")
    table.add_column("값")
    for key, value in rows:
        table.add_row(key, str(value))
    return table


class Command(BaseCommand):
    help = (
        "데이터베이스와 업로드된 파일 전체를 하나의 압축 파일(.tar.gz 또는 .zip)로 "
        "백업합니다. 서버가 실행 중이어도 됩니다."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="만들 백업 파일 (예: dure-2026-11-01.tar.gz)")
        parser.add_argument(
            "--overwrite", action="store_true", help="같은 이름의 파일이 있으면 덮어씁니다."
        )
        parser.add_argument("--database", default="default", help="백업할 데이터베이스 별칭")

    def handle(self, *args, **options):
        console = console_for(self)
        with progress_display(console, enabled=options["verbosity"] > 0) as display:
            try:
                result = backup_create(
                    path=options["file"],
                    overwrite=options["overwrite"],
                    using=options["database"],
                    progress=display,
                )
            except BackupError as exc:
                raise CommandError(exc.message) from exc
        if options["verbosity"] == 0:
            return
        manifest = result.manifest
        database = manifest["database"]
        rows = [
            ("파일", result.path),
            ("크기", filesizeformat(result.archive_bytes)),
            ("만든 시각", manifest["created_at"]),
            ("데이터베이스", f"{database['vendor']} {database['server_version']}"),
            ("데이터베이스 사본", filesizeformat(database["bytes"])),
            ("마이그레이션", sum(len(v) for v in manifest["migrations"].values())),
            (
                "첨부 파일",
                f"{manifest['media']['files']}개 ({filesizeformat(manifest['media']['bytes'])})",
            ),
            ("Dure 버전", manifest["dure_version"]),
            ("걸린 시간", f"{result.seconds:.1f}초"),
        ]
        if result.skipped_media:
            rows.append(("백업 중 사라진 파일", ", ".join(result.skipped_media)))
        console.print(summary_table("백업을 만들었습니다", rows))
        console.print("이 파일에는 개인정보가 들어 있습니다. 안전한 곳에 보관하세요.")
