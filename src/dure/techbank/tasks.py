"""Background work of the technology bank (django-tasks; see settings.TASKS)."""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from . import semantic


@task()
def embed_objects(kind: str, object_ids: list[int]) -> int:
    """(Re-)embed the objects whose search text changed since their vector was computed;
    returns how many were embedded. Safe to run twice: ``pending`` skips up-to-date vectors."""
    items = semantic.pending([kind], object_ids)
    return semantic.embed(items) if items else 0


def reembed_on_commit(kind: str, object_id: int) -> None:
    """After a page or API edit, keep the object's vector in step with its text — only when the
    collection is embedded at all (a collection without vectors is ranked lexically, and
    loading the model for one object would be wasted). Enqueued after commit so that a rolled
    back edit embeds nothing and the worker sees the committed text."""
    from .models import SearchVector

    if kind not in semantic.EMBEDDED_KINDS:
        return
    if not SearchVector.objects.filter(kind=kind).exists():
        return
    transaction.on_commit(lambda: embed_objects.enqueue(kind, [object_id]))
