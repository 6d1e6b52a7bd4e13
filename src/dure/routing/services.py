"""Routing: recommend the research institutes for a request, and learn from staff decisions.

``recommend(text)`` ranks every institute of the reference data (see ``engine`` for the
method). ``routing_example_record(...)`` keeps a staff decision (this text → these
institutes) as evidence for later requests; the desk calls it whenever staff confirm or
override the lead institute of a case.

Everything expensive is built once per process and kept in module-level caches: the profile
index (profiles, their vectors and Kiwi tokens) until a profile file changes, the examples
until the examples table changes (one cheap aggregate query per call tells).
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Count, Max
from django.utils.translation import gettext_lazy as _

from dure.core.audit import audit_record
from dure.directory.access import roles_of
from dure.search.analysis import analyze

from . import tokens, vectors
from .engine import Example, Method, ProfileIndex, Ranker, Recommendation, profile_units, unit_key
from .models import MAX_TEXT_CHARS, RoutingExample
from .profiles import Institute, known_acronyms, load_institutes, profiles_dir

logger = logging.getLogger("dure.routing")

__all__ = [
    "MAX_TEXT_CHARS",
    "Recommendation",
    "recommend",
    "recommend_many",
    "routing_example_delete",
    "routing_example_record",
]

DEFAULT_METHOD = Method()
# Analysing a whole 10,000-character request takes Kiwi up to seconds on odd input; what it is
# about is in its beginning.
MAX_LEXICAL_CHARS = 3000
_SOURCE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
_lock = threading.RLock()
_profile_indexes: OrderedDict[tuple, ProfileIndex] = OrderedDict()
_rankers: OrderedDict[tuple, Ranker] = OrderedDict()
_examples: dict[str, Any] = {"signature": None, "examples": ()}
_CACHE_SIZE = 4


# --- the profile index ---------------------------------------------------------------------------


def _directory_signature(directory: Path) -> tuple:
    if not directory.is_dir():
        return (str(directory),)
    return (
        str(directory),
        *sorted(
            (p.name, p.stat().st_mtime_ns, p.stat().st_size)
            for p in directory.iterdir()
            if p.suffix == ".toml"
        ),
    )


def tokens_of(text: str) -> list[str]:
    """Kiwi content morphemes (``dure.search.analysis``) of the first ``MAX_LEXICAL_CHARS``."""
    return analyze(text[:MAX_LEXICAL_CHARS])


def unit_keys(institutes: tuple[Institute, ...], method: Method = DEFAULT_METHOD) -> list[str]:
    """What is embedded for the profiles, e.g. ``"passage: 주조"`` (the vector cache's keys)."""
    return [unit_key(u, method) for u in profile_units(institutes)]


def token_texts(institutes: tuple[Institute, ...]) -> list[str]:
    """What is analysed with Kiwi for the profiles: every unit, then every institute's name."""
    return [u.text for u in profile_units(institutes)] + [i.name for i in institutes]


def build_profile_index(
    institutes: tuple[Institute, ...], method: Method = DEFAULT_METHOD
) -> ProfileIndex:
    units = profile_units(institutes)
    keys = [unit_key(u, method) for u in units]
    unit_vectors = vectors.vectors_for(keys) if keys else vectors.embed_passages([])
    analysed = tokens.tokens_for(token_texts(institutes))
    return ProfileIndex(
        institutes,
        method=method,
        unit_vectors=unit_vectors,
        unit_tokens=analysed[: len(units)],
        name_tokens=analysed[len(units) :],
    )


def profile_index(method: Method = DEFAULT_METHOD) -> ProfileIndex:
    """The index of the current profiles (rebuilt when a profile file changes)."""
    directory = profiles_dir()
    key = (_directory_signature(directory), method)
    with _lock:
        found = _profile_indexes.get(key)
        if found is None:
            found = build_profile_index(load_institutes(directory), method)
            _profile_indexes[key] = found
            while len(_profile_indexes) > _CACHE_SIZE:
                _profile_indexes.popitem(last=False)
        else:
            _profile_indexes.move_to_end(key)
        return found


def institutes() -> tuple[Institute, ...]:
    return profile_index().institutes


# --- the examples --------------------------------------------------------------------------------


def _examples_signature() -> tuple | None:
    """Changes whenever an example is added, changed or deleted; None without the table."""
    try:
        with transaction.atomic():  # a savepoint: a missing table must not break the caller
            row = RoutingExample.objects.aggregate(
                n=Count("id"), top=Max("id"), last=Max("updated_at")
            )
    except DatabaseError as exc:
        logger.info("routing: no past examples (%s)", exc)
        return None
    return (row["n"], row["top"], row["last"])


def current_examples() -> tuple[Example, ...]:
    """Every past example with its vector and tokens (cached until the table changes; then
    only the new and changed rows are read and analysed again)."""
    signature = _examples_signature()
    if signature is None:
        return ()
    with _lock:
        if _examples["signature"] == signature:
            return _examples["examples"]
        known: dict[int, tuple[Any, Example]] = dict(_examples.get("by_id", {}))
    versions = dict(RoutingExample.objects.values_list("id", "updated_at"))
    changed = sorted(pk for pk, at in versions.items() if pk not in known or known[pk][0] != at)
    for start in range(0, len(changed), 500):
        rows = list(
            RoutingExample.objects.filter(pk__in=changed[start : start + 500])
            .order_by("id")
            .values_list(
                "id",
                "updated_at",
                "text",
                "institutes",
                "source",
                "source_id",
                "embedding",
                "embedding_model",
            )
        )
        stale = [
            i for i, row in enumerate(rows) if row[7] != vectors.EXAMPLE_MODEL_ID or not row[6]
        ]
        fresh = dict(zip(stale, vectors.embed_queries([rows[i][2] for i in stale]), strict=True))
        analysed = tokens.analyse([row[2][:MAX_LEXICAL_CHARS] for row in rows])
        for i, (pk, at, text, chosen, source, source_id, embedding, _model) in enumerate(rows):
            known[pk] = (
                at,
                Example(
                    id=pk,
                    text=text,
                    institutes=tuple(chosen),
                    source=source,
                    source_id=source_id,
                    vector=fresh[i] if i in fresh else vectors.from_bytes(embedding),
                    tokens=tuple(analysed[i]),
                ),
            )
    by_id = {pk: known[pk] for pk in sorted(versions) if pk in known}
    examples = tuple(example for _at, example in by_id.values())
    with _lock:
        _examples.update(signature=signature, examples=examples, by_id=by_id)
    return examples


def ranker(*, include_examples: bool = True, method: Method = DEFAULT_METHOD) -> Ranker:
    index = profile_index(method)
    examples = current_examples() if include_examples else ()
    key = (id(index), tuple(e.id for e in examples), _examples["signature"] if examples else None)
    with _lock:
        found = _rankers.get(key)
        if found is None or found.index is not index:
            found = Ranker(index, examples)
            _rankers[key] = found
            while len(_rankers) > _CACHE_SIZE:
                _rankers.popitem(last=False)
        return found


# --- recommending ---------------------------------------------------------------------------------


def clean_text(text: Any, *, field: str = "text") -> str:
    """The request text, trimmed; a clear ``ValidationError`` when empty or too long."""
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise ValidationError({field: ValidationError(_("문자열이어야 합니다."), code="invalid")})
    if "\x00" in text:
        raise ValidationError(
            {
                field: ValidationError(
                    _("입력할 수 없는 문자(널 문자)가 들어 있습니다."), code="invalid_characters"
                )
            }
        )
    text = text.strip()
    if not text:
        raise ValidationError({field: ValidationError(_("내용을 입력해 주세요."), code="required")})
    if len(text) > MAX_TEXT_CHARS:
        raise ValidationError(
            {
                field: ValidationError(
                    _("%(limit)s자 이하로 입력해 주세요."),
                    code="max_length",
                    params={"limit": f"{MAX_TEXT_CHARS:,}"},
                )
            }
        )
    return text


def _check_limit(limit: int | None) -> None:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValidationError(
            {"limit": ValidationError(_("1 이상의 정수여야 합니다."), code="min_value")}
        )


def recommend(
    text: str, *, limit: int | None = None, include_examples: bool = True
) -> list[Recommendation]:
    """Every institute (or the best ``limit``) for ``text``, best first, with a score in
    [0, 1] (the scores of all institutes sum to 1) and the evidence: matched Kiwi terms, the
    most similar profile sentences, the most similar past cases."""
    return recommend_many([text], limit=limit, include_examples=include_examples)[0]


def recommend_many(
    texts: Iterable[str],
    *,
    limit: int | None = None,
    include_examples: bool = True,
    evidence: bool = True,
) -> list[list[Recommendation]]:
    """``recommend`` for several texts at once (one embedding batch); ``evidence=False``
    leaves the evidence empty (faster when only the ranking is wanted)."""
    cleaned = [clean_text(t) for t in texts]
    _check_limit(limit)
    if not cleaned:
        return []
    current = ranker(include_examples=include_examples)
    query_vectors = vectors.embed_queries(cleaned)
    query_tokens = tokens.analyse([text[:MAX_LEXICAL_CHARS] for text in cleaned])
    return [
        current.rank(vector, terms, limit=limit, evidence=evidence)
        for vector, terms in zip(query_vectors, query_tokens, strict=True)
    ]


# --- learning from staff decisions ----------------------------------------------------------------


def can_record_examples(user: Any) -> bool:
    roles = roles_of(user)
    return roles.is_staff or roles.institute_staff


def _clean_institutes(institutes: Iterable[str]) -> list[str]:
    if isinstance(institutes, str):
        institutes = [institutes]
    chosen = list(dict.fromkeys(str(a).strip() for a in institutes))
    if not chosen or not all(chosen):
        raise ValidationError(
            {"institutes": ValidationError(_("기관을 하나 이상 고르세요."), code="required")}
        )
    unknown = [a for a in chosen if a not in known_acronyms()]
    if unknown:
        raise ValidationError(
            {
                "institutes": ValidationError(
                    _("알 수 없는 기관입니다: %(unknown)s"),
                    code="institute_unknown",
                    params={"unknown": ", ".join(unknown)},
                )
            }
        )
    return chosen


def _clean_source(source: str, source_id: Any) -> tuple[str, str]:
    source = str(source or "").strip()
    if not _SOURCE.match(source) or len(source) > 50:
        raise ValidationError(
            {
                "source": ValidationError(
                    _("출처 종류가 올바르지 않습니다 (예: desk.case)."), code="invalid"
                )
            }
        )
    source_id = str(source_id if source_id is not None else "").strip()
    if not source_id or len(source_id) > 64:
        raise ValidationError(
            {"source_id": ValidationError(_("출처 ID가 올바르지 않습니다."), code="invalid")}
        )
    return source, source_id


def routing_example_record(
    *, actor: Any, text: str, institutes: Iterable[str], source: str, source_id: Any
) -> RoutingExample:
    """Keep "this text went to these institutes" as evidence for later recommendations.

    One example per ``(source, source_id)``: recording again for the same case replaces the
    earlier decision (an override after a confirmation, a corrected text). Only platform,
    centre and institute staff decide routing.
    """
    if not can_record_examples(actor):
        raise PermissionDenied
    text = clean_text(text)
    chosen = _clean_institutes(institutes)
    source, source_id = _clean_source(source, source_id)
    embedding = vectors.to_bytes(vectors.embed_queries([text])[0])
    with transaction.atomic():
        example = (
            RoutingExample.objects.select_for_update()
            .filter(source=source, source_id=source_id)
            .first()
        )
        if example is None:
            example = RoutingExample.objects.create(
                text=text,
                institutes=chosen,
                source=source,
                source_id=source_id,
                embedding=embedding,
                embedding_model=vectors.EXAMPLE_MODEL_ID,
                actor=actor,
            )
            audit_record(
                actor=actor,
                action="routing.example.record",
                obj=example,
                changes={"institutes": [None, chosen], "source": f"{source}:{source_id}"},
            )
            return example
        before = list(example.institutes)
        text_changed = example.text != text
        example.text = text
        example.institutes = chosen
        example.embedding = embedding
        example.embedding_model = vectors.EXAMPLE_MODEL_ID
        example.actor = actor
        example.save()
        changes: dict[str, Any] = {}
        if before != chosen:
            changes["institutes"] = [before, chosen]
        if text_changed:
            changes["text"] = ["…", "…"]  # the text may hold personal data: not in the log
        audit_record(actor=actor, action="routing.example.record", obj=example, changes=changes)
        return example


def routing_example_delete(*, actor: Any, source: str, source_id: Any) -> bool:
    """Forget the decision recorded for a source (e.g. a case withdrawn or erased)."""
    if not can_record_examples(actor):
        raise PermissionDenied
    source, source_id = _clean_source(source, source_id)
    with transaction.atomic():
        example = RoutingExample.objects.filter(source=source, source_id=source_id).first()
        if example is None:
            return False
        audit_record(
            actor=actor,
            action="routing.example.delete",
            obj=example,
            changes={"institutes": [list(example.institutes), None]},
        )
        example.delete()
        return True
