"""The generated documentation: /documentation/, one page per route, and the list items."""

from collections import OrderedDict

from django.http import Http404
from django.shortcuts import render

from planocore.api import statuses
from planocore.routes.docs import route_doc
from planocore.routes.list_items import LIST_ITEMS
from planocore.routes.registry import deployment_state, iter_api_routes


def index(request):
    state = deployment_state()
    services: OrderedDict[str, dict] = OrderedDict()
    for route in iter_api_routes():
        service = services.setdefault(
            route.service,
            {
                "slug": route.service,
                "name": route.service_name,
                "deployed": state["services"].get(route.service, True),
                "routes": [],
            },
        )
        service["routes"].append({"route": route, "deployed": state["routes"].get(route.endpoint.slug, True)})
    context = {
        "services": list(services.values()),
        "list_items": sorted(LIST_ITEMS.values(), key=lambda item: item.name),
        "statuses": [*statuses.COMMON, *statuses.UNCOMMON],
    }
    return render(request, "documentation/index.html", context)


def route_page(request, slug: str):
    route = next((r for r in iter_api_routes() if r.endpoint.slug == slug), None)
    if route is None:
        raise Http404(f"No route {slug}.")
    state = deployment_state()
    context = {
        "doc": route_doc(route),
        "deployed": state["routes"].get(slug, True) and state["services"].get(route.service, True),
    }
    return render(request, "documentation/route.html", context)


def list_item_page(request, name: str):
    item = LIST_ITEMS.get(name)
    if item is None:
        raise Http404(f"No list {name}.")
    return render(request, "documentation/list_item.html", {"item": item, "values": list(item.values())})
