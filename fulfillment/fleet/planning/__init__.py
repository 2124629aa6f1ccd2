"""Route planning for the own fleet (#16): the problem's types, the travel-time matrix sources
(offline model, OSRM, Valhalla), the solver (VROOM, then our own improvement phase) and an
independent checker. Pure functions of their inputs: no models, so the bench and the tests run
them without a database."""
