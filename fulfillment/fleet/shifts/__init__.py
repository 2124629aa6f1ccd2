"""Drivers' shifts: one per driver and day, with a vehicle, start and end places and breaks."""
