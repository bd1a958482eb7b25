from django.apps import AppConfig


class RingCentralConfig(AppConfig):
    """The RingCentral provider's records (extensions and their credentials)."""

    name = "planocore.providers.ringcentral"
    label = "ringcentral"
    verbose_name = "RingCentral"
    # Its models' permissions are the API's (planocore.accounts.services), as they
    # were when the extensions were the glip app's.
    api_models = True
