"""Find the API routes in the URL conf, sync them to the database, and say if one is deployed.

`deployment_state()` is read on every API request; it lives in the cache (one
entry, rebuilt when a service or route is saved), so checking a route costs no
database query.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from planocore.api.endpoints import Endpoint

STATE_CACHE_KEY = "routes:deployment-state:v1"
STATE_CACHE_SECONDS = 300


@dataclass(frozen=True)
class ApiRoute:
    service: str
    service_name: str
    method: str
    path: str
    endpoint: Endpoint
    view_class: type


_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)|<(?:\w+:)?(\w+)>")


def _pattern_text(pattern) -> str:
    """The pattern as a path template: no anchors, no optional slash, `{name}` for each param."""
    text = str(pattern.pattern).lstrip("^").rstrip("$").replace("/?", "/").rstrip("/")
    return _GROUP.sub(lambda m: "{" + (m.group(1) or m.group(2)) + "}", text)


def _walk(patterns, prefix: str = "") -> Iterator[tuple[str, object]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            text = _pattern_text(entry)
            yield from _walk(entry.url_patterns, prefix + text + "/" if text else prefix)
        elif isinstance(entry, URLPattern):
            yield prefix + _pattern_text(entry), entry.callback


def iter_api_routes() -> Iterator[ApiRoute]:
    """Yield every route of every API view in the URL conf, in URL conf order."""
    seen = set()
    for path, callback in _walk(get_resolver().url_patterns):
        view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        endpoints = getattr(view_class, "endpoints", None)
        if not endpoints or not path.startswith("api/"):
            continue
        for method, endpoint in endpoints.items():
            if endpoint.slug in seen:
                continue
            seen.add(endpoint.slug)
            yield ApiRoute(
                service=view_class.service,
                service_name=view_class.service_name or view_class.service.title(),
                method=method,
                path="/" + path,
                endpoint=endpoint,
                view_class=view_class,
            )


@transaction.atomic
def sync_routes() -> dict[str, int]:
    """Create or update ApiService and Route records from the code; keep staff's toggles."""
    from planocore.routes.models import ApiService, Route

    counts = {"created": 0, "updated": 0, "retired": 0}
    services: dict[str, ApiService] = {}
    present = set()
    for route in iter_api_routes():
        service = services.get(route.service)
        if service is None:
            service, _ = ApiService.objects.get_or_create(
                slug=route.service, defaults={"name": route.service_name}
            )
            services[route.service] = service
        values = {
            "service": service,
            "method": route.method,
            "path": route.path,
            "name": route.endpoint.title,
            "purpose": route.endpoint.purpose,
            "present_in_code": True,
        }
        obj, created = Route.objects.get_or_create(slug=route.endpoint.slug, defaults=values)
        present.add(obj.pk)
        if created:
            counts["created"] += 1
        elif any(getattr(obj, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(obj, key, value)
            obj.save()
            counts["updated"] += 1
    counts["retired"] = (
        Route.objects.exclude(pk__in=present).filter(present_in_code=True).update(present_in_code=False)
    )
    forget_state()
    return counts


def deployment_state() -> dict[str, dict[str, bool]]:
    """{"services": {slug: deployed}, "routes": {slug: deployed}}, from the cache."""
    state = cache.get(STATE_CACHE_KEY)
    if state is None:
        from planocore.routes.models import ApiService, Route

        state = {
            "services": dict(ApiService.objects.values_list("slug", "deployed")),
            "routes": dict(Route.objects.values_list("slug", "deployed")),
        }
        cache.set(STATE_CACHE_KEY, state, STATE_CACHE_SECONDS)
    return state


def forget_state() -> None:
    cache.delete(STATE_CACHE_KEY)
