from django.urls import path

from . import views

app_name = "techbank"
urlpatterns = [
    path("", views.home, name="home"),
    path("technologies/", views.technology_list, name="technology_list"),
    path("technologies/new/", views.technology_create, name="technology_create"),
    path("technologies/<int:pk>/", views.technology_detail, name="technology_detail"),
    path("technologies/<int:pk>/edit/", views.technology_edit, name="technology_edit"),
    path("technologies/<int:pk>/apply/", views.transfer_create, name="transfer_create"),
    path("equipment/", views.equipment_list, name="equipment_list"),
    path("equipment/new/", views.equipment_create, name="equipment_create"),
    path("equipment/<int:pk>/", views.equipment_detail, name="equipment_detail"),
    path("equipment/<int:pk>/edit/", views.equipment_edit, name="equipment_edit"),
    path("equipment/<int:pk>/book/", views.booking_create, name="booking_create"),
    path("bookings/", views.booking_list, name="booking_list"),
    path("bookings/<int:pk>/", views.booking_detail, name="booking_detail"),
    path("bookings/<int:pk>/act/", views.booking_act, name="booking_act"),
    path("labs/", views.lab_list, name="lab_list"),
    path("labs/new/", views.lab_create, name="lab_create"),
    path("labs/<int:pk>/", views.lab_detail, name="lab_detail"),
    path("labs/<int:pk>/edit/", views.lab_edit, name="lab_edit"),
    path("experts/", views.expert_list, name="expert_list"),
    path("experts/new/", views.expert_create, name="expert_create"),
    path("experts/export/", views.expert_export, name="expert_export"),
    path("experts/<int:pk>/", views.expert_detail, name="expert_detail"),
    path("experts/<int:pk>/edit/", views.expert_edit, name="expert_edit"),
    path("transfers/", views.transfer_list, name="transfer_list"),
    path("transfers/<int:pk>/", views.transfer_detail, name="transfer_detail"),
    path("transfers/<int:pk>/act/", views.transfer_act, name="transfer_act"),
    path("transfers/<int:pk>/report/", views.transfer_report, name="transfer_report"),
    path("exchanges/", views.exchange_list, name="exchange_list"),
    path("exchanges/new/", views.exchange_create, name="exchange_create"),
    path("exchanges/<int:pk>/", views.exchange_detail, name="exchange_detail"),
    path("exchanges/<int:pk>/act/", views.exchange_act, name="exchange_act"),
    path("statistics/", views.statistics, name="statistics"),
    path(
        "statistics/<slug:table>.<slug:fmt>",
        views.statistics_export,
        name="statistics_export",
    ),
]
