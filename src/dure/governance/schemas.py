"""Schemas of the governance API. Members' contacts (e-mail, phone, address) appear only for
officers and the member themself (``MemberOut`` leaves them ``null`` otherwise)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema

from dure.api.schemas import Text

from .models import (
    AssemblyKind,
    Choice,
    DelegateElectionMethod,
    ExpulsionGround,
    Matter,
    MemberKind,
    RecordingMode,
    RefundPaymentMethod,
    StakeholderType,
)

MemberKindValue = Literal[*MemberKind.values]  # type: ignore[valid-type]
StakeholderValue = Literal[*StakeholderType.values]  # type: ignore[valid-type]
AssemblyKindValue = Literal[*AssemblyKind.values]  # type: ignore[valid-type]
MatterValue = Literal[*Matter.values]  # type: ignore[valid-type]
ModeValue = Literal[*RecordingMode.values]  # type: ignore[valid-type]
ChoiceValue = Literal[*Choice.values]  # type: ignore[valid-type]
MAX_COUNT = 10_000_000


class CooperativeOut(Schema):
    id: int
    name: str
    officer: bool
    member_id: int | None


class MemberOut(Schema):
    id: int
    number: int
    name: str
    kind: str
    stakeholder_type: str
    joined_on: dt.date
    status: str
    status_changed_on: dt.date | None
    common_shares: int
    preferred_shares: int
    email: str | None = None
    phone: str | None = None
    address: str | None = None


class MemberIn(Schema):
    name: Text(100)  # type: ignore[valid-type]
    joined_on: dt.date
    kind: MemberKindValue = "person"
    stakeholder_type: StakeholderValue = "consumer"
    email: Text(254) = ""  # type: ignore[valid-type]
    phone: Text(30) = ""  # type: ignore[valid-type]
    address: Text(200) = ""  # type: ignore[valid-type]


class ShareIn(Schema):
    count: int = Field(ge=1, le=MAX_COUNT)
    unit_price: int = Field(ge=1, le=10**9)
    preferred: bool = False
    paid: bool = False


class ShareOut(Schema):
    id: int
    member_id: int
    count: int
    unit_price: int
    preferred: bool
    paid: bool
    issued_on: dt.date


class AssemblyIn(Schema):
    kind: AssemblyKindValue
    title: Text(150)  # type: ignore[valid-type]
    scheduled_at: dt.datetime
    place: Text(200)  # type: ignore[valid-type]
    purpose: Text(3000)  # type: ignore[valid-type]
    board_decision: Text(300) = ""  # type: ignore[valid-type]


class ItemIn(Schema):
    title: Text(200)  # type: ignore[valid-type]
    matter: MatterValue
    description: Text(5000) = ""  # type: ignore[valid-type]
    is_report: bool = False
    secret_ballot: bool = False
    recording_mode: ModeValue = "tally"
    remote_voting: bool = False
    candidates: list[Text(100)] = Field(default_factory=list, max_length=50)  # type: ignore[valid-type]


class ItemOut(Schema):
    id: int
    assembly_id: int
    order: int
    title: str
    matter: str
    resolution: str
    is_report: bool
    secret_ballot: bool
    recording_mode: str
    remote_voting: bool
    status: str
    present: int | None
    yes: int | None
    no: int | None
    abstain: int | None
    required_present: int | None
    required_yes: int | None
    passed: bool | None
    explanation: str
    closed_at: dt.datetime | None


class QuorumOut(Schema):
    members: int
    present: int
    in_person: int
    by_proxy: int
    required: int
    met: bool
    explanation: str


class AssemblyOut(Schema):
    id: int
    organisation_id: int
    kind: str
    title: str
    scheduled_at: dt.datetime
    place: str
    purpose: str
    status: str
    board_decision: str
    convened_on: dt.date | None
    voting_members: int | None


class AssemblyDetailOut(AssemblyOut):
    items: list[ItemOut]
    quorum: QuorumOut
    notice_deadline: dt.date


class NoticeOut(Schema):
    id: int
    sent_at: dt.datetime
    emailed: int
    mailed: int
    in_time: bool


class CheckInIn(Schema):
    member_id: int = Field(ge=1, le=2**62)


class AttendanceOut(Schema):
    id: int
    member_id: int
    method: str
    checked_in_at: dt.datetime


class ProxyIn(Schema):
    member_id: int = Field(ge=1, le=2**62)
    proxy_member_id: int | None = Field(default=None, ge=1, le=2**62)
    proxy_name: Text(100) = ""  # type: ignore[valid-type]
    cohabiting_family: bool = False
    authorisation_reference: Text(200) = ""  # type: ignore[valid-type]


class ProxyOut(Schema):
    id: int
    member_id: int
    proxy_member_id: int | None
    proxy_name: str
    cohabiting_family: bool


class BallotIn(Schema):
    choice: ChoiceValue
    for_member_id: int | None = Field(default=None, ge=1, le=2**62)
    candidate_id: int | None = Field(default=None, ge=1, le=2**62)


class BallotOut(Schema):
    item_id: int
    member_id: int
    cast_at: dt.datetime
    by_proxy: bool
    remote: bool


class TallyIn(Schema):
    yes: int = Field(ge=0, le=MAX_COUNT)
    no: int = Field(ge=0, le=MAX_COUNT)
    abstain: int = Field(ge=0, le=MAX_COUNT)


class TallyOut(Schema):
    item_id: int
    yes: int
    no: int
    abstain: int


class SignatureOut(Schema):
    member_id: int
    member_name: str
    role: str
    signed_at: dt.datetime | None


class MinutesOut(Schema):
    id: int
    assembly_id: int
    version: int
    body: str
    status: str
    locked_at: dt.datetime | None
    signatures: list[SignatureOut]


class MinutesIn(Schema):
    body: Text(50000)  # type: ignore[valid-type]


class SignersIn(Schema):
    chair_id: int = Field(ge=1, le=2**62)
    member_ids: list[int] = Field(min_length=1, max_length=100)


class StatusIn(Schema):
    status: Literal["withdrawn", "lost_eligibility", "deceased"]
    on: dt.date
    reason: Text(300)  # type: ignore[valid-type]


class ExpulsionIn(Schema):
    ground: Literal[*ExpulsionGround.values]  # type: ignore[valid-type]
    detail: Text(3000)  # type: ignore[valid-type]


class ExpulsionScheduleIn(Schema):
    assembly_id: int = Field(ge=1, le=2**62)
    notified_on: dt.date


class HearingIn(Schema):
    record: Text(5000)  # type: ignore[valid-type]


class ExpulsionOut(Schema):
    id: int
    member_id: int
    ground: str
    detail: str
    status: str
    assembly_id: int | None
    item_id: int | None
    reasons_notified_on: dt.date | None
    hearing_record: str


class DuesPaymentIn(Schema):
    schedule_id: int = Field(ge=1, le=2**62)
    year: int = Field(ge=1900, le=2200)
    paid_on: dt.date


class DuesPaymentOut(Schema):
    id: int
    member_id: int
    schedule_id: int
    year: int
    amount: int
    paid_on: dt.date


class OfficerTermIn(Schema):
    office: Literal["chair", "director", "auditor"]
    starts_on: dt.date
    ends_on: dt.date


class OfficerTermOut(Schema):
    id: int
    member_id: int
    office: str
    starts_on: dt.date
    ends_on: dt.date


# --- capital refunds ---------------------------------------------------------------------------


RefundMethodValue = Literal[*RefundPaymentMethod.values]  # type: ignore[valid-type]
MAX_WON = 10**15


class RefundOut(Schema):
    id: int
    member_id: int
    member_name: str
    departure: str
    left_on: dt.date
    ordinary_amount: int
    preferred_amount: int
    amount: int
    deduction: int
    deduction_reason: str
    net: int
    claimable_from: dt.date
    claim_deadline: dt.date
    lapses_on: dt.date
    status: str
    stage: str
    claimed_on: dt.date | None
    claimant: str
    paid_on: dt.date | None
    payment_method: str
    payment_reference: str
    resolution_item_id: int | None
    lapsed_on: dt.date | None


class RefundTotalsOut(Schema):
    outstanding: int
    waiting: int
    claimable: int
    lapsing_soon: int
    claimed: int
    paid: int
    lapsed: int


class RefundListOut(Schema):
    totals: RefundTotalsOut
    refunds: list[RefundOut]


class RefundClaimIn(Schema):
    claimed_on: dt.date
    claimant: Text(100) = ""  # type: ignore[valid-type]


class RefundDeductionIn(Schema):
    deduction: int = Field(ge=0, le=MAX_WON)
    reason: Text(300) = ""  # type: ignore[valid-type]


class RefundPayIn(Schema):
    paid_on: dt.date
    method: RefundMethodValue
    reference: Text(200) = ""  # type: ignore[valid-type]
    resolution_item_id: int = Field(ge=1, le=2**62)


# --- delegates (대의원, art. 31, Decree art. 9) --------------------------------------------------

DelegateMethodValue = Literal[*DelegateElectionMethod.values]  # type: ignore[valid-type]


class DelegateOut(Schema):
    id: int
    member_id: int
    member_number: int
    member_name: str
    method: str
    district: str
    elected_on: dt.date
    elected_at_id: int | None
    starts_on: dt.date
    ends_on: dt.date
    left_on: dt.date | None
    end_reason: str
    replaces_id: int | None
    in_office: bool


class DelegatesOut(Schema):
    day: dt.date
    total_members: int
    required: int
    in_office: int
    problems: list[str]
    delegates: list[DelegateOut]


class DelegateElectionIn(Schema):
    member_ids: list[Annotated[int, Field(ge=1, le=2**62)]] = Field(min_length=1, max_length=10_000)
    elected_on: dt.date
    starts_on: dt.date
    ends_on: dt.date
    method: DelegateMethodValue = "assembly"
    district: Text(60) = ""  # type: ignore[valid-type]
    elected_at_id: int | None = Field(default=None, ge=1, le=2**62)


class DelegateEndIn(Schema):
    left_on: dt.date
    reason: Text(200)  # type: ignore[valid-type]
    successor_id: int | None = Field(default=None, ge=1, le=2**62)


# --- founding meeting (창립총회, art. 15, Decree art. 6; social cooperatives art. 85) ----------


class FounderIn(Schema):
    name: Text(100)  # type: ignore[valid-type]
    stakeholder_type: StakeholderValue


class FounderOut(Schema):
    id: int
    assembly_id: int
    name: str
    stakeholder_type: str


class ConsentIn(Schema):
    name: Text(100)  # type: ignore[valid-type]
    stakeholder_type: StakeholderValue
    submitted_on: dt.date
    kind: MemberKindValue = "person"
    email: Text(254) = ""  # type: ignore[valid-type]
    phone: Text(30) = ""  # type: ignore[valid-type]
    address: Text(200) = ""  # type: ignore[valid-type]


class ConsentOut(Schema):
    id: int
    assembly_id: int
    member_id: int
    name: str
    stakeholder_type: str
    submitted_on: dt.date


class FoundingOut(Schema):
    assembly_id: int
    founders: list[FounderOut]
    consents: list[ConsentOut]
    stakeholder_types: list[str]
    problems: list[str]


class FoundingCompleteOut(Schema):
    assembly_id: int
    admitted: int  # consenters made members by this call (0 when already done)
