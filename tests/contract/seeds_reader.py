"""Read the seeds' parameter tables: (name, type, order, required) per parameter.

The seeds come in two layouts: one field a line (the Cancelations Update API) and one
parameter a line (`token string 1 required`). A copy of each seed is kept in
tests/contract/seeds/ so the tests run without the spec folder; a test checks the copy
against /work/shared/spec/seeds when that folder is there.
"""

import re
from pathlib import Path

from django.conf import settings

HERE = Path(__file__).parent / "seeds"
# The spec folder sits next to the checkout (/work/main) or next to its worktrees' folder (/work/wt/x).
SPEC = next(
    (
        base / "shared" / "spec" / "seeds"
        for base in Path(settings.BASE_DIR).parents
        if (base / "shared" / "spec" / "seeds").is_dir()
    ),
    Path(settings.BASE_DIR).parent / "shared" / "spec" / "seeds",
)
TYPES = ("string", "integer", "boolean", "datetime", "float", "array", "object")
# Each seed file and the route (Endpoint slug) it documents.
SEED_ROUTES = {
    "cancelations-update-api.txt": "cancelations-update",
    "glip-message-api.txt": "glip-messages-create",
    "notifications-create-api.txt": "notifications-create",
}
_ONE_LINE = re.compile(rf"^([a-z_]+) ({'|'.join(TYPES)}) (\d+)( required)?$")


def seed_params(name: str) -> list[tuple[str, str, int, bool]]:
    text = (HERE / name).read_text()
    table = text.split("Parameters", 1)[1].split("Request Body")[0]
    lines = [line.strip() for line in table.splitlines()]
    params = []
    for i, line in enumerate(lines):
        match = _ONE_LINE.match(line)
        if match:
            params.append((match[1], match[2], int(match[3]), bool(match[4])))
        elif (
            re.fullmatch(r"[a-z_]+", line)
            and i + 2 < len(lines)
            and lines[i + 1] in TYPES
            and lines[i + 2].isdigit()
        ):
            required = i + 3 < len(lines) and lines[i + 3] == "required"
            params.append((line, lines[i + 1], int(lines[i + 2]), required))
    return params
