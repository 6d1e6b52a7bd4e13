"""Who may see and change what in the technology bank. Deny by default.

- Technologies, equipment and labs are public (anyone, signed in or not, may see them).
- Experts' profiles are for staff: platform admins and support-centre staff see every expert; a
  research institute's people (staff, researchers, representative) see their own institute's
  experts; a researcher sees their own profile. Their personal data (``ExpertContact``) follows
  the same rule; equipment managers' contacts likewise (staff or the equipment's institute).
- Technologies, equipment, labs and experts are created and changed by staff or by the
  holder institute's people.
- Bookings are seen by the requester, the people of the booking organisation, the equipment
  institute's people and staff; decided by the equipment institute's people or staff.
- Transfer applications and exchange requests are seen by the applicant organisation's people,
  the holder (or named) institute's people and staff. Exchange requests that name no institute
  are seen by every research institute's people, who may take them.

``access_*`` helpers fetch an object and check in one step, raising the same ``Http404`` for
"missing" and "forbidden".
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from dure.directory.access import RoleSet, roles_of
from dure.directory.models import (
    COOPERATIVE_KINDS,
    ORGANISATION_EDITOR_ROLES,
    Organisation,
    OrganisationKind,
    Role,
)

from .models import (
    Equipment,
    EquipmentBooking,
    ExchangeRequest,
    Expert,
    Lab,
    Technology,
    TransferApplication,
)

__all__ = ["RoleSet", "roles_of"]

# People who act for a research institute in the technology bank.
INSTITUTE_ROLES = frozenset({Role.STAFF, Role.RESEARCHER, Role.REPRESENTATIVE})
# Organisations that may apply for a technology transfer or a personnel exchange, and the
# roles that may act for them (an ordinary cooperative member may not).
APPLICANT_KINDS = frozenset({OrganisationKind.SME, *COOPERATIVE_KINDS})
APPLICANT_ROLES = frozenset({*ORGANISATION_EDITOR_ROLES, Role.STAFF})


def institute_ids(roles: RoleSet) -> set[int]:
    """Research institutes this person acts for."""
    return {
        org
        for role, org, kind in roles.memberships
        if kind == OrganisationKind.RESEARCH_INSTITUTE and role in INSTITUTE_ROLES
    }


def applicant_org_ids(roles: RoleSet) -> set[int]:
    """SMEs and cooperatives this person may file requests for."""
    return {
        org
        for role, org, kind in roles.memberships
        if kind in APPLICANT_KINDS and role in APPLICANT_ROLES
    }


def _int(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    if not 0 < number < 2**63:
        raise Http404
    return number


def can_manage_institute(user: Any, institute_id: int | None) -> bool:
    """Staff, or a person acting for this research institute."""
    roles = roles_of(user)
    return roles.is_staff or (institute_id is not None and institute_id in institute_ids(roles))


def manageable_institutes(user: Any) -> QuerySet[Organisation]:
    """Research institutes the user may add technologies, equipment, labs and experts to."""
    qs = Organisation.objects.filter(kind=OrganisationKind.RESEARCH_INSTITUTE)
    roles = roles_of(user)
    if roles.is_staff:
        return qs
    return qs.filter(pk__in=institute_ids(roles))


def can_create_in_techbank(user: Any) -> bool:
    roles = roles_of(user)
    return roles.is_staff or bool(institute_ids(roles))


# --- Technologies, equipment, labs (public) ---------------------------------------------------


def technologies_visible_to(user: Any) -> QuerySet[Technology]:
    return Technology.objects.all()


def can_edit_technology(user: Any, technology: Technology) -> bool:
    return can_manage_institute(user, technology.holder_id)


def access_technology(*, user: Any, technology_id: Any, write: bool = False) -> Technology:
    try:
        tech = (
            technologies_visible_to(user)
            .select_related("holder", "holder__sido", "ksic")
            .get(pk=_int(technology_id))
        )
    except Technology.DoesNotExist as exc:
        raise Http404 from exc
    if write and not can_edit_technology(user, tech):
        raise Http404
    return tech


def equipment_visible_to(user: Any) -> QuerySet[Equipment]:
    return Equipment.objects.all()


def can_edit_equipment(user: Any, equipment: Equipment) -> bool:
    return can_manage_institute(user, equipment.institute_id)


def can_see_equipment_contact(user: Any, equipment: Equipment) -> bool:
    """The manager's name, phone and e-mail: staff and the equipment's institute only."""
    return can_manage_institute(user, equipment.institute_id)


def access_equipment(*, user: Any, equipment_id: Any, write: bool = False) -> Equipment:
    try:
        item = (
            equipment_visible_to(user)
            .select_related("institute", "sido")
            .get(pk=_int(equipment_id))
        )
    except Equipment.DoesNotExist as exc:
        raise Http404 from exc
    if write and not can_edit_equipment(user, item):
        raise Http404
    return item


def labs_visible_to(user: Any) -> QuerySet[Lab]:
    return Lab.objects.all()


def can_edit_lab(user: Any, lab: Lab) -> bool:
    return can_manage_institute(user, lab.institute_id)


def access_lab(*, user: Any, lab_id: Any, write: bool = False) -> Lab:
    try:
        lab = labs_visible_to(user).select_related("institute", "sido").get(pk=_int(lab_id))
    except Lab.DoesNotExist as exc:
        raise Http404 from exc
    if write and not can_edit_lab(user, lab):
        raise Http404
    return lab


# --- Experts (staff) ---------------------------------------------------------------------------


def experts_visible_to(user: Any) -> QuerySet[Expert]:
    roles = roles_of(user)
    qs = Expert.objects.all()
    if roles.is_staff:
        return qs
    if not roles.authenticated:
        return qs.none()
    return qs.filter(Q(institute_id__in=institute_ids(roles)) | Q(user=user))


def can_see_expert(user: Any, expert: Expert) -> bool:
    roles = roles_of(user)
    if roles.is_staff:
        return True
    if not roles.authenticated:
        return False
    return expert.institute_id in institute_ids(roles) or expert.user_id == user.pk


def can_see_expert_contact(user: Any, expert: Expert) -> bool:
    """Phone, e-mail, CV: platform admin, centre staff, the expert's institute, the expert."""
    return can_see_expert(user, expert)


def can_edit_expert(user: Any, expert: Expert) -> bool:
    roles = roles_of(user)
    if can_manage_institute(user, expert.institute_id):
        return True
    return roles.authenticated and expert.user_id is not None and expert.user_id == user.pk


def access_expert(*, user: Any, expert_id: Any, write: bool = False) -> Expert:
    try:
        expert = (
            experts_visible_to(user).select_related("institute", "user").get(pk=_int(expert_id))
        )
    except Expert.DoesNotExist as exc:
        raise Http404 from exc
    if write and not can_edit_expert(user, expert):
        raise Http404
    return expert


# --- Bookings ----------------------------------------------------------------------------------


def bookings_visible_to(user: Any) -> QuerySet[EquipmentBooking]:
    roles = roles_of(user)
    qs = EquipmentBooking.objects.all()
    if roles.is_staff:
        return qs
    if not roles.authenticated:
        return qs.none()
    return qs.filter(
        Q(requester=user)
        | Q(organisation_id__in=roles.organisation_ids)
        | Q(equipment__institute_id__in=institute_ids(roles))
    )


def can_request_booking(user: Any) -> bool:
    roles = roles_of(user)
    return roles.is_staff or bool(roles.organisation_ids)


def can_decide_booking(user: Any, booking: EquipmentBooking) -> bool:
    return can_manage_institute(user, booking.equipment.institute_id)


def can_cancel_booking(user: Any, booking: EquipmentBooking) -> bool:
    roles = roles_of(user)
    if not roles.authenticated:
        return False
    return (
        booking.requester_id == user.pk
        or booking.organisation_id in roles.editable_organisation_ids
        or can_decide_booking(user, booking)
    )


def access_booking(*, user: Any, booking_id: Any, write: bool = False) -> EquipmentBooking:
    """``write=True``: the user may decide or cancel it."""
    try:
        booking = (
            bookings_visible_to(user)
            .select_related("equipment", "equipment__institute", "organisation", "requester")
            .get(pk=_int(booking_id))
        )
    except EquipmentBooking.DoesNotExist as exc:
        raise Http404 from exc
    if write and not (can_decide_booking(user, booking) or can_cancel_booking(user, booking)):
        raise Http404
    return booking


# --- Technology transfer -----------------------------------------------------------------------


def transfer_applications_visible_to(user: Any) -> QuerySet[TransferApplication]:
    roles = roles_of(user)
    qs = TransferApplication.objects.all()
    if roles.is_staff:
        return qs
    if not roles.authenticated:
        return qs.none()
    return qs.filter(
        Q(applicant_id__in=roles.organisation_ids)
        | Q(technology__holder_id__in=institute_ids(roles))
    )


def can_apply_for_transfer(user: Any) -> bool:
    roles = roles_of(user)
    return roles.is_staff or bool(applicant_org_ids(roles))


def can_review_transfer(user: Any, application: TransferApplication) -> bool:
    """The holder institute's people and staff move an application through review."""
    return can_manage_institute(user, application.technology.holder_id)


def can_withdraw_transfer(user: Any, application: TransferApplication) -> bool:
    roles = roles_of(user)
    return roles.is_staff or application.applicant_id in applicant_org_ids(roles)


def can_report_royalty(user: Any, application: TransferApplication) -> bool:
    """The licensee reports its sales (staff may enter a report on its behalf)."""
    return can_withdraw_transfer(user, application)


def access_transfer_application(
    *, user: Any, application_id: Any, write: bool = False
) -> TransferApplication:
    """``write=True``: the user may act on it (review, or withdraw/report as the applicant)."""
    try:
        application = (
            transfer_applications_visible_to(user)
            .select_related("technology", "technology__holder", "applicant", "submitted_by")
            .get(pk=_int(application_id))
        )
    except TransferApplication.DoesNotExist as exc:
        raise Http404 from exc
    if write and not (
        can_review_transfer(user, application) or can_withdraw_transfer(user, application)
    ):
        raise Http404
    return application


# --- Personnel exchange ------------------------------------------------------------------------


def exchange_requests_visible_to(user: Any) -> QuerySet[ExchangeRequest]:
    roles = roles_of(user)
    qs = ExchangeRequest.objects.all()
    if roles.is_staff:
        return qs
    if not roles.authenticated:
        return qs.none()
    mine = institute_ids(roles)
    condition = Q(requester_id__in=roles.organisation_ids)
    if mine:
        condition |= (
            Q(institute_id__in=mine)
            | Q(expert__institute_id__in=mine)
            | Q(institute__isnull=True, expert__isnull=True)
        )
    return qs.filter(condition)


def can_request_exchange(user: Any) -> bool:
    return can_apply_for_transfer(user)


def can_decide_exchange(user: Any, request: ExchangeRequest) -> bool:
    roles = roles_of(user)
    if roles.is_staff:
        return True
    mine = institute_ids(roles)
    if request.institute_id is not None:
        return request.institute_id in mine
    if request.expert is not None:
        return request.expert.institute_id in mine
    return bool(mine)


def can_withdraw_exchange(user: Any, request: ExchangeRequest) -> bool:
    roles = roles_of(user)
    return roles.is_staff or request.requester_id in applicant_org_ids(roles)


def access_exchange_request(*, user: Any, request_id: Any, write: bool = False) -> ExchangeRequest:
    try:
        request = (
            exchange_requests_visible_to(user)
            .select_related("requester", "institute", "expert", "expert__institute")
            .get(pk=_int(request_id))
        )
    except ExchangeRequest.DoesNotExist as exc:
        raise Http404 from exc
    if write and not (can_decide_exchange(user, request) or can_withdraw_exchange(user, request)):
        raise Http404
    return request
