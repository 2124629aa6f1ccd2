"""The merchant's vehicles: kind, capacity (parcels, weight, volume) and skills."""
