"""Models of the platform app (label `planocore`)."""

from planocore.accounts.models import (  # noqa: F401
    ApiSession,
    Application,
    ApplicationToken,
    Client,
    Employee,
    Liaison,
)
from planocore.routes.models import ApiService, Route  # noqa: F401
