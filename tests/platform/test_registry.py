"""The route registry: synced from the code on migrate and by `sync_routes`, toggled by staff."""

from django.core.management import call_command

from planocore.routes.models import ApiService, Route
from planocore.routes.registry import iter_api_routes


def test_migrate_synced_every_route(db):
    # The test database was migrated: every route of the code has its record.
    slugs = {r.endpoint.slug for r in iter_api_routes()}
    assert slugs <= set(Route.objects.values_list("slug", flat=True))
    current = Route.objects.get(slug="sessions-current")
    assert (current.method, current.path, current.service.slug) == (
        "GET",
        "/api/v1/sessions/current",
        "sessions",
    )
    assert current.name == "Current Session API" and current.purpose


def test_sync_routes_command_recreates_updates_and_keeps_toggles(db, capsys):
    Route.objects.filter(slug="applications-list").delete()
    Route.objects.filter(slug="sessions-current").update(deployed=False, name="stale")
    Route.objects.create(
        service=ApiService.objects.get(slug="sessions"),
        slug="gone-route",
        method="GET",
        path="/api/v1/gone",
        name="Gone",
    )
    call_command("sync_routes")
    out = capsys.readouterr().out
    assert "1 created" in out and "1 updated" in out and "1 no longer in the code" in out
    assert Route.objects.filter(slug="applications-list", present_in_code=True).exists()
    current = Route.objects.get(slug="sessions-current")
    assert (current.name, current.deployed) == ("Current Session API", False)  # staff's toggle kept
    assert not Route.objects.get(slug="gone-route").present_in_code
    call_command("sync_routes")
    assert "0 created, 0 updated" in capsys.readouterr().out


def test_admin_action_takes_a_route_out_of_service_at_once(api, client, staff_user):
    client.force_login(staff_user)
    assert api.get("/api/v1/applications")[0] == 200  # caches the deployment state
    route = Route.objects.get(slug="applications-list")
    response = client.post(
        "/admin/planocore/route/",
        {"action": "take_out_of_service", "_selected_action": [route.pk]},
    )
    assert response.status_code == 302
    code, body = api.get("/api/v1/applications")
    assert (code, body["status"]) == (404, "route-not-found")
    client.post("/admin/planocore/route/", {"action": "put_back_in_service", "_selected_action": [route.pk]})
    assert api.get("/api/v1/applications")[0] == 200


def test_admin_service_toggle(api, client, staff_user):
    client.force_login(staff_user)
    assert api.get("/api/v1/applications")[0] == 200
    service = ApiService.objects.get(slug="applications")
    client.post(
        "/admin/planocore/apiservice/", {"action": "take_out_of_service", "_selected_action": [service.pk]}
    )
    code, body = api.get("/api/v1/applications")
    assert (code, body["status"]) == (404, "service-not-found")
    assert api.get("/api/v1/sessions/current")[0] == 200  # other services unaffected


def test_route_list_editable_deployed(api, client, staff_user):
    client.force_login(staff_user)
    assert api.get("/api/v1/applications")[0] == 200
    routes = list(Route.objects.order_by("service__slug", "path", "method"))
    data = {
        "form-TOTAL_FORMS": str(len(routes)),
        "form-INITIAL_FORMS": str(len(routes)),
        "_save": "Save",
    }
    for i, route in enumerate(routes):
        data[f"form-{i}-id"] = str(route.pk)
        if route.slug != "applications-list":
            data[f"form-{i}-deployed"] = "on"
    response = client.post("/admin/planocore/route/?o=", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not Route.objects.get(slug="applications-list").deployed
    assert api.get("/api/v1/applications")[1]["status"] == "route-not-found"
