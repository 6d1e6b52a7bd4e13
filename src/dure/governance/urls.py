from django.urls import path

from . import checker_views, views

app_name = "governance"
urlpatterns = [
    path("check/", checker_views.assembly_check, name="check"),
    path("", views.home, name="home"),
    path("<int:org>/", views.coop_home, name="coop_home"),
    path("<int:org>/settings/", views.coop_settings, name="coop_settings"),
    path("<int:org>/members/", views.member_list, name="member_list"),
    path("<int:org>/members/new/", views.member_create, name="member_create"),
    path("<int:org>/members/export.<slug:fmt>", views.member_export, name="member_export"),
    path("<int:org>/members/<int:pk>/", views.member_detail, name="member_detail"),
    path("<int:org>/members/<int:pk>/shares/", views.share_issue, name="share_issue"),
    path("<int:org>/members/<int:pk>/status/", views.member_status, name="member_status"),
    path("<int:org>/members/<int:pk>/expulsion/", views.expulsion_open, name="expulsion_open"),
    path("expulsions/<int:pk>/schedule/", views.expulsion_schedule, name="expulsion_schedule"),
    path("expulsions/<int:pk>/hearing/", views.expulsion_hearing, name="expulsion_hearing"),
    path("<int:org>/members/<int:pk>/dues/", views.dues_payment, name="dues_payment"),
    path("<int:org>/members/<int:pk>/terms/", views.officer_term, name="officer_term"),
    path("<int:org>/me/", views.my_record, name="my_record"),
    path("<int:org>/assemblies/", views.assembly_list, name="assembly_list"),
    path("<int:org>/assemblies/new/", views.assembly_create, name="assembly_create"),
    path("assemblies/<int:pk>/", views.assembly_detail, name="assembly_detail"),
    path("assemblies/<int:pk>/quorum/", views.quorum_panel, name="quorum"),
    path("assemblies/<int:pk>/items/new/", views.item_create, name="item_create"),
    path("assemblies/<int:pk>/notice/", views.notice, name="notice"),
    path("assemblies/<int:pk>/open/", views.assembly_open, name="assembly_open"),
    path("assemblies/<int:pk>/close/", views.assembly_close, name="assembly_close"),
    path("assemblies/<int:pk>/checkin/", views.checkin_desk, name="checkin_desk"),
    path("assemblies/<int:pk>/checkin/scan/", views.checkin_scan, name="checkin_scan"),
    path("assemblies/<int:pk>/proxies/", views.proxy_create, name="proxy_create"),
    path("assemblies/<int:pk>/qr/", views.my_qr, name="my_qr"),
    path("assemblies/<int:pk>/minutes/", views.minutes_generate, name="minutes_generate"),
    path("items/<int:pk>/", views.item_vote, name="item_vote"),
    path("items/<int:pk>/tally/", views.item_tally, name="item_tally"),
    path("items/<int:pk>/open/", views.item_open, name="item_open"),
    path("items/<int:pk>/close/", views.item_close, name="item_close"),
    path("items/<int:pk>/revote/", views.item_revote, name="item_revote"),
    path("minutes/<int:pk>/", views.minutes_detail, name="minutes_detail"),
    path("minutes/<int:pk>/edit/", views.minutes_edit, name="minutes_edit"),
    path("minutes/<int:pk>/signers/", views.minutes_signers, name="minutes_signers"),
    path("minutes/<int:pk>/sign/", views.minutes_sign, name="minutes_sign"),
    path("minutes/<int:pk>/lock/", views.minutes_lock, name="minutes_lock"),
    path("minutes/<int:pk>/amend/", views.minutes_amend, name="minutes_amend"),
    path("minutes/<int:pk>/pdf/", views.minutes_pdf, name="minutes_pdf"),
    # delegates (대의원, art. 31)
    path("<int:org>/delegates/", views.delegate_list, name="delegate_list"),
    path("<int:org>/delegates/elect/", views.delegate_elect, name="delegate_elect"),
    path("delegates/<int:pk>/end/", views.delegate_end, name="delegate_end"),
    # founding meeting (창립총회, art. 15)
    path("assemblies/<int:pk>/founders/new/", views.founder_create, name="founder_create"),
    path("founders/<int:pk>/remove/", views.founder_remove, name="founder_remove"),
    path("assemblies/<int:pk>/consents/new/", views.consent_create, name="consent_create"),
    path(
        "assemblies/<int:pk>/founding/complete/",
        views.founding_complete,
        name="founding_complete",
    ),
]

# --- capital refunds ---------------------------------------------------------------------------
urlpatterns += [
    path("<int:org>/refunds/", views.refund_list, name="refund_list"),
    path("refunds/<int:pk>/", views.refund_detail, name="refund_detail"),
    path("refunds/<int:pk>/claim/", views.refund_claim, name="refund_claim"),
    path("refunds/<int:pk>/deduction/", views.refund_deduction, name="refund_deduction"),
    path("refunds/<int:pk>/pay/", views.refund_pay, name="refund_pay"),
]
