"""``dure import technologies FILE`` / ``dure import equipment FILE``: CSV or XLSX, KIPRIS- or
ZEUS-style headers (or ``--map 헤더=field``), validated first; nothing is written when a row has
an error unless ``--skip-invalid``."""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dure.search.services import _refresh_statistics as refresh_search_statistics
from dure.techbank import semantic
from dure.techbank.importers import IMPORTERS, ImportFileError, import_file, report_csv

PHASES = {"check": "검사", "write": "저장", "embed": "임베딩"}
# Up to this many new or changed objects are embedded by the import itself (~100 ms each: a
# few thousand patents take minutes); above it `dure techbank-embed` does it, resumably.
EMBED_ON_IMPORT_MAX = 20_000
SEMANTIC_KIND = {"technologies": "technology", "equipment": "equipment"}


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
        parser.add_argument(
            "--no-embed",
            action="store_true",
            help="do not compute search embeddings (run `dure techbank-embed` later)",
        )

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
            embedded, embed_note = 0, ""
            if result.written:
                # the planner's statistics (and PostgreSQL's most common lexemes, which the
                # hybrid ranking reads to leave out frequent terms) see the new rows now
                refresh_search_statistics()
            if result.written and not options["no_embed"]:
                todo = semantic.pending([SEMANTIC_KIND[kind]], result.object_ids)
                if len(todo) > EMBED_ON_IMPORT_MAX:
                    embed_note = (
                        f"{len(todo)} objects need search embeddings: run `dure techbank-embed` "
                        "(resumable; until then search ranks them lexically)"
                    )
                elif todo:
                    embedded = semantic.embed(
                        todo, progress=lambda done, total: progress("embed", done, total)
                    )
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
            "embedded": embedded,
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
            if embedded:
                self.stdout.write(f"search embeddings computed: {embedded}")
            if result.ignored_columns:
                self.stdout.write("ignored columns: " + ", ".join(result.ignored_columns))
            for error in result.errors[:50]:
                self.stdout.write(f"  row {error.row} [{error.column or '-'}] {error.message}")
            if result.error_count > 50:
                self.stdout.write(f"  … {result.error_count - 50} more (use --report FILE)")
        if embed_note:
            self.stderr.write(embed_note)
        if not result.written:
            raise CommandError(
                "the file has errors: nothing was written (fix them or use --skip-invalid)"
            )
