"""Database access from threads Django does not manage."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def closing_connection(read: Callable[[], T]) -> T:
    """Run ``read`` and close the connection it opened, if it opened one.

    Export threads are not requests, so Django never closes their connections;
    left open they would outlive the database server's idle timeout.
    """
    from django.db import connection

    was_open = connection.connection is not None
    try:
        return read()
    finally:
        if not was_open and not connection.in_atomic_block:
            connection.close()
