"""Pages for list endpoints and list pages, one convention for all (R16).

API: a list comes whole, as it always has, unless the client gives ``page`` or ``page_size``;
then it comes as ``{count, next, previous, results}``. Scripts written against the plain lists keep
working, and a client that pages is never sent an unbounded answer.

Pages: every list page shows at most ``PAGE_SIZE`` rows, with links to the others
(``templates/_pages.html``).
"""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from rest_framework.pagination import PageNumberPagination

PAGE_SIZE = 50
MAX_PAGE = 500


class OptionalPages(PageNumberPagination):
    """Pages of ``PAGE_SIZE`` when the client asks for pages; the whole list when it does not."""

    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE

    def get_page_size(self, request):
        if "page" not in request.query_params and "page_size" not in request.query_params:
            return None
        return super().get_page_size(request)


def page_of(request: HttpRequest, rows: QuerySet | list, per_page: int = PAGE_SIZE) -> Page:
    """The page of ``rows`` a list page asked for with ``?page=``; a page number out of range
    or not a number gives the last or first page (a stale link must not be an error)."""
    return Paginator(rows, per_page).get_page(request.GET.get("page"))
