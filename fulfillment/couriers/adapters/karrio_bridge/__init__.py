"""The karrio bridge: every installed karrio carrier as one of our courier adapters.

catalog.py  which karrio carriers are installed, their adapter codes and credential fields
seam.py     where karrio's HTTP enters our shared layer (CourierHttp), and why there
adapter.py  KarrioAdapter and the per-carrier classes the registry points at
mapping.py  karrio's models → ours
profiles.py what the bridge knows about a carrier beyond karrio's models (DPD first)

This package's __init__ imports nothing: base.py reads catalog.py to build its registry.
"""
