"""The driver's phone app (#16 item 4): an installable PWA at /driver/ (today's route, loading
check, stops, proofs), its actions endpoint (kept offline and sent once) and its positions."""
