from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("notices/", views.notice_list, name="notice_list"),
    path("notices/new/", views.notice_create, name="notice_create"),
    path("notices/<int:pk>/", views.notice_detail, name="notice_detail"),
    path("notices/<int:pk>/edit/", views.notice_edit, name="notice_edit"),
    path(
        "notices/<int:pk>/publish/",
        views.notice_action,
        {"action": "publish"},
        name="notice_publish",
    ),
    path(
        "notices/<int:pk>/archive/",
        views.notice_action,
        {"action": "archive"},
        name="notice_archive",
    ),
    path("stories/", views.story_list, name="story_list"),
    path("stories/manage/", views.story_manage, name="story_manage"),
    path("stories/consents/", views.story_consents, name="story_consents"),
    path("stories/new/", views.story_create, name="story_create"),
    path("stories/<int:pk>/", views.story_detail, name="story_detail"),
    path("stories/<int:pk>/edit/", views.story_edit, name="story_edit"),
    path(
        "stories/<int:pk>/request-consent/",
        views.story_step,
        {"step": "request_consent"},
        name="story_request_consent",
    ),
    path(
        "stories/<int:pk>/consent/",
        views.story_step,
        {"step": "consent"},
        name="story_consent",
    ),
    path(
        "stories/<int:pk>/written-consent/",
        views.story_step,
        {"step": "consent_record"},
        name="story_consent_record",
    ),
    path(
        "stories/<int:pk>/decline/",
        views.story_step,
        {"step": "decline"},
        name="story_decline",
    ),
    path(
        "stories/<int:pk>/withdraw/",
        views.story_step,
        {"step": "withdraw"},
        name="story_withdraw",
    ),
    path(
        "stories/<int:pk>/publish/",
        views.story_step,
        {"step": "publish"},
        name="story_publish",
    ),
    path(
        "stories/<int:pk>/unpublish/",
        views.story_step,
        {"step": "unpublish"},
        name="story_unpublish",
    ),
]
