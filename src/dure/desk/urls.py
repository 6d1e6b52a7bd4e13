from django.urls import path, register_converter

from . import views


class CaseNumberConverter:
    """A case number as people read it: ``2026-000123``."""

    regex = r"[0-9]{4}-[0-9]{6,9}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return str(value)


register_converter(CaseNumberConverter, "caseno")

app_name = "desk"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.intake, name="new"),
    path("receipt/<caseno:number>/", views.receipt, name="receipt"),
    path("intake/", views.staff_intake, name="intake"),
    path("mine/", views.mine, name="mine"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/export/", views.export, name="export"),
    # the requester's signed status link (no login)
    path("status/<str:token>/", views.status, name="status"),
    path("status/<str:token>/reply/", views.status_reply, name="status_reply"),
    path("status/<str:token>/survey/", views.status_survey, name="status_survey"),
    path("status/<str:token>/reopen/", views.status_reopen, name="status_reopen"),
    path("status/<str:token>/files/<int:pk>/", views.status_file, name="status_file"),
    # one case (staff side, or the logged-in requester)
    path("cases/<caseno:number>/", views.case_detail, name="case_detail"),
    path("cases/<caseno:number>/triage/", views.case_triage, name="case_triage"),
    path("cases/<caseno:number>/assign/", views.case_assign, name="case_assign"),
    path("cases/<caseno:number>/start/", views.case_start, name="case_start"),
    path("cases/<caseno:number>/wait/", views.case_wait, name="case_wait"),
    path("cases/<caseno:number>/resume/", views.case_resume, name="case_resume"),
    path("cases/<caseno:number>/resolve/", views.case_resolve, name="case_resolve"),
    path("cases/<caseno:number>/close/", views.case_close, name="case_close"),
    path("cases/<caseno:number>/reopen/", views.case_reopen, name="case_reopen"),
    path("cases/<caseno:number>/message/", views.case_message, name="case_message"),
    path("cases/<caseno:number>/note/", views.case_note, name="case_note"),
    path("cases/<caseno:number>/survey/", views.case_survey, name="case_survey"),
    path(
        "cases/<caseno:number>/collaborators/",
        views.case_collaborator_add,
        name="case_collaborator_add",
    ),
    path(
        "cases/<caseno:number>/collaborators/<int:user_id>/remove/",
        views.case_collaborator_remove,
        name="case_collaborator_remove",
    ),
    path("cases/<caseno:number>/files/<int:pk>/", views.case_file, name="case_file"),
]
