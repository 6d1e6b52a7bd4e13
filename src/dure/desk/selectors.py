"""Read queries of the desk: queues, the case page, the requester's status page and the
dashboards. Everything is scoped through ``access.cases_visible_to``; lists fetch their
related rows in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Avg, Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from dure.core.stats import monthly
from dure.directory.access import roles_of
from dure.directory.models import Organisation, OrganisationKind

from . import access, sla
from .models import (
    OPEN_STATUSES,
    Case,
    CaseAttachment,
    CaseCollaborator,
    CaseEvent,
    CaseMessage,
    CaseResolution,
    CaseSurvey,
    Category,
    Channel,
    Outcome,
    Status,
    Team,
    TeamMember,
)

MAX_PAGE = 100_000
LIST_RELATED = ("receiving_centre", "lead_institute", "team", "assignee", "sido")
QUEUES = ("all", "centre", "institute", "mine", "overdue", "due_soon", "unassigned", "waiting")


# --- SLA state of one case ---------------------------------------------------------------------


@dataclass(frozen=True)
class SlaState:
    """``first_response`` / ``resolution``: "met", "breached", "due_soon", "on_track",
    "paused" (waiting on the requester, not yet late) or "none" (no target)."""

    first_response: str
    first_response_due_at: dt.datetime | None
    resolution: str
    resolution_due_at: dt.datetime | None

    @property
    def overdue(self) -> bool:
        return "breached" in (self.first_response, self.resolution)


def _state(
    done_at: dt.datetime | None,
    due: dt.datetime | None,
    *,
    now: dt.datetime,
    waiting_since: dt.datetime | None,
    closed: bool,
) -> str:
    if due is None:
        return "none"
    if done_at is not None:
        return "met" if done_at <= due else "breached"
    if waiting_since is not None:
        return "breached" if due < waiting_since else "paused"
    if closed:
        return "none"
    if due < now:
        return "breached"
    return "due_soon" if sla.due_soon(now, due) else "on_track"


def sla_state(case: Case, *, now: dt.datetime | None = None) -> SlaState:
    now = now or timezone.now()
    closed = case.status in (Status.RESOLVED, Status.CLOSED)
    resolved = case.resolved_at if closed else None
    return SlaState(
        first_response=_state(
            case.first_response_at,
            case.first_response_due_at,
            now=now,
            waiting_since=case.waiting_since,
            closed=closed,
        ),
        first_response_due_at=case.first_response_due_at,
        resolution=_state(
            resolved,
            case.resolution_due_at,
            now=now,
            waiting_since=case.waiting_since,
            closed=closed and case.resolved_at is None,
        ),
        resolution_due_at=case.resolution_due_at,
    )


def overdue_q(now: dt.datetime) -> Q:
    """Open cases past a due date (first response not given, or not resolved). A case waiting
    on its requester is overdue only if it was already late when the clock stopped."""

    def late(field: str) -> Q:
        return (~Q(status=Status.WAITING) & Q(**{f"{field}__lt": now})) | Q(
            status=Status.WAITING, **{f"{field}__lt": F("waiting_since")}
        )

    return Q(status__in=OPEN_STATUSES) & (
        (Q(first_response_at__isnull=True) & late("first_response_due_at"))
        | late("resolution_due_at")
    )


def due_soon_q(now: dt.datetime, *, within_days: float = 1) -> Q:
    horizon = sla.add_business_days(now, within_days)
    return (
        Q(status__in=OPEN_STATUSES)
        & ~Q(status=Status.WAITING)
        & (
            Q(first_response_at__isnull=True, first_response_due_at__range=(now, horizon))
            | Q(resolution_due_at__range=(now, horizon))
        )
    )


# --- queues ------------------------------------------------------------------------------------


@dataclass
class CasePage:
    cases: list[Case]
    total: int
    page: int
    page_size: int

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.page_count

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _mine_q(user: Any) -> Q:
    return (
        Q(assignee=user)
        | Q(requester=user)
        | Exists(CaseCollaborator.objects.filter(case_id=OuterRef("pk"), user=user))
        | Exists(TeamMember.objects.filter(team_id=OuterRef("team_id"), user=user))
    )


def case_queryset(
    *,
    user: Any,
    queue: str = "all",
    status: str = "",
    category: str = "",
    channel: str = "",
    sido: str = "",
    centre_id: int | None = None,
    institute_id: int | None = None,
    query: str = "",
    now: dt.datetime | None = None,
    overdue: bool = False,
    mine: bool = False,
) -> QuerySet[Case]:
    """The cases of one queue that ``user`` may see, filtered (unordered, no related rows).

    Queues: ``all``; ``centre`` (received by ``centre_id`` or the user's centres);
    ``institute`` (lead or collaborating institute ``institute_id`` or the user's institutes);
    ``mine`` (assigned to me, my team's, collaborating, or requested by me); ``overdue``;
    ``due_soon`` (within one business day); ``unassigned`` (received or triaged);
    ``waiting`` (on the requester). ``overdue`` and ``mine`` narrow any queue further (e.g.
    ``queue="mine", overdue=True``: my overdue cases; ``queue="centre", mine=True``); all
    filters combine with AND."""
    now = now or timezone.now()
    qs = access.cases_visible_to(user)
    roles = roles_of(user)
    if queue == "centre":
        ids = {centre_id} if centre_id else access.centre_ids(roles)
        qs = qs.filter(receiving_centre_id__in=access.centre_scope({i for i in ids if i}))
    elif queue == "institute":
        ids = {institute_id} if institute_id else access.institute_ids(roles)
        qs = qs.filter(
            Q(lead_institute_id__in=ids)
            | Exists(
                Case.collaborating_institutes.through.objects.filter(
                    case_id=OuterRef("pk"), organisation_id__in=ids
                )
            )
        )
    elif queue == "mine":
        qs = qs.filter(_mine_q(user))
    elif queue == "overdue":
        qs = qs.filter(overdue_q(now))
    elif queue == "due_soon":
        qs = qs.filter(due_soon_q(now))
    elif queue == "unassigned":
        qs = qs.filter(status__in=[Status.RECEIVED, Status.TRIAGED])
    elif queue == "waiting":
        qs = qs.filter(status=Status.WAITING)
    if overdue and queue != "overdue":
        qs = qs.filter(overdue_q(now))
    if mine and queue != "mine":
        qs = qs.filter(_mine_q(user))
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category=category)
    if channel:
        qs = qs.filter(channel=channel)
    if sido:
        qs = qs.filter(sido_id=sido)
    if centre_id and queue != "centre":
        qs = qs.filter(receiving_centre_id=centre_id)
    if institute_id and queue != "institute":
        qs = qs.filter(lead_institute_id=institute_id)
    text = " ".join(str(query or "").split())[:100]
    if text:
        qs = qs.filter(Q(number=text) | Q(title__icontains=text) | Q(company_name__icontains=text))
    return qs


def case_queue(
    *,
    user: Any,
    queue: str = "all",
    status: str = "",
    category: str = "",
    channel: str = "",
    sido: str = "",
    centre_id: int | None = None,
    institute_id: int | None = None,
    query: str = "",
    page: int = 1,
    page_size: int | None = None,
    now: dt.datetime | None = None,
    overdue: bool = False,
    mine: bool = False,
) -> CasePage:
    """One page of a queue (newest first; ``overdue`` and ``due_soon`` by due date, also
    when ``overdue=True`` narrows another queue). Each case carries ``case.sla``
    (:class:`SlaState`). A fixed number of queries. ``overdue``/``mine``: see
    :func:`case_queryset`."""
    now = now or timezone.now()
    page_size = max(1, min(page_size or settings.DURE_PAGE_SIZE, 200))
    page = max(1, min(int(page), MAX_PAGE))
    qs = case_queryset(
        user=user,
        queue=queue,
        status=status,
        category=category,
        channel=channel,
        sido=sido,
        centre_id=centre_id,
        institute_id=institute_id,
        query=query,
        now=now,
        overdue=overdue,
        mine=mine,
    )
    total = qs.count()
    ordering: tuple[Any, ...] = ("-received_at", "-id")
    if queue in ("overdue", "due_soon") or overdue:
        ordering = (F("first_response_due_at").asc(nulls_last=True), "resolution_due_at", "id")
    offset = (page - 1) * page_size
    cases = list(qs.select_related(*LIST_RELATED).order_by(*ordering)[offset : offset + page_size])
    for case in cases:
        case.sla = sla_state(case, now=now)  # type: ignore[attr-defined]
    return CasePage(cases=cases, total=total, page=page, page_size=page_size)


def queue_counts(*, user: Any, now: dt.datetime | None = None) -> dict[str, int]:
    """How many cases each queue holds for ``user`` (one query)."""
    now = now or timezone.now()
    roles = roles_of(user)
    qs = access.cases_visible_to(user)
    centres = access.centre_scope(access.centre_ids(roles))
    institutes = access.institute_ids(roles)
    return qs.aggregate(
        all=Count("pk"),
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        centre=Count("pk", filter=Q(receiving_centre_id__in=centres)),
        institute=Count("pk", filter=Q(lead_institute_id__in=institutes)),
        mine=Count("pk", filter=_mine_q(user)),
        overdue=Count("pk", filter=overdue_q(now)),
        due_soon=Count("pk", filter=due_soon_q(now)),
        unassigned=Count("pk", filter=Q(status__in=[Status.RECEIVED, Status.TRIAGED])),
        waiting=Count("pk", filter=Q(status=Status.WAITING)),
    )


# --- one case ----------------------------------------------------------------------------------


def allowed_moves(user: Any, case: Case) -> list[str]:
    """The workflow services ``user`` may call on ``case`` now (``triage``, ``assign``,
    ``start``, ``wait``, ``resume``, ``resolve``, ``close``, ``reopen``)."""
    moves = []
    status = case.status
    if status in (Status.RECEIVED, Status.TRIAGED, Status.ASSIGNED, Status.IN_PROGRESS):
        if access.can_triage(user, case):
            moves.append("triage")
    if status in (Status.TRIAGED, Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING):
        if access.can_assign(user, case):
            moves.append("assign")
    work = access.can_work(user, case)
    if work and status == Status.ASSIGNED:
        moves.append("start")
    if work and status == Status.IN_PROGRESS:
        moves.append("wait")
    if work and status == Status.WAITING:
        moves.append("resume")
    if work and status in (Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING):
        moves.append("resolve")
    if status in (Status.RESOLVED, Status.RECEIVED, Status.TRIAGED) and access.can_close(
        user, case
    ):
        moves.append("close")
    if status in (Status.RESOLVED, Status.CLOSED) and case.resolved_at and reopen_open(case):
        if access.can_reopen(user, case):
            moves.append("reopen")
    return moves


def reopen_open(case: Case, *, now: dt.datetime | None = None) -> bool:
    from .services import reopen_window_days

    if case.resolved_at is None or case.status not in (Status.RESOLVED, Status.CLOSED):
        return False
    now = now or timezone.now()
    return now - case.resolved_at <= dt.timedelta(days=reopen_window_days())


@dataclass
class CaseDetail:
    case: Case
    messages: list[CaseMessage]
    events: list[CaseEvent]
    intake_attachments: list[CaseAttachment]
    collaborators: list[CaseCollaborator]
    collaborating_institutes: list[Organisation]
    resolutions: list[CaseResolution]
    sla: SlaState
    moves: list[str]
    can_post: bool
    can_post_internal: bool
    can_manage_collaborators: bool
    teams: list[Team] = field(default_factory=list)  # the lead institute's teams (assignment)
    company_team: Team | None = None  # the SME's team at the lead institute
    # May the viewer see the requester's contact (name, phone, e-mail) and business number
    # (``access.can_see_contact``)? The page hides them when not.
    show_contact: bool = False


def case_detail(*, user: Any, case: Case, now: dt.datetime | None = None) -> CaseDetail:
    """Everything the case page shows to ``user`` (internal notes and events only for the
    staff side). ``case`` comes from ``access.access_case``."""
    from .services import company_team_for

    internal = access.can_see_internal(user, case)
    attachments_qs = CaseAttachment.objects.order_by("created_at", "id")
    if not internal:
        attachments_qs = attachments_qs.filter(is_internal=False)
    messages = list(
        access.messages_visible_to(user, case)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=attachments_qs))
        .order_by("created_at", "id")
    )
    events_qs = case.events.select_related("actor").order_by("at", "id")
    if not internal:
        events_qs = events_qs.filter(is_internal=False)
    teams: list[Team] = []
    if case.lead_institute_id and access.can_assign(user, case):
        teams = list(
            Team.objects.filter(institute_id=case.lead_institute_id, is_active=True)
            .prefetch_related("members")
            .order_by("name")
        )
    return CaseDetail(
        case=case,
        messages=messages,
        events=list(events_qs),
        intake_attachments=list(attachments_qs.filter(case=case, message__isnull=True)),
        collaborators=list(
            case.collaborator_links.select_related("user", "institute").order_by("added_at")
        ),
        collaborating_institutes=list(case.collaborating_institutes.order_by("name")),
        resolutions=list(
            case.resolutions.select_related("survey", "resolved_by").order_by("round")
        ),
        sla=sla_state(case, now=now),
        moves=allowed_moves(user, case),
        can_post=access.can_post(user, case, internal=False) and case.status != Status.CLOSED,
        can_post_internal=internal and case.status != Status.CLOSED,
        can_manage_collaborators=access.can_manage_collaborators(user, case),
        teams=teams,
        company_team=company_team_for(case) if internal else None,
        show_contact=access.can_see_contact(user, case),
    )


@dataclass
class PublicCaseView:
    """What the requester sees through the status link: no internal notes or events, no staff
    names (only "센터", "연구기관" …), no recommendation details."""

    case: Case
    messages: list[CaseMessage]
    intake_attachments: list[CaseAttachment]
    timeline: list[tuple[dt.datetime, str, str]]  # (time, kind, kind label)
    resolution: CaseResolution | None
    survey_open: bool
    can_reply: bool
    can_reopen: bool


def case_public_view(*, case: Case, now: dt.datetime | None = None) -> PublicCaseView:
    public_files = CaseAttachment.objects.filter(is_internal=False).order_by("created_at", "id")
    messages = list(
        case.messages.filter(is_internal=False)
        .prefetch_related(Prefetch("attachments", queryset=public_files))
        .order_by("created_at", "id")
    )
    status_kinds = {
        CaseEvent.Kind.SUBMITTED,
        CaseEvent.Kind.TRIAGED,
        CaseEvent.Kind.ASSIGNED,
        CaseEvent.Kind.STARTED,
        CaseEvent.Kind.WAITING,
        CaseEvent.Kind.RESUMED,
        CaseEvent.Kind.RESOLVED,
        CaseEvent.Kind.CLOSED,
        CaseEvent.Kind.REOPENED,
    }
    timeline = [
        (e.at, e.kind, str(CaseEvent.Kind(e.kind).label))
        for e in case.events.filter(is_internal=False, kind__in=status_kinds).order_by("at", "id")
    ]
    resolution = (
        case.resolutions.select_related("survey").filter(round=case.resolution_count).first()
        if case.resolution_count
        else None
    )
    answered = resolution is not None and CaseSurvey.objects.filter(resolution=resolution).exists()
    return PublicCaseView(
        case=case,
        messages=messages,
        intake_attachments=list(public_files.filter(case=case, message__isnull=True)),
        timeline=timeline,
        resolution=resolution,
        survey_open=(
            resolution is not None
            and case.status in (Status.RESOLVED, Status.CLOSED)
            and not answered
        ),
        can_reply=case.status != Status.CLOSED,
        can_reopen=reopen_open(case, now=now),
    )


def case_recommendations(*, case: Case, limit: int = 5) -> list[Any]:
    """The routing recommendation for the triage form (``dure.routing.services.recommend``:
    objects with ``institute`` (acronym), ``score`` and ``evidence``), or [] while the routing
    app is not there."""
    try:
        from dure.routing.services import recommend
    except ImportError:
        return []
    return list(recommend(case.routing_text, limit=limit))


@dataclass(frozen=True)
class TechbankMatch:
    kind: str  # technology, equipment, lab or expert
    object_id: int
    title: str
    score: float


TECHBANK_MATCH_QUERY_CHARS = 300


@dataclass(frozen=True)
class RequesterNextSteps:
    """What a requester can start in the technology bank from their open case."""

    technologies: list[TechbankMatch]  # matching technologies to apply for (transfer)
    exchange: bool  # whether to offer a personnel-exchange request


def requester_next_steps(*, user: Any, case: Case) -> RequesterNextSteps | None:
    """Existing technology → a technology-transfer application; personnel exchange → an
    exchange request; both linked to the case. Follows the triage: before it, matching
    technologies are offered; after it, only what the case was classed as."""
    from dure.techbank import access as techbank_access

    if not case.is_open or not techbank_access.can_apply_for_transfer(user):
        return None
    technologies: list[TechbankMatch] = []
    if case.category in ("", Category.TECH_TRANSFER):
        matches = case_techbank_matches(user=user, case=case, limit=10)
        technologies = [m for m in matches if m.kind == "technology"][:5]
    exchange = case.category == Category.PERSONNEL
    if not technologies and not exchange:
        return None
    return RequesterNextSteps(technologies, exchange)


@dataclass(frozen=True)
class CaseLink:
    """What another app may know of a case it links to: which case, whose."""

    id: int
    number: str
    organisation_id: int | None


def case_link(*, user: Any, number: str) -> CaseLink | None:
    """The case ``number`` if ``user`` may see it, for linking a technology-transfer
    application or an exchange request to the case it came from; ``None`` otherwise (missing
    and forbidden look the same)."""
    try:
        case = access.access_case_by_number(user=user, number=number)
    except Http404:
        return None
    return CaseLink(case.pk, case.number, case.organisation_id)


def case_number(case_id: int) -> str | None:
    """A case's readable number (shown on requests linked to it)."""
    return Case.objects.filter(pk=case_id).values_list("number", flat=True).first()


def case_numbers(case_ids: Iterable[int]) -> dict[int, str]:
    """Readable numbers of many cases in one query (lists of linked requests)."""
    ids = {pk for pk in case_ids if pk}
    if not ids:
        return {}
    return dict(Case.objects.filter(pk__in=ids).values_list("pk", "number"))


def case_link_by_id(*, user: Any, case_id: int | None) -> CaseLink | None:
    """The linked case by id, if ``user`` may see it (for showing the link)."""
    if not case_id:
        return None
    case = (
        access.cases_visible_to(user)
        .filter(pk=case_id)
        .only("id", "number", "organisation")
        .first()
    )
    return CaseLink(case.pk, case.number, case.organisation_id) if case else None


def case_techbank_matches(*, user: Any, case: Case, limit: int = 5) -> list[TechbankMatch]:
    """Technologies, equipment, labs and (for those who may see them) experts of the
    technology bank matching the case's text, best first, for the people routing it. The
    text is cut to its first words: a whole 10,000-character request would match everything."""
    from dure.techbank.selectors import techbank_search

    query = case.routing_text[:TECHBANK_MATCH_QUERY_CHARS]
    result = techbank_search(user=user, query=query, limit=limit)
    return [TechbankMatch(h.kind, h.object_id, h.title, h.score) for h in result.hits]


def team_list(*, user: Any, institute_id: int | None = None) -> list[Team]:
    qs = access.teams_visible_to(user).select_related("institute")
    if institute_id:
        qs = qs.filter(institute_id=institute_id)
    return list(
        qs.prefetch_related(
            Prefetch("memberships", queryset=TeamMember.objects.select_related("user"))
        )
        .annotate(
            open_cases=Count("cases", filter=Q(cases__status__in=OPEN_STATUSES), distinct=True)
        )
        .order_by("institute__name", "name")
    )


def institutes_for_triage() -> list[Organisation]:
    return list(
        Organisation.objects.filter(kind=OrganisationKind.RESEARCH_INSTITUTE).order_by("name")
    )


# --- dashboards --------------------------------------------------------------------------------


FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(9999, 12, 30)


def clamp_date(day: dt.date) -> dt.date:
    """A date within ``FIRST_DAY``..``LAST_DAY``, so that its Seoul midnight and the next
    day's stay representable (in Python and in the database) whatever the caller sends."""
    if isinstance(day, dt.datetime):
        day = day.date()
    return min(max(day, FIRST_DAY), LAST_DAY)


def seoul_day_start(day: dt.date) -> dt.datetime:
    """Midnight (KST) starting ``day`` (clamped)."""
    return dt.datetime.combine(clamp_date(day), dt.time(), tzinfo=sla.SEOUL)


def _seoul_bounds(since: dt.date | None, until: dt.date | None) -> Q:
    """``received_at`` from the start of ``since`` to the end of ``until`` (KST days,
    inclusive), dates clamped to 1900-01-01..9999-12-30."""
    q = Q()
    if since:
        q &= Q(received_at__gte=seoul_day_start(since))
    if until:
        q &= Q(received_at__lt=seoul_day_start(until) + dt.timedelta(days=1))
    return q


def dashboard_cases(
    *, user: Any, since: dt.date | None = None, until: dt.date | None = None
) -> QuerySet[Case]:
    """The cases a dashboard counts: visible to ``user``, received between the dates (KST,
    inclusive), dismissed ones (closed without a resolution) left out."""
    return (
        access.cases_visible_to(user)
        .filter(_seoul_bounds(since, until))
        .exclude(status=Status.CLOSED, resolution_count=0)
    )


COUNT_DIMENSIONS = {
    "category": ("category", dict(Category.choices)),
    "channel": ("channel", dict(Channel.choices)),
    "status": ("status", dict(Status.choices)),
    "outcome": ("outcome", dict(Outcome.choices)),
    "sido": ("sido__name", None),
    "institute": ("lead_institute__acronym", None),
    "centre": ("receiving_centre__name", None),
}


def case_counts(
    *, user: Any, by: str, since: dt.date | None = None, until: dt.date | None = None
) -> list[tuple[str, str, int]]:
    """(key, label, count) per value of one dimension (``category``, ``channel``, ``status``,
    ``outcome``, ``sido``, ``institute``, ``centre``), largest first; "" is "not set"."""
    column, labels = COUNT_DIMENSIONS[by]
    rows = (
        dashboard_cases(user=user, since=since, until=until)
        .values(column)
        .annotate(n=Count("pk"))
        .order_by("-n", column)
    )
    out = []
    for row in rows:
        key = row[column] or ""
        label = str(labels.get(key, key)) if labels is not None else key
        out.append((key, label or "-", row["n"]))
    return out


def sla_compliance(
    *,
    user: Any,
    since: dt.date | None = None,
    until: dt.date | None = None,
    now: dt.datetime | None = None,
) -> dict[str, dict[str, Any]]:
    """First response and resolution: met, breached (late, or still open past due), pending
    (open, not yet due) and the rate met / (met + breached). One query."""
    now = now or timezone.now()
    qs = dashboard_cases(user=user, since=since, until=until)
    late_open_fr = Q(first_response_at__isnull=True) & (
        (~Q(status=Status.WAITING) & Q(first_response_due_at__lt=now))
        | Q(status=Status.WAITING, first_response_due_at__lt=F("waiting_since"))
    )
    late_open_res = Q(status__in=OPEN_STATUSES) & (
        (~Q(status=Status.WAITING) & Q(resolution_due_at__lt=now))
        | Q(status=Status.WAITING, resolution_due_at__lt=F("waiting_since"))
    )
    resolved = Q(status__in=[Status.RESOLVED, Status.CLOSED], resolved_at__isnull=False)
    row = qs.aggregate(
        fr_met=Count(
            "pk",
            filter=Q(
                first_response_at__isnull=False, first_response_at__lte=F("first_response_due_at")
            ),
        ),
        fr_late=Count(
            "pk",
            filter=Q(
                first_response_at__isnull=False, first_response_at__gt=F("first_response_due_at")
            ),
        ),
        fr_open_late=Count("pk", filter=late_open_fr & Q(status__in=OPEN_STATUSES)),
        fr_pending=Count("pk", filter=Q(first_response_at__isnull=True, status__in=OPEN_STATUSES)),
        res_met=Count("pk", filter=resolved & Q(resolved_at__lte=F("resolution_due_at"))),
        res_late=Count("pk", filter=resolved & Q(resolved_at__gt=F("resolution_due_at"))),
        res_open_late=Count("pk", filter=late_open_res),
        res_pending=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
    )

    def block(met: int, late: int, open_late: int, pending: int) -> dict[str, Any]:
        breached = late + open_late
        return {
            "met": met,
            "breached": breached,
            "pending": pending - open_late,
            "rate": round(met / (met + breached), 4) if met + breached else None,
        }

    return {
        "first_response": block(
            row["fr_met"], row["fr_late"], row["fr_open_late"], row["fr_pending"]
        ),
        "resolution": block(
            row["res_met"], row["res_late"], row["res_open_late"], row["res_pending"]
        ),
    }


RESOLUTION_BUCKETS = (1, 3, 5, 10, 20, 40)


def _latest_resolutions(
    *, user: Any, since: dt.date | None, until: dt.date | None
) -> QuerySet[CaseResolution]:
    cases = dashboard_cases(user=user, since=since, until=until).filter(resolution_count__gt=0)
    return CaseResolution.objects.filter(
        case__in=cases.values("pk"), round=F("case__resolution_count")
    )


def resolution_time_distribution(
    *,
    user: Any,
    since: dt.date | None = None,
    until: dt.date | None = None,
    buckets: tuple[int, ...] = RESOLUTION_BUCKETS,
) -> dict[str, Any]:
    """Business days from receipt to the latest resolution (waiting time left out), as
    buckets "≤1", "≤3", … ">40", with count, mean and median."""
    values = sorted(
        _latest_resolutions(user=user, since=since, until=until).values_list(
            "business_days", flat=True
        )
    )
    labels = [f"≤{b}" for b in buckets] + [f">{buckets[-1]}"]
    counts = dict.fromkeys(labels, 0)
    for v in values:
        for b in buckets:
            if v <= b:
                counts[f"≤{b}"] += 1
                break
        else:
            counts[f">{buckets[-1]}"] += 1
    n = len(values)
    median = None
    if n:
        median = values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2
    return {
        "buckets": list(counts.items()),
        "count": n,
        "mean": round(sum(values) / n, 2) if n else None,
        "median": round(median, 2) if median is not None else None,
    }


def satisfaction_summary(
    *, user: Any, since: dt.date | None = None, until: dt.date | None = None
) -> dict[str, Any]:
    cases = dashboard_cases(user=user, since=since, until=until)
    surveys = CaseSurvey.objects.filter(case__in=cases.values("pk"))
    rows = dict(surveys.values_list("rating").annotate(n=Count("pk")).order_by())
    total = sum(rows.values())
    average = surveys.aggregate(avg=Avg("rating"))["avg"]
    return {
        "count": total,
        "average": round(float(average), 2) if average is not None else None,
        "distribution": [(r, rows.get(r, 0)) for r in range(1, 6)],
    }


@dataclass(frozen=True)
class InstitutePerformance:
    institute_id: int
    acronym: str
    name: str
    cases: int
    open: int
    resolved: int
    on_time: int
    on_time_rate: float | None
    first_response_met: int
    avg_business_days: float | None
    surveys: int
    avg_satisfaction: float | None


def institute_performance(
    *, user: Any, since: dt.date | None = None, until: dt.date | None = None
) -> list[InstitutePerformance]:
    """Per lead institute: cases, open, resolved, resolved on time (and the rate), first
    responses on time, average business days to resolve and satisfaction. Two queries."""
    cases = dashboard_cases(user=user, since=since, until=until).filter(
        lead_institute__isnull=False
    )
    resolved = Q(status__in=[Status.RESOLVED, Status.CLOSED], resolved_at__isnull=False)
    rows = (
        cases.values("lead_institute_id", "lead_institute__acronym", "lead_institute__name")
        .annotate(
            n=Count("pk"),
            n_open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
            n_resolved=Count("pk", filter=resolved),
            n_on_time=Count("pk", filter=resolved & Q(resolved_at__lte=F("resolution_due_at"))),
            n_fr_met=Count(
                "pk",
                filter=Q(
                    first_response_at__isnull=False,
                    first_response_at__lte=F("first_response_due_at"),
                ),
            ),
        )
        .order_by("lead_institute__name")
    )
    extra = {
        row["case__lead_institute_id"]: row
        for row in CaseResolution.objects.filter(
            case__in=cases.values("pk"), round=F("case__resolution_count")
        )
        .values("case__lead_institute_id")
        .annotate(
            avg_days=Avg("business_days"), surveys=Count("survey"), avg_rating=Avg("survey__rating")
        )
        .order_by()
    }
    out = []
    for row in rows:
        more: dict[str, Any] = dict(extra.get(row["lead_institute_id"]) or {})
        resolved_n = row["n_resolved"]
        out.append(
            InstitutePerformance(
                institute_id=row["lead_institute_id"],
                acronym=row["lead_institute__acronym"] or "",
                name=row["lead_institute__name"],
                cases=row["n"],
                open=row["n_open"],
                resolved=resolved_n,
                on_time=row["n_on_time"],
                on_time_rate=round(row["n_on_time"] / resolved_n, 4) if resolved_n else None,
                first_response_met=row["n_fr_met"],
                avg_business_days=round(more["avg_days"], 2)
                if more.get("avg_days") is not None
                else None,
                surveys=more.get("surveys", 0),
                avg_satisfaction=round(float(more["avg_rating"]), 2)
                if more.get("avg_rating") is not None
                else None,
            )
        )
    return out


# Columns of the export for institutes' evaluation: no personal data — no names, phone
# numbers, e-mails, business numbers, company names or free text.
EVALUATION_COLUMNS = (
    "number",
    "received_date",
    "channel",
    "category",
    "priority",
    "sido",
    "industry",
    "company_size",
    "receiving_centre",
    "lead_institute",
    "collaborating_institutes",
    "status",
    "outcome",
    "first_response_met",
    "resolution_met",
    "business_days_to_resolution",
    "satisfaction",
)


def evaluation_export_rows(
    *, user: Any, since: dt.date | None = None, until: dt.date | None = None
) -> Iterator[dict[str, Any]]:
    """One row per case for institutes' evaluation (``EVALUATION_COLUMNS``), without any
    personal data. Fixed number of queries; streams in chunks."""
    latest = CaseResolution.objects.filter(round=F("case__resolution_count")).select_related(
        "survey"
    )
    qs = (
        dashboard_cases(user=user, since=since, until=until)
        .select_related("sido", "receiving_centre", "lead_institute")
        .prefetch_related(
            Prefetch("collaborating_institutes", queryset=Organisation.objects.only("acronym")),
            Prefetch("resolutions", queryset=latest, to_attr="latest_resolutions"),
        )
        .order_by("received_at", "id")
    )
    for case in qs.iterator(chunk_size=500):
        res = case.latest_resolutions[0] if case.latest_resolutions else None  # type: ignore[attr-defined]
        survey = getattr(res, "survey", None) if res is not None else None
        yield {
            "number": case.number,
            "received_date": timezone.localtime(case.received_at).date().isoformat(),
            "channel": case.channel,
            "category": case.category,
            "priority": case.priority,
            "sido": case.sido.name if case.sido else "",
            "industry": case.industry_id or "",
            "company_size": case.company_size,
            "receiving_centre": case.receiving_centre.name if case.receiving_centre else "",
            "lead_institute": case.lead_institute.acronym if case.lead_institute else "",
            "collaborating_institutes": ";".join(
                sorted(o.acronym for o in case.collaborating_institutes.all())
            ),
            "status": case.status,
            "outcome": res.outcome if res else "",
            "first_response_met": (
                None
                if case.first_response_at is None or case.first_response_due_at is None
                else case.first_response_at <= case.first_response_due_at
            ),
            "resolution_met": res.met_target if res else None,
            "business_days_to_resolution": res.business_days if res else None,
            "satisfaction": survey.rating if survey else None,
        }


def timeline(*, user: Any, case: Case) -> list[CaseEvent]:
    qs = case.events.select_related("actor").order_by("at", "id")
    if not access.can_see_internal(user, case):
        qs = qs.filter(is_internal=False)
    return list(qs)


# --- policy indicators (``dure.insights``) ------------------------------------------------------


def cases_resolved_monthly(*, year: int) -> list[int]:
    """Cases solved in each month of ``year``: resolved (or closed after it) with an outcome
    other than "unsolvable". A reopened case keeps its ``resolved_at`` (the reopen window reads
    it) but is open again, so it does not count until it is resolved again."""
    solved = Case.objects.filter(
        resolved_at__isnull=False, status__in=[Status.RESOLVED, Status.CLOSED]
    ).exclude(outcome=Outcome.UNSOLVABLE)
    return monthly(solved, "resolved_at", year)
