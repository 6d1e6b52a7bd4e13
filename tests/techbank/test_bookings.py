"""Equipment bookings: the approval flow, the overlap rule held by the service and by the
database itself (exclusion constraint on PostgreSQL, triggers on SQLite), and concurrent
requests for the same slot: exactly one wins."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from dure.core.models import AuditEvent
from dure.techbank import access, services
from dure.techbank.models import EquipmentBooking

from .conftest import future, nfec_number

pytestmark = pytest.mark.django_db


def codes(exc: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in exc.error_dict.items()}


@pytest.fixture
def laser(make_equipment):
    return make_equipment(name="레이저 용접기", fee_per_hour=60_000, fee_per_day=400_000)


def request(users, hanbit, equipment, start, end, *, who="sme", org=None, purpose="시험"):
    return services.booking_request(
        actor=users[who],
        equipment=equipment,
        organisation=org or hanbit,
        starts_at=start,
        ends_at=end,
        purpose=purpose,
    )


def test_an_sme_requests_and_the_institute_approves(users, hanbit, laser):
    booking = request(users, hanbit, laser, future(3, 9), future(3, 12))
    assert booking.status == "requested"
    assert booking.fee == 180_000  # 3 hours × 60,000 원
    approved = services.booking_approve(actor=users["researcher"], booking=booking, note="확인")
    assert approved.status == "approved"
    assert approved.decided_by == users["researcher"]
    actions = list(
        AuditEvent.objects.filter(
            object_id=str(booking.pk), object_type="techbank.equipmentbooking"
        )
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["booking.request", "booking.approve"]


def test_overlapping_requests_are_refused_and_touching_ones_are_not(
    users, hanbit, serio, laser, make_equipment
):
    other = make_equipment(name="다른 장비")
    request(users, hanbit, laser, future(3, 9), future(3, 12))
    with pytest.raises(ValidationError) as exc:
        request(users, serio, laser, future(3, 11), future(3, 14), who="coop")
    assert codes(exc.value) == {"starts_at": ["booking_overlap"]}
    with pytest.raises(ValidationError):
        request(users, serio, laser, future(3, 8), future(3, 13), who="coop")  # contains it
    # half-open intervals: ending at 9:00 or starting at 12:00 is fine
    request(users, serio, laser, future(3, 7), future(3, 9), who="coop")
    request(users, serio, laser, future(3, 12), future(3, 13), who="coop")
    # another piece of equipment at the same time is fine
    request(users, hanbit, other, future(3, 9), future(3, 12))


def test_a_rejected_or_cancelled_booking_frees_its_slot(users, hanbit, serio, laser):
    first = request(users, hanbit, laser, future(4, 9), future(4, 12))
    services.booking_reject(actor=users["researcher"], booking=first, note="점검 일정")
    second = request(users, serio, laser, future(4, 9), future(4, 12), who="coop")
    services.booking_cancel(actor=users["coop"], booking=second)
    third = request(users, hanbit, laser, future(4, 9), future(4, 12))
    assert third.status == "requested"


def test_the_state_machine_refuses_invalid_moves(users, hanbit, laser):
    booking = request(users, hanbit, laser, future(5, 9), future(5, 10))
    services.booking_reject(actor=users["center"], booking=booking, note="불가")
    with pytest.raises(ValidationError) as exc:
        services.booking_approve(actor=users["center"], booking=booking)
    assert exc.value.code == "invalid_transition"
    with pytest.raises(ValidationError):
        services.booking_cancel(actor=users["sme"], booking=booking)


def test_rejecting_needs_a_reason(users, hanbit, laser):
    booking = request(users, hanbit, laser, future(5, 9), future(5, 10))
    with pytest.raises(ValidationError) as exc:
        services.booking_reject(actor=users["researcher"], booking=booking, note=" ")
    assert codes(exc.value) == {"note": ["required"]}


@pytest.mark.parametrize(
    ("start", "end", "code_field"),
    [
        (lambda: future(3, 12), lambda: future(3, 9), ("ends_at", "booking_order")),
        (lambda: future(3, 9), lambda: future(3, 9), ("ends_at", "booking_order")),
        (lambda: future(-1, 9), lambda: future(-1, 12), ("starts_at", "booking_in_past")),
        (lambda: future(3, 9), lambda: future(40, 9), ("ends_at", "booking_too_long")),
    ],
)
def test_invalid_times_are_refused(users, hanbit, laser, start, end, code_field):
    with pytest.raises(ValidationError) as exc:
        request(users, hanbit, laser, start(), end())
    field, code = code_field
    assert code in codes(exc.value)[field]
    assert not EquipmentBooking.objects.filter(equipment=laser).exists()


def test_naive_datetimes_are_refused(users, hanbit, laser):
    naive = dt.datetime.now() + dt.timedelta(days=3)  # noqa: DTZ005 - the point of the test
    with pytest.raises(ValidationError) as exc:
        request(users, hanbit, laser, naive, naive + dt.timedelta(hours=1))
    assert codes(exc.value) == {"starts_at": ["datetime_naive"]}


def test_sole_use_and_disused_equipment_take_no_bookings(users, hanbit, make_equipment):
    for data in ({"sharing": "sole"}, {"status": "disused"}):
        item = make_equipment(**data)
        with pytest.raises(ValidationError) as exc:
            request(users, hanbit, item, future(3, 9), future(3, 10))
        assert codes(exc.value) == {"equipment": ["equipment_not_bookable"]}


def test_only_members_book_for_their_own_organisation(users, hanbit, serio, laser):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        request(users, serio, laser, future(3, 9), future(3, 10), who="sme")
    with pytest.raises(PermissionDenied):
        services.booking_request(
            actor=AnonymousUser(),
            equipment=laser,
            organisation=hanbit,
            starts_at=future(3, 9),
            ends_at=future(3, 10),
            purpose="x",
        )
    # staff may book for anyone (e.g. on behalf of a caller)
    request(users, serio, laser, future(3, 9), future(3, 10), who="center")


@pytest.mark.parametrize("role", ["sme", "coop", "member", "supplier"])
def test_only_the_equipment_institute_and_staff_decide(role, users, hanbit, laser):
    booking = request(users, hanbit, laser, future(6, 9), future(6, 10))
    with pytest.raises(PermissionDenied):
        services.booking_approve(actor=users[role], booking=booking)
    booking.refresh_from_db()
    assert booking.status == "requested"


def test_who_sees_a_booking(users, hanbit, laser):
    booking = request(users, hanbit, laser, future(6, 9), future(6, 10))
    seeing = {
        role
        for role in ("admin", "center", "researcher", "sme", "coop", "member", "supplier")
        if access.bookings_visible_to(users[role]).filter(pk=booking.pk).exists()
    }
    assert seeing == {"admin", "center", "researcher", "sme"}


# --- the database holds the rule on its own ----------------------------------------------------


def _raw(equipment, hanbit, users, start, end, status="requested"):
    return EquipmentBooking(
        equipment=equipment,
        requester=users["sme"],
        organisation=hanbit,
        starts_at=start,
        ends_at=end,
        purpose="raw",
        status=status,
    )


def test_the_database_refuses_overlapping_active_bookings_written_directly(users, hanbit, laser):
    _raw(laser, hanbit, users, future(8, 9), future(8, 12), "approved").save()
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw(laser, hanbit, users, future(8, 11), future(8, 13)).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        EquipmentBooking.objects.bulk_create(
            [_raw(laser, hanbit, users, future(8, 10), future(8, 11), "approved")]
        )
    # inactive rows may overlap anything
    _raw(laser, hanbit, users, future(8, 10), future(8, 11), "rejected").save()
    cancelled = _raw(laser, hanbit, users, future(8, 10), future(8, 11), "cancelled")
    cancelled.save()
    # … but may not be turned active again over a held slot
    cancelled.status = "requested"
    with pytest.raises(IntegrityError), transaction.atomic():
        cancelled.save()


def test_the_database_refuses_a_booking_that_ends_before_it_starts(users, hanbit, laser):
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw(laser, hanbit, users, future(8, 12), future(8, 9)).save()


# --- concurrency -------------------------------------------------------------------------------

N_THREADS = 8


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="threads need separate connections to a server database (SQLite tests share one "
    "in-memory database; SQLite serialises writers anyway)",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_for_the_same_slot_exactly_one_wins():
    from django.contrib.auth import get_user_model
    from django.db import connections

    from dure.directory.models import Membership, Organisation, OrganisationKind, Sido
    from dure.techbank.models import Equipment

    # Transactional test: it makes its own world (the database is emptied afterwards).
    Sido.objects.get_or_create(code="30", defaults={"name": "대전광역시"})
    lab_org, _ = Organisation.objects.get_or_create(
        name="동시성 연구원", kind=OrganisationKind.RESEARCH_INSTITUTE
    )
    User = get_user_model()
    requesters = []
    for i in range(N_THREADS):
        company = Organisation.objects.create(name=f"동시성 기업 {i}", kind=OrganisationKind.SME)
        user = User.objects.create_user(username=f"racer{i}", password="x")
        Membership.objects.create(user=user, organisation=company, role="representative")
        requesters.append((user, company))
    item = Equipment.objects.create(
        nfec_number=nfec_number(), name="경쟁 장비", institute=lab_org, fee_per_hour=1000
    )
    start = timezone.now() + dt.timedelta(days=2)
    barrier = threading.Barrier(N_THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        user, company = requesters[i]
        try:
            barrier.wait()
            # overlapping but different slots, so that no two requests are identical
            services.booking_request(
                actor=User.objects.get(pk=user.pk),
                equipment=item,
                organisation=company,
                starts_at=start + dt.timedelta(minutes=i),
                ends_at=start + dt.timedelta(hours=2, minutes=i),
                purpose=f"경쟁 {i}",
            )
            result = "won"
        except ValidationError as exc:
            result = "overlap" if codes(exc) == {"starts_at": ["booking_overlap"]} else f"{exc}"
        except Exception as exc:  # noqa: BLE001 - recorded and asserted below
            result = f"error: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(N_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["overlap"] * (N_THREADS - 1) + ["won"]
    assert EquipmentBooking.objects.filter(equipment=item).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL exclusion constraint")
@pytest.mark.django_db(transaction=True)
def test_without_the_service_lock_the_exclusion_constraint_still_lets_only_one_win():
    """Raw concurrent inserts (no row lock, no pre-check): the database alone decides."""
    from django.contrib.auth import get_user_model
    from django.db import connections

    from dure.directory.models import Organisation, OrganisationKind
    from dure.techbank.models import Equipment

    institute = Organisation.objects.create(
        name="제약 연구원", kind=OrganisationKind.RESEARCH_INSTITUTE
    )
    company = Organisation.objects.create(name="제약 기업", kind=OrganisationKind.SME)
    user = get_user_model().objects.create_user(username="raw-racer", password="x")
    item = Equipment.objects.create(
        nfec_number=nfec_number(), name="제약 장비", institute=institute
    )
    start = timezone.now() + dt.timedelta(days=2)
    barrier = threading.Barrier(N_THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                EquipmentBooking.objects.create(
                    equipment=item,
                    requester_id=user.pk,
                    organisation=company,
                    starts_at=start,
                    ends_at=start + dt.timedelta(hours=1),
                    purpose=f"raw {i}",
                )
            result = "won"
        except IntegrityError:
            result = "refused"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(N_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["refused"] * (N_THREADS - 1) + ["won"]
