from django.urls import path

from . import views

app_name = "founding"
urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.request_new, name="new"),
    path("queue/", views.queue, name="queue"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/sessions/new/", views.session_new, name="session_new"),
    path("<int:pk>/move/", views.move, name="move"),
    path("<int:pk>/assign/", views.assign, name="assign"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
]
