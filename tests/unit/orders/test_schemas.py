"""Request models of the orders API: what is refused as input (422) before any service runs."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.orders.schemas import RefundRequest


def test_a_zero_refund_is_invalid_input_not_a_conflict() -> None:
    with pytest.raises(ValidationError) as info:
        RefundRequest.model_validate({"amount": {"amount": "0.00", "currency": "USD"}, "reason": "x"})
    assert [e["loc"] for e in info.value.errors()] == [("amount",)]
    cent = RefundRequest.model_validate({"amount": {"amount": "0.01", "currency": "USD"}, "reason": "x"})
    assert cent.amount is not None and not cent.amount.is_zero()
    assert RefundRequest.model_validate({"reason": "the rest"}).amount is None
