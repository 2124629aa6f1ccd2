"""The merchant's drivers: list, invite (a one-time sign-in link by email and/or SMS),
deactivate."""
