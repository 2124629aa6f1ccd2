"""Couriers: a merchant's courier accounts, services, rate cards and areas, rate shopping, the
scorecard and the manual courier's driver page.

adapters/ is the one door to a courier's API (no models, safe in any process); services/
(accounts, rates, scorecard), selectors.py, views/, forms.py, api.py, urls.py (mounted at
app/couriers/; the driver page at driver/).
"""
