"""``dure route-build``: (re)compute the profile vectors and tokens committed beside the
profiles.

Run it after editing ``src/dure/routing/data/profiles/*.toml`` (or the Kiwi analysis) and
commit ``src/dure/routing/data/profile_vectors.npz`` and ``profile_tokens.json``. Without it
the recommender still works: it embeds and analyses the changed sentences at start-up and
caches them under ``var/routing/``.
``--check`` only tells whether the committed file matches the profiles (exit status 1 if not).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dure.routing import services, tokens, vectors
from dure.routing.profiles import ProfileError, load_institutes


class Command(BaseCommand):
    help = (
        "기관 프로필의 문장 임베딩을 다시 계산해 저장합니다 (Rebuild the committed profile "
        "vectors; --check only compares)."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="embed every sentence again, reuse nothing"
        )
        parser.add_argument(
            "--check", action="store_true", help="exit 1 if the committed file is out of date"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            institutes = load_institutes()
        except ProfileError as exc:
            raise CommandError(f"institute profiles: {exc}") from exc
        keys = services.unit_keys(institutes)
        wanted = vectors.keys_hash(keys)
        path = vectors.COMMITTED_FILE
        texts = services.token_texts(institutes)
        if options["check"]:
            current = vectors.committed_hash(path)
            if current != wanted or not tokens.is_current(texts):
                self.stderr.write(
                    f"{path.name} or {tokens.COMMITTED_FILE.name} is out of date "
                    f"({len(keys)} sentences, hash {wanted[:12]}, file "
                    f"{current[:12] if current else 'missing'}): run `dure route-build`"
                )
                raise SystemExit(1)
            self.stdout.write(f"{path.name} is up to date ({len(keys)} sentences)")
            return
        started = time.monotonic()
        embedded = vectors.build(keys, path=path, reuse=not options["force"])
        tokens.build(texts)
        with_profile = sum(1 for i in institutes if i.has_profile)
        self.stdout.write(
            f"{path}: {len(keys)} sentences ({embedded} embedded now) for {len(institutes)} "
            f"institutes, {with_profile} with a profile; hash {wanted[:12]}; "
            f"{time.monotonic() - started:.1f} s"
        )
