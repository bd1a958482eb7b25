"""The schema's view (/api/schema), apart from planocore.api.schema: drf-spectacular's views
import the DEFAULT_SCHEMA_CLASS, which lives there."""

from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.views import SpectacularAPIView


class OpenApiYamlTextRenderer(OpenApiYamlRenderer):
    """The YAML schema as text/plain: a browser shows it instead of downloading it."""

    media_type = "text/plain"


class SchemaView(SpectacularAPIView):
    """GET /api/schema: YAML as text/plain by default (readable in a browser), JSON with
    `?format=json` (as application/json) or `Accept: application/json`; the OpenAPI media
    types still answer."""

    renderer_classes = [
        OpenApiYamlTextRenderer,
        OpenApiYamlRenderer,
        OpenApiYamlRenderer2,
        OpenApiJsonRenderer2,  # application/json: `?format=json` opens in a browser too
        OpenApiJsonRenderer,
    ]
