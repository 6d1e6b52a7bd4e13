"""``dure search --json "query" [--kind technology|equipment|lab|expert] [--limit N]``: the
technology bank's Korean search from the command line, as an anonymous visitor (experts only
with ``--as-staff``)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from dure.directory.access import ANONYMOUS, RoleSet
from dure.search.services import MAX_LIMIT
from dure.techbank.search_index import KINDS
from dure.techbank.selectors import search_rows

# What --as-staff searches as: a platform operator (sees every kind, never personal data —
# search documents do not hold any).
STAFF_ROLES = RoleSet(authenticated=True, platform_admin=True)


class Command(BaseCommand):
    help = "기술은행 검색 (Search technologies, equipment, labs and experts)."

    def add_arguments(self, parser):
        parser.add_argument("query", help="검색어 (Korean or English)")
        parser.add_argument("--kind", choices=KINDS, action="append", dest="kinds")
        parser.add_argument("--limit", type=int, default=20)
        parser.add_argument("--json", action="store_true", help="print a JSON array")
        parser.add_argument(
            "--as-staff", action="store_true", help="search as staff (experts included)"
        )

    def handle(self, *args, query, kinds, limit, as_staff, **options):
        if not 1 <= limit <= MAX_LIMIT:
            raise CommandError(f"--limit must be between 1 and {MAX_LIMIT}")
        rows = search_rows(
            query=query,
            kinds=kinds,
            limit=limit,
            roles=STAFF_ROLES if as_staff else ANONYMOUS,
        )
        if options["json"]:
            self.stdout.write(json.dumps([row.as_dict() for row in rows], ensure_ascii=False))
            return
        for row in rows:
            number = f" [{row.application_number}]" if row.application_number else ""
            self.stdout.write(f"{row.score:10.4f}  {row.kind:<10} {row.id:>8}  {row.title}{number}")
