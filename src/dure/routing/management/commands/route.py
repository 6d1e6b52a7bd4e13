"""``dure route``: rank the research institutes for a request text.

    dure route "찍어낸 플라스틱 케이스 겉면에 물결무늬가 남아요"      # a table
    dure route --json "text"                                         # a JSON array, best first
    dure route --stdin < requests.jsonl                              # JSON lines in and out

``--stdin`` reads lines ``{"id": ..., "text": ...}`` and writes one line per input,
``{"id": ..., "ranking": [{"institute": ..., "score": ...}, ...]}``, in the same order; a bad
line gets ``{"id": ..., "error": "...", "code": "..."}`` and the rest carry on. Works without a
migrated database (then only the profiles count, not past cases).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dure.routing.profiles import ProfileError

BATCH = 32


def _message(exc: ValidationError) -> tuple[str, str]:
    error = exc
    if hasattr(exc, "error_dict"):
        error = next(iter(exc.error_dict.values()))[0]
    elif hasattr(exc, "error_list"):
        error = exc.error_list[0]
    message = str(error.message)
    if error.params:
        message = message % error.params
    return (error.code or "invalid"), message


class Command(BaseCommand):
    help = (
        "요청 내용에 맞는 연구기관 순위를 보여 줍니다 (Rank the research institutes for a "
        "request: a table, --json, or JSON lines with --stdin)."
    )
    requires_system_checks: list[str] = []
    stealth_options = ("input_stream",)

    def add_arguments(self, parser):
        parser.add_argument("text", nargs="*", help="request text (words are joined by spaces)")
        parser.add_argument("--json", action="store_true", help="print a JSON array, best first")
        parser.add_argument(
            "--stdin",
            action="store_true",
            help='read JSON lines {"id": ..., "text": ...} and print one JSON line per input',
        )
        parser.add_argument("--limit", type=int, default=None, help="only the best N institutes")
        parser.add_argument(
            "--no-examples", action="store_true", help="ignore past routed cases in the database"
        )
        parser.add_argument(
            "--evidence",
            action="store_true",
            help="with --stdin: include the evidence in every ranking item",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from dure.routing import services

        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be at least 1")
        if self.stdout._out is sys.stdout and hasattr(sys.stdout, "reconfigure"):
            sys.stdout.reconfigure(encoding="utf-8")
        include_examples = not options["no_examples"]
        try:
            if options["stdin"]:
                if options["text"]:
                    raise CommandError("give either a text or --stdin, not both")
                self._stream(
                    options.get("input_stream") or sys.stdin,
                    services,
                    limit=options["limit"],
                    include_examples=include_examples,
                    evidence=options["evidence"],
                )
                return
            text = " ".join(options["text"])
            try:
                ranking = services.recommend(
                    text, limit=options["limit"], include_examples=include_examples
                )
            except ValidationError as exc:
                raise CommandError(_message(exc)[1]) from exc
        except ProfileError as exc:
            raise CommandError(f"institute profiles: {exc}") from exc
        if options["json"]:
            self.stdout.write(
                json.dumps([r.as_dict() for r in ranking], ensure_ascii=False, indent=2)
            )
            return
        width = max(len(r.institute) for r in ranking)
        for position, r in enumerate(ranking, start=1):
            terms = ", ".join(r.evidence["terms"][:5])
            self.stdout.write(
                f"{position:>2}. {r.institute:<{width}} {r.score:6.4f}  {r.name}"
                + (f"  [{terms}]" if terms else "")
            )

    def _stream(
        self, stream, services, *, limit: int | None, include_examples: bool, evidence: bool
    ) -> None:
        pending: list[tuple[Any, str]] = []

        def flush() -> None:
            if not pending:
                return
            rankings = services.recommend_many(
                [text for _id, text in pending],
                limit=limit,
                include_examples=include_examples,
                evidence=evidence,
            )
            for (item_id, _text), ranking in zip(pending, rankings, strict=True):
                self._line(
                    {
                        "id": item_id,
                        "ranking": [
                            r.as_dict()
                            if evidence
                            else {"institute": r.institute, "score": r.score}
                            for r in ranking
                        ],
                    }
                )
            pending.clear()
            self.stdout.flush()

        for number, raw in enumerate(stream, start=1):
            if not raw.strip():
                continue
            item_id: Any = None
            try:
                item = json.loads(raw)
                if not isinstance(item, dict):
                    raise ValueError("each line must be a JSON object")
                item_id = item.get("id")
                text = services.clean_text(item.get("text"))
            except ValueError as exc:  # json.JSONDecodeError is a ValueError
                flush()  # keep the output in input order
                self._line({"id": item_id, "line": number, "code": "invalid", "error": str(exc)})
                continue
            except ValidationError as exc:
                flush()
                code, message = _message(exc)
                self._line({"id": item_id, "line": number, "code": code, "error": message})
                continue
            pending.append((item_id, text))
            if len(pending) >= BATCH:
                flush()
        flush()

    def _line(self, payload: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(payload, ensure_ascii=False))
