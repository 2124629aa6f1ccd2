"""What the on-demand courier adapters (Stuart, Uber Direct) share: an OAuth client-credentials
token cached per account (oauth.py), and the base class, body readers and position helpers
(common.py)."""
