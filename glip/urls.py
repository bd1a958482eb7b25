from django.urls import re_path

from glip import views

urlpatterns = [
    re_path(r"^glip/messages/?$", views.GlipMessagesView.as_view(), name="glip-messages"),
    re_path(r"^glip/messages/(?P<id>[^/]+)/?$", views.GlipMessageView.as_view(), name="glip-message"),
    re_path(r"^glip/teams/?$", views.GlipTeamsView.as_view(), name="glip-teams"),
]
