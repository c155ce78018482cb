"""Paged lists without a COUNT: ``{"next", "previous", "results"}``.

Counting a million mentions costs more than reading a page of them; a page reads one row more
than it shows to know whether there is a next one. The mention and acknowledgement lists page by
cursor (keyset: ``apps.core.keyset``), so a deep page costs what the first does; their page
numbers are kept for shallow pages only.
"""

from collections import OrderedDict

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param

from apps.core.keyset import InvalidCursor, keyset_page
from apps.core.validation import database_refusal

MAX_PAGE_SIZE = 500


class PagePagination(BasePagination):
    page_query_param = "page"
    page_size_query_param = "page_size"

    def _positive(self, request, name: str, default: int, limit: int | None = None) -> int:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ValidationError({name: ["A whole number, 1 or more."]}) from None
        if value < 1 or (limit is not None and value > limit):
            bound = f" and at most {limit}" if limit else ""
            raise ValidationError({name: [f"A whole number, 1 or more{bound}."]})
        return value

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self._positive(
            request, self.page_size_query_param, api_settings.PAGE_SIZE, MAX_PAGE_SIZE
        )
        self.page = self._positive(request, self.page_query_param, 1)
        offset = (self.page - 1) * size
        if database_refusal(offset + size + 1):  # beyond PostgreSQL's bigint OFFSET
            raise ValidationError({self.page_query_param: ["This page number is out of range."]})
        rows = list(queryset[offset : offset + size + 1])
        self.has_next = len(rows) > size
        return rows[:size]

    def _link(self, page: int | None) -> str | None:
        if page is None:
            return None
        url = self.request.build_absolute_uri()
        if page == 1:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, page)

    def get_paginated_response(self, data):
        return Response(
            OrderedDict(
                next=self._link(self.page + 1 if self.has_next else None),
                previous=self._link(self.page - 1 if self.page > 1 else None),
                results=data,
            )
        )

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {"next": link, "previous": link, "results": schema},
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number, from 1.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Results per page (default {api_settings.PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]


# How deep page numbers go on the cursor-paged lists: OFFSET reads every row it skips.
MAX_PAGED_ROWS = 10_000


class CursorPagination(PagePagination):
    """Pages by ``cursor`` (the ``next`` link carries it; opaque), in the list's order — whatever
    its ``ordering`` — through the index that serves that order: a deep page costs what the first
    does, and ``previous`` leads back the same way. ``?page=N`` still works for the first
    ``MAX_PAGED_ROWS`` rows."""

    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset, request, view=None):
        if self.page_query_param in request.query_params:
            size = self._positive(
                request, self.page_size_query_param, api_settings.PAGE_SIZE, MAX_PAGE_SIZE
            )
            page = self._positive(request, self.page_query_param, 1)
            if (page - 1) * size >= MAX_PAGED_ROWS:
                raise ValidationError(
                    {self.page_query_param: [
                        f"Page numbers reach the first {MAX_PAGED_ROWS:,} results; "
                        "page further with the cursor of the next link.",
                    ]}
                )  # fmt: skip
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        self.page = None
        size = self._positive(
            request, self.page_size_query_param, api_settings.PAGE_SIZE, MAX_PAGE_SIZE
        )
        cursor = request.query_params.get(self.cursor_query_param) or None
        try:
            self.keyset = keyset_page(queryset, size, cursor)
        except InvalidCursor as error:
            raise ValidationError({self.cursor_query_param: [str(error)]}) from None
        return self.keyset.rows

    def get_paginated_response(self, data):
        if self.page is not None:
            return super().get_paginated_response(data)
        url = self.request.build_absolute_uri()

        def link(cursor: str | None) -> str | None:
            if cursor is None:
                return None
            return replace_query_param(url, self.cursor_query_param, cursor)

        return Response(
            OrderedDict(
                next=link(self.keyset.next_cursor),
                previous=link(self.keyset.previous_cursor),
                results=data,
            )
        )

    def get_schema_operation_parameters(self, view):
        page, size = super().get_schema_operation_parameters(view)
        page["description"] = (
            f"Page number, from 1, within the first {MAX_PAGED_ROWS:,} results; "
            "deeper, follow `next` (a cursor)."
        )
        cursor = {
            "name": self.cursor_query_param,
            "required": False,
            "in": "query",
            "description": "Where the page starts: the opaque value in the `next` link of the "
            "page before (keyset pagination: any depth costs the same). Without `cursor` or "
            "`page`, the first page.",
            "schema": {"type": "string"},
        }
        return [cursor, page, size]
