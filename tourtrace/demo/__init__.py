"""`tourtrace demo`: a local broker, the hub and emulated stations replaying a plant tour."""
