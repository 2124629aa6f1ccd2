"""The shipping desk (#19): bulk ship from the order list (ship runs) and order tags."""
