"""Dates as the documents write them: '6 April 2017', '4-6 December 2017', 'February 2',
'8-9 May', 'November 2016', 'January 2023', '2017-2018'.

:func:`parse_date` returns a :class:`DateValue` with the precision the text gives; a
missing year is taken from the document's year (the caller passes it).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["january", "february", "march", "april", "may", "june", "july", "august", "september",
         "october", "november", "december"]
    )
}
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_DAY = r"(?:[0-3]?\d)(?:st|nd|rd|th)?"
_DASH = r"\s*[-–]\s*"

#: One regular expression that matches every date form this module parses.
DATE_REGEX = (
    rf"(?:{_DAY}(?:{_DASH}{_DAY})?\s+{_MONTH}(?:\s+(?:19|20)\d\d)?"   # 4-6 December 2017 / 8-9 May
    rf"|{_MONTH}\s+{_DAY}(?:{_DASH}{_DAY})?(?:,?\s+(?:19|20)\d\d)?(?!\d)"  # February 2 / May 8-9, 2017
    rf"|{_MONTH}\s+(?:19|20)\d\d)"                                     # November 2016
)
MONTH_YEAR_REGEX = rf"(?:{_MONTH}\s+(?:19|20)\d\d)"


@dataclass(frozen=True)
class DateValue:
    """A parsed date: ``start``/``end`` days, or a month/year with lower precision."""

    text: str
    year: int
    month: int | None = None
    day: int | None = None
    end_day: int | None = None
    year_inferred: bool = False

    @property
    def precision(self) -> str:
        """'day', 'month' or 'year'."""
        return "day" if self.day else "month" if self.month else "year"

    @property
    def start(self) -> dt.date | None:
        """First day, when the text names a day."""
        return dt.date(self.year, self.month, self.day) if self.day and self.month else None

    @property
    def end(self) -> dt.date | None:
        """Last day: the end of a range, else the start."""
        if self.end_day and self.month:
            return dt.date(self.year, self.month, self.end_day)
        return self.start

    def lexical(self) -> tuple[str, str]:
        """(lexical form, XSD datatype local name) at the text's own precision."""
        if self.start:
            return self.start.isoformat(), "date"
        if self.month:
            return f"{self.year:04d}-{self.month:02d}", "gYearMonth"
        return f"{self.year:04d}", "gYear"

    def slug(self) -> str:
        """A short sortable form for IRIs: 2017-04-06, 2016-11 or 2017."""
        return self.lexical()[0]


def parse_date(text: str, *, default_year: int | None = None) -> DateValue:
    """Parse one of the forms in :data:`DATE_REGEX`. Raises ValueError otherwise."""
    clean = re.sub(r"\s+", " ", text.strip())
    year_m = re.search(r"(19|20)\d\d", clean)
    year = int(year_m.group(0)) if year_m else default_year
    if year is None:
        raise ValueError(f"date without a year and no default: {text!r}")
    month_m = re.search(_MONTH, clean)
    if not month_m:
        return DateValue(text=text, year=year)
    month = MONTHS[month_m.group(0).lower()]
    rest = (clean[: month_m.start()] + " " + clean[month_m.end():]).replace(year_m.group(0) if year_m else "\0", " ")
    days = [int(d) for d in re.findall(r"\b([0-3]?\d)(?:st|nd|rd|th)?\b", rest)]
    day = days[0] if days else None
    end_day = days[1] if len(days) > 1 else None
    return DateValue(text=text, year=year, month=month, day=day, end_day=end_day, year_inferred=not year_m)
