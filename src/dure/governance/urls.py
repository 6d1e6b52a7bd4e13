from django.urls import path

from . import checker_views

app_name = "governance"
urlpatterns = [
    path("check/", checker_views.assembly_check, name="check"),
]
