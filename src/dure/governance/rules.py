"""The law of cooperative governance as small pure functions (협동조합 기본법 and its
Enforcement Decree). No models, no database: the governance services, the assembly checker page,
its API and ``dure assembly-check`` all call these, so the rules live in one place.

Arithmetic is exact integer arithmetic (no floats):

* "more than half" (과반수) of n is ``n // 2 + 1`` — exactly half is not enough;
* "at least 2/3" (3분의 2 이상) of n is ``ceil(2n / 3)`` = ``(2n + 2) // 3``;
* notice "at least N days before" the meeting: the notice day and the meeting day are both left
  out of the count (초일 불산입, 민법 제157조, and the meeting day itself), so N whole days lie
  between them — for a meeting on 31 July, 7 days' notice must go out by 23 July and the 10 days
  before an expulsion by 20 July: ``latest = meeting − (N + 1) days``.

Messages are Korean (the source language) and translated with gettext at call time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

Resolution = Literal["ordinary", "special"]

# --- the vocabulary ------------------------------------------------------------------------------

KINDS = ("general", "delegate", "founding", "board")
KIND_LABELS = {
    "general": gettext_lazy("총회(정기·임시)"),
    "delegate": gettext_lazy("대의원총회"),
    "founding": gettext_lazy("창립총회"),
    "board": gettext_lazy("이사회"),
}
# Who "members" counts, for each kind of meeting (used in explanations).
VOTER_LABELS = {
    "general": gettext_lazy("조합원"),
    "delegate": gettext_lazy("대의원"),
    "founding": gettext_lazy("설립동의자"),
    "board": gettext_lazy("이사"),
}

ORDINARY_MATTERS = {
    "business_plan",
    "budget",
    "financial_statements",
    "audit_report",
    "officer_election",
    "officer_removal",
    "bylaws",
    "other",
}
# Art. 29②: articles; merger, split, dissolution (suspension, continuation); expulsion; refunds
# to departed or expelled members; preferred investment in another cooperative.
SPECIAL_MATTERS = {
    "articles_amendment",
    "merger",
    "split",
    "dissolution",
    "expulsion",
    "capital_refund",
    "preferred_investment",
}
MATTERS = ORDINARY_MATTERS | SPECIAL_MATTERS
MATTER_LABELS = {  # in the order a form shows them
    "business_plan": gettext_lazy("사업계획 승인"),
    "budget": gettext_lazy("예산 승인"),
    "financial_statements": gettext_lazy("결산보고서(재무제표) 승인"),
    "audit_report": gettext_lazy("감사보고"),
    "officer_election": gettext_lazy("임원 선출"),
    "officer_removal": gettext_lazy("임원 해임"),
    "bylaws": gettext_lazy("규약·규정 제정·변경"),
    "other": gettext_lazy("그 밖의 안건"),
    "articles_amendment": gettext_lazy("정관 변경"),
    "merger": gettext_lazy("합병"),
    "split": gettext_lazy("분할"),
    "dissolution": gettext_lazy("해산"),
    "expulsion": gettext_lazy("조합원 제명"),
    "capital_refund": gettext_lazy("탈퇴·제명 조합원의 출자금 환급"),
    "preferred_investment": gettext_lazy("다른 협동조합에 대한 우선출자"),
}
# Art. 31: a delegate assembly cannot decide these.
DELEGATE_FORBIDDEN_MATTERS = {"merger", "split", "dissolution"}
RESOLUTION_LABELS = {
    "ordinary": gettext_lazy("보통결의"),
    "special": gettext_lazy("특별결의"),
}

MIN_FOUNDERS = 5  # art. 15①
MIN_ACTIVE_MEMBERS = 5  # art. 70의2 (dormant cooperative): fewer than the minimum founders
DELEGATE_ASSEMBLY_MIN_MEMBERS = 201  # art. 31①: only with more than 200 members
DELEGATE_SHARE_BP = 1000  # art. 31: delegates at least 10 % of the members
DELEGATE_CAP = 100  # … which may be capped at 100 delegates (the reading)
NOTICE_DAYS = 7  # art. 28 (and Decree art. 6 for the founding meeting)
EXPULSION_NOTICE_DAYS = 10  # art. 25
SHARE_CAP_BP = 3000  # art. 22②: 30 %
MIN_DIRECTORS = 3  # art. 34①, including the chair
MIN_AUDITORS = 1  # art. 34①
MAX_TERM_YEARS = 4  # art. 35①
MAX_CHAIR_REELECTIONS = 2  # art. 35②: re-elected only twice → at most 3 consecutive terms
ORDINARY_ASSEMBLY_MONTHS_AFTER_YEAR_END = 3  # standard articles: within 3 months of year end
DORMANT_YEARS = 2  # art. 70의2
REFUND_CLAIM_YEARS = 2  # art. 26: the claim lapses after 2 years


def _more_than_half(n: int) -> int:
    return n // 2 + 1


def _two_thirds(n: int) -> int:
    return (2 * n + 2) // 3  # ceil(2n/3) without floats


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(
            _("알 수 없는 회의 종류입니다: %(kind)s (가능한 값: %(allowed)s)")
            % {"kind": kind, "allowed": ", ".join(KINDS)}
        )


def _check_resolution(resolution: str) -> None:
    if resolution not in RESOLUTION_LABELS:
        raise ValueError(
            _("결의 종류는 ordinary 또는 special이어야 합니다: %(value)s") % {"value": resolution}
        )


# --- quorum and majorities -----------------------------------------------------------------------


def resolution_for(matter: str) -> Resolution:
    """Art. 29②: the matters listed there need a special resolution, everything else an
    ordinary one. Unknown matter → ``ValueError``."""
    if matter in SPECIAL_MATTERS:
        return "special"
    if matter in ORDINARY_MATTERS:
        return "ordinary"
    raise ValueError(
        _("알 수 없는 안건 종류입니다: %(matter)s (가능한 값: %(allowed)s)")
        % {"matter": matter, "allowed": ", ".join(MATTER_LABELS)}
    )


def required_present(kind: str, members: int) -> int:
    """More than half must attend (``members // 2 + 1``): of all members (art. 29), of the
    delegates (art. 31), of those who submitted consent forms (art. 15②) or of the directors
    (art. 32). Ten members need 6; exactly half is not a quorum."""
    _check_kind(kind)
    return _more_than_half(members)


def required_yes(kind: str, resolution: str, present: int) -> int:
    """How many of those present must vote yes. General and delegate assemblies: ordinary →
    more than half of those present, special → at least 2/3 (art. 29); founding meeting → at
    least 2/3 whatever the matter (art. 15②); board → more than half (art. 32). Abstentions
    count as present, not in favour. 7 present: ordinary 4, special 5."""
    _check_kind(kind)
    _check_resolution(resolution)
    if kind == "founding" or (kind != "board" and resolution == "special"):
        return _two_thirds(present)
    return _more_than_half(present)


def effective_resolution(kind: str, matter: str | None) -> Resolution:
    """The majority a meeting applies: founding meetings always 2/3 ("special"), boards always
    a simple majority ("ordinary"), assemblies by the matter (art. 29②)."""
    _check_kind(kind)
    if kind == "founding":
        return "special"
    if kind == "board":
        return "ordinary"
    if matter is None:
        raise ValueError(_("안건 종류(matter)를 입력해 주세요."))
    return resolution_for(matter)


def _threshold_words(resolution: str) -> str:
    return _("2/3") if resolution == "special" else _("과반수")


def explain_vote(present: int, yes: int, resolution: str) -> str:
    """``"출석 7명 중 찬성 5명 ≥ 2/3(5명) → 가결"``. The majority is the assembly's (for a
    founding meeting pass ``"special"``, for a board ``"ordinary"``)."""
    _check_resolution(resolution)
    needed = _two_thirds(present) if resolution == "special" else _more_than_half(present)
    carried = yes >= needed
    return _(
        "출석 %(present)s명 중 찬성 %(yes)s명 %(cmp)s %(threshold)s(%(needed)s명) → %(result)s"
    ) % {
        "present": present,
        "yes": yes,
        "cmp": "≥" if carried else "<",
        "threshold": _threshold_words(resolution),
        "needed": needed,
        "result": _("가결") if carried else _("부결"),
    }


def explain_quorum(kind: str, members: int, present: int) -> str:
    """``"조합원 10명 중 출석 6명 ≥ 과반수(6명) → 성원"``."""
    needed = required_present(kind, members)
    met = present >= needed
    return _(
        "%(voters)s %(members)s명 중 출석 %(present)s명 %(cmp)s 과반수(%(needed)s명) → %(result)s"
    ) % {
        "voters": VOTER_LABELS[kind],
        "members": members,
        "present": present,
        "cmp": "≥" if met else "<",
        "needed": needed,
        "result": _("성원") if met else _("성원 미달"),
    }


# --- notices -------------------------------------------------------------------------------------


def latest_notice_date(meeting_date: dt.date, days: int = NOTICE_DAYS) -> dt.date:
    """The last day a notice may go out so that ``days`` whole days lie between it and the
    meeting: neither the notice day (초일 불산입) nor the meeting day counts. Meeting on
    31 July: 7 days → 23 July (art. 28), 10 days → 20 July (expulsion, art. 25)."""
    if days < 0:
        raise ValueError(_("통지 기간은 0일 이상이어야 합니다."))
    return meeting_date - dt.timedelta(days=days + 1)


def notice_in_time(meeting_date: dt.date, notice_date: dt.date, days: int = NOTICE_DAYS) -> bool:
    """True when the notice went out on or before :func:`latest_notice_date` (a notice 8 days
    before a meeting is in time for 7 days' notice, one 7 days before is late)."""
    return notice_date <= latest_notice_date(meeting_date, days)


def explain_notice(
    meeting_date: dt.date, notice_date: dt.date, days: int, *, expulsion: bool = False
) -> str:
    latest = latest_notice_date(meeting_date, days)
    ok = notice_date <= latest
    what = _("제명 사유 통지") if expulsion else _("소집 통지")
    return _(
        "%(what)s %(notice)s %(cmp)s 기한 %(latest)s (회의일 %(meeting)s의 %(days)s일 전까지, "
        "통지일과 회의일은 세지 않음) → %(result)s"
    ) % {
        "what": what,
        "notice": notice_date.isoformat(),
        "cmp": "≤" if ok else ">",
        "latest": latest.isoformat(),
        "meeting": meeting_date.isoformat(),
        "days": days,
        "result": _("기한 준수") if ok else _("기한 위반"),
    }


# --- the assembly checker ------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckInput:
    """One item to check. ``members`` counts the voters of this kind of meeting: all members
    (general), delegates (delegate; ``total_members`` is the cooperative's membership),
    consenters (founding; ``founders`` the founders) or directors (board). ``present`` includes
    members represented by a proxy."""

    id: Any
    kind: str
    members: int
    present: int
    yes: int
    no: int
    abstain: int
    matter: str | None
    total_members: int | None = None
    founders: int | None = None
    meeting_date: dt.date | None = None
    notice_date: dt.date | None = None
    expulsion_notice_date: dt.date | None = None


@dataclass(frozen=True)
class CheckResult:
    id: Any
    quorum: bool
    required_present: int
    resolution: str
    required_yes: int
    notice_ok: bool | None
    passed: bool
    errors: list[str]
    explanation: str
    # The explanation sentence by sentence (for a page to show as a list); not in the JSON.
    steps: tuple[str, ...] = field(default=(), compare=False)

    def as_dict(self) -> dict[str, Any]:
        """The JSON object of the CLI and the API, fields in the contract's order."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "steps"} | {
            "errors": list(self.errors)
        }


class CheckInputError(ValueError):
    """Input that cannot be checked; ``errors`` lists every problem (Korean messages)."""

    def __init__(self, errors: list[str], partial: dict[str, Any] | None = None) -> None:
        self.errors = errors
        self.partial = partial or {}
        super().__init__(" ".join(errors))


COUNT_FIELDS = ("members", "present", "yes", "no", "abstain")
OPTIONAL_COUNT_FIELDS = ("total_members", "founders")
DATE_FIELDS = ("meeting_date", "notice_date", "expulsion_notice_date")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_count(name: str, value: Any, errors: list[str]) -> int | None:
    if value is None:
        errors.append(_("%(field)s: 필수 항목입니다.") % {"field": name})
        return None
    if not _is_int(value):
        errors.append(_("%(field)s: 0 이상의 정수여야 합니다.") % {"field": name})
        return None
    if value < 0:
        errors.append(
            _("%(field)s: 0 이상의 정수여야 합니다 (입력값 %(value)s).")
            % {"field": name, "value": value}
        )
        return None
    return value


def _parse_date(name: str, value: Any, errors: list[str]) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    errors.append(
        _("%(field)s: 날짜는 YYYY-MM-DD 형식이어야 합니다 (입력값 %(value)s).")
        % {"field": name, "value": value}
    )
    return None


def _parse(data: Any) -> tuple[dict[str, Any], list[str]]:
    """Every field that parses, and a message for every one that does not."""
    errors: list[str] = []
    if not isinstance(data, dict):
        return {"id": None}, [_("각 줄은 JSON 객체여야 합니다.")]
    parsed: dict[str, Any] = {"id": data.get("id")}
    kind = data.get("kind")
    if kind is None:
        errors.append(_("kind: 필수 항목입니다 (general, delegate, founding, board)."))
    elif not isinstance(kind, str) or kind not in KINDS:
        errors.append(
            _("kind: 알 수 없는 회의 종류입니다: %(kind)s (가능한 값: %(allowed)s)")
            % {"kind": kind, "allowed": ", ".join(KINDS)}
        )
    else:
        parsed["kind"] = kind
    for name in COUNT_FIELDS:
        parsed[name] = _parse_count(name, data.get(name), errors)
    for name in OPTIONAL_COUNT_FIELDS:
        parsed[name] = (
            None if data.get(name) is None else _parse_count(name, data.get(name), errors)
        )
    matter = data.get("matter")
    if matter is not None:
        if not isinstance(matter, str) or matter not in MATTERS:
            errors.append(
                _("matter: 알 수 없는 안건 종류입니다: %(matter)s (가능한 값: %(allowed)s)")
                % {"matter": matter, "allowed": ", ".join(MATTER_LABELS)}
            )
            parsed["matter"] = None
            parsed["_bad_matter"] = True
        else:
            parsed["matter"] = matter
    else:
        parsed["matter"] = None
    for name in DATE_FIELDS:
        parsed[name] = _parse_date(name, data.get(name), errors)
    return parsed, errors


def parse_check_input(data: dict) -> CheckInput:
    """A JSON object (as the CLI and the API receive it) → :class:`CheckInput`. Counts must be
    non-negative JSON integers (not booleans, not 5.0, not "5"), dates ISO ``YYYY-MM-DD``,
    ``kind`` and ``matter`` known values. Raises :class:`CheckInputError` (a ``ValueError``)
    listing every problem in Korean."""
    parsed, errors = _parse(data)
    if errors:
        raise CheckInputError(errors, parsed)
    parsed.pop("_bad_matter", None)
    return CheckInput(**parsed)


def check_data(data: Any) -> CheckResult:
    """:func:`check` for raw JSON that never raises: bad input gives a result with
    ``passed: false``, the errors, and as much of the arithmetic as the valid fields allow."""
    try:
        return check(parse_check_input(data))
    except CheckInputError as exc:
        return _invalid_result(exc.partial, exc.errors)


def invalid_line_result(message: str, item_id: Any = None) -> CheckResult:
    """The answer for input that is not even a JSON object (bad JSON, not UTF-8)."""
    return _invalid_result({"id": item_id}, [message])


def _invalid_result(parsed: dict[str, Any], errors: list[str]) -> CheckResult:
    kind = parsed.get("kind") or "general"
    members, present = parsed.get("members"), parsed.get("present")
    matter = parsed.get("matter")
    try:
        resolution = effective_resolution(kind, matter)
    except ValueError:
        resolution = "ordinary"
    needed_present = required_present(kind, members) if members is not None else 0
    needed_yes = required_yes(kind, resolution, present) if present is not None else 0
    quorum = members is not None and present is not None and needed_present <= present <= members
    explanation = _("입력값에 오류가 있어 확인할 수 없습니다: %(errors)s → 부결로 봅니다.") % {
        "errors": " ".join(errors)
    }
    return CheckResult(
        id=parsed.get("id"),
        quorum=quorum,
        required_present=needed_present,
        resolution=resolution,
        required_yes=needed_yes,
        notice_ok=None,
        passed=False,
        errors=list(errors),
        explanation=explanation,
        steps=(explanation,),
    )


def check(item: CheckInput) -> CheckResult:
    """Is the meeting validly convened and does the item pass? ``passed`` needs the quorum,
    enough yes votes, the notices in time and no error. ``notice_ok`` is None when no dates
    were given (a missing ``expulsion_notice_date`` is reported as not checked)."""
    errors: list[str] = []
    notes: list[str] = []
    kind = item.kind
    if kind not in KINDS:
        errors.append(
            _("kind: 알 수 없는 회의 종류입니다: %(kind)s (가능한 값: %(allowed)s)")
            % {"kind": kind, "allowed": ", ".join(KINDS)}
        )
        kind = "general"
    counts = {name: getattr(item, name) for name in COUNT_FIELDS}
    for name, value in counts.items():
        if not _is_int(value) or value < 0:
            errors.append(_("%(field)s: 0 이상의 정수여야 합니다.") % {"field": name})
            counts[name] = 0
    members, present = counts["members"], counts["present"]
    yes, no, abstain = counts["yes"], counts["no"], counts["abstain"]
    voters = VOTER_LABELS[kind]

    # What the majority is.
    matter = item.matter
    if matter is not None and matter not in MATTERS:
        errors.append(
            _("matter: 알 수 없는 안건 종류입니다: %(matter)s (가능한 값: %(allowed)s)")
            % {"matter": matter, "allowed": ", ".join(MATTER_LABELS)}
        )
        matter = None
    elif matter is None and kind in ("general", "delegate"):
        errors.append(
            _("matter: 안건 종류를 입력해 주세요 (보통결의·특별결의가 이것으로 정해집니다).")
        )
    resolution: Resolution = effective_resolution(kind, matter) if matter else "ordinary"
    if kind == "founding":
        resolution = "special"

    # Consistency of the counts.
    if members == 0:
        errors.append(_("members: %(voters)s 수는 1명 이상이어야 합니다.") % {"voters": voters})
    if present > members:
        errors.append(
            _("present: 출석 %(present)s명이 %(voters)s %(members)s명보다 많습니다.")
            % {"present": present, "voters": voters, "members": members}
        )
    if yes + no + abstain > present:
        errors.append(
            _(
                "찬성·반대·기권의 합 %(sum)s명(%(yes)s+%(no)s+%(abstain)s)이 출석 %(present)s명보다 많습니다."
            )
            % {
                "sum": yes + no + abstain,
                "yes": yes,
                "no": no,
                "abstain": abstain,
                "present": present,
            }
        )

    # What the Act allows for this kind of meeting.
    if kind == "delegate":
        if item.total_members is None:
            errors.append(
                _("total_members: 대의원총회는 협동조합의 조합원 총수를 입력해야 합니다 (제31조).")
            )
        elif not _is_int(item.total_members) or item.total_members < 0:
            errors.append(_("%(field)s: 0 이상의 정수여야 합니다.") % {"field": "total_members"})
        else:
            errors.extend(delegate_assembly_errors(item.total_members, members, matter))
    elif kind == "founding":
        founders = item.founders
        if founders is not None and (not _is_int(founders) or founders < 0):
            errors.append(_("%(field)s: 0 이상의 정수여야 합니다.") % {"field": "founders"})
        elif founders is not None:
            errors.extend(founding_errors(founders))
        elif members < MIN_FOUNDERS:
            # Founders are among those who consented: fewer than 5 consenters, fewer founders.
            errors.append(
                _("설립동의자가 %(n)s명뿐이라 발기인 %(min)s명 이상(제15조①)을 채울 수 없습니다.")
                % {"n": members, "min": MIN_FOUNDERS}
            )
        else:
            notes.append(_("발기인 수(founders)가 없어 5명 이상인지 확인하지 않았습니다 (제15조)."))
    elif kind == "board":
        if members < MIN_DIRECTORS:
            errors.append(
                _(
                    "이사회는 이사장을 포함한 이사 %(min)s명 이상으로 구성해야 합니다 (제34조①): 현재 %(n)s명."
                )
                % {"min": MIN_DIRECTORS, "n": members}
            )
    elif 0 < members < MIN_ACTIVE_MEMBERS:
        notes.append(
            _("조합원이 %(min)s명 미만이면 시정명령 대상이 될 수 있습니다 (제70조의2).")
            % {"min": MIN_ACTIVE_MEMBERS}
        )

    # Quorum and votes.
    needed_present = required_present(kind, members)
    needed_yes = required_yes(kind, resolution, present)
    quorum = needed_present <= present <= members
    carried = yes >= needed_yes

    # Notices.
    input_errors = len(errors)  # what comes after are the notices' errors
    notice_ok, notice_texts = _notices(item, kind, matter, errors, notes)
    input_errors = len(errors) if notice_ok is None else input_errors

    passed = quorum and carried and notice_ok is not False and not errors

    parts = [explain_quorum(kind, members, present) + "."]
    if present * 2 == members and members:
        parts.append(_("정확히 절반은 과반수가 아닙니다."))
    rule = {
        "founding": _("창립총회: 출석자 2/3 이상 찬성 (제15조②)"),
        "board": _("이사회: 출석 이사 과반수 찬성 (제32조)"),
    }.get(
        kind,
        _("특별결의: 출석자 2/3 이상 찬성 (제29조②)")
        if resolution == "special"
        else _("보통결의: 출석자 과반수 찬성 (제29조①)"),
    )
    if matter:
        rule = _("%(matter)s — %(rule)s") % {"matter": MATTER_LABELS[matter], "rule": rule}
    parts.append(rule + ": " + explain_vote(present, yes, resolution) + ".")
    if abstain:
        parts.append(_("기권 %(n)s명은 출석으로 세지만 찬성으로 세지 않습니다.") % {"n": abstain})
    silent = present - (yes + no + abstain)
    if silent > 0 and present <= members:
        parts.append(
            _("출석했지만 표결하지 않은 %(n)s명도 찬성으로 세지 않습니다.") % {"n": silent}
        )
    parts.extend(text + "." for text in notice_texts)
    parts.extend(notes)
    if errors:
        parts.append(_("오류: %(errors)s") % {"errors": " ".join(errors)})
    if passed:
        parts.append(_("결과: 가결."))
    elif input_errors:
        parts.append(_("결과: 적법한 의결로 볼 수 없습니다 (부결)."))
    elif not quorum:
        parts.append(_("결과: 의사정족수 미달로 의결할 수 없습니다 (부결)."))
    elif notice_ok is False:
        parts.append(_("결과: 통지 기한을 지키지 않아 적법한 의결로 볼 수 없습니다 (부결)."))
    else:
        parts.append(_("결과: 찬성이 모자라 부결."))
    return CheckResult(
        id=item.id,
        quorum=quorum,
        required_present=needed_present,
        resolution=resolution,
        required_yes=needed_yes,
        notice_ok=notice_ok,
        passed=passed,
        errors=errors,
        explanation=" ".join(parts),
        steps=tuple(parts),
    )


def _notices(
    item: CheckInput, kind: str, matter: str | None, errors: list[str], notes: list[str]
) -> tuple[bool | None, list[str]]:
    """(notice_ok, explanation sentences). None when no date was given at all."""
    meeting, notice, expulsion = item.meeting_date, item.notice_date, item.expulsion_notice_date
    if expulsion is not None and matter != "expulsion":
        expulsion = None  # the 10-day notice of reasons only concerns an expulsion
    if meeting is None:
        if notice is not None or expulsion is not None:
            errors.append(_("meeting_date: 통지 기한을 확인하려면 회의일을 입력해 주세요."))
        return None, []
    results: list[bool] = []
    texts: list[str] = []
    if notice is not None:
        ok = notice_in_time(meeting, notice, NOTICE_DAYS)
        results.append(ok)
        texts.append(explain_notice(meeting, notice, NOTICE_DAYS))
        if not ok:
            errors.append(
                _(
                    "소집 통지가 늦었습니다: 회의일 %(days)s일 전까지(늦어도 %(latest)s) 보내야 합니다 (제28조)."
                )
                % {"days": NOTICE_DAYS, "latest": latest_notice_date(meeting).isoformat()}
            )
    if matter == "expulsion":
        if expulsion is not None:
            ok = notice_in_time(meeting, expulsion, EXPULSION_NOTICE_DAYS)
            results.append(ok)
            texts.append(explain_notice(meeting, expulsion, EXPULSION_NOTICE_DAYS, expulsion=True))
            if not ok:
                errors.append(
                    _(
                        "제명 사유 통지가 늦었습니다: 총회 %(days)s일 전까지(늦어도 %(latest)s) "
                        "제명 대상자에게 알려야 합니다 (제25조)."
                    )
                    % {
                        "days": EXPULSION_NOTICE_DAYS,
                        "latest": latest_notice_date(meeting, EXPULSION_NOTICE_DAYS).isoformat(),
                    }
                )
        else:
            notes.append(
                _(
                    "제명 사유 통지일(expulsion_notice_date)이 없어 확인하지 않았습니다: 총회 "
                    "%(days)s일 전까지(늦어도 %(latest)s) 알려야 합니다 (제25조)."
                )
                % {
                    "days": EXPULSION_NOTICE_DAYS,
                    "latest": latest_notice_date(meeting, EXPULSION_NOTICE_DAYS).isoformat(),
                }
            )
    if not results:
        return None, texts
    return all(results), texts


# --- the other rules -----------------------------------------------------------------------------


def share_cap_violation(
    member_shares: int, total_shares_after: int, cap_bp: int = SHARE_CAP_BP
) -> str | None:
    """Art. 22②: one member may hold at most 30 % of all shares (exactly 30 % is allowed).
    ``total_shares_after`` is the cooperative's total including this member's shares."""
    if member_shares < 0 or total_shares_after < 0 or cap_bp < 0:
        raise ValueError(_("출자좌수는 0 이상이어야 합니다."))
    if member_shares > total_shares_after:
        raise ValueError(_("조합원의 출자좌수가 총 출자좌수보다 많을 수 없습니다."))
    if member_shares * 10000 <= total_shares_after * cap_bp:
        return None
    return _(
        "조합원 1명의 출자좌수는 총 출자좌수의 %(cap)s%%를 넘을 수 없습니다 (제22조②): "
        "총 %(total)s좌 중 최대 %(max)s좌, 요청 %(shares)s좌."
    ) % {
        "cap": _percent(cap_bp),
        "total": total_shares_after,
        "max": total_shares_after * cap_bp // 10000,
        "shares": member_shares,
    }


def _percent(bp: int) -> str:
    whole, rest = divmod(bp, 100)
    return f"{whole}" if not rest else f"{whole}.{rest:02d}".rstrip("0")


def proxy_violations(
    *,
    proxy_is_member: bool,
    proxy_is_cohabiting_family: bool,
    proxy_already_represents: int,
    has_written_authorisation: bool,
    assembly_kind: str,
) -> list[str]:
    """Art. 23②–④: the proxy is another member or a family member living with the member,
    represents only one member and files a written authorisation; art. 31: delegates cannot
    vote by proxy. Directors decide in person (no proxy at a board meeting)."""
    _check_kind(assembly_kind)
    errors: list[str] = []
    if assembly_kind == "delegate":
        errors.append(_("대의원은 대리인을 통해 의결권을 행사할 수 없습니다 (제31조)."))
    elif assembly_kind == "board":
        errors.append(
            _("이사회에서는 대리인이 의결권을 행사할 수 없습니다: 이사가 직접 출석해야 합니다.")
        )
    if not (proxy_is_member or proxy_is_cohabiting_family):
        errors.append(_("대리인은 다른 조합원이거나 본인과 동거하는 가족이어야 합니다 (제23조③)."))
    if proxy_already_represents >= 1:
        errors.append(
            _(
                "대리인은 조합원 1명만 대리할 수 있습니다: 이미 %(n)s명을 대리하고 있습니다 (제23조③)."
            )
            % {"n": proxy_already_represents}
        )
    if not has_written_authorisation:
        errors.append(_("대리인은 대리권을 증명하는 서면(위임장)을 제출해야 합니다 (제23조④)."))
    return errors


def required_delegates(total_members: int, cap: int = DELEGATE_CAP) -> int:
    """At least 10 % of the members (rounded up), which may be capped at 100 (``cap``: the
    cooperative's own cap from its articles, never below 100)."""
    cap = max(cap, DELEGATE_CAP)
    return min((total_members * DELEGATE_SHARE_BP + 9999) // 10000, cap)


def delegate_assembly_errors(
    total_members: int, delegates: int, matter: str | None, cap: int = DELEGATE_CAP
) -> list[str]:
    """Art. 31: a delegate assembly only with more than 200 members (201 may, 200 may not);
    delegates at least 10 % of the members (capped at 100); it cannot decide a merger, split
    or dissolution."""
    errors: list[str] = []
    if total_members < DELEGATE_ASSEMBLY_MIN_MEMBERS:
        errors.append(
            _(
                "대의원총회는 조합원이 200명을 넘는 협동조합만 둘 수 있습니다 (제31조①): "
                "조합원 %(n)s명."
            )
            % {"n": total_members}
        )
    else:
        needed = required_delegates(total_members, cap)
        if delegates < needed:
            errors.append(
                _(
                    "대의원은 조합원 총수의 10%% 이상(최대 %(cap)s명까지 줄일 수 있음)이어야 "
                    "합니다 (제31조): 조합원 %(total)s명이면 %(needed)s명 이상, 현재 %(n)s명."
                )
                % {
                    "cap": max(cap, DELEGATE_CAP),
                    "total": total_members,
                    "needed": needed,
                    "n": delegates,
                }
            )
    if delegates > total_members:
        errors.append(
            _("대의원 %(n)s명이 조합원 총수 %(total)s명보다 많습니다.")
            % {"n": delegates, "total": total_members}
        )
    if matter in DELEGATE_FORBIDDEN_MATTERS:
        errors.append(
            _("대의원총회는 합병·분할·해산을 의결할 수 없습니다 (제31조): %(matter)s.")
            % {"matter": MATTER_LABELS[matter]}
        )
    return errors


STAKEHOLDER_TYPES = {
    "producer": gettext_lazy("생산자"),
    "consumer": gettext_lazy("소비자"),
    "worker": gettext_lazy("직원(근로자)"),
    "volunteer": gettext_lazy("자원봉사자"),
    "sponsor": gettext_lazy("후원자"),
}


def founding_errors(
    founders: int, stakeholder_types: set[str] | None = None, social: bool = False
) -> list[str]:
    """Art. 15①: at least 5 founders; a social cooperative's founders include at least two
    kinds of stakeholder (art. 85, Decree art. 19)."""
    errors: list[str] = []
    if founders < MIN_FOUNDERS:
        errors.append(
            _("발기인은 %(min)s명 이상이어야 합니다 (제15조①): 현재 %(n)s명.")
            % {"min": MIN_FOUNDERS, "n": founders}
        )
    if social and len(stakeholder_types or set()) < 2:
        errors.append(
            _(
                "사회적협동조합의 발기인에는 생산자·소비자·직원·자원봉사자·후원자 중 2종류 이상의 "
                "이해관계자가 있어야 합니다 (제85조, 시행령 제19조): 현재 %(n)s종류."
            )
            % {"n": len(stakeholder_types or set())}
        )
    return errors


def board_errors(directors: int, auditors: int) -> list[str]:
    """Art. 34①: at least 3 directors including the chair, and at least 1 auditor."""
    errors: list[str] = []
    if directors < MIN_DIRECTORS:
        errors.append(
            _("이사는 이사장을 포함해 %(min)s명 이상이어야 합니다 (제34조①): 현재 %(n)s명.")
            % {"min": MIN_DIRECTORS, "n": directors}
        )
    if auditors < MIN_AUDITORS:
        errors.append(
            _("감사는 %(min)s명 이상이어야 합니다 (제34조①): 현재 %(n)s명.")
            % {"min": MIN_AUDITORS, "n": auditors}
        )
    return errors


def officer_term_errors(term_years: int) -> list[str]:
    """Art. 35①: officers' terms are set by the articles within 4 years."""
    if term_years < 1:
        return [_("임원의 임기는 1년 이상이어야 합니다: %(n)s년.") % {"n": term_years}]
    if term_years > MAX_TERM_YEARS:
        return [
            _("임원의 임기는 %(max)s년을 넘을 수 없습니다 (제35조①): %(n)s년.")
            % {"max": MAX_TERM_YEARS, "n": term_years}
        ]
    return []


def chair_reelection_errors(previous_terms_as_chair: int) -> list[str]:
    """Art. 35②: the chair may be re-elected only twice — at most 3 consecutive terms.
    ``previous_terms_as_chair`` counts the consecutive terms already served (0 for a new chair):
    0, 1 or 2 → may be (re-)elected; 3 → not."""
    if previous_terms_as_chair < 0:
        raise ValueError(_("이사장 연임 횟수는 0 이상이어야 합니다."))
    if previous_terms_as_chair > MAX_CHAIR_REELECTIONS:
        return [
            _(
                "이사장은 2차에 한하여 연임할 수 있습니다 (제35조②): 이미 %(n)s번 연속으로 "
                "재임해 다시 선출될 수 없습니다."
            )
            % {"n": previous_terms_as_chair}
        ]
    return []


def remote_voting_allowed(*, coop_switch_on: bool, resolution: str) -> bool:
    """The Act provides for assemblies held in person: remote electronic voting only behind the
    cooperative's switch (off by default), and never for a special resolution."""
    _check_resolution(resolution)
    return coop_switch_on and resolution == "ordinary"


# --- compliance alerts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    code: str  # "too_few_members", "no_assembly_two_years", "ordinary_assembly_overdue"
    message: str
    article: str
    severity: str = "warning"  # "warning" or "danger"

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February → 28 February
        return day.replace(year=day.year + years, day=28)


def _month_end(year: int, month: int) -> dt.date:
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def fiscal_year_end(day: dt.date, fiscal_year_end_month: int = 12) -> dt.date:
    """The last day of the fiscal year ``day`` falls in."""
    if not 1 <= fiscal_year_end_month <= 12:
        raise ValueError(_("회계연도 마지막 달은 1에서 12 사이여야 합니다."))
    year = day.year if day.month <= fiscal_year_end_month else day.year + 1
    return _month_end(year, fiscal_year_end_month)


def compliance_alerts(
    *,
    today: dt.date,
    last_assembly_date: dt.date | None,
    last_ordinary_assembly_date: dt.date | None,
    active_members: int,
    fiscal_year_end_month: int = 12,
) -> list[Alert]:
    """What a supervisor would flag: fewer than 5 members, no assembly for 2 consecutive years
    (art. 70의2, corrective orders for dormant cooperatives) and the ordinary assembly overdue
    (art. 28②: once a year; the standard articles hold it within 3 months of the fiscal year's
    end). A cooperative that never held an assembly counts from nothing: pass its founding
    meeting as ``last_assembly_date``."""
    alerts: list[Alert] = []
    if active_members < MIN_ACTIVE_MEMBERS:
        alerts.append(
            Alert(
                "too_few_members",
                _(
                    "조합원이 %(n)s명으로 %(min)s명 미만입니다: 2년 이상 계속되면 시정명령 "
                    "대상입니다 (제70조의2)."
                )
                % {"n": active_members, "min": MIN_ACTIVE_MEMBERS},
                "70의2",
                "danger",
            )
        )
    held_dates = [d for d in (last_assembly_date, last_ordinary_assembly_date) if d is not None]
    last_assembly_date = max(held_dates) if held_dates else None
    if last_assembly_date is None or _add_years(last_assembly_date, DORMANT_YEARS) <= today:
        alerts.append(
            Alert(
                "no_assembly_two_years",
                _("2년 이상 총회를 열지 않았습니다: 시정명령 대상입니다 (제70조의2).")
                if last_assembly_date is not None
                else _(
                    "총회를 연 기록이 없습니다: 2년 이상 열지 않으면 시정명령 대상입니다 (제70조의2)."
                ),
                "70의2",
                "danger",
            )
        )
    # The last fiscal year that has ended (the current one ends at the end of its last day).
    current_end = fiscal_year_end(today, fiscal_year_end_month)
    previous_year_end = _month_end(current_end.year - 1, fiscal_year_end_month)
    due = previous_year_end + dt.timedelta(days=1)
    months = previous_year_end.month + ORDINARY_ASSEMBLY_MONTHS_AFTER_YEAR_END
    deadline = _month_end(previous_year_end.year + (months - 1) // 12, (months - 1) % 12 + 1)
    held = last_ordinary_assembly_date is not None and last_ordinary_assembly_date >= due
    if not held and today > deadline:
        alerts.append(
            Alert(
                "ordinary_assembly_overdue",
                _(
                    "%(year_end)s에 끝난 회계연도의 정기총회를 %(deadline)s까지 열지 않았습니다 "
                    "(제28조②: 매년 1회)."
                )
                % {"year_end": previous_year_end.isoformat(), "deadline": deadline.isoformat()},
                "28",
            )
        )
    return alerts


# --- refunds of capital --------------------------------------------------------------------------


def capital_refund_window(
    left_on: dt.date, fiscal_year_end_month: int = 12
) -> tuple[dt.date, dt.date]:
    """(first day the refund may be claimed, last day before the claim lapses), both inclusive.

    Reading of arts. 26–27: a member who left (or was expelled) may claim the refund of their
    share of capital, valued on the assets at the end of the fiscal year in which they left,
    from the start of the *next* fiscal year; the claim lapses if not exercised within 2 years.
    The 2 years run from the day it became claimable, so with a calendar fiscal year a member
    who left on 15 May 2025 may claim from 1 January 2026 until 31 December 2027 (the claim is
    gone on 1 January 2028)."""
    first = fiscal_year_end(left_on, fiscal_year_end_month) + dt.timedelta(days=1)
    last = _add_years(first, REFUND_CLAIM_YEARS) - dt.timedelta(days=1)
    return first, last


__all__ = [
    "Alert",
    "CheckInput",
    "CheckInputError",
    "CheckResult",
    "KINDS",
    "KIND_LABELS",
    "MATTERS",
    "MATTER_LABELS",
    "ORDINARY_MATTERS",
    "SPECIAL_MATTERS",
    "board_errors",
    "capital_refund_window",
    "chair_reelection_errors",
    "check",
    "check_data",
    "compliance_alerts",
    "delegate_assembly_errors",
    "effective_resolution",
    "explain_notice",
    "explain_quorum",
    "explain_vote",
    "fiscal_year_end",
    "founding_errors",
    "invalid_line_result",
    "latest_notice_date",
    "notice_in_time",
    "officer_term_errors",
    "parse_check_input",
    "proxy_violations",
    "remote_voting_allowed",
    "required_delegates",
    "required_present",
    "required_yes",
    "resolution_for",
    "share_cap_violation",
]
