"""Models of the platform app (label `planocore`)."""

from planocore.accounts.models import (  # noqa: F401
    ApiSession,
    Application,
    ApplicationToken,
    Client,
    Employee,
    Liaison,
)
from planocore.providers.models import ProviderBudget  # noqa: F401
from planocore.routes.models import ApiService, Route  # noqa: F401
