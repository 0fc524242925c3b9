"""Storage helpers every context shares: opening containers, paging, the one optimistic-concurrency
retry (`retry_on_conflict`) and a small repository base. Built on the document port only
(shared.ports.documents); no context's models and no adapter are imported here."""
