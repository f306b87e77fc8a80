"""edge/agent."""
