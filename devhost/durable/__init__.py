"""devhost's durable engine: runs Durable Functions orchestrations on one machine.

The engine keeps instances, history and pending work in SQLite (`<data-dir>/durable.db`) and
drives each orchestrator through the azure-functions-durable SDK's own replay, so the code that
runs here is the code that runs on Azure. See docs/durable-engine.md.
"""
