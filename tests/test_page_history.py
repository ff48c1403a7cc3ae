"""The Listening history page (app_pages/history.py) driven through its widgets with AppTest."""
from __future__ import annotations

import datetime as dt
import itertools
import json
import os

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from migrate import demo
from tests.helpers import ROOT, html_tables, open_data, vega_lite_errors

PAGE = os.path.join(ROOT, "app_pages", "history.py")
D = dt.date
LAST = demo.DEFAULT_END                                             # the demo's snapshot dates
FIRST = LAST - dt.timedelta(weeks=demo.DEFAULT_WEEKS - 1)
SECTIONS = {  # section -> (charts, tables with a download under them)
    "Rank over time": (1, 1), "Currently obsessed": (0, 1), "Forgotten gems": (0, 1),
    "Musical evolution": (4, 3), "What the tracks are like": (4, 4)}


def run(query_params: dict | None = None, section: str | None = None, data: bool = False) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in (query_params or {}).items():
        at.query_params[key] = value
    if section:
        at.session_state["section"] = section
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return open_data(at) if data else at


def open_section(at: AppTest, section: str) -> AppTest:
    """What a click on the section picker does: the widget's value and its link parameter."""
    at.session_state["section"] = section
    at.query_params["section"] = section
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return open_data(at)


def charts(at: AppTest) -> list:
    return at.get("vega_lite_chart")


def chart_rows(chart) -> int:
    return sum(pa.ipc.open_stream(ds.data.data).read_all().num_rows for ds in chart.proto.datasets)


def captions(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)


def widget(widgets, label: str):
    (found,) = [w for w in widgets if w.label == label]
    return found


def frame(at: AppTest, *columns: str):
    """The first dataframe shown that has all `columns`."""
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


def params(at: AppTest) -> dict:
    return dict(at.query_params)


def test_history_page_opens_on_the_first_section_and_builds_only_that(demo_url):
    at = run()
    assert at.segmented_control(key="section").options == list(SECTIONS)
    assert at.segmented_control(key="section").value == "Rank over time"
    assert [s.value for s in at.subheader] == ["Rank over time"]
    assert len(charts(at)) == 1 and not at.dataframe and not at.download_button    # the Data expander is closed
    open_data(at)
    assert len(at.dataframe) == 1 and len(at.download_button) == 1


@pytest.mark.parametrize("value", ["Nope", "rank over time", "", "x" * 5000, "Rank over time\x00", "<b>Forgotten gems</b>"])
def test_an_unknown_section_in_the_link_opens_the_first(demo_url, value):
    at = run({"section": value})
    assert at.segmented_control(key="section").value == "Rank over time"
    assert [s.value for s in at.subheader] == ["Rank over time"]


@pytest.mark.parametrize("section", list(SECTIONS))
def test_every_section_shows_its_data_on_the_demo(demo_url, section):
    at = run(section=section, data=True)
    assert [s.value for s in at.subheader] == [section]
    n_charts, n_tables = SECTIONS[section]
    assert len(charts(at)) == n_charts and all(chart_rows(c) > 0 for c in charts(at))
    assert [vega_lite_errors(c) for c in charts(at)] == [[]] * n_charts
    assert all(len(d.value) > 0 for d in at.dataframe) and all(len(t) > 0 for t in html_tables(at))
    assert len(at.download_button) == n_tables == len(at.dataframe) + len(html_tables(at))
    assert all(b.label == "Download CSV" for b in at.download_button)
    assert not at.warning
    if section == "Currently obsessed":
        obsessed = html_tables(at)[0]                                  # a ranked list: one HTML table
        assert list(obsessed.columns) == ["Rank", "Track", "Artist", "Since last snapshot", "Album"]
        assert len(obsessed) == 50 and not at.dataframe
    if section == "Forgotten gems":
        gems = frame(at, "track_id", "best_rank", "placements")
        assert len(gems) > 0 and f"{len(gems)} gems." in captions(at)       # the demo plants some


def test_the_open_section_is_kept_in_the_link(demo_url):
    at = run({"section": "Forgotten gems"})
    assert [s.value for s in at.subheader] == ["Forgotten gems"]
    open_section(at, "Musical evolution")
    assert [s.value for s in at.subheader] == ["Musical evolution"]
    assert params(at)["section"] == "Musical evolution" and params(at)["time_range"] == "short_term"


def test_history_page_writes_its_default_filters_into_the_url(demo_url):
    assert params(run()) == {"from": str(FIRST), "to": str(LAST), "time_range": "short_term"}


def test_bump_chart_follows_the_top_five_tracks_by_default_and_the_picked_ones_after(demo_url):
    at = run(data=True)
    tracks = widget(at.multiselect, "Tracks")
    assert len(tracks.value) == 5
    bump = charts(at)[0]
    assert json.loads(bump.proto.spec)["layer"][0]["encoding"]["color"]["field"] == "label"
    tracks.set_value(tracks.value[:1]).run()
    one = frame(at, "track_id", "rank", "snapshot_date")
    assert one["track_id"].nunique() == 1
    # the chart draws the two ends of each stretch at one rank (charts.rank_runs); the table has every row
    ranks = one.sort_values("snapshot_date")["rank"].tolist()
    stretches = [len(list(run)) for _, run in itertools.groupby(ranks)]
    assert chart_rows(charts(at)[0]) == sum(min(n, 2) for n in stretches) < len(one)


def test_bump_chart_can_follow_artists(demo_url):
    at = run()
    open_data(widget(at.segmented_control, "Follow").set_value("Artists").run())
    assert not at.exception
    artists = widget(at.multiselect, "Artists")
    assert len(artists.value) == 5
    data = frame(at, "artist_name", "rank", "best_rank", "tracks")
    assert set(data["artist_name"]) <= set(artists.value) and len(data) > 0
    # an artist's rank counts artists, so it is never worse than its best track's
    assert (data["rank"] <= data["best_rank"]).all()


def test_changing_the_time_range_updates_the_url_and_the_lists(demo_url):
    at = run(section="Currently obsessed")
    short = html_tables(at)[0]["Track"].tolist()
    widget(at.segmented_control, "Time range").set_value("long_term").run()
    assert not at.exception
    assert params(at)["time_range"] == "long_term"
    assert html_tables(at)[0]["Track"].tolist() != short
    assert "(all time)" in captions(at)


def test_changing_the_dates_updates_the_url_and_narrows_the_charts(demo_url):
    at = run(section="Musical evolution", data=True)
    turnover_all = len(frame(at, "turnover", "previous_date"))
    at.date_input[0].set_value((D(2025, 1, 1), D(2025, 3, 31))).run()
    assert not at.exception
    assert params(at)["from"] == "2025-01-01" and params(at)["to"] == "2025-03-31"
    turnover = frame(at, "turnover", "previous_date")
    assert 0 < len(turnover) < turnover_all
    assert turnover["snapshot_date"].between(D(2025, 1, 1), D(2025, 3, 31)).all()
    months = frame(at, "position", "score")["month"]
    assert set(months) == {D(2025, 1, 1), D(2025, 2, 1), D(2025, 3, 1)}


def test_choosing_an_artist_puts_it_in_the_url_and_filters_the_tables(demo_url):
    at = run(section="Forgotten gems")
    artist = frame(at, "track_id", "best_rank", "placements")["artist_name"].iloc[0]    # one with gems
    widget(at.selectbox, "Artist").set_value(artist).run()
    assert not at.exception
    assert params(at)["artist"] == artist
    assert set(frame(at, "track_id", "best_rank", "placements")["artist_name"]) == {artist}
    assert set(frame(open_section(at, "Musical evolution"), "position", "score")["artist_name"]) == {artist}
    open_section(at, "Rank over time")
    assert set(frame(at, "track_id", "rank", "snapshot_date")["artist_name"]) == {artist}
    assert widget(at.segmented_control, "Follow").disabled
    widget(at.selectbox, "Artist").set_value("").run()          # back to every artist
    assert "artist" not in params(at)


def test_url_filters_set_before_the_first_run_are_honoured(demo_url):
    at = run({"time_range": "long_term", "from": "2025-01-01", "to": "2025-06-30", "artist": "Mötley Crüe",
              "section": "Musical evolution"}, data=True)
    assert widget(at.segmented_control, "Time range").value == "long_term"
    assert at.date_input[0].value == (D(2025, 1, 1), D(2025, 6, 30))
    assert widget(at.selectbox, "Artist").value == "Mötley Crüe"
    assert params(at) == {"from": "2025-01-01", "to": "2025-06-30", "time_range": "long_term",
                          "artist": "Mötley Crüe", "section": "Musical evolution"}
    assert not at.warning
    assert frame(at, "turnover", "previous_date")["snapshot_date"].max() <= D(2025, 6, 30)


@pytest.mark.parametrize("query, key", [
    ({"from": "garbage"}, "from"),
    ({"to": "2025-13-45"}, "to"),
    ({"from": "2026-01-01", "to": "2025-01-01"}, "from"),
    ({"time_range": "forever"}, "time_range"),
    ({"time_range": "' or 1=1 --"}, "time_range"),
    ({"artist": "x" * 5000}, "artist"),
    ({"artist": "Nobody at all"}, "artist"),
    ({"artist": "'; drop table snapshots; --"}, "artist"),
    ({"artist": "   "}, "artist"),
])
def test_bad_url_filters_fall_back_to_defaults_with_a_warning(demo_url, query, key):
    at = run(query)
    assert len(at.warning) == 1 and "could not be used" in at.warning[0].value
    defaults = {"from": str(FIRST), "to": str(LAST), "time_range": "short_term"}
    assert params(at).get(key) == defaults.get(key)
    assert len(charts(at)) == 1


def test_dates_outside_the_data_are_clamped_without_a_warning(demo_url):
    at = run({"from": "2000-01-01", "to": "2099-12-31"})
    assert not at.warning
    assert params(at)["from"] == str(FIRST) and params(at)["to"] == str(LAST)


def test_forgotten_gems_follow_the_recent_snapshot_count(demo_url):
    at = run(section="Forgotten gems")
    gems = len(frame(at, "track_id", "best_rank", "placements"))
    widget(at.number_input, "Recent = the last N snapshots").set_value(12).run()
    assert "the last 12 snapshots" in captions(at)
    assert len(frame(at, "track_id", "best_rank", "placements")) < gems
    widget(at.checkbox, "Only last 4 weeks").check().run()
    assert "in any time range" not in captions(at)


def test_history_page_on_an_empty_database_shows_the_empty_state(empty_url):
    at = run()
    assert len(at.info) == 1 and "No data yet" in at.info[0].value
    assert not charts(at) and not at.dataframe and not at.date_input
