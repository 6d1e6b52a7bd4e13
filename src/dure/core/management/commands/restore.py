"""``dure restore FILE``: replace the database and the uploaded files with a Dure backup."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat

from dure.core.backup import BackupError, backup_check, backup_restore

from .backup import console_for, progress_display, summary_table


class Command(BaseCommand):
    help = (
        "`dure backup`으로 만든 백업에서 데이터베이스와 업로드된 파일을 복원합니다. "
        "현재 데이터는 모두 백업의 내용으로 바뀝니다."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="복원할 백업 파일")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="확인 질문 없이 복원합니다.",
        )
        parser.add_argument("--database", default="default", help="복원할 데이터베이스 별칭")

    def handle(self, *args, **options):
        console = console_for(self)
        try:
            manifest = backup_check(path=options["file"], using=options["database"])
        except BackupError as exc:
            raise CommandError(exc.message) from exc
        if options["interactive"]:
            console.print(
                f"{manifest['created_at']}에 만든 백업({manifest['database']['vendor']})으로 "
                "현재 데이터베이스와 첨부 파일을 모두 바꿉니다."
            )
            try:
                answer = input("계속하려면 'yes'를 입력하세요: ")
            except EOFError:
                console.print()
                answer = ""
            if answer.strip().lower() != "yes":
                raise CommandError("복원을 취소했습니다.")
        with progress_display(console, enabled=options["verbosity"] > 0) as display:
            try:
                result = backup_restore(
                    path=options["file"], using=options["database"], progress=display
                )
            except BackupError as exc:
                raise CommandError(exc.message) from exc
        if options["verbosity"] == 0:
            return
        manifest = result.manifest
        rows = [
            ("파일", result.path),
            ("백업 시각", manifest["created_at"]),
            ("데이터베이스", manifest["database"]["vendor"]),
            ("백업한 Dure 버전", manifest["dure_version"]),
            ("첨부 파일", f"{result.media_files}개 ({filesizeformat(result.media_bytes)})"),
            ("걸린 시간", f"{result.seconds:.1f}초"),
        ]
        if result.dropped_tables:
            rows.append(("백업에 없어 지운 테이블", ", ".join(result.dropped_tables)))
        console.print(summary_table("복원했습니다", rows))
        if result.pending_migrations:
            console.print(
                f"백업이 이 버전보다 오래되었습니다: 적용할 마이그레이션 "
                f"{len(result.pending_migrations)}개가 있습니다. `dure migrate`를 실행하세요."
            )
