"""OpenAPI schema generation from the Endpoints' params serializers."""

from drf_spectacular.openapi import AutoSchema


class ApiAutoSchema(AutoSchema):
    """Describe each route from its Endpoint (params serializer, purpose)."""

    def get_description(self):
        endpoint = getattr(self.view, "endpoints", {}).get(self.method.upper())
        return endpoint.purpose if endpoint else super().get_description()

    def get_summary(self):
        endpoint = getattr(self.view, "endpoints", {}).get(self.method.upper())
        return endpoint.title if endpoint else super().get_summary()
