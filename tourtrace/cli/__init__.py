"""tourtrace/cli."""
