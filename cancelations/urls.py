from django.urls import re_path

from cancelations import views

# `reasons` before the detail route, and ids are digits only, so /cancelations/reasons is never an id.
urlpatterns = [
    re_path(r"^cancelations/?$", views.CancelationListView.as_view(), name="cancelations-list"),
    re_path(
        r"^cancelations/reasons/?$", views.CancelationReasonListView.as_view(), name="cancelations-reasons"
    ),
    re_path(
        r"^cancelations/(?P<id>\d+)/?$", views.CancelationDetailView.as_view(), name="cancelations-detail"
    ),
]
