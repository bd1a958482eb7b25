from django.urls import re_path

from planocore.routes import views

app_name = "documentation"

urlpatterns = [
    re_path(r"^$", views.index, name="index"),
    re_path(r"^list_items/(?P<name>[-\w]+)/?$", views.list_item_page, name="list-item"),
    re_path(r"^(?P<slug>[-\w]+)/?$", views.route_page, name="route"),
]
