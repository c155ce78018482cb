"""Page-numbered lists without a COUNT: ``{"next", "previous", "results"}``.

Counting a million mentions costs more than reading a page of them; a page reads one row more
than it shows to know whether there is a next one.
"""

from collections import OrderedDict

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param

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
