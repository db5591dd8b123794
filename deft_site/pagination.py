"""The API's pagination: DRF's limit/offset with bounds, so a huge `limit` or `offset` is clamped instead of
overflowing the database's integers (a 500 the schema fuzz test found)."""
from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

MAX_OFFSET = 2**53


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    max_limit = 1000

    def get_offset(self, request: Request) -> int:
        return min(super().get_offset(request), MAX_OFFSET)
