"""Pages of long lists whose cost does not grow with the page number or with the table (issue 16).

Django's Paginator counts every matching row (a full scan at 100,000 patients) and reads a page with
OFFSET over the rows themselves. ScalablePaginator instead:

- reads a page as the rows whose ids are the page's ids, the ids found by OFFSET over the list's ordering
  in a subquery (`WHERE id IN (SELECT id ... ORDER BY ... LIMIT 26 OFFSET n)`). With an index that covers
  the ordering and the id, a deep page walks that index only (an Index Only Scan), never the table's rows.
  The first page, which skips nothing, reads its rows directly (`ORDER BY ... LIMIT 26`), or, for the whole
  list in the model's order, as the view reads them with what its rows show (`read_first`: the patient list's
  rows with their latest screenings, in one query).
  A search with few matches (at most count_cap) has them sorted instead, then takes the page's ids. One row
  more than a page is read, so "next" is known without a count;
- reads the page a Next or Previous link leads to from where the page before ended (keyset pagination): the
  link carries the id of the row it continues from (never a name: no PHI in a URL), and the page is the rows
  after (or before) that row's place in the ordering, a short walk of the ordering's index however deep the
  page (`page(number, after=id)`). A typed page number, or a list ordered by an expression, uses OFFSET;
- counts only what is cheap to count, and says how sure it is (`count_qualifier`): a page that ends the list
  gives the exact number; an unfiltered large table on PostgreSQL gives the planner's estimate
  (pg_class.reltuples, "about 100,000"); a search counts its matches up to count_cap ("more than 1,000").
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import EmptyPage, InvalidPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.http import Http404

EXACT, ABOUT, MORE_THAN = "", "about", "more than"


ESTIMATE_KEPT_SECONDS = 60.0
_estimates: dict[tuple[str, str], tuple[float, int | None]] = {}


def table_row_estimate(model, using: str) -> int | None:
    """PostgreSQL's estimate of a table's rows (kept by ANALYZE and autovacuum, so already minutes old);
    None where there is none. Kept per process for a minute: a list shown as "about 100,000" reads it once
    a minute, not on every page."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    key, now = (using, model._meta.db_table), time.monotonic()
    kept = _estimates.get(key)
    if kept is not None and now - kept[0] < ESTIMATE_KEPT_SECONDS:
        return kept[1]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)",
            [connection.ops.quote_name(model._meta.db_table)],
        )
        row = cursor.fetchone()
    # -1: never analysed (PostgreSQL 14+)
    estimate = int(row[0]) if row and row[0] is not None and row[0] >= 0 else None
    _estimates[key] = (now, estimate)
    return estimate


def rounded(n: int) -> int:
    """An estimate to two significant figures: "about 99,873" would claim a precision it does not have."""
    if n < 100:
        return n
    scale = 10 ** (len(str(n)) - 2)
    return round(n / scale) * scale


class ScalablePage(Page):
    def __init__(self, object_list, number, paginator, *, has_next: bool):
        super().__init__(object_list, number, paginator)
        self._has_next = has_next

    @property
    def next_query(self) -> str:
        """The Next link's query string: the page number and, where the list can be walked from a row, the
        id of this page's last row."""
        query = f"page={self.next_page_number()}"
        return (
            f"{query}&after={self.object_list[-1].pk}"
            if self.paginator.walkable and self.object_list
            else query
        )

    @property
    def previous_query(self) -> str:
        query = f"page={self.previous_page_number()}"
        return (
            f"{query}&before={self.object_list[0].pk}"
            if self.paginator.walkable and self.object_list
            else query
        )

    def has_next(self) -> bool:
        return self._has_next

    def end_index(self) -> int:
        return self.start_index() + len(self.object_list) - 1 if self.object_list else 0


class ScalablePaginator(Paginator):
    """For ordered querysets (ListView's `paginator_class`). Orphans are not supported (always 0)."""

    estimate_above = 10_000  # an unfiltered table at least this large is not counted, but estimated
    count_cap = 1_000  # a search counts its matches up to here
    # how the list's view may read the first rows of the whole list, in the model's ordering, with what its
    # rows show (e.g. core.nested_read.NestedRead.first): called with the number of rows wanted. Set it on
    # the instance (as a class attribute a function would be bound as a method).
    read_first: Callable[[int], list] | None = None

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, error_messages=None):
        super().__init__(object_list, per_page, 0, allow_empty_first_page, error_messages)
        self._counted: tuple[int, str] | None = None
        self._matches: list[int] | None = None  # a search's ids, when it counted them all (at most count_cap)

    # --- the count, and how sure it is ---

    def _count(self) -> tuple[int, str]:
        if self._counted is None:
            self._counted = self._measure()
        return self._counted

    def _measure(self) -> tuple[int, str]:
        queryset = self.object_list
        if not self._filtered():
            estimate = table_row_estimate(queryset.model, queryset.db)
            if estimate is not None and estimate >= self.estimate_above:
                return rounded(estimate), ABOUT
            return queryset.count(), EXACT
        # the matches' ids up to the cap, in no order (the first found): their number is the count, and
        # when there are few, page() sorts just those ids instead of searching again
        found = list(queryset.order_by().values_list("pk", flat=True)[: self.count_cap + 1])
        if len(found) > self.count_cap:
            return self.count_cap, MORE_THAN
        self._matches = found
        return len(found), EXACT

    @property
    def count(self) -> int:
        return self._count()[0]

    @property
    def count_qualifier(self) -> str:
        """Empty for an exact count, "about" for an estimate, "more than" for a capped count."""
        return self._count()[1]

    @property
    def capped(self) -> bool:
        """A search with more matches than were counted: the page should invite a narrower one."""
        return self.count_qualifier == MORE_THAN

    @property
    def count_text(self) -> str:
        count, qualifier = self._count()
        return f"{qualifier} {count:,}".strip()

    @property
    def num_pages_text(self) -> str:
        return f"{self.count_qualifier} {self.num_pages:,}".strip()

    @property
    def num_pages(self) -> int:
        count = self.count
        if count == 0 and not self.allow_empty_first_page:
            return 0
        return max(1, math.ceil(count / self.per_page))

    # --- a page ---

    def validate_number(self, number) -> int:
        """A whole number from 1 up; whether the page has rows is known only once it is read (`page`)."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError) as exc:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from exc
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    # --- walking from a row (keyset) ---

    @property
    def walkable(self) -> bool:
        """Whether Next and Previous walk from a row: a list in a plain order, unless it is a search with few
        matches (at most count_cap), whose pages are cheaper read from its counted ids."""
        return self._key() is not None and not self._few_matches()

    def _key(self) -> tuple[list, bool] | None:
        """The ordering's fields and whether it is descending, when a row's place in it can be compared in
        SQL: plain fields of the model, all in one direction, the last one unique (so the order is total).
        None for an ordering by an expression (a search's exact MRN first) or a mixed one."""
        queryset = self.object_list
        model = queryset.model
        ordering = list(queryset.query.order_by) or list(model._meta.ordering)
        if not ordering or not all(isinstance(o, str) and "__" not in o for o in ordering):
            return None
        if len({o.startswith("-") for o in ordering}) != 1 or not queryset.query.standard_ordering:
            return None
        try:
            fields = [
                model._meta.get_field(o.lstrip("-")) if o.lstrip("-") != "pk" else model._meta.pk
                for o in ordering
            ]
        except FieldDoesNotExist:  # an ordering by an annotation: not walkable
            return None
        if not (fields[-1].unique or fields[-1].primary_key) or any(f.model is not model for f in fields):
            return None
        # a row compared with NULL is neither before nor after its anchor: it would drop out of the walk
        if any(f.null for f in fields):
            return None
        return fields, ordering[0].startswith("-")

    def _walk(self, anchor_id: int, forward: bool):
        """The rows after (forward) or before the anchor row in the list's order, one more than a page
        forward; None when the anchor is not in the list (gone, or not a match of this search)."""
        fields, descending = self._key()
        columns = [f.column for f in fields]
        queryset = self.object_list
        anchor = queryset.filter(pk=anchor_id).values_list(*self._key_names()).first()
        if anchor is None:
            return None
        connection = connections[queryset.db]
        # each value as the column stores it (SQLite keeps a time as text without its offset)
        anchor = [
            field.get_db_prep_value(value, connection) for field, value in zip(fields, anchor, strict=True)
        ]
        quote = connection.ops.quote_name
        table = quote(queryset.model._meta.db_table)
        row = ", ".join(f"{table}.{quote(c)}" for c in columns)
        operator = ">" if forward != descending else "<"
        beyond = RawSQL(  # noqa: S611 (the model's own quoted table and columns; the anchor's values are parameters)
            f"({row}) {operator} ({', '.join(['%s'] * len(columns))})", anchor, output_field=BooleanField()
        )
        if forward:
            return list(queryset.filter(beyond)[: self.per_page + 1])
        rows = list(queryset.filter(beyond).reverse()[: self.per_page + 1])
        rows.reverse()
        return rows

    def _key_names(self) -> list[str]:
        queryset = self.object_list
        ordering = list(queryset.query.order_by) or list(queryset.model._meta.ordering)
        return [o.lstrip("-") for o in ordering]

    # --- a page ---

    def page(self, number, *, after: int | None = None, before: int | None = None) -> ScalablePage:
        number = self.validate_number(number)
        if (after is not None or before is not None) and self.walkable:
            rows = self._walk(after if after is not None else before, forward=after is not None)
            if after is not None and rows:
                has_next = len(rows) > self.per_page
                return ScalablePage(rows[: self.per_page], max(number, 2), self, has_next=has_next)
            if after is None and rows is not None and len(rows) > self.per_page and number > 1:
                # walked back, with rows before this page still: the anchor row follows it
                return ScalablePage(rows[1:], number, self, has_next=True)
            if after is None and rows is not None:
                number = 1  # walked back to the start of the list (rows were added or removed since): page 1
            # otherwise the anchor is gone or no row follows it any more: the page by its number, as typed
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page + 1  # one row more than a page: is there a next page?
        queryset = self.object_list
        limit = connections[queryset.db].features.max_query_params  # SQLite's, for the ids sent back
        if (
            self._few_matches()
            and self._matches is not None
            and (limit is None or len(self._matches) < limit - 100)
        ):
            # Sorting a few matches is cheap; walking the list's index until enough of them turn up is not
            # (matches cluster: every "Silva" sits under S). The count read their ids: the page is those
            # rows, sorted, without searching the table again (two queries for a search, not three).
            rows = list(queryset.filter(pk__in=self._matches)[bottom:top])
        elif bottom == 0:
            rows = self._first_rows(top)
        else:
            window = queryset.values("pk")[bottom:top]  # a subquery: OFFSET over the index only
            rows = list(queryset.filter(pk__in=window))
        if not rows and (number > 1 or not self.allow_empty_first_page):
            raise EmptyPage(self.error_messages["no_results"])
        has_next = len(rows) > self.per_page
        rows = rows[: self.per_page]
        if not has_next:
            self._counted = (bottom + len(rows), EXACT)  # this page ends the list: the count is known
        return ScalablePage(rows, number, self, has_next=has_next)

    def _first_rows(self, top: int) -> list:
        """The first page skips nothing: the rows themselves (a query half as dear to build as the ids'
        subquery), or for the whole list in the model's order, as its view reads them (read_first)."""
        queryset, query = self.object_list, self.object_list.query
        plain = not (query.order_by or query.annotations or query.select_related or query.extra_order_by)
        if self.read_first is not None and plain and query.standard_ordering and not self._filtered():
            return self.read_first(top)
        return list(queryset[:top])

    def _few_matches(self) -> bool:
        """A filtered list counted exactly, so at most count_cap rows."""
        return self._filtered() and self.count_qualifier == EXACT

    def _filtered(self) -> bool:
        query = self.object_list.query
        return bool(query.where or query.distinct or query.combinator or query.is_sliced)


def _row_id(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


class ScalablePagesMixin:
    """A ListView paginated by ScalablePaginator, whose Next and Previous links walk from the row they
    continue from (`after`, `before`: a row id; anything else is ignored and the page is read by its
    number)."""

    paginator_class = ScalablePaginator

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size, allow_empty_first_page=self.get_allow_empty())
        query = self.request.GET
        number = query.get(self.page_kwarg) or 1
        try:
            page = paginator.page(
                paginator.num_pages if number == "last" else number,
                after=_row_id(query.get("after")),
                before=_row_id(query.get("before")),
            )
        except InvalidPage as exc:
            raise Http404(f"No such page ({exc}).") from exc
        return paginator, page, page.object_list, page.has_other_pages()
