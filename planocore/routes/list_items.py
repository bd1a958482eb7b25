"""Lists of allowed values, published at /documentation/list_items/<name>.

Apps register their lists in AppConfig.ready():

    register_list_item("glip_team", "Glip teams", lambda: [(t.name, t.description) for t in ...])

`values` is called at request time and returns (value, description) pairs, so
lists backed by the database are always current.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ListItem:
    name: str
    title: str
    values: Callable[[], Iterable[tuple[str, str]]]
    description: str = ""


LIST_ITEMS: dict[str, ListItem] = {}


def register_list_item(
    name: str, title: str, values: Callable[[], Iterable[tuple[str, str]]], description: str = ""
) -> None:
    """Publish a list at /documentation/list_items/<name>."""
    LIST_ITEMS[name] = ListItem(name=name, title=title, values=values, description=description)


def list_item_url(name: str) -> str:
    return f"/documentation/list_items/{name}"
