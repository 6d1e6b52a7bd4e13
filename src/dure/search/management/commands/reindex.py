from django.core.management.base import BaseCommand
from rich.progress import Progress, TaskID

from dure.search import registry
from dure.search.services import reindex


class Command(BaseCommand):
    help = "검색 색인을 다시 만듭니다 (Rebuild the Korean full-text search index)."

    def add_arguments(self, parser):
        parser.add_argument("--kind", action="append", dest="kinds", help="kind to rebuild")

    def handle(self, *args, kinds=None, **options):
        known = {k.name for k in registry.all_kinds()}
        for kind in kinds or []:
            if kind not in known:
                self.stderr.write(f"unknown kind: {kind} (known: {', '.join(sorted(known))})")
                raise SystemExit(2)
        with Progress(disable=options["verbosity"] == 0) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(kind: str, done: int, total: int) -> None:
                if kind not in tasks:
                    tasks[kind] = bar.add_task(kind, total=total)
                bar.update(tasks[kind], completed=done)

            counts = reindex(kinds=kinds, progress=progress)
        for kind, count in counts.items():
            self.stdout.write(f"{kind}: {count}")
