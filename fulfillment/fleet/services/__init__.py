"""Own delivery as a service (#16 item 2): a FleetService per hub (area, cost model, cut-off,
waves), mirrored as an account of the `own_fleet` courier adapter with one same-day
CourierService, so rate shopping and the checkout's home options see it like any courier."""
