"""JSON renderer that guarantees the envelope."""

from rest_framework.renderers import JSONRenderer

from planocore.api.envelope import envelope, is_envelope


class EnvelopeJSONRenderer(JSONRenderer):
    """Render the envelope; wrap anything else as `action-successful` data."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is not None and not is_envelope(data):
            data = envelope(data=data)
        return super().render(data, accepted_media_type, renderer_context)
