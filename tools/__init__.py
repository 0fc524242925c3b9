"""Developer tools (generators, checks): run as `python -m tools.<name>`."""
