"""Fixtures of the cancelations tests: reasons, cancelations made through the service, sessions."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from cancelations.models import CancelationReason
from cancelations.services import Actor, cancelation_create
from planocore.accounts.models import Application, Client, Employee
from planocore.accounts.services import api_session_create, resolve_permissions


@pytest.fixture
def reason(db) -> CancelationReason:
    return CancelationReason.objects.create(slug="test-client-asked", text="The client asked", order=1)


@pytest.fixture
def other_reason(db) -> CancelationReason:
    return CancelationReason.objects.create(slug="test-weather", text="Weather", order=2)


@pytest.fixture
def make_cancelation(db, reason):
    """Create a cancelation through the service (so it has its history), as planox2."""

    def make(**data):
        data = {"cancelable_type": "Order", "cancelable_id": 1001, "reason_slug": reason.slug, **data}
        return cancelation_create(data=data, actor=Actor(by="planox2", via="planox2"))

    return make


@pytest.fixture
def session_token(db):
    """A session token for a user who is an Employee (may change cancelations) and a Client (may only read).

    planox2 selects the Employee role, planoauth and planoorder the Client role.
    """
    user = get_user_model().objects.create_user(
        username="emp", email="emp@example.com", password="pw-123456-x"
    )
    employees = Group.objects.create(name="test-cancelation-staff")
    employees.permissions.set(
        resolve_permissions(
            [
                "cancelations.add_cancelation",
                "cancelations.change_cancelation",
                "cancelations.view_cancelation",
            ]
        )
    )
    clients = Group.objects.create(name="test-cancelation-readers")
    clients.permissions.set(resolve_permissions(["cancelations.view_cancelation"]))
    Employee.objects.create(user=user).groups.add(employees)
    Client.objects.create(user=user).groups.add(clients)
    _, clear = api_session_create(user=user, application=Application.objects.get(slug="planox2"))
    return clear
