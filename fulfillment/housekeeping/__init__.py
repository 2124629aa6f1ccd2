"""Housekeeping of the data that grows: retention of logs and receipts (services/retention.py),
the hourly task that enforces it (tasks.py), and the migration operation that builds an index
without locking a hot table (operations.py). docs/production.md explains the policy."""
