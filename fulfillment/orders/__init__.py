"""Orders: intake (API, CSV, checkout), routing to the nearest point with stock, address checks,
editing, the order state machine, picking and Today's work.

services/ (orders: create, advance, cancel, reroute; routing; addresses; editing; csv_import;
picking; status), selectors/ (orders, search, today), views/, forms.py, api.py, urls.py
(mounted at app/orders/), cards.py (the Today page cards).
"""
