"""Tracking pages: the public tracking page, the courier webhook endpoint, the shipments list
(live), the exceptions queue with its actions, and the notification settings."""
