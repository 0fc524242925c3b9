"""The fraud context's public view of a transaction as the model's raw columns.

Other contexts (orders' fraud labels, which store the columns with each label for retraining) use
this module; the scorer that defines the mapping stays the fraud context's internal.
"""

from __future__ import annotations

from shared.fraud.scorer import raw_columns

__all__ = ["raw_columns"]
