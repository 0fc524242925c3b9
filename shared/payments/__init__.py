"""Payments context: card tokenization, the provider port with its sandbox providers and routing,
and the append-only payment ledger whose projection is the payment document."""
