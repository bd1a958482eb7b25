"""The admin's sidebar (django-unfold's SIDEBAR), its open-problem badges, the environment label and favicon.

Named in settings.UNFOLD. The sidebar groups the screens by what staff do
(settings.ADMIN_SIDEBAR: sending, cancelations, messaging, API and access,
sandbox); a screen the user may not view is left out. Badges count the
problems that need someone:

- outgoing requests that failed or were abandoned and nobody has resolved
  (`planocore.outbox.problems.open_problems`), in all and per kind of record that
  caused them (notifications, Glip messages): one GROUP BY on the partial index of
  open problems;
- what a feature app registers with `register_badge` (the cancelations' notice
  problems), since the platform does not import the feature apps.

The counts are kept BADGE_SECONDS in the cache, so moving between screens costs
no query; an action's own page says at once how it ended.
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db.models import Count
from django.templatetags.static import static
from django.urls import reverse_lazy

from planocore.outbox import problems
from planocore.outbox.models import Channel

BADGE_SECONDS = 15
BADGE_CACHE_KEY = "admin:open-problems"
SANDBOX_PREFIX = "planocore.providers.sandbox."

# name -> a function counting that app's open problems (one cheap query).
BADGE_SOURCES: dict[str, Callable[[], int]] = {}


def register_badge(name: str, count: Callable[[], int]) -> None:
    """Show `count()` as the badge of the sidebar item whose `badge_source` is `name`; call from ready()."""
    BADGE_SOURCES[name] = count


def _count_open_problems() -> dict[str, int]:
    rows = problems.open_problems().order_by().values_list("content_type").annotate(n=Count("pk"))
    counts: dict[str, int] = {"outbox": 0}
    for content_type_id, n in rows:
        counts["outbox"] += n
        if content_type_id is not None:
            content_type = ContentType.objects.get_for_id(content_type_id)  # cached
            key = f"{content_type.app_label}.{content_type.model}"
            counts[key] = counts.get(key, 0) + n
    for name, count in BADGE_SOURCES.items():
        counts[name] = count()
    return counts


def open_problems() -> dict[str, int]:
    """The open-problem counts the badges show, at most BADGE_SECONDS old."""
    counts = cache.get(BADGE_CACHE_KEY)
    if counts is None:
        counts = _count_open_problems()
        cache.set(BADGE_CACHE_KEY, counts, BADGE_SECONDS)
    return counts


def _item(title: str, icon: str, model: str, *, badge_source: str | None = None) -> dict:
    """A sidebar link to `app_label.model_name`'s list, shown to users who may view it."""
    app_label, model_name = model.split(".")
    return {
        "title": title,
        "icon": icon,
        "link": reverse_lazy(f"admin:{app_label}_{model_name}_changelist"),
        "permission": lambda request: request.user.has_perm(f"{app_label}.view_{model_name}"),
        "badge_source": badge_source,
    }


def _groups() -> list[dict]:
    """settings.ADMIN_SIDEBAR as unfold's navigation groups (the wiring names the apps, not the platform)."""
    return [
        {
            "title": title,
            "items": [_item(name, icon, model, badge_source=badge) for name, icon, model, badge in items],
        }
        for title, items in settings.ADMIN_SIDEBAR
    ]


def navigation(request) -> list[dict]:
    """The sidebar: the dashboard, then each group of screens, with open problems as badges."""
    counts = open_problems() if request.user.is_active and request.user.is_staff else {}
    groups = [
        {
            "items": [
                {"title": "Dashboard", "icon": "dashboard", "link": reverse_lazy("admin:index")},
            ]
        },
        *_groups(),
    ]
    for group in groups:
        group["separator"] = True
        for item in group["items"]:
            source = item.pop("badge_source", None)
            if source and counts.get(source):
                item["badge"] = str(counts[source])
                item["badge_variant"] = "danger"
    return groups


def environment(request) -> list[str]:
    """The label beside the site name: sandbox or live providers (settings.PROVIDER_BACKENDS).

    Callbacks to our own applications have no sandbox and no credentials: not a provider here.
    """
    providers = {name: path for name, path in settings.PROVIDER_BACKENDS.items() if name != Channel.CALLBACK}
    live = sorted(name for name, path in providers.items() if not path.startswith(SANDBOX_PREFIX))
    if not live:
        return ["Sandbox providers", "info"]
    if len(live) == len(providers):
        return ["Live providers", "danger"]
    return [f"Live providers: {', '.join(live)}; the rest sandbox", "warning"]


def favicon_url(request) -> str:
    return static("planocore/favicon.svg")


def stylesheet_url(request) -> str:
    return static("planocore/admin.css")
