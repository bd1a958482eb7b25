"""The sandbox backend: records what would be sent and returns a synthetic id.

It is the default for every channel whose provider has no credentials, so the
whole product runs locally with none. It can be told to fail, for demos and
tests: a payload key `sandbox_fail` of "retryable" or "permanent" (with an
optional `sandbox_retry_after` in seconds) makes the send fail that way.
"""

import uuid

from planocore.providers.base import ProviderBackend, ProviderError, ProviderResult


class SandboxBackend(ProviderBackend):
    name = "sandbox"

    def build(self, *, channel, action, payload, secrets):
        return {"channel": channel, "action": action, "payload": payload}

    def call(self, built, *, secrets):
        failure = built["payload"].get("sandbox_fail")
        if failure in ("retryable", "permanent"):
            raise ProviderError(
                f"Sandbox told to fail ({failure}).",
                retryable=failure == "retryable",
                retry_after=built["payload"].get("sandbox_retry_after"),
                http_status=503 if failure == "retryable" else 400,
            )
        return built

    def parse(self, raw):
        return ProviderResult(
            message_id=f"sandbox-{uuid.uuid4().hex}",
            response={"sandbox": True, "would_send": raw},
        )
