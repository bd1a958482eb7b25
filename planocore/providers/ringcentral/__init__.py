"""The RingCentral provider: its own small app (label `ringcentral`).

- `models.RingCentralExtension`: the company extensions whose RingCentral
  accounts post to Glip, send SMS/MMS and list teams (credentials encrypted);
  `admin`: their admin (credentials write-only); `selectors`: reads.
- `credentials`: which login a send uses; `client`: the package's HTTP client
  with the shared transport and budgets, and its errors; `sessions`: logged-in
  `Platform`s per credential; `backends`: the outbox backends (Glip posts, SMS,
  MMS) and the team-listing client.

Feature apps (glip, notifications) depend on this app; it imports none of them.
"""
