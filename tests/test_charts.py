"""Chart builders (ui/charts.py): plain functions returning alt.Chart, checked without Streamlit."""
from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import pytest

from ui import charts

D = dt.date


def spec(chart: alt.Chart) -> dict:
    """The Vega-Lite dict (to_dict validates it against the schema)."""
    return chart.to_dict()


def enc(chart: alt.Chart) -> dict:
    return spec(chart)["encoding"]


def bump_df():
    return pd.DataFrame({
        "snapshot_date": [D(2025, 1, 6), D(2025, 1, 13), D(2025, 1, 6), D(2025, 1, 13)],
        "rank": [1, 3, 2, 1],
        "label": ["Jóga — Björk", "Jóga — Björk", "Hostile — O'Brien", "Hostile — O'Brien"],
    })


def test_bump_chart_puts_rank_one_at_the_top_with_a_line_per_track():
    chart = charts.bump_chart(bump_df())
    line, points = spec(chart)["layer"]
    assert (line["mark"]["type"], points["mark"]["type"]) == ("line", "point")     # a line, and dots on it
    for e in (line["encoding"], points["encoding"]):
        assert (e["x"]["field"], e["x"]["type"]) == ("snapshot_date", "temporal")
        assert (e["y"]["field"], e["y"]["type"]) == ("rank", "quantitative")
        assert e["y"]["scale"]["reverse"] is True
        assert (e["color"]["field"], e["color"]["type"]) == ("label", "nominal")
    # the dots say where a rank held; the line has no tooltip (Vega gives a line's first row for it)
    assert [t["field"] for t in points["encoding"]["tooltip"]] == ["label", "rank", "held"]
    assert "tooltip" not in line["encoding"]


def test_bump_chart_highlights_the_track_clicked_in_the_legend():
    s = spec(charts.bump_chart(bump_df()))
    (param,) = s["params"]
    assert param["select"]["type"] == "point" and param["select"]["fields"] == ["label"]
    assert param["bind"] == "legend"
    for layer in s["layer"]:
        assert layer["encoding"]["opacity"]["condition"]["param"] == param["name"]


def test_bump_chart_for_artists_adds_their_best_track_and_count_to_the_tooltip():
    df = pd.DataFrame({"snapshot_date": [D(2025, 1, 6)], "rank": [1], "artist_name": ["Björk"],
                       "best_rank": [1], "tracks": [2]})
    line, points = spec(charts.bump_chart(df, label="artist_name", legend_title="Artist"))["layer"]
    e = points["encoding"]
    assert e["color"]["field"] == "artist_name" and e["color"]["title"] == "Artist"
    assert [t["field"] for t in e["tooltip"]] == ["artist_name", "rank", "held", "best_rank", "tracks"]


def test_bump_chart_sends_the_same_spec_whatever_its_rows():
    """A new time range or pick gives the chart new rows only: the browser then updates the drawn
    chart's data instead of building a new chart (charts.spec). Altair names a layered view with
    a selection by a digest of the whole chart, data included, unless it is named."""
    other = bump_df().assign(rank=[4, 4, 7, 9], label=["x", "x", "y", "y"])
    specs = [charts.spec(charts.bump_chart(df)) for df in (bump_df(), other, bump_df().head(1))]
    for s in specs:
        s.pop("datasets")
    assert specs[0] == specs[1] == specs[2]


def test_rank_runs_keep_the_ends_of_each_stretch_at_one_rank_and_say_how_long_it_held():
    dates = [D(2025, 1, 6) + dt.timedelta(weeks=i) for i in range(6)]
    df = pd.DataFrame({"snapshot_date": dates + [dates[0], dates[3], dates[5]],
                       "rank": [1, 1, 1, 2, 2, 1, 5, 4, 4],
                       "label": ["a"] * 6 + ["b"] * 3})
    runs = charts.rank_runs(charts.with_gaps(charts._numeric(df, "rank")))
    got = [(r.label, r.snapshot_date, None if pd.isna(r.rank) else int(r.rank), r.held) for r in runs.itertuples()]
    assert got == [
        ("a", dates[0], 1, "2025-01-06 to 2025-01-20, 3 snapshots"),
        ("a", dates[2], 1, "2025-01-06 to 2025-01-20, 3 snapshots"),
        ("a", dates[3], 2, "2025-01-27 to 2025-02-03, 2 snapshots"),
        ("a", dates[4], 2, "2025-01-27 to 2025-02-03, 2 snapshots"),
        ("a", dates[5], 1, "2025-02-10"),
        ("b", dates[0], 5, "2025-01-06"),
        ("b", dates[1], None, "2025-01-13 to 2025-01-20, 2 snapshots"),   # out of the list: one row breaks the line
        ("b", dates[3], 4, "2025-01-27"),
        ("b", dates[4], None, "2025-02-03"),
        ("b", dates[5], 4, "2025-02-10"),                                  # 4 again after a break: a stretch of its own
    ]
    assert charts.rank_runs(charts.with_gaps(df.head(0))).empty


def test_bump_chart_breaks_a_line_for_the_weeks_a_track_was_out_of_the_list():
    df = pd.DataFrame({"snapshot_date": [D(2025, 1, 6), D(2025, 1, 13), D(2025, 1, 20), D(2025, 1, 6)],
                       "rank": [1, 2, 3, 5], "label": ["a", "b", "b", "a"]})
    gaps = charts.with_gaps(df)
    # a: ranked on the 6th only (nothing to bridge); b: first seen on the 13th (no gap before)
    assert len(gaps) == 4
    df.loc[3, "snapshot_date"] = D(2025, 1, 20)            # a: 6th and 20th, out on the 13th
    gaps = charts.with_gaps(df)
    hole = gaps[(gaps["label"] == "a") & (gaps["snapshot_date"] == D(2025, 1, 13))]
    assert len(hole) == 1 and hole["rank"].isna().all()
    rows = next(iter(spec(charts.bump_chart(df))["datasets"].values()))
    assert len(rows) == 5 and sum(r["rank"] is None for r in rows) == 1


def test_numeric_columns_from_postgresql_reach_the_chart_as_floats():
    from decimal import Decimal

    df = turnover_df().assign(turnover=[Decimal("0.2000"), Decimal("0.0200")])
    rows = next(iter(spec(charts.turnover_chart(df))["datasets"].values()))
    assert [r["turnover"] for r in rows] == [0.2, 0.02]


def test_with_track_label_joins_name_and_artist_and_keeps_two_same_named_tracks_apart():
    df = pd.DataFrame({"track_id": ["aaaaaa1", "bbbbbb2", "cccccc3"], "name": ["Song", "Song", "Other"],
                       "artist_name": ["X", "X", "Y"]})
    labels = charts.with_track_label(df)["label"].tolist()
    assert labels == ["Song — X (aaaaaa)", "Song — X (bbbbbb)", "Other — Y"]
    assert charts.with_track_label(df.iloc[0:0]).columns.tolist()[-1] == "label"


def turnover_df():
    return pd.DataFrame({"time_range": ["short_term", "long_term"], "snapshot_date": [D(2025, 1, 13)] * 2,
                         "previous_date": [D(2025, 1, 6)] * 2, "tracks": [50, 50], "new_tracks": [10, 1],
                         "turnover": [0.2, 0.02]})


def test_turnover_chart_draws_a_percentage_line_per_time_range_with_the_chosen_one_selected():
    s = spec(charts.turnover_chart(turnover_df(), "long_term"))
    e = s["encoding"]
    assert (e["y"]["field"], e["y"]["axis"]["format"]) == ("turnover", "%")
    assert e["color"]["field"] == "range"
    (param,) = s["params"]
    assert param["bind"] == "legend" and param["value"] == [{"range": "All time"}]
    ranges = set(pd.DataFrame(next(iter(s["datasets"].values())))["range"])
    assert ranges == {"Last 4 weeks", "All time"}


def test_turnover_chart_without_a_highlight_starts_with_nothing_selected():
    (param,) = spec(charts.turnover_chart(turnover_df()))["params"]
    assert "value" not in param


def test_top_artists_by_month_chart_is_a_heatmap_sorted_by_total_score():
    df = pd.DataFrame({"month": [D(2025, 1, 1), D(2025, 2, 1)], "position": [1, 1], "artist_name": ["A", "B"],
                       "score": [100, 50], "placements": [3, 2], "tracks": [1, 1]})
    chart = charts.top_artists_by_month_chart(df)
    s = spec(chart)
    assert s["mark"]["type"] == "rect"
    assert s["encoding"]["y"]["sort"] == {"field": "score", "op": "sum", "order": "descending"}
    assert s["encoding"]["color"]["field"] == "score"
    assert s["params"][0]["select"]["fields"] == ["artist_name"]


def taste_df():
    return pd.DataFrame({"month": [D(2025, 1, 1), D(2025, 2, 1)], "artists": [3, 4], "shared_artists": [0, 2],
                         "artist_shift": [None, 0.6], "avg_release_year": [1990.5, None],
                         "dated_tracks": [2, 0], "tracks": [3, 4]})


def test_taste_shift_chart_leaves_out_the_month_without_a_previous_one():
    s = spec(charts.taste_shift_chart(taste_df()))
    rows = next(iter(s["datasets"].values()))
    assert [r["artist_shift"] for r in rows] == [0.6]
    assert s["encoding"]["y"]["scale"]["domainMin"] == 0


def test_release_year_trend_chart_skips_months_without_dated_tracks():
    s = spec(charts.release_year_trend_chart(taste_df()))
    assert [r["avg_release_year"] for r in next(iter(s["datasets"].values()))] == [1990.5]
    assert s["encoding"]["y"]["scale"]["zero"] is False


def test_release_year_chart_draws_one_bar_a_year():
    s = spec(charts.release_year_chart(pd.DataFrame({"year": [1974, 1997], "tracks": [1, 2]})))
    assert s["encoding"]["x"]["field"] == "year" and s["encoding"]["x2"]["field"] == "year_end"
    assert s["encoding"]["x"]["bin"] == "binned"
    assert s["transform"] == [{"calculate": "datum.year + 1", "as": "year_end"}]


def test_explicit_chart_colours_each_content_kind_consistently():
    df = pd.DataFrame({"content": ["clean", "explicit", "unknown"], "tracks": [2, 1, 3], "share": [.33, .17, .5]})
    s = spec(charts.explicit_chart(df))
    assert s["mark"]["type"] == "arc"
    assert s["encoding"]["color"]["scale"]["domain"] == ["explicit", "clean", "unknown"]
    assert s["encoding"]["theta"]["field"] == "tracks"


@pytest.mark.parametrize("unit, fmt", [("", "d"), ("min", ".1f")])
def test_histogram_chart_uses_the_pre_binned_edges(unit, fmt):
    df = pd.DataFrame({"bin_start": [0, 10], "bin_end": [10, 20], "tracks": [4, 5]})
    s = spec(charts.histogram_chart(df, "Popularity", unit=unit))
    assert s["encoding"]["x"]["bin"] == "binned" and s["encoding"]["x2"]["field"] == "bin_end"
    assert s["encoding"]["tooltip"][0]["format"] == fmt


@pytest.mark.parametrize("build", [
    lambda df: charts.bump_chart(df),
    lambda df: charts.turnover_chart(df, "short_term"),
    charts.top_artists_by_month_chart, charts.taste_shift_chart, charts.release_year_trend_chart,
    charts.release_year_chart, charts.explicit_chart, lambda df: charts.histogram_chart(df, "x"),
])
def test_builders_accept_an_empty_result(build):
    columns = ["snapshot_date", "rank", "label", "time_range", "previous_date", "tracks", "new_tracks", "turnover",
               "month", "position", "artist_name", "score", "placements", "artist_shift", "avg_release_year",
               "dated_tracks", "year", "content", "share", "bin_start", "bin_end", "shared_artists"]
    assert isinstance(build(pd.DataFrame(columns=columns)), (alt.Chart, alt.LayerChart))


def test_obsessed_table_marks_new_risen_fallen_and_unchanged_tracks():
    df = pd.DataFrame({"rank": [1, 2, 3, 4], "name": ["a", "b", "c", "d"], "artist_name": ["x"] * 4,
                       "previous_rank": [None, 5, 1, 4], "is_new": [True, False, False, False]})
    assert charts.obsessed_table(df)["change"].tolist() == ["🆕 new", "▲ 3", "▼ 2", "="]
    assert set(charts.OBSESSED_COLUMNS) == set(charts.obsessed_table(df).columns)


def test_enable_theme_is_idempotent_and_applies_the_house_theme():
    charts.enable_theme()
    charts.enable_theme()
    assert alt.theme.active == "mtm"
    assert charts.theme()["config"]["mark"]["color"] == charts.SPOTIFY_GREEN


def test_only_charts_of_hundreds_of_marks_leave_out_the_marks_aria_labels():
    """Streamlit draws these charts as SVG, where Vega-Lite's ARIA labels reach a screen reader
    (THEME_ARIA_NOTE): charts of a few dozen marks keep a label per mark, and every chart keeps its
    axes' and legend's; the charts of hundreds of marks leave out the marks' labels (built for every
    mark on every redraw), as Streamlit itself does past 5,000 values."""
    from ui import plays_view as view

    charts.enable_theme()
    assert "aria" not in charts.theme()["config"]        # guides keep theirs everywhere
    bump = pd.DataFrame({"snapshot_date": pd.to_datetime(["2024-01-01", "2024-02-01"]), "rank": [1, 2],
                         "label": ["A", "A"]})
    days = pd.DataFrame({"period": [D(2024, 3, 1)], "minutes": [60.0], "plays": [2], "streams": [2], "skips": [0]})
    many = {"bump": charts.spec(charts.bump_chart(bump)),
            "timeline": charts.spec(view.timeline_chart(days, "day")),
            "calendar": charts.spec(view.calendar_chart(days, 2024)),
            "heatmap": charts.spec(view.heatmap_chart(pd.DataFrame({"weekday": [1], "hour": [9], "minutes": [60.0],
                                                                   "plays": [2]})))}
    for name, drawn in many.items():
        for layer in drawn.get("layer", [drawn]):
            assert layer["mark"]["aria"] is False, name                  # the bump chart's dots too
        assert "aria" not in drawn["config"], name
    few = charts.spec(view.year_months_chart(days[["period", "minutes", "plays"]], 2024))
    assert "aria" not in few["mark"] and "aria" not in few["config"]


def test_explorer_count_axes_show_whole_numbers():
    """A path seen once must not draw 0.2, 0.4 ... on the explorer's count axes."""
    from ui import explorer_view

    values = pd.DataFrame({"value": ['"a"'], "type": ["string"], "count": [1], "share": [1.0], "tracks": [1]})
    top = explorer_view.top_values_chart(values).to_dict()
    hist = explorer_view.histogram_chart(pd.DataFrame({"bin_start": [0.0], "bin_end": [1.0], "count": [1]})).to_dict()
    for axis in (top["encoding"]["x"]["axis"], hist["encoding"]["y"]["axis"]):
        assert (axis["format"], axis["tickMinStep"]) == (",d", 1)
    assert top["encoding"]["x"]["title"] == "Times found"


BUILT = []


def _counted_bars(df: pd.DataFrame, title: str = "") -> alt.Chart:
    BUILT.append(title)
    return alt.Chart(df, title=title).mark_bar().encode(x="a:O", y="b:Q")


def test_chart_spec_is_built_once_per_builder_and_arguments_and_refuses_lambdas():
    from functools import partial

    from ui import cached

    cached.clear()
    df = pd.DataFrame({"a": [1, 2], "b": [3, 4]})
    first = cached.chart_spec(_counted_bars, df, title="x")
    again = cached.chart_spec(_counted_bars, df.copy(), title="x")            # same rows, same arguments
    other = cached.chart_spec(partial(_counted_bars, title="y"), df)
    changed = cached.chart_spec(_counted_bars, df.assign(b=[5, 6]), title="x")
    assert BUILT == ["x", "y", "x"] and first == again and other["title"] == "y"
    assert first["data"] == {"name": "mtm_0"} and isinstance(first["datasets"]["mtm_0"], bytes)
    assert changed["datasets"] != first["datasets"]
    with pytest.raises(ValueError):
        cached.chart_spec(lambda d: _counted_bars(d), df)


def test_table_html_is_formatted_once_per_rows_and_arguments(monkeypatch):
    """cached.table_html: the same rows under the same headers and kinds are formatted once; other
    rows, or another header, are formatted anew (a digest of every argument keys the result)."""
    from ui import cached, tables

    cached.clear()
    real, calls = tables.table_html, []
    monkeypatch.setattr(tables, "table_html", lambda *a: calls.append(a) or real(*a))
    df = pd.DataFrame({"rank": [1, 2], "name": ["A", "B"], "plays": [9, 1]})
    first = cached.table_html(df, {"name": "Track"}, {"plays": "bar"})
    again = cached.table_html(df.copy(), {"name": "Track"}, {"plays": "bar"})     # same rows, same arguments
    other = cached.table_html(df.assign(plays=[9, 2]), {"name": "Track"}, {"plays": "bar"})
    header = cached.table_html(df, {"name": "Artist"}, {"plays": "bar"})
    assert len(calls) == 3 and first == again == real(df, {"name": "Track"}, {"plays": "bar"})
    assert other != first and "Artist" in header and "Artist" not in first


def test_cache_keys_tell_every_parameter_apart_and_refuse_values_without_a_faithful_repr():
    """ui.cached keys a call by the repr of its plain values (CACHE_KEY_NOTE): values that print alike
    in other ways (a number and its text, a date and its ISO text, a list and a tuple) must give
    different keys, and an object whose repr is its address is refused rather than cached wrongly."""
    import datetime as dt
    from decimal import Decimal

    import numpy as np

    from ui import cached

    calls = [("q", (("a", 1),)), ("q", (("a", "1"),)), ("q", (("a", 1.0),)), ("q", (("a", True),)),
             ("q", (("a", None),)), ("q", (("a", "None"),)), ("q", (("a", dt.date(2025, 1, 1)),)),
             ("q", (("a", "2025-01-01"),)), ("q", (("a", Decimal("1.0")),)), ("q", (("a", (1, 2)),)),
             ("q", (("a", "(1, 2)"),)), ("q", (("a", "x"), ("b", "y"))), ("q", (("a", "x', 'b', 'y"),)),
             ("r", (("a", 1),)), ("q", (("a", np.int64(2)),))]
    keys = [cached._key(name, items, 100, None, (1, 2)) for name, items in calls]
    assert len(set(keys)) == len(keys)
    with pytest.raises(TypeError):
        cached._key("q", (("a", object()),))
    with pytest.raises(TypeError):
        cached._key("q", (("a", ([1],)),))


def test_spec_sends_only_the_columns_the_chart_names():
    """charts.spec drops a dataset's columns that no field, tooltip, expression or selection of the
    spec names (they would only be converted in the browser on every redraw), and keeps the rest."""
    df = pd.DataFrame({"snapshot_date": [D(2025, 1, 6)], "rank": [1], "label": ["Jóga — Björk"],
                       "track_id": ["4uLU6hMCjMI75M1A2tKUQC"], "spotify_url": ["https://open.spotify.com/x"],
                       "minutes": [3.5], "weight": [2.0]})
    out = charts.spec(charts.bump_chart(df))
    (data,) = out["datasets"].values()
    assert list(data.columns) == ["snapshot_date", "rank", "label", "held"]

    chart = (alt.Chart(df).transform_calculate(hours="datum.minutes / 60")
             .transform_filter(alt.datum.weight > 1)
             .mark_bar().encode(x="label:N", y="hours:Q"))
    (data,) = charts.spec(chart)["datasets"].values()
    assert set(data.columns) == {"label", "minutes", "weight"}     # read by an expression: kept
    assert len(data) == 1
