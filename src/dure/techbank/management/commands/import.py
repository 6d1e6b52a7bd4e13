"""``dure import technologies FILE`` / ``dure import equipment FILE``: CSV or XLSX, KIPRIS- or
ZEUS-style headers (or ``--map 헤더=field``), validated first; nothing is written when a row has
an error unless ``--skip-invalid``."""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dure.techbank.importers import IMPORTERS, ImportFileError, import_file, report_csv

PHASES = {"check": "검사", "write": "저장"}


class Command(BaseCommand):
    help = (
        "기술(특허)·장비 목록을 CSV/XLSX에서 불러옵니다 "
        "(Import technologies or equipment from a CSV/XLSX file)."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(IMPORTERS), help="technologies | equipment")
        parser.add_argument("file", help="CSV (UTF-8, UTF-8 BOM, CP949/EUC-KR) or XLSX file")
        parser.add_argument(
            "--map",
            action="append",
            dest="mapping",
            default=[],
            metavar="헤더=field",
            help="map a column header to a field (repeatable), e.g. --map 발명명=title",
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="write the valid rows and report the invalid ones (default: write nothing)",
        )
        parser.add_argument(
            "--institute",
            default="",
            help="holder institute (name or acronym) for rows without one",
        )
        parser.add_argument(
            "--report", default="", help="also write the validation report as CSV to this file"
        )
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    def handle(self, *args, kind, file, mapping, skip_invalid, institute, report, **options):
        quiet = options["verbosity"] == 0 or options["json"]
        console = Console(file=sys.stderr)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=quiet,
        ) as bar:
            tasks: dict[str, int] = {}

            def progress(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    tasks[phase] = bar.add_task(PHASES.get(phase, phase), total=total or None)
                bar.update(tasks[phase], completed=done, total=total or None)

            try:
                result = import_file(
                    kind=kind,
                    path=file,
                    mapping=mapping,
                    skip_invalid=skip_invalid,
                    default_institute=institute,
                    progress=progress,
                )
            except ImportFileError as exc:
                raise CommandError(str(exc)) from exc
        if report:
            with open(report, "w", encoding="utf-8-sig", newline="") as fh:
                fh.write(report_csv(result))
        summary = {
            "kind": result.kind,
            "file": result.path,
            "encoding": result.encoding,
            "rows": result.rows,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "skipped": result.skipped,
            "errors": result.error_count,
            "written": result.written,
            "ignored_columns": result.ignored_columns,
            "problems": [
                {"row": e.row, "column": e.column, "problem": e.message} for e in result.errors
            ],
        }
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
        else:
            self.stdout.write(
                f"{result.path} ({result.encoding}): {result.rows} rows — "
                f"created {result.created}, updated {result.updated}, "
                f"unchanged {result.unchanged}, skipped {result.skipped}, "
                f"errors {result.error_count}"
            )
            if result.ignored_columns:
                self.stdout.write("ignored columns: " + ", ".join(result.ignored_columns))
            for error in result.errors[:50]:
                self.stdout.write(f"  row {error.row} [{error.column or '-'}] {error.message}")
            if result.error_count > 50:
                self.stdout.write(f"  … {result.error_count - 50} more (use --report FILE)")
        if not result.written:
            raise CommandError(
                "the file has errors: nothing was written (fix them or use --skip-invalid)"
            )
