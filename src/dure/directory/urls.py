from django.urls import path

from . import views

app_name = "directory"
urlpatterns = [
    path("", views.organisation_list, name="list"),
    path("new/", views.organisation_create, name="create"),
    path("<int:pk>/", views.organisation_detail, name="detail"),
    path("<int:pk>/edit/", views.organisation_edit, name="edit"),
    path("<int:pk>/history/", views.organisation_history, name="history"),
    path("mou/", views.mou_list, name="mou_list"),
    path("mou/new/", views.mou_create, name="mou_create"),
    path("mou/<int:pk>/", views.mou_detail, name="mou_detail"),
    path("mou/<int:pk>/edit/", views.mou_edit, name="mou_edit"),
    path("mou/<int:pk>/attachment/", views.mou_attachment, name="mou_attachment"),
]
