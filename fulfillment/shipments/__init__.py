"""Shipments: booking a parcel with a courier (live quote or rate card), cancelling it, and
return shipments.

services/ (booking, returns), views.py and urls.py (rates, ship and a shipment's page, mounted
at app/couriers/), api.py, tasks.py (booking off the request).
"""
