"""What the Plays queries take from a time zone: named query plays_time_zone's `quarter` and
`fixed_offset` (db/sql/plays.sql's shared parameters), and for a range of dates whether the item
queries read it as all time less the rest (`outside`). One reader for the Plays page, the Overview's
chart and the read API."""
from __future__ import annotations

import datetime as dt

import pandas as pd


def rollup_params(info: pd.DataFrame) -> dict:
    """{"quarter", "fixed_offset"} from plays_time_zone's result. No row (a zone PostgreSQL does not
    know): hourly rollups, each converted with AT TIME ZONE."""
    if info is None or len(info) == 0:
        return {"quarter": False, "fixed_offset": None}
    row = info.iloc[0]
    offset = row.get("fixed_offset")
    return {"quarter": bool(row["quarter"]), "fixed_offset": None if pd.isna(offset) else int(offset)}


def reads_outside(first: dt.date, last: dt.date, since: dt.date, until: dt.date) -> bool:
    """Whether plays_top, plays_counts and plays_most_skipped read the dates since..until as all time
    less the days outside them (db/migrations/0030_plays_long_ranges.sql): when fewer of the data's
    days (first..last) are outside the range than inside it. Only a choice of plan: their figures are
    the same either way."""
    inside = (min(until, last) - max(since, first)).days + 1
    outside = max((since - first).days, 0) + max((last - until).days, 0)
    return inside > 0 and outside < inside
