"""Dashboards and the export for institutes' evaluation (which holds no personal data)."""

from __future__ import annotations

import json

import pytest

from dure.desk import links, selectors, services
from dure.desk.models import Case

pytestmark = pytest.mark.django_db


def resolved_with_survey(flow, desk, rating, **overrides):
    case = flow("in_progress", **overrides)
    services.case_message_post(case=case, actor=desk.researcher, body="답변 드립니다.")
    services.case_resolve(actor=desk.researcher, case=case, outcome="information")
    services.case_survey_submit(case=case, status_token=links.make_token(case), rating=rating)
    return case


def test_counts_by_every_dimension_cover_all_visible_cases(desk, flow):
    flow("triaged")
    total = selectors.dashboard_cases(user=desk.center).count()
    for by in ("category", "channel", "status", "sido", "institute", "centre", "outcome"):
        rows = selectors.case_counts(user=desk.center, by=by)
        assert sum(n for _k, _label, n in rows) == total
    by_channel = {
        k: label for k, label, _n in selectors.case_counts(user=desk.center, by="channel")
    }
    assert by_channel["web"] == "웹"
    # an institute counts only what it may see
    kimm_total = selectors.dashboard_cases(user=desk.kimm_researcher).count()
    assert (
        sum(n for *_x, n in selectors.case_counts(user=desk.kimm_researcher, by="status"))
        == kimm_total
    )
    assert kimm_total < total


def test_sla_compliance_counts_met_and_breached(desk, flow):
    before = selectors.sla_compliance(user=desk.center)
    resolved_with_survey(flow, desk, 5)
    after = selectors.sla_compliance(user=desk.center)
    assert after["first_response"]["met"] == before["first_response"]["met"] + 1
    assert after["resolution"]["met"] == before["resolution"]["met"] + 1
    assert 0 <= after["resolution"]["rate"] <= 1


def test_resolution_time_and_satisfaction(desk, flow):
    before = selectors.satisfaction_summary(user=desk.center)
    resolved_with_survey(flow, desk, 2)
    resolved_with_survey(flow, desk, 4)
    summary = selectors.satisfaction_summary(user=desk.center)
    assert summary["count"] == before["count"] + 2
    dist = dict(summary["distribution"])
    assert dist[2] == dict(before["distribution"])[2] + 1
    times = selectors.resolution_time_distribution(user=desk.center)
    assert times["count"] == sum(n for _label, n in times["buckets"])
    assert times["count"] >= 2 and times["median"] is not None


def test_institute_performance(desk, flow):
    resolved_with_survey(flow, desk, 3)
    rows = {r.acronym: r for r in selectors.institute_performance(user=desk.center)}
    kitech = rows["KITECH"]
    assert kitech.cases >= kitech.resolved >= kitech.on_time
    assert kitech.surveys >= 1 and 1 <= kitech.avg_satisfaction <= 5
    assert kitech.on_time_rate is None or 0 <= kitech.on_time_rate <= 1


def test_the_evaluation_export_holds_no_personal_data(desk, flow, django_assert_max_num_queries):
    case = resolved_with_survey(
        flow,
        desk,
        5,
        company_name="비밀상호주식회사",
        contact_name="김비밀",
        contact_phone="010-9876-5432",
        contact_email="secret-person@example.kr",
        description="아주 개인적인 사정이 담긴 애로 내용 문장입니다.",
    )
    with django_assert_max_num_queries(8):
        rows = list(selectors.evaluation_export_rows(user=desk.center))
    assert all(set(r) == set(selectors.EVALUATION_COLUMNS) for r in rows)
    dump = json.dumps(rows, ensure_ascii=False)
    for secret in (
        "비밀상호",
        "김비밀",
        "9876",
        "secret-person",
        "개인적인 사정",
        case.business_number,
        case.title,
    ):
        assert secret not in dump
    mine = next(r for r in rows if r["number"] == case.number)
    assert mine["lead_institute"] == "KITECH" and mine["satisfaction"] == 5
    assert mine["resolution_met"] is True
    assert len(rows) == selectors.dashboard_cases(user=desk.center).count()


def test_dismissed_cases_are_left_out_of_dashboards(desk, submit):
    case = submit()
    services.case_close(actor=desk.center, case=case, reason="스팸")
    assert not selectors.dashboard_cases(user=desk.center).filter(pk=case.pk).exists()
    assert Case.objects.filter(pk=case.pk).exists()


def test_case_detail_and_public_view(desk, flow):
    case = flow("in_progress", actor=desk.sme)
    services.case_message_post(case=case, actor=desk.researcher, body="메모", is_internal=True)
    staff = selectors.case_detail(user=desk.researcher, case=case)
    requester = selectors.case_detail(user=desk.sme, case=case)
    assert len(staff.messages) == 1 and requester.messages == []
    assert any(e.is_internal for e in staff.events) or staff.events
    assert all(not e.is_internal for e in requester.events)
    assert requester.moves == [] and requester.can_post and not requester.can_post_internal
    assert "resolve" in staff.moves and staff.teams
    public = selectors.case_public_view(case=case)
    assert [kind for _at, kind, _label in public.timeline][:2] == ["submitted", "triaged"]
    assert public.can_reply and not public.survey_open
