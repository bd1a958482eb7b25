"""The admin of messaging clients: search, filter, the remove action, read-only provider ids."""

import pytest

from messaging.models import MessagingClient

pytestmark = pytest.mark.django_db

URL = "/admin/messaging/messagingclient/"


@pytest.fixture
def staff(client, staff_user):
    client.force_login(staff_user)
    return client


def make(person, client_id, **fields):
    defaults = {"type": "twilio", "external_user_id": str(person.pk), "phone_number": "+12125550000"}
    return MessagingClient.objects.create(user=person, client_id=client_id, **(defaults | fields))


def test_changelist_search_and_status_filter(staff, person, django_assert_max_num_queries):
    make(person, "5e0000000000000000000001", status="active", phone_number="+12125551111")
    make(
        person,
        "5e0000000000000000000002",
        status="blocked",
        type="mailgun",
        phone_number="",
        address="ana@example.com",
    )
    with django_assert_max_num_queries(12):
        page = staff.get(URL, {"status__exact": "blocked"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "ana@example.com" in html and "+12125551111" not in html
    for term, expected in (
        ("ana", "5e0000000000000000000001"),  # username
        (str(person.pk), "5e0000000000000000000002"),  # user id
        ("2125551111", "5e0000000000000000000001"),  # phone
        ("ana@example.com", "5e0000000000000000000002"),  # address / user email
    ):
        page = staff.get(URL, {"q": term})
        assert page.status_code == 200
        assert expected in page.content.decode(), term
    page = staff.get(URL, {"q": "2125551111"}).content.decode()
    assert "5e0000000000000000000002" not in page
    page = staff.get(URL, {"q": "nobody-matches"}).content.decode()
    assert "5e0000000000000000000001" not in page


def test_change_page_is_read_only(staff, person):
    client = make(person, "5e0000000000000000000001")
    page = staff.get(f"{URL}{client.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="client_id"' not in html and "5e0000000000000000000001" in html
    assert staff.get(f"{URL}add/").status_code == 403


def test_remove_action_removes_in_sunshine(staff, person, sunshine_fake):
    sunshine_fake.add_user(str(person.pk))
    sc_client = sunshine_fake.add_client(str(person.pk), type="twilio", status="active")
    client = make(person, sc_client["id"], status="active")
    response = staff.post(URL, {"action": "remove_clients", "_selected_action": [client.pk]}, follow=True)
    assert response.status_code == 200
    assert "1 client removed." in response.content.decode()
    assert sunshine_fake.clients_of(str(person.pk)) == []
    client.refresh_from_db()
    assert client.removed_at is not None and client.status == "inactive"


def test_remove_action_reports_a_failure(staff, person, sunshine_fake):
    sunshine_fake.add_user(str(person.pk))
    client = make(person, "5e0000000000000000000777", status="active")  # unknown to Sunshine Conversations
    response = staff.post(URL, {"action": "remove_clients", "_selected_action": [client.pk]}, follow=True)
    assert "Not removed: 5e0000000000000000000777" in response.content.decode()
    client.refresh_from_db()
    assert client.removed_at is None
