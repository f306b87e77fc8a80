"""Who is calling and what they may see: one module for the REST API and the dashboard pages alike."""
