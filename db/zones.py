"""What the Plays queries over time take from a time zone: named query plays_time_zone's `quarter` and
`fixed_offset` (db/sql/plays.sql's shared parameters). One reader for the Plays page, the Overview's
chart and the read API."""
from __future__ import annotations

import pandas as pd


def rollup_params(info: pd.DataFrame) -> dict:
    """{"quarter", "fixed_offset"} from plays_time_zone's result. No row (a zone PostgreSQL does not
    know): hourly rollups, each converted with AT TIME ZONE."""
    if info is None or len(info) == 0:
        return {"quarter": False, "fixed_offset": None}
    row = info.iloc[0]
    offset = row.get("fixed_offset")
    return {"quarter": bool(row["quarter"]), "fixed_offset": None if pd.isna(offset) else int(offset)}
