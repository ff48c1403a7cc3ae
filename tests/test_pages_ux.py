"""What a new user sees (issue 10, items 7 and 9-11): tables with human headers and formats on every
page, kinds named as they are, calendars that tell no data from no listening, a database outage that
hides its socket and retries by itself, the Overview's chart, the explorer's examples finding demo
data, the EXPLAIN plan fitting the page, Search choosing a clicked result and the busier side."""
from __future__ import annotations

import datetime as dt
import json
import os
import re
from types import SimpleNamespace

import pandas as pd
import psycopg2
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from tests import plays_data as data
from tests.helpers import ROOT, figures, html_tables, open_data, run_page, use_database, vega_lite_errors
from ui import charts, tables
from ui import plays_view as view
from ui.plays import SECTIONS as _PLAYS_SECTIONS

D = dt.date
PLAYS_PAGE = os.path.join(ROOT, "app_pages", "plays.py")
PLAYS_SECTIONS = list(_PLAYS_SECTIONS)
SECTION_INPUTS = {"On this day": {"plays_on_day": D(2026, 10, 27)},
                  "Forgotten gems": {"plays_gems_days": 30, "plays_gems_min": 3}}


def shown_headers(element) -> list[str]:
    """The headers a st.dataframe shows: its column config's labels, raw names where it has none."""
    config = json.loads(element.proto.columns or "{}")
    out = []
    for name in element.value.columns:
        cfg = config.get(str(name)) or {}
        if cfg.get("hidden"):
            continue
        out.append(cfg.get("label", str(name)))
    return out


def snake(headers: list[str]) -> list[str]:
    return [h for h in headers if re.search(r"[a-z]_[a-z]", h)]


# ---------------------------------------------------------------------------------------------
# The table helper


RAW = pd.DataFrame({
    "track_id": ["t1", "t2"], "name": ["Song", None], "kind": ["music", "audiobook"], "weekday": [1, 7], "plays": [1234, 2],
    "minutes": [12.34567, 0.4], "skip_rate": [0.25, None], "first_play": [pd.Timestamp("2024-01-02 03:04"), None],
    "days_since": [3, 4], "mystery_column": ["x", "y"]})


def test_table_helper_shows_human_headers_whole_minutes_percent_weekday_names_and_blanks():
    frame, config = tables.shape(RAW, headers={"name": "Track"})
    assert config["track_id"] is None                                        # ids hidden
    labels = {k: v["label"] for k, v in config.items() if v}
    assert frame["kind"].tolist() == ["Music", "Audiobook"]
    assert labels == {"name": "Track", "kind": "Kind", "weekday": "Weekday", "plays": "Plays", "minutes": "Minutes",
                      "skip_rate": "Skip rate", "first_play": "First play", "days_since": "Days before newest",
                      "mystery_column": "Mystery column"}
    assert frame["weekday"].tolist() == ["Monday", "Sunday"]
    assert frame["minutes"].tolist() == [12.0, 0.0]
    assert frame["name"].tolist() == ["Song", ""]                           # None shows as a blank
    assert config["plays"]["type_config"]["format"] == "accounting"          # 1,234 (whole_number_format)
    assert config["plays"]["type_config"]["step"] == 1                        # no decimals
    assert config["minutes"]["type_config"]["format"] == "%d"                 # under 1,000: nothing to group
    assert config["skip_rate"]["type_config"]["format"] == "percent"
    assert config["first_play"]["type_config"]["format"] == "YYYY-MM-DD HH:mm"


def test_a_bar_column_keeps_its_number_and_draws_to_the_largest_value():
    """A top list's ordering column (kinds={col: "bar"}): the value, whole, with a bar from 0 to the
    column's largest value; an empty or all-zero column still gets a valid bar (max 1)."""
    frame, config = tables.shape(RAW, kinds={"plays": "bar", "minutes": "bar"})
    bar = config["plays"]["type_config"]
    assert (bar["type"], bar["format"], bar["min_value"], bar["max_value"]) == ("progress", "accounting", 0, 1234.0)
    assert bar["step"] == 1 and config["minutes"]["type_config"]["format"] == "%d"
    assert config["plays"]["label"] == "Plays" and frame["plays"].tolist() == [1234.0, 2.0]
    assert frame["minutes"].tolist() == [12.0, 0.0]
    _, config = tables.shape(RAW.assign(plays=[0, None]), kinds={"plays": "bar"})
    assert config["plays"]["type_config"]["max_value"] == 1.0


def test_a_static_table_shows_what_the_data_grid_shows():
    """tables.table_html (a ranked list as one HTML table): the same headers as shape, ids hidden,
    whole numbers grouped, minutes whole, shares as percentages, weekday and kind names, times to the
    minute, None blank; the bar column's cells carry a bar to the column's largest value."""
    body = tables.table_html(RAW, headers={"name": "Track"}, kinds={"plays": "bar"})
    shown = html_tables(SimpleNamespace(get=lambda kind: [SimpleNamespace(proto=SimpleNamespace(body=body))]))[0]
    assert list(shown.columns) == ["Track", "Kind", "Weekday", "Plays", "Minutes", "Skip rate", "First play",
                                   "Days before newest", "Mystery column"]
    assert shown.to_dict("list") == {
        "Track": ["Song", ""], "Kind": ["Music", "Audiobook"], "Weekday": ["Monday", "Sunday"],
        "Plays": ["1,234", "2"], "Minutes": ["12", "0"], "Skip rate": ["25%", ""],
        "First play": ["2024-01-02 03:04", ""], "Days before newest": ["3", "4"], "Mystery column": ["x", "y"]}
    assert "t1" not in body                                                  # ids hidden
    assert "100.0%" in body and "0.2%" in body                               # 1,234 fills its bar, 2 a sliver


def test_a_static_tables_alignment_rules_reach_only_tables_of_its_columns():
    """table_html aligns columns by rules on a class named for its columns' kinds: two tables of the
    same columns share it, a table of other columns gets another, and only numeric columns are
    right aligned."""
    same = tables.table_html(RAW.head(1), kinds={"plays": "bar"})
    other = tables.table_html(RAW[["plays", "name"]], kinds={"plays": "bar"})
    name = re.search(r'class="mtm-table (mtm-cols-\w+)"', same).group(1)
    assert name in tables.table_html(RAW.tail(1), kinds={"plays": "bar"})
    assert name not in other and 'class="mtm-table mtm-cols-nx"' in other
    right = re.search(r"\}([^{}]*)\{text-align:right", other).group(1)
    assert right == ".mtm-cols-nx :is(td,th):nth-child(1)"


def test_missing_text_shows_blank_and_a_list_in_a_cell_stays():
    raw = pd.DataFrame({"name": ["Song", None, float("nan"), pd.NA, ["a", "b"]]}, dtype=object)
    assert tables.shown_frame(raw)["name"].tolist()[:4] == ["Song", "", "", ""]
    assert tables.shown_frame(raw)["name"].tolist()[4] == ["a", "b"]


@pytest.mark.parametrize("value, kind, expected", [
    (1234567.0, "count", "1,234,567"), (-1500, "count", "-1,500"), (999.6, "minutes", "1,000"), (2024, "year", "2024"),
    (1234.56, "number", "1,234.6"), (3.0, "number", "3"), (0.5, "percent", "50%"), (0.12345, "percent", "12.35%"),
    (pd.Timestamp("2024-03-31 01:59:59"), "datetime", "2024-03-31 01:59"), (pd.Timestamp("2024-03-01"), "month", "Mar 2024"),
    (True, "check", "✓"), (False, "check", ""), (None, "count", ""), (float("nan"), "percent", ""), (pd.NaT, "date", ""),
])
def test_static_table_cells_read_as_the_grid_formats_them(value, kind, expected):
    assert tables.cell_text(value, kind) == expected


@pytest.mark.parametrize("values, expected", [
    ([0, 1, 999], "%d"), ([-999, 5], "%d"), ([None, None], "%d"), ([], "%d"),      # nothing to group
    ([2, 1000], "accounting"), ([0, 1234567.0], "accounting"),                    # grouped, never negative
    ([-1000, 5], "localized"), ([-5, 2000], "localized"),                         # negative and grouped
    ([999.4], "%d"), ([999.6], "accounting"), ([-999.6, 1], "localized"),         # as shown: rounded
])
def test_whole_numbers_are_formatted_the_cheapest_way_that_reads_as_localized(values, expected):
    """whole_number_format: "%d" where no value needs a thousands separator, "accounting" (commas,
    no decimals with step=1; it would put a negative in parentheses) where none is negative, else
    "localized". tests/test_browser.py checks in Chromium that each reads as "localized" in English."""
    assert tables.whole_number_format(pd.Series(values, dtype="float64")) == expected


def test_search_plays_table_counts_are_formatted_as_the_other_tables():
    from ui import search_view

    frame = pd.DataFrame({"plays": [1234, 5], "streams": [12, 7], "minutes": [999.6, 0.4]})
    config = search_view.plays_table_column_config("UTC", 30, frame)
    assert [(config[c]["type_config"]["format"], config[c]["type_config"]["step"])
            for c in ("plays", "streams", "minutes")] == [("accounting", 1), ("%d", 1), ("accounting", 1)]
    assert search_view.plays_table_column_config()["plays"]["type_config"]["format"] == "%d"     # no rows


def test_csv_keeps_the_raw_values_under_the_human_headers():
    out = tables.csv_frame(RAW, headers={"name": "Track"})
    assert "track_id" not in out.columns and list(out.columns)[:4] == ["Track", "Kind", "Weekday", "Plays"]
    assert out["Minutes"].tolist() == [12.34567, 0.4] and out["Weekday"].tolist() == [1, 7]


# ---------------------------------------------------------------------------------------------
# Plays page


@pytest.fixture
def plays_url(plays_export_db, monkeypatch):
    return use_database(monkeypatch, plays_export_db)


def plays_page(params: dict, section: str | None = None, inputs: dict | None = None) -> AppTest:
    at = run_page(PLAYS_PAGE, params, {"section": section, **(inputs or {})} if section else None)
    return open_data(at)                 # the Data expanders' tables too


@pytest.mark.parametrize("section", [s for s in PLAYS_SECTIONS if s != "Year in review"])   # lists, no table
def test_every_plays_table_has_human_headers(plays_url, section):
    at = plays_page({"tz": "UTC", "from": "2024-01-01", "to": "2026-11-23"}, section, SECTION_INPUTS.get(section))
    static = html_tables(at)                  # ranked lists drawn as HTML (ui.tables.show_list)
    assert at.dataframe or static, "no table in " + section
    for element in at.dataframe:
        headers = shown_headers(element)
        assert not snake(headers), headers
        for name, value in element.value.items():
            if value.dtype == object:
                assert not any(v is None for v in value), f"{name} shows None"
    for table in static:
        assert not snake(list(table.columns)), list(table.columns)
        assert not table.isin(["None", "nan", "NaT", "<NA>"]).any().any(), table


def test_heatmap_data_names_weekdays_and_rounds_minutes(plays_url):
    at = plays_page({"tz": "UTC"}, "When you listen")
    heat = next(d.value for d in at.dataframe if "weekday" in d.value.columns)
    assert set(heat["weekday"]) <= set(tables.WEEKDAY_NAMES.values())
    at = plays_page({"tz": "UTC"}, "Over time")
    timeline = next(d.value for d in at.dataframe if "period" in d.value.columns)
    assert (timeline["minutes"] == timeline["minutes"].round()).all()


def test_podcasts_are_episodes_and_shows(plays_url):
    at = plays_page({"tz": "UTC", "kind": "podcast", "from": "2020-01-01", "to": "2026-11-23"}, "Top lists")
    labels = list(figures(at))
    assert "Episodes" in labels and "Shows" in labels and "Tracks" not in labels
    assert any(h.value.startswith("Top episodes, shows") for h in at.subheader)
    assert "Episode" in html_tables(at)[0].columns


def test_discovery_of_podcasts_counts_new_shows(plays_url):
    at = plays_page({"tz": "UTC", "kind": "podcast", "from": "2020-01-01", "to": "2026-11-23"}, "Discovery")
    assert "New shows per month" in [h.value for h in at.subheader]
    assert at.selectbox(key="plays_first_artist").label == "Show"


def test_audiobooks_are_chapters_authors_and_books():
    assert view.level_names("audiobook") == {"track": "Chapters", "artist": "Authors", "album": "Books"}
    assert view.level_headers("album", "audiobook")["name"] == "Book"


def test_calendar_tells_days_outside_the_data_from_days_without_a_stream():
    rows = pd.DataFrame({"period": [D(2024, 3, 5)], "minutes": [10.0], "plays": [3]})
    frame = view.calendar_frame(rows, 2024, first=D(2024, 3, 1), last=D(2024, 3, 31))
    by_day = frame.set_index(frame["date"].dt.date)
    assert by_day.at[D(2024, 3, 5), "minutes"] == 10 and by_day.at[D(2024, 3, 6), "minutes"] == 0
    assert pd.isna(by_day.at[D(2024, 2, 29), "minutes"]) and pd.isna(by_day.at[D(2024, 4, 1), "minutes"])
    spec = view.calendar_chart(rows, 2024, first=D(2024, 3, 1), last=D(2024, 3, 31)).to_dict()
    assert "layer" not in spec                                              # one square a day, drawn once
    color = spec["encoding"]["color"]
    assert color["value"] == view.NO_DATA_COLOR and color["condition"]["test"] == "datum.covered"
    assert color["condition"]["legend"]["orient"] == "bottom"               # its 0 is not clipped
    days = {d["tip"][:15]: d for d in spec["datasets"][next(iter(spec["datasets"]))]}
    assert len(days) == 366
    assert days["Tue 05 Mar 2024"]["tip"] == "Tue 05 Mar 2024: 10 minutes, 3 plays"
    assert days["Wed 06 Mar 2024"]["tip"] == "Wed 06 Mar 2024: 0 minutes, 0 plays"     # in the data, silent
    assert days["Thu 29 Feb 2024"]["tip"] == "Thu 29 Feb 2024: outside your data"
    assert days["Thu 29 Feb 2024"]["minutes"] == 0 and not days["Thu 29 Feb 2024"]["covered"]
    assert spec["encoding"]["tooltip"] == {"field": "tip", "type": "nominal"}


# ---------------------------------------------------------------------------------------------
# History and Overview


def test_history_tables_have_human_headers(demo_url):
    for section in ("Rank over time", "Currently obsessed", "Forgotten gems", "Musical evolution",
                    "What the tracks are like"):
        at = AppTest.from_file(os.path.join(ROOT, "app_pages", "history.py"), default_timeout=60)
        at.query_params["section"] = section
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        for element in at.dataframe:
            assert not snake(shown_headers(element)), (section, shown_headers(element))


def test_overview_draws_minutes_per_month_that_add_up_to_every_stream(plays_export_db, monkeypatch):
    import streamlit as st

    monkeypatch.setenv("DATABASE_URL", plays_export_db)
    monkeypatch.delenv("TZ", raising=False)
    st.cache_data.clear()
    at = AppTest.from_file(os.path.join(ROOT, "dashboard.py"), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Minutes listened per month" in [s.value for s in at.subheader]
    chart = at.get("vega_lite_chart")[0]
    assert vega_lite_errors(chart) == []
    months = pd.concat([pa.ipc.open_stream(ds.data.data).read_all().to_pandas() for ds in chart.proto.datasets])
    plays = data.read_plays(plays_export_db)
    assert months["minutes"].sum() == pytest.approx(plays["ms_played"].sum() / 60000, rel=1e-6)


def test_overview_without_plays_says_how_to_get_the_chart(demo_url):
    at = AppTest.from_file(os.path.join(ROOT, "dashboard.py"), default_timeout=60).run()
    assert not at.exception
    assert any("No plays yet" in c.value for c in at.caption)


# ---------------------------------------------------------------------------------------------
# Database outage


def test_outage_message_hides_the_socket_path_and_the_page_retries_by_itself(monkeypatch, tmp_path):
    import streamlit as st

    from db import schema

    url = f"postgresql://postgres@/mtm?host={tmp_path}/no-such-socket-dir&connect_timeout=2"
    monkeypatch.setenv("DATABASE_URL", url)
    schema.forget(url)
    st.cache_data.clear()
    at = AppTest.from_file(os.path.join(ROOT, "dashboard.py"), default_timeout=60).run()
    assert not at.exception
    shown = " ".join(str(e.value) for e in [*at.error, *at.markdown, *at.caption, *at.info, *at.warning])
    assert "database is unavailable" in shown
    assert "no-such-socket-dir" not in shown and ".s.PGSQL" not in shown
    assert "tries again by itself every" in shown


def test_retry_check_sees_the_database_come_back(db_url, monkeypatch):
    from ui import common

    assert common.database_answers()
    assert "Rerun" in common.retry_text(common.RETRY_TRIES)                  # bounded: then it waits for a click
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/mtm?connect_timeout=2")
    from db import schema

    schema.forget("postgresql://postgres@127.0.0.1:1/mtm?connect_timeout=2")
    assert not common.database_answers()


# ---------------------------------------------------------------------------------------------
# Explorer and Admin


def _count(url: str, sql: str, value: str) -> int:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, (value,))
            return cur.fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("source", ["tracks", "plays"])
def test_explorer_examples_find_demo_data(source, demo_db, plays_export_db):
    from db import jsonpaths
    from ui import explorer_view as ev

    src = ev.SOURCES[source]
    url = demo_db if source == "tracks" else plays_export_db
    table = src.name
    assert _count(url, f"select count(*) from {table} where raw_json @> %s::jsonb", src.containment_example) > 0
    assert _count(url, f"select count(*) from {table} where raw_json @@ %s::jsonpath", src.jsonpath_example) > 0
    assert src.path_examples
    for path in src.path_examples:
        found = _count(url, f"select count(*) from {table} where jsonb_path_exists(raw_json, %s::jsonpath)",
                       jsonpaths.to_jsonpath(path))
        assert found > 0, path


def test_explain_plan_fits_the_page_and_its_text_wraps(demo_url, monkeypatch):
    from tests.test_page_admin import admin_app

    at = admin_app(monkeypatch)
    at.selectbox(key="explain_query").set_value("currently_obsessed").run()
    at.button(key="FormSubmitter:explain_form_currently_obsessed-Run EXPLAIN ANALYZE").click().run()
    assert not at.exception, at.exception
    plans = [d for d in at.dataframe if "node" in d.value.columns]
    assert len(plans) == 2 and all(len(shown_headers(d)) <= 7 for d in plans)
    assert at.code and all(c.proto.wrap_lines for c in at.code if "Execution Time" in c.value or "Node Type" in c.value)


# ---------------------------------------------------------------------------------------------
# Search


def test_rank_charts_label_dates_one_way():
    from ui import search_view as sv

    long = pd.DataFrame({"snapshot_date": pd.date_range("2024-01-01", periods=30, freq="W"), "rank": range(1, 31),
                         "time_range": "short_term"})
    short = long.head(4)
    for df, fmt in ((long, "%b %Y"), (short, "%d %b %Y")):
        assert sv.rank_history_chart(df).to_dict()["encoding"]["x"]["axis"]["format"] == fmt
        bump = charts.bump_chart(df.assign(label="A"))
        assert bump.to_dict()["layer"][0]["encoding"]["x"]["axis"]["format"] == fmt


def test_play_history_axis_names_years():
    df = pd.DataFrame({"month": ["2019-03-01", "2019-05-01"], "plays": [2, 1], "streams": [3, 1], "minutes": [6.3, 1.7]})
    from ui import search_view as sv

    spec = charts.play_history_chart(sv.play_history_frame(df)).to_dict()
    assert "%Y" in spec["encoding"]["x"]["axis"]["format"]


def test_default_scope_is_the_side_with_more_hits():
    from ui import search_view as sv

    assert sv.default_scope({"library": (2, False), "plays": (50, True)}) == "plays"
    assert sv.default_scope({"library": (3, False), "plays": (3, False)}) == "library"
    assert sv.default_scope({"library": (50, True), "plays": (50, False)}) == "library"
