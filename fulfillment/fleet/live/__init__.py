"""Live delivery (#16 item 5): what the driver's phone reports (positions, loading, stop
outcomes, each action applied once by its client id), the ETAs of a route's remaining stops
recomputed from each position, and what the shopper's tracking page shows of an own driver."""
