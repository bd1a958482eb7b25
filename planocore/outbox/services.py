"""The outbox's public entry points: write to it, send from it, staff actions.

`enqueue` is the one way to put a provider call in the outbox; `send` is the one
code path that sends a single row (the tasks use it; `execute`-style callers use
`send_now`, which claims the row in the transaction that wrote it and ends in
`send_claimed`, as `send` does); `process_due` drains due rows in batches (process_external_requests and
the beat sweep). Each step lives in its own module, in the order a request
goes through them (docs/outbox.md):

- `enqueue.py`: write the row in the caller's transaction, publish its id to the
  broker once that commits;
- `claim.py`: take rows with a lease (pick, then a conditional UPDATE writing a
  fresh `lease_token`), renew it;
- `attempt.py`: call the backend with no lock held, within the provider's budget;
- `outcome.py`: write the outcome fenced by the lease token, log the attempt,
  send `outcome_recorded`;
- `sending.py`: `send` and `process_due`, built from the three above;
- `staff.py`: retry now, abandon;
- `problems.py`: failed and abandoned requests until resolved (mark handled, a
  resend that was sent), superseding.

Exactly once in normal operation and across worker restarts; a crash between a
provider's answer and its recording can re-send that one request after the
lease (at-least-once across crashes, never a lost request).
"""

from planocore.outbox.attempt import backoff_seconds
from planocore.outbox.claim import claim, claim_batch, claim_for_caller, select_due
from planocore.outbox.enqueue import RECIPIENT_MAX, add_secrets, enqueue, recipient_of
from planocore.outbox.outcome import release
from planocore.outbox.problems import mark_handled, open_problems, supersede
from planocore.outbox.sending import ProcessCounts, SendOutcome, process_due, send, send_claimed, send_now
from planocore.outbox.staff import Refusals, abandon_requests, retry_now, retry_requests

__all__ = [
    "RECIPIENT_MAX",
    "ProcessCounts",
    "Refusals",
    "SendOutcome",
    "abandon_requests",
    "add_secrets",
    "backoff_seconds",
    "claim",
    "claim_batch",
    "claim_for_caller",
    "enqueue",
    "mark_handled",
    "open_problems",
    "process_due",
    "recipient_of",
    "release",
    "retry_now",
    "retry_requests",
    "select_due",
    "send",
    "send_claimed",
    "send_now",
    "supersede",
]
