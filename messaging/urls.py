from django.urls import re_path

from messaging import views

urlpatterns = [
    re_path(
        r"^users/(?P<user_id>[^/]+)/clients/?$", views.UserClientsView.as_view(), name="messaging-clients"
    ),
    re_path(
        r"^users/(?P<user_id>[^/]+)/clients/(?P<client_id>[^/]+)/?$",
        views.UserClientView.as_view(),
        name="messaging-client",
    ),
]
