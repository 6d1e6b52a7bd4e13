from django.urls import path

from . import views

app_name = "market"
urlpatterns = [
    path("", views.home, name="home"),
    path("products/<int:pk>/", views.product, name="product"),
    path("r/<str:code>/", views.referral, name="referral"),
    path("content/<int:pk>/", views.content, name="content"),
    path("cart/", views.cart, name="cart"),
    path("checkout/", views.checkout, name="checkout"),
    path("orders/", views.orders, name="orders"),
    path("orders/<int:pk>/", views.order, name="order"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path("suborders/<int:pk>/refund/", views.refund_request, name="refund_request"),
    path("supplier/orders/", views.supplier_orders, name="supplier_orders"),
    path("supplier/suborders/<int:pk>/ship/", views.ship, name="ship"),
    path("supplier/refunds/<int:pk>/", views.refund_decide, name="refund_decide"),
    path("operator/suppliers/", views.operator_suppliers, name="operator_suppliers"),
    path("operator/suppliers/<int:pk>/", views.operator_supplier, name="operator_supplier"),
    path("operator/payments/", views.operator_payments, name="operator_payments"),
    path("operator/settlements/", views.settlements, name="settlements"),
    path("supplier/apply/", views.supplier_apply, name="supplier_apply"),
    path("referrers/register/", views.referrer_register, name="referrer_register"),
    path("supplier/products/", views.supplier_products, name="supplier_products"),
    path("supplier/products/new/", views.product_create, name="product_create"),
    path("supplier/products/<int:pk>/edit/", views.product_edit, name="product_edit"),
    path("operator/commission-rules/", views.commission_rules, name="commission_rules"),
    path("operator/market-days/", views.market_days, name="market_days"),
    path("operator/market-days/<int:pk>/", views.market_day, name="market_day"),
    path("statement/", views.statement, name="statement"),
]

# --- public purchasing (견적요청 · 견적 · 발주 · 우선구매 실적) ------------------------------------
urlpatterns += [
    path("purchasing/requests/", views.quote_requests, name="quote_requests"),
    path("purchasing/requests/new/", views.quote_request_new, name="quote_request_new"),
    path("purchasing/requests/<int:pk>/", views.quote_request, name="quote_request"),
    path("purchasing/requests/<int:pk>/quote/", views.quote_submit, name="quote_submit"),
    path("purchasing/incoming/", views.quote_incoming, name="quote_incoming"),
    path("purchasing/orders/", views.purchase_orders, name="purchase_orders"),
    path("purchasing/orders/<int:pk>/", views.purchase_order, name="purchase_order"),
    path(
        "purchasing/orders/<int:pk>/tax-invoice/",
        views.purchase_order_tax_invoice,
        name="purchase_order_tax_invoice",
    ),
    path("purchasing/report/", views.priority_report, name="priority_report"),
]
