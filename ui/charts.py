"""Chart builders: plain functions from DataFrames to alt.Chart, testable without Streamlit."""
from __future__ import annotations

import altair as alt
import pandas as pd

SPOTIFY_GREEN = "#1DB954"
TIME_RANGE_LABELS = {"short_term": "Last 4 weeks", "medium_term": "Last 6 months", "long_term": "All time"}


def theme() -> dict:
    return {"config": {
        "view": {"stroke": None},
        "range": {"category": {"scheme": "tableau10"}},
        "mark": {"color": SPOTIFY_GREEN},
        "axis": {"labelFontSize": 12, "titleFontSize": 12, "gridOpacity": 0.4},
        "legend": {"labelFontSize": 12, "titleFontSize": 12},
        "title": {"fontSize": 15, "anchor": "start"},
    }}


def enable_theme() -> None:
    """Register and enable the house Altair theme (idempotent)."""
    if "mtm" not in alt.theme.names():
        alt.theme.register("mtm", enable=False)(lambda: alt.theme.ThemeConfig(theme()))
    alt.theme.enable("mtm")


OBSESSED_COLUMNS = {"rank": "Rank", "name": "Track", "artist_name": "Artist", "change": "Since last snapshot"}


def obsessed_table(df: pd.DataFrame) -> pd.DataFrame:
    """The currently-obsessed list with a readable 'change' column (NEW, ▲3, ▼2, =)."""
    def change(r) -> str:
        if r.is_new:
            return "🆕 new"
        delta = int(r.previous_rank) - int(r["rank"])
        return f"▲ {delta}" if delta > 0 else (f"▼ {-delta}" if delta < 0 else "=")

    out = df[["rank", "name", "artist_name"]].copy()
    out["change"] = df.apply(change, axis=1) if len(df) else []
    return out
