"""OWASP API Security Top 10 (2023), item by item, against movieratings.

One module per item that applies; each module's docstring names the tests
elsewhere in the suite that already cover part of the item, and adds the rest.
The operations are read from the OpenAPI schema the server generates
(``operations.py``), so that a new route cannot escape these tests unnoticed.

- API1 Broken Object Level Authorization: ``test_api1_object_level_authorization``
- API2 Broken Authentication: ``test_api2_broken_authentication``
- API3 Broken Object Property Level Authorization:
  ``test_api3_property_level_authorization``
- API4 Unrestricted Resource Consumption: ``test_api4_resource_consumption``
  (and ``tests/hardening/test_bad_input.py``, ``tests/hardening/test_throttling.py``)
- API5 Broken Function Level Authorization: ``test_api5_function_level_authorization``
- API8 Security Misconfiguration: ``test_api8_security_misconfiguration``
- API9 Improper Inventory Management: ``test_api9_inventory``

Items that do not apply, and why:

- API6 Unrestricted Access to Sensitive Business Flows: the product has no flow
  whose automated use harms the business (no purchases, bookings, referrals,
  invitations or scarce resources). The flows that automation could abuse are
  sign-up, sign-in and rating; they are rate-limited per scope and sign-in
  locks out after repeated failures, which API4 covers (throttling, lockout).
- API7 Server Side Request Forgery: the server never fetches a URL that a
  client supplies. No field is a URL or host; movie posters, webhooks and
  imports from URLs do not exist (``import_movielens`` reads a local path and
  is an operator's management command, not an API).
- API10 Unsafe Consumption of APIs: the server consumes no third-party API. Its
  only peers are its own PostgreSQL and Redis, configured by the operator;
  their outages are covered by ``tests/hardening/test_faults.py``.
"""
