"""``dure techbank-embed [--kind technology|equipment|lab] [--batch N] [--limit N]``: compute the
sentence embeddings (multilingual-e5-small) that technology search fuses with the lexical
ranking, for every object whose vector is missing or out of date.

Resumable: each batch is committed on its own, and objects whose text has not changed since
their vector was computed are skipped — stop it at any time and run it again. ~100 ms per
passage on one core: 100,000 technologies take a few hours, so large imports leave it to this
command (``dure import`` embeds small files itself)."""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from dure.techbank import semantic


class Command(BaseCommand):
    help = "기술·장비·연구실 검색용 임베딩을 계산합니다 (Embed technologies for semantic search)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--kind", choices=sorted(semantic.EMBEDDED_KINDS), action="append", dest="kinds"
        )
        parser.add_argument("--batch", type=int, default=semantic.BATCH, help="passages per batch")
        parser.add_argument("--limit", type=int, default=0, help="embed at most N objects")
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    def handle(self, *args, kinds, batch, limit, **options):
        if batch < 1 or limit < 0:
            raise CommandError("--batch must be ≥ 1 and --limit ≥ 0")
        quiet = options["verbosity"] == 0 or options["json"]
        removed = semantic.remove_stale()
        todo = semantic.pending(kinds)
        if limit:
            todo = todo[:limit]
        console = Console(file=sys.stderr)
        with Progress(
            TextColumn("임베딩"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=quiet,
        ) as bar:
            task = bar.add_task("embed", total=len(todo))
            done = semantic.embed(
                todo,
                batch_size=batch,
                progress=lambda n, total: bar.update(task, completed=n),
            )
        summary = {"embedded": done, "removed": removed, "remaining": len(semantic.pending(kinds))}
        if options["json"]:
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(
                f"embedded {done}, removed {removed} stale, {summary['remaining']} remaining"
            )
