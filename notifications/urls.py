"""Routes of notifications under /api/v1/."""

from django.urls import re_path

from notifications import views

urlpatterns = [
    re_path(r"^notifications/?$", views.NotificationsView.as_view(), name="notifications"),
    re_path(r"^notifications/(?P<id>[^/]+)/?$", views.NotificationDetailView.as_view(), name="notification"),
]
