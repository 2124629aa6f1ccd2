"""Labels: shipping labels (PDF and ZPL), packing slips, return labels and batch printing.

render/ turns plain dataclasses into PDF/ZPL (no models, runs in a child process); services/
(labels: a shipment's label; batches; packing_slips) feed it from the database; views/ and
urls.py (mounted at app/labels/).
"""
