"""`StoreCatalogView`'s construction (its reads run against the stores in tests/integration)."""

from __future__ import annotations

from typing import cast

import pytest

from shared.ports.documents import DocumentStore
from shared.recommendations.catalog_view import StoreCatalogView


def test_a_slice_of_no_documents_is_refused_when_built_not_in_the_background_refresh() -> None:
    # A page size below 1 would only fail in the refresh thread, logged, every period.
    with pytest.raises(ValueError, match="slice_documents"):
        StoreCatalogView(cast(DocumentStore, object()), slice_documents=0)
