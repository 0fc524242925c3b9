"""The private azure-cosmos code this project depends on is the code it was written against.

shared/adapters/cosmos_batch.py wraps `azure.cosmos._base._format_batch_operations` (how batch
operations become the REST body) and the Cosmos adapter relies on the 4.17 query pipeline
(`QueryIterable._unpack` reading the client's shared `last_response_headers`, the client-side
ORDER BY path of `_execution_context`). requirements.txt pins azure-cosmos to the 4.17 line; when
an upgrade changes any of this, these tests fail loudly and name what to re-check, instead of
batches or paging misbehaving quietly on the new SDK.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
from importlib.metadata import version

from azure.cosmos import _base, _cosmos_client_connection

from shared.adapters import cosmos_batch

# sha256 of ast.dump() of the function as written in azure-cosmos 4.17.1.
FORMAT_BATCH_OPERATIONS_AST = "31353cf1fc68c3e0"


def _function_ast(module: object, name: str) -> ast.FunctionDef:
    tree = ast.parse(inspect.getsource(module))  # type: ignore[arg-type]
    [fn] = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name]
    return fn


def test_the_installed_sdk_is_the_pinned_line() -> None:
    installed = version("azure-cosmos")
    assert installed.startswith("4.17."), (
        f"azure-cosmos {installed}: cosmos_batch.py and the paging workarounds were written for 4.17; "
        "re-check them (see this module's docstring) before moving the pin in requirements.txt"
    )


def test_the_private_batch_formatter_is_unchanged() -> None:
    fn = _function_ast(_base, "_format_batch_operations")
    digest = hashlib.sha256(ast.dump(fn).encode()).hexdigest()[:16]
    assert [a.arg for a in fn.args.args] == ["operations"]
    assert digest == FORMAT_BATCH_OPERATIONS_AST, (
        "azure.cosmos._base._format_batch_operations changed: re-check shared/adapters/cosmos_batch.py "
        "(which kwargs it keeps, the operation dict it returns), then update the digest"
    )


def test_the_sdk_still_calls_the_formatter_through_the_module() -> None:
    # The wrapper only takes effect if the client looks the function up on `_base` at call time.
    source = inspect.getsource(_cosmos_client_connection)
    assert "base._format_batch_operations(" in source
    assert cosmos_batch.install() is True
    assert getattr(_base._format_batch_operations, "_sc_per_operation_partition_key", False)


def test_the_pager_still_reads_the_shared_response_headers() -> None:
    # Why the adapter captures each query call's own headers (cosmos_container._streaming_page).
    from azure.cosmos import _query_iterable

    assert "self._client.last_response_headers" in inspect.getsource(_query_iterable.QueryIterable._unpack)
