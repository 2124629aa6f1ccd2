"""Facility-location solvers used by the placement advisor (pure numpy, no Django)."""
