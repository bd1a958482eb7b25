"""Services of the route registry: take routes and services out of service, or put them back."""

from django.db import transaction
from django.db.models import QuerySet

from planocore.routes.models import ApiService, Route
from planocore.routes.registry import forget_state


def _forget_now_and_after_commit() -> None:
    forget_state()
    transaction.on_commit(forget_state)


@transaction.atomic
def routes_set_deployed(*, routes: QuerySet[Route], deployed: bool) -> int:
    """Deploy or undeploy the routes; the request path sees it at once (the cached state is dropped)."""
    count = routes.exclude(deployed=deployed).update(deployed=deployed)
    _forget_now_and_after_commit()
    return count


@transaction.atomic
def services_set_deployed(*, services: QuerySet[ApiService], deployed: bool) -> int:
    """Deploy or undeploy whole services (every route of theirs)."""
    count = services.exclude(deployed=deployed).update(deployed=deployed)
    _forget_now_and_after_commit()
    return count
