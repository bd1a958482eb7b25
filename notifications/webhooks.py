"""Mandrill's tracking webhook, through django-anymail.

anymail checks the X-Mandrill-Signature (HMAC-SHA1 of the webhook URL and the
sorted POST params with MANDRILL_WEBHOOK_KEY) and sends its `tracking` signal,
which notifications.receivers.mandrill_tracking records.
"""

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.webhooks.mandrill import MandrillCombinedWebhookView


class MandrillTrackingWebhookView(MandrillCombinedWebhookView):
    """anymail's Mandrill view that refuses every POST while no webhook key is set.

    With an empty key anyone could compute a valid signature, so no key means
    no events are accepted (400), rather than all of them.
    """

    def validate_request(self, request):
        if not self.webhook_key:  # what anymail read from ANYMAIL / MANDRILL_WEBHOOK_KEY
            raise AnymailWebhookValidationFailure(
                "MANDRILL_WEBHOOK_KEY is not set; Mandrill events are refused."
            )
        super().validate_request(request)
