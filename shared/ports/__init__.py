"""Ports: the abstract interfaces the bounded contexts talk to. Adapters live in `shared.adapters`."""
