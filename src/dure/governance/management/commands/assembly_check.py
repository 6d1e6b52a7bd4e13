"""``dure assembly-check``: is an assembly validly convened, does an item pass?

    dure assembly-check --stdin < items.jsonl       # JSON lines in, one JSON line out per line
    dure assembly-check '{"id": 1, "kind": "general", "members": 10, ...}'

Each input line is one JSON object (fields: ``id``, ``kind``, ``members``, ``total_members``,
``founders``, ``present``, ``yes``, ``no``, ``abstain``, ``matter``, ``meeting_date``,
``notice_date``, ``expulsion_notice_date``). Each output line has ``id``, ``quorum``,
``required_present``, ``resolution``, ``required_yes``, ``notice_ok``, ``passed``, ``errors``
and ``explanation``, in input order and flushed line by line. A line that is not valid JSON,
not UTF-8, not an object, or has bad fields still gets its line, with ``passed: false`` and the
reasons in ``errors`` (``id`` is null when it could not be read). Lines holding only whitespace
are skipped: they are no input. The exit status is 0 unless the command itself is misused.
No database is needed.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from dure.governance.rules import check_data, invalid_line_result


class Command(BaseCommand):
    help = (
        "총회가 적법하게 성립했는지, 안건이 가결되는지 확인합니다 (Check quorum, majority and "
        "notice periods under the Framework Act on Cooperatives: JSON lines with --stdin)."
    )
    requires_system_checks: list[str] = []
    stealth_options = ("input_stream",)

    def add_arguments(self, parser):
        parser.add_argument("items", nargs="*", help="JSON objects to check, one per argument")
        parser.add_argument(
            "--stdin",
            action="store_true",
            help="read JSON lines from standard input and print one JSON line per input line",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override("ko"):  # the contract: explanations and errors in Korean
            self._handle(options)

    def _handle(self, options: dict[str, Any]) -> None:
        if self.stdout._out is sys.stdout and hasattr(sys.stdout, "reconfigure"):
            sys.stdout.reconfigure(encoding="utf-8")
        if options["stdin"]:
            if options["items"]:
                raise CommandError("give either JSON arguments or --stdin, not both")
            stream = options.get("input_stream")
            if stream is None:
                stream = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else sys.stdin
            for raw in stream:
                self._answer(raw)
            return
        if not options["items"]:
            raise CommandError("give JSON objects as arguments, or --stdin")
        for raw in options["items"]:
            self._answer(raw)

    def _answer(self, raw: str | bytes) -> None:
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                self._line(invalid_line_result(_("입력이 UTF-8 텍스트가 아닙니다.")).as_dict())
                return
        raw = raw.lstrip("\ufeff")
        if not raw.strip():
            return
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
            self._line(
                invalid_line_result(
                    _("올바른 JSON이 아닙니다: %(error)s") % {"error": exc}
                ).as_dict()
            )
            return
        try:
            result = check_data(data).as_dict()
        except Exception as exc:  # noqa: BLE001 - one bad line must never stop the others
            item_id = data.get("id") if isinstance(data, dict) else None
            result = invalid_line_result(
                _("확인하는 중 오류가 났습니다: %(error)s") % {"error": exc}, item_id
            ).as_dict()
        self._line(result)

    def _line(self, payload: dict[str, Any]) -> None:
        text = json.dumps(payload, ensure_ascii=False)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate from a "\\ud800" escape: keep it escaped
            text = json.dumps(payload, ensure_ascii=True)
        self.stdout.write(text)
        self.stdout.flush()
