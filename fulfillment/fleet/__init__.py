"""The shop's own drivers (#16): planning, drivers, vehicles, shifts, plans, dispatch and the
driver app."""
