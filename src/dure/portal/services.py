"""Writing, publishing and taking down notices and success stories; an organisation's consent
to the story about it.

Every write takes the acting user, runs in one transaction (the row locked for a state change)
and writes an audit row; a story's status changes only here, through ``STORY_TRANSITIONS``, and
each change writes a ``StoryEvent``. A story is public only while it rests on its organisation's
consent to the text as it stands: changing the text of a story that was sent for consent takes
it back to a draft, and the organisation may withdraw its consent at any time.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dure.core.audit import audit_record
from dure.core.pagecache import bump_data_version
from dure.core.validation import FieldErrors, clean_text
from dure.directory.models import Organisation

from . import access, notifications
from .models import Notice, NoticeCategory, Story, StoryEvent, SupportKind

NOTICE_FIELDS = ("category", "title", "body", "pinned")
STORY_FIELDS = (
    "subject",
    "support_kind",
    "year",
    "title",
    "summary",
    "body",
    "jobs_created",
    "sales_increase",
)
EARLIEST_YEAR = 2000
MAX_JOBS = 100_000
MAX_SALES_INCREASE = 10**13  # 10조 원: beyond it a typing mistake

S = Story.Status
# Where a story may go from each status, and who moves it (services below).
STORY_TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.AWAITING}),  # the centre asks for consent
    S.AWAITING: frozenset({S.APPROVED, S.DECLINED}),  # the organisation answers
    S.APPROVED: frozenset({S.PUBLISHED, S.WITHDRAWN}),
    S.PUBLISHED: frozenset({S.APPROVED, S.WITHDRAWN}),  # taken down by the centre, or withdrawn
    S.DECLINED: frozenset({S.AWAITING}),
    S.WITHDRAWN: frozenset({S.AWAITING}),
}
# A change of the text in these statuses needs the organisation's consent again.
CONSENT_COVERS_TEXT = frozenset({S.AWAITING, S.APPROVED, S.PUBLISHED})


def _error(field: str, message: Any, code: str, params: dict | None = None) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code, params=params)})


def _id(value: Any) -> int:
    try:
        return int(getattr(value, "pk", value))
    except (TypeError, ValueError):
        return 0


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "on", "yes"}
    return bool(value)


def _whole_number(
    errors: FieldErrors,
    data: dict[str, Any],
    field: str,
    high: int,
    *,
    required: bool,
    low: int = 0,
) -> int | None:
    raw = data.get(field)
    if raw in (None, ""):
        if required:
            errors.add(field, _("이 항목을 입력해 주세요."), "required")
        return None
    if isinstance(raw, bool):
        errors.add(field, _("숫자로 입력해 주세요."), "invalid")
        return None
    try:
        number = int(str(raw).strip().replace(",", ""))
    except (TypeError, ValueError):
        errors.add(field, _("숫자로 입력해 주세요."), "invalid")
        return None
    if not low <= number <= high:
        errors.add(
            field,
            _("%(low)s 이상 %(high)s 이하로 입력해 주세요."),
            "out_of_range",
            {"low": _shown(low), "high": _shown(high)},
        )
        return None
    return number


def _shown(number: int) -> int | str:
    """A bound as the message shows it: 100,000 grouped, a year (2026) as it is."""
    return f"{number:,}" if number >= 10_000 else number


def _require_writer(actor: Any, centre_id: int) -> None:
    if not access.writes_for(actor, centre_id):
        raise PermissionDenied


def _centre(
    errors: FieldErrors, actor: Any, value: Any, field: str = "centre"
) -> Organisation | None:
    """The centre ``actor`` writes for: one of theirs (a centre that is not theirs is an
    unknown one, as in the form's choices)."""
    centre = access.centre_choices(actor).filter(pk=_id(value)).first()
    if centre is None:
        errors.add(field, _("게시할 지원센터를 골라 주세요."), "centre_unknown")
    return centre


# --- notices -----------------------------------------------------------------------------------


def _clean_notice(data: dict[str, Any]) -> tuple[dict[str, Any], FieldErrors]:
    errors = FieldErrors()
    category = clean_text(data.get("category")) or NoticeCategory.NOTICE
    if category not in NoticeCategory.values:
        errors.add("category", _("공지 구분을 골라 주세요."), "invalid_choice")
    cleaned = {
        "category": category,
        "title": errors.text(data, "title", 150, required=True),
        "body": errors.text(data, "body", 10_000, required=True, multiline=True),
        "pinned": _bool(data.get("pinned")),
    }
    return cleaned, errors


@transaction.atomic
def notice_create(*, actor: Any, publisher: Any, data: dict[str, Any]) -> Notice:
    """A draft notice of ``publisher`` (a centre ``actor`` writes for)."""
    if not access.can_write(actor):
        raise PermissionDenied
    cleaned, errors = _clean_notice(data)
    centre = _centre(errors, actor, publisher, "publisher")
    if errors.errors or centre is None:
        raise ValidationError(errors.errors)
    notice = Notice.objects.create(publisher=centre, created_by=actor, **cleaned)
    audit_record(actor=actor, action="portal.notice.create", obj=notice)
    return notice


def _locked_notice(actor: Any, notice: Notice) -> Notice:
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    _require_writer(actor, notice.publisher_id)
    return notice


@transaction.atomic
def notice_update(*, actor: Any, notice: Notice, data: dict[str, Any]) -> Notice:
    """Change a notice's text; a published notice stays published (its date is kept)."""
    notice = _locked_notice(actor, notice)
    cleaned, errors = _clean_notice({name: data.get(name) for name in NOTICE_FIELDS})
    errors.raise_if_any()
    changes = {
        name: [getattr(notice, name), value]
        for name, value in cleaned.items()
        if getattr(notice, name) != value
    }
    if changes:
        for name, (_old, value) in changes.items():
            setattr(notice, name, value)
        notice.save()
        if notice.status == Notice.Status.PUBLISHED:
            bump_data_version()  # cached public pages (the home page) list published notices
        audit_record(
            actor=actor, action="portal.notice.update", obj=notice, changes=_loggable(changes)
        )
    return notice


def _loggable(changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Long texts are logged as their length, not copied into the audit log."""
    return {
        name: [f"{len(v)}자" if isinstance(v, str) and len(v) > 200 else v for v in pair]
        for name, pair in changes.items()
    }


@transaction.atomic
def notice_publish(*, actor: Any, notice: Notice) -> Notice:
    """Publish a draft (dated now) or put an archived notice back up (its first date kept)."""
    notice = _locked_notice(actor, notice)
    if notice.status == Notice.Status.PUBLISHED:
        raise _error("status", _("이미 게시 중인 공지입니다."), "already_published")
    notice.status = Notice.Status.PUBLISHED
    notice.published_at = notice.published_at or timezone.now()
    notice.save(update_fields=["status", "published_at", "updated_at"])
    bump_data_version()
    audit_record(actor=actor, action="portal.notice.publish", obj=notice)
    return notice


@transaction.atomic
def notice_archive(*, actor: Any, notice: Notice) -> Notice:
    """End a notice's publication: the public no longer sees it; its centre still does."""
    notice = _locked_notice(actor, notice)
    if notice.status != Notice.Status.PUBLISHED:
        raise _error("status", _("게시 중인 공지만 내릴 수 있습니다."), "not_published")
    notice.status = Notice.Status.ARCHIVED
    notice.save(update_fields=["status", "updated_at"])
    bump_data_version()
    audit_record(actor=actor, action="portal.notice.archive", obj=notice)
    return notice


# --- stories -----------------------------------------------------------------------------------


def _clean_story(data: dict[str, Any]) -> tuple[dict[str, Any], FieldErrors]:
    errors = FieldErrors()
    subject = access.subject_choices().filter(pk=_id(data.get("subject"))).first()
    if subject is None:
        errors.add("subject", _("사례의 협동조합이나 중소기업을 골라 주세요."), "subject_unknown")
    kind = clean_text(data.get("support_kind"))
    if kind not in SupportKind.values:
        errors.add("support_kind", _("지원 분야를 골라 주세요."), "invalid_choice")
    this_year = timezone.localdate().year
    year = _whole_number(errors, data, "year", this_year, low=EARLIEST_YEAR, required=True)
    cleaned = {
        "subject": subject,
        "support_kind": kind,
        "year": year,
        "title": errors.text(data, "title", 150, required=True),
        "summary": errors.text(data, "summary", 300, required=True),
        "body": errors.text(data, "body", 10_000, required=True, multiline=True),
        "jobs_created": _whole_number(errors, data, "jobs_created", MAX_JOBS, required=False),
        "sales_increase": _whole_number(
            errors, data, "sales_increase", MAX_SALES_INCREASE, required=False
        ),
    }
    return cleaned, errors


def _event(story: Story, actor: Any, before: str, after: str, note: str = "") -> None:
    StoryEvent.objects.create(
        story=story,
        from_status=before,
        to_status=after,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        note=note[:300],
    )


@transaction.atomic
def story_create(*, actor: Any, centre: Any, data: dict[str, Any]) -> Story:
    """A draft success story written by ``centre`` (one ``actor`` writes for)."""
    if not access.can_write(actor):
        raise PermissionDenied
    cleaned, errors = _clean_story(data)
    organisation = _centre(errors, actor, centre)
    if errors.errors or organisation is None:
        raise ValidationError(errors.errors)
    story = Story.objects.create(centre=organisation, created_by=actor, **cleaned)
    _event(story, actor, "", S.DRAFT)
    audit_record(actor=actor, action="portal.story.create", obj=story)
    return story


def _locked_story(story: Story) -> Story:
    return Story.objects.select_for_update().select_related("subject").get(pk=story.pk)


def _clear_consent(story: Story) -> None:
    story.consent_method = ""
    story.consent_by = None
    story.consent_at = None
    story.consent_note = ""


def _expect(story: Story, status: str, target: str) -> None:
    if story.status != status:
        raise _error(
            "status",
            _("'%(current)s' 상태의 사례는 '%(target)s'(으)로 바꿀 수 없습니다."),
            "transition_invalid",
            {"current": S(story.status).label, "target": S(target).label},
        )


def _move(story: Story, actor: Any, to: str, note: str = "", *, fields: list[str]) -> Story:
    if to not in STORY_TRANSITIONS[story.status]:
        raise _error(
            "status",
            _("'%(current)s' 상태의 사례는 '%(target)s'(으)로 바꿀 수 없습니다."),
            "transition_invalid",
            {"current": S(story.status).label, "target": S(to).label},
        )
    before = story.status
    story.status = to
    story.save(update_fields=["status", "updated_at", *fields])
    if S.PUBLISHED in (before, to):
        bump_data_version()  # cached public pages (the home page) list published stories
    _event(story, actor, before, to, note)
    audit_record(
        actor=actor,
        action=f"portal.story.{to}",
        obj=story,
        changes={"status": [before, to]},
    )
    return story


@transaction.atomic
def story_update(*, actor: Any, story: Story, data: dict[str, Any]) -> Story:
    """Change a story's text or figures. While the organisation is asked, or has agreed, its
    consent covers the text as it was: a change takes the story back to a draft (and off the
    portal), to be sent for consent again. A declined or withdrawn story keeps its status while
    the centre reworks it, so that the organisation still sees its answer."""
    story = _locked_story(story)
    _require_writer(actor, story.centre_id)
    cleaned, errors = _clean_story({name: data.get(name) for name in STORY_FIELDS})
    errors.raise_if_any()
    changes = {
        name: [getattr(story, name), value]
        for name, value in cleaned.items()
        if getattr(story, name) != value
    }
    if not changes:
        return story
    for name, (_old, value) in changes.items():
        setattr(story, name, value)
    before = story.status
    consent_lapses = before in CONSENT_COVERS_TEXT
    if consent_lapses:
        story.status = S.DRAFT
        story.published_at = None
        _clear_consent(story)
    story.save()
    if before == S.PUBLISHED:
        bump_data_version()
    if consent_lapses:
        _event(story, actor, before, S.DRAFT, str(_("내용이 바뀌어 동의를 다시 받아야 합니다.")))
    logged = {
        name: [str(getattr(v, "pk", v)) if isinstance(v, Organisation) else v for v in pair]
        for name, pair in changes.items()
    }
    audit_record(actor=actor, action="portal.story.update", obj=story, changes=_loggable(logged))
    return story


@transaction.atomic
def story_request_consent(*, actor: Any, story: Story) -> Story:
    """The centre asks the organisation to agree to the story as written; its representatives
    are e-mailed."""
    story = _locked_story(story)
    _require_writer(actor, story.centre_id)
    story = _move(story, actor, S.AWAITING, fields=[])
    notifications.schedule(notifications.consent_requested, story.pk)
    return story


@transaction.atomic
def story_consent(*, actor: Any, story: Story) -> Story:
    """The organisation's representative agrees to the story as written."""
    story = _locked_story(story)
    if not access.represents(actor, story):
        raise PermissionDenied
    _expect(story, S.AWAITING, S.APPROVED)
    story.consent_method = Story.ConsentMethod.PLATFORM
    story.consent_by = actor
    story.consent_at = timezone.now()
    story.consent_note = ""
    story = _move(story, actor, S.APPROVED, fields=_CONSENT_FIELDS)
    notifications.schedule(notifications.consent_answered, story.pk, S.APPROVED)
    return story


_CONSENT_FIELDS = ["consent_method", "consent_by", "consent_at", "consent_note"]


@transaction.atomic
def story_consent_record(*, actor: Any, story: Story, note: str) -> Story:
    """The centre records a consent the organisation gave in writing (``note`` names the
    document: who signed what, when)."""
    story = _locked_story(story)
    _require_writer(actor, story.centre_id)
    errors = FieldErrors()
    text = errors.text({"note": note}, "note", 300, required=True)
    errors.raise_if_any()
    _expect(story, S.AWAITING, S.APPROVED)
    story.consent_method = Story.ConsentMethod.WRITTEN
    story.consent_by = actor
    story.consent_at = timezone.now()
    story.consent_note = text
    return _move(story, actor, S.APPROVED, text, fields=_CONSENT_FIELDS)


@transaction.atomic
def story_decline(*, actor: Any, story: Story, reason: str = "") -> Story:
    """The organisation's representative refuses the story (a reason helps the centre)."""
    story = _locked_story(story)
    if not access.represents(actor, story):
        raise PermissionDenied
    errors = FieldErrors()
    text = errors.text({"reason": reason}, "reason", 300, required=False)
    errors.raise_if_any()
    story = _move(story, actor, S.DECLINED, text, fields=[])
    notifications.schedule(notifications.consent_answered, story.pk, S.DECLINED)
    return story


@transaction.atomic
def story_withdraw_consent(*, actor: Any, story: Story, reason: str = "") -> Story:
    """The organisation's representative withdraws its consent: the story leaves the portal at
    once and needs a new consent to come back."""
    story = _locked_story(story)
    if not access.represents(actor, story):
        raise PermissionDenied
    errors = FieldErrors()
    text = errors.text({"reason": reason}, "reason", 300, required=False)
    errors.raise_if_any()
    _clear_consent(story)
    story.published_at = None
    story = _move(story, actor, S.WITHDRAWN, text, fields=[*_CONSENT_FIELDS, "published_at"])
    notifications.schedule(notifications.consent_answered, story.pk, S.WITHDRAWN)
    return story


@transaction.atomic
def story_publish(*, actor: Any, story: Story) -> Story:
    """Put an approved story on the portal."""
    story = _locked_story(story)
    _require_writer(actor, story.centre_id)
    story.published_at = timezone.now()
    return _move(story, actor, S.PUBLISHED, fields=["published_at"])


@transaction.atomic
def story_unpublish(*, actor: Any, story: Story, reason: str = "") -> Story:
    """The centre takes a story off the portal; the consent stays, so it may go up again."""
    story = _locked_story(story)
    _require_writer(actor, story.centre_id)
    errors = FieldErrors()
    text = errors.text({"reason": reason}, "reason", 300, required=False)
    errors.raise_if_any()
    _expect(story, S.PUBLISHED, S.APPROVED)
    story.published_at = None
    return _move(story, actor, S.APPROVED, text, fields=["published_at"])
