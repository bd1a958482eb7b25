"""Routes of the inbound app under /api/v1/."""

from django.urls import re_path

from inbound import views

urlpatterns = [
    re_path(r"^inbound_messages/?$", views.InboundMessagesView.as_view(), name="inbound-messages"),
    re_path(
        r"^inbound_messages/(?P<id>[^/]+)/?$", views.InboundMessageView.as_view(), name="inbound-message"
    ),
    re_path(
        r"^notifications/(?P<id>[^/]+)/replies/?$",
        views.NotificationRepliesView.as_view(),
        name="notification-replies",
    ),
    re_path(
        r"^applications/callback/?$", views.ApplicationCallbackView.as_view(), name="application-callback"
    ),
    re_path(r"^suppressions/?$", views.SuppressionsView.as_view(), name="suppressions"),
    re_path(r"^suppressions/(?P<id>[^/]+)/?$", views.SuppressionView.as_view(), name="suppression"),
]
