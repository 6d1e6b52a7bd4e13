from django.urls import path

from . import views

app_name = "programs"
urlpatterns = [
    path("", views.program_list, name="list"),
    path("new/", views.program_create, name="create"),
    path("mine/", views.my_registrations, name="mine"),
    path("<int:pk>/", views.program_detail, name="detail"),
    path("<int:pk>/edit/", views.program_edit, name="edit"),
    path("<int:pk>/publish/", views.program_publish, name="publish"),
    path("<int:pk>/cancel/", views.program_cancel, name="cancel"),
    path("<int:pk>/register/", views.register, name="register"),
    path("<int:pk>/registrants/", views.registrants, name="registrants"),
    path("<int:pk>/registrants/export/", views.registrants_export, name="registrants_export"),
    path("registrations/<int:pk>/cancel/", views.registration_cancel, name="registration_cancel"),
]
