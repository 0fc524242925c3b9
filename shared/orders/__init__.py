"""Orders context: the event-sourced order stream, its projections, and the order service."""
