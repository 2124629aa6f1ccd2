"""Tracking: one status model folded from stored events, polling (planner, batches, change
feeds), signed courier webhooks, ETA windows, shopper notifications and the exceptions queue.

Modules: status (folding), intervals (when to poll next), ingest (store results, derive state),
polling, webhooks, eta, notifications, sms, selectors (pages), actions (exception fixes),
hooks (what the lockers app plugs in), signals.
"""
