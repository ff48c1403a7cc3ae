"""The Plays page (app_pages/plays.py) driven through its widgets and its link with AppTest, on the demo
export plus the edge plays of tests/plays_data.py; numbers checked against pandas on the same plays."""
from __future__ import annotations

import datetime as dt
import json
import os
import re

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from migrate.api import run_import
from tests import plays_data as data
from tests.helpers import (
    ROOT,
    figure_list,
    figures,
    html_tables,
    list_blocks,
    nodes,
    open_data,
    popover_labels,
    run_page,
    shown_number,
    use_database,
    vega_lite_errors,
)
from ui import plays_view as view

PAGE = os.path.join(ROOT, "app_pages", "plays.py")
D = dt.date
SECTIONS = {  # section -> its subheaders
    "Over time": ["Minutes listened"],
    "When you listen": ["When you listen"],
    "Calendar": ["Calendar"],
    "Top lists": ["Top tracks, artists and albums"],
    "Skips": ["Skips"],
    "Sessions & streaks": ["Sessions and streaks"],
    "Discovery": ["New artists per month"],      # First and last listen: an expander (FIRST_LAST_NOTE)
    "Two periods": ["Two periods side by side"],
    "On this day": ["On this day"],
    "Forgotten gems": ["Forgotten gems"],
    "Year in review": ["Year in review"],
    "Platforms & countries": ["Platforms", "Countries"],
}
# Widget values that give a section something to show on this data.
SECTION_INPUTS = {"On this day": {"plays_on_day": D(2026, 10, 27)},
                  "Forgotten gems": {"plays_gems_days": 30, "plays_gems_min": 3},
                  "Two periods": {"plays_compare_with": "custom", "plays_period_a": (D(2024, 1, 1), D(2024, 12, 31))}}
HOSTILE = ["'; drop table plays; --", "\\", "%_%", "Europe/Berlin\x00", "x" * 5000, "   ", "🎧", "مرحبا",
           "-1", "NaN", "1e309", "2026-02-30", "../../etc/passwd", "posix/Europe/Berlin"]


@pytest.fixture(scope="module")
def plays_page_db(plays_export_db):
    return plays_export_db


@pytest.fixture(scope="module")
def plays(plays_page_db) -> pd.DataFrame:
    return data.read_plays(plays_page_db)


@pytest.fixture
def plays_url(plays_page_db, monkeypatch):
    return use_database(monkeypatch, plays_page_db)


def run(query_params: dict | None = None, section: str | None = None, inputs: dict | None = None) -> AppTest:
    return run_page(PAGE, query_params, {**({"section": section} if section else {}), **(inputs or {})})


def metric(at: AppTest, label: str, nth: int = 0) -> str:
    """The value of the nth figure labelled `label` (ui.common.figures; the headline's is the first)."""
    return [value for shown, value, _ in figure_list(at) if shown == label][nth]


def plays_metric(at: AppTest, nth: int = 0) -> int:
    return int(metric(at, "Plays", nth).replace(",", ""))


def chart_rows(chart) -> int:
    return sum(pa.ipc.open_stream(ds.data.data).read_all().num_rows for ds in chart.proto.datasets)


def captions(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)


def counted(plays: pd.DataFrame, tz: str, since: D, until: D, kind: str = "music", min_seconds: int = 30) -> int:
    df = data.local(plays, tz)
    df = df if kind == "all" else df[df["kind"] == kind]
    return int(((df["day"] >= since) & (df["day"] <= until) & (df["ms_played"] >= min_seconds * 1000)).sum())


def test_empty_database_shows_how_to_import_an_export(empty_url):
    import streamlit as st

    st.cache_data.clear()
    at = run()
    text = " ".join(i.value for i in at.info)
    assert "python -m migrate my_spotify_data.zip" in text and "Admin" in text
    assert not figures(at) and not at.get("vega_lite_chart") and not at.tabs


def test_page_says_when_plays_are_stored_but_not_analysed_yet_and_the_next_import_fixes_it(db_url, tmp_path):
    import streamlit as st

    data.build_export(str(tmp_path), records=200, edges=False)
    run_import(str(tmp_path), db_url)
    data.execute(db_url, "truncate plays_z_hourly, plays_z_quarter, plays_z_items, plays_z_sessions")
    st.cache_data.clear()
    at = run()
    assert "analysis tables have not been built yet" in " ".join(i.value for i in at.info) and not figures(at)
    run_import(str(tmp_path), db_url)                   # nothing new to insert; the rollups are built anyway
    st.cache_data.clear()
    at = run()
    assert not at.info and plays_metric(at) > 0


def test_page_writes_its_default_settings_into_the_url(plays_url, plays):
    at = run()
    last = data.local(plays, "UTC")["day"].max()
    assert dict(at.query_params) == {"tz": "UTC", "from": str(last - dt.timedelta(days=364)), "to": str(last),
                                     "kind": "music", "min_s": "30"}
    assert "a play is a stream of 30 seconds or more" in captions(at)
    assert [s.value for s in at.subheader] == SECTIONS["Over time"]       # the first section is open


def test_the_open_section_is_kept_in_the_link_and_a_changed_link_opens_its_section(plays_url):
    """ui.common.open_section writes ?section= from the run (not a bound widget): a click puts it in
    the link, the first section takes it out, and a link changed since (Back, Forward, an edited
    address) opens the section it names."""
    at = run({"tz": "UTC"})
    at.segmented_control(key="section").set_value("Skips").run()                  # a click
    assert dict(at.query_params)["section"] == "Skips" and [s.value for s in at.subheader] == SECTIONS["Skips"]
    at.query_params["section"] = "Calendar"                                        # Back to an earlier link
    at.run()
    assert at.segmented_control(key="section").value == "Calendar"
    assert [s.value for s in at.subheader] == SECTIONS["Calendar"]
    at.segmented_control(key="section").set_value("Over time").run()
    assert "section" not in dict(at.query_params)                                  # the first: a plain link
    assert [s.value for s in at.subheader] == SECTIONS["Over time"]


def test_an_opened_section_is_built_in_the_other_slot_and_keeps_it_while_it_stays_open(plays_url):
    """SECTION_SLOT_NOTE: the picker's fragment holds the picker, at most one empty placeholder and
    the open section's block. Opening another section moves it to the other slot (the browser builds
    it afresh); a change inside the open section keeps the slot (its elements update in place)."""
    def slots(at) -> list[str]:
        picker = at.segmented_control(key="section")
        holder = next(n for n in nodes(at._tree) if any(c is picker for c in getattr(n, "children", {}).values()))
        return [getattr(c, "type", None) for _, c in sorted(holder.children.items())][1:]

    at = run({"tz": "UTC"})
    seen = [slots(at)]
    for section in ("Skips", "Calendar", "Top lists"):
        at.segmented_control(key="section").set_value(section).run()
        seen.append(slots(at))
    assert all(s in (["flex_container"], ["empty", "flex_container"]) for s in seen), seen
    assert all(a != b for a, b in zip(seen, seen[1:])), seen                 # each opening flips the slot
    at.session_state["plays_order"] = "minutes"                                 # Top lists' own option
    at.run()
    assert not at.exception and slots(at) == seen[-1]


def test_another_pages_open_section_does_not_override_the_link(plays_url):
    """The picker's key is shared by the pages; a section left open on History (Forgotten gems is on
    both pages) does not win over the Plays link's section, nor over no section in it."""
    from ui import common

    for link, opens in (({"section": "Skips"}, "Skips"), ({}, "Over time")):
        at = AppTest.from_file(PAGE, default_timeout=60)
        for key, value in {"tz": "UTC", **link}.items():
            at.query_params[key] = value
        at.session_state["section"] = "Forgotten gems"
        at.session_state[common.SECTION_PAGE] = "Rank over time"                  # History's picker
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.segmented_control(key="section").value == opens, link


def test_show_minutes_or_plays_is_kept_across_the_chart_sections(plays_url):
    at = run({"tz": "UTC"}, section="Over time")
    at.segmented_control(key="plays_measure").set_value("plays").run()
    for section, key in (("When you listen", "plays_heatmap_measure"), ("Calendar", "plays_calendar_measure")):
        at.session_state["section"] = section
        at.run()
        assert not at.exception and not at.warning
        assert at.segmented_control(key=key).value == "plays", section
    at.segmented_control(key="plays_calendar_measure").set_value("minutes").run()
    at.session_state["section"] = "Over time"
    at.run()
    assert at.segmented_control(key="plays_measure").value == "minutes"


def test_the_section_list_is_the_pages():
    import ui.plays

    assert list(SECTIONS) == list(ui.plays.SECTIONS)


@pytest.mark.parametrize("section", list(SECTIONS))
def test_every_section_renders_with_content(plays_url, section):
    at = run(section=section, inputs=SECTION_INPUTS.get(section))
    assert [s.value for s in at.subheader] == SECTIONS[section]
    charts = at.get("vega_lite_chart")
    assert all(chart_rows(c) > 0 for c in charts)
    assert [vega_lite_errors(c) for c in charts] == [[]] * len(charts)
    static = html_tables(at)                 # ranked lists drawn as HTML (ui.tables.show_list)
    assert len(charts) + len(at.dataframe) + len(static) + len(list_blocks(at)) > 0   # lists: On this day
    assert all(len(d.value) > 0 for d in at.dataframe) and all(len(t) > 0 for t in static)
    assert len(at.download_button) == len(at.dataframe) + len(static)
    assert "None." not in captions(at) or section == "Two periods"
    assert not at.warning


def test_headline_numbers_match_pandas(plays_url, plays):
    at = run({"from": "2024-03-15", "to": "2026-09-10", "tz": "Europe/Berlin"})
    assert plays_metric(at) == counted(plays, "Europe/Berlin", D(2024, 3, 15), D(2026, 9, 10))
    df = data.local(plays, "Europe/Berlin")
    df = df[(df["kind"] == "music") & (df["day"] >= D(2024, 3, 15)) & (df["day"] <= D(2026, 9, 10))]
    assert metric(at, "Artists") == f"{df[df['ms_played'] >= 30000]['artist'].nunique():,}"
    assert metric(at, "Skip rate") == f"{df['is_skip'].sum() / df['known'].sum():.0%}"


def test_changing_the_time_zone_moves_plays_between_days(plays_url, plays):
    day = D(2024, 4, 10)            # Kolkata's midnight falls between two edge plays, at 18:30 UTC
    at = run({"from": str(day), "to": str(day), "tz": "UTC"})
    in_utc = plays_metric(at)
    at.selectbox(key="plays_tz").set_value("Asia/Kolkata").run()
    in_kolkata = plays_metric(at)
    assert in_utc == counted(plays, "UTC", day, day) == 2
    assert in_kolkata == counted(plays, "Asia/Kolkata", day, day) == 1
    assert at.query_params["tz"] == "Asia/Kolkata"
    at.selectbox(key="plays_tz").set_value("Europe/Berlin").run()
    assert plays_metric(at) == counted(plays, "Europe/Berlin", day, day)


def test_half_hour_zone_says_it_reads_quarter_hours(plays_url, plays):
    at = run({"tz": "Asia/Kolkata", "from": "2024-04-10", "to": "2024-04-10", "min_s": "0"})
    assert "15-minute rollups" in captions(at)
    assert plays_metric(at) == counted(plays, "Asia/Kolkata", D(2024, 4, 10), D(2024, 4, 10), min_seconds=0)


def test_time_zone_defaults_to_the_tz_variable_when_the_browser_says_nothing(plays_url, monkeypatch):
    monkeypatch.setenv("TZ", ":America/New_York")
    at = run()
    assert at.query_params["tz"] == "America/New_York"
    assert "hourly rollups" in captions(at)


@pytest.mark.parametrize("min_seconds", [0, 10, 60])
def test_changing_what_counts_as_a_play_changes_the_plays(plays_url, plays, min_seconds):
    at = run({"from": "2024-01-01", "to": "2026-12-31"})
    last = data.local(plays, "UTC")["day"].max()
    default = plays_metric(at)
    at.selectbox(key="plays_min_s").set_value(min_seconds).run()
    assert plays_metric(at) == counted(plays, "UTC", D(2024, 1, 1), last, min_seconds=min_seconds) != default
    assert at.query_params["min_s"] == str(min_seconds)


def test_changing_the_date_range_changes_the_numbers(plays_url, plays):
    at = run()
    before = plays_metric(at)
    at.date_input(key="plays_dates").set_value((D(2026, 9, 1), D(2026, 9, 30))).run()
    assert plays_metric(at) == counted(plays, "UTC", D(2026, 9, 1), D(2026, 9, 30)) != before
    assert (at.query_params["from"], at.query_params["to"]) == ("2026-09-01", "2026-09-30")


def test_kind_selector_keeps_podcasts_out_of_music(plays_url, plays):
    at = run({"from": "2024-01-01", "to": "2026-12-31"}, section="Top lists", inputs={"plays_level": "artist"})
    shows = set(plays[plays["kind"] == "podcast"]["artist"])
    music_artists = set(html_tables(at)[0]["Artist"])
    assert music_artists and not music_artists & shows
    at.segmented_control(key="plays_kind").set_value("podcast").run()
    assert set(html_tables(at)[0]["Show"]) <= shows
    assert "artists are shows" in captions(at)


def test_top_list_follows_level_and_order(plays_url, plays):
    at = run({"from": "2024-01-01", "to": "2026-12-31", "tz": "UTC"}, section="Top lists")
    assert not at.dataframe, "a ranked list is one HTML table, not the data grid"
    tracks = html_tables(at)[0]
    df = plays[(plays["kind"] == "music") & (plays["ms_played"] >= 30000)]
    assert shown_number(tracks.iloc[0]["Plays"]) == df.groupby(["artist", "track"]).size().max()
    ranks = [int(r) for r in tracks["Rank"]]
    assert ranks[0] == 1 and ranks == sorted(ranks) and len(tracks) == 25       # ties share a rank
    at.segmented_control(key="plays_level").set_value("album").run()
    at.segmented_control(key="plays_order").set_value("minutes").run()
    albums = html_tables(at)[0]
    minutes = plays[plays["kind"] == "music"].groupby(["artist", "album"])["ms_played"].sum() / 60000
    assert shown_number(albums.iloc[0]["Minutes"]) == pytest.approx(minutes.max(), abs=0.5)  # whole minutes
    assert list(albums.columns[:3]) == ["Rank", "Album", "Artist"]
    assert "Kind" not in albums.columns                      # music chosen: no column repeating it
    at.segmented_control(key="plays_kind").set_value("all").run()
    assert "Kind" in html_tables(at)[0].columns


def test_first_and_last_listen_shows_the_chosen_artist(plays_url, plays):
    at = run({"from": "2024-01-01", "to": "2026-12-31"}, section="Discovery")
    assert "plays_first_artist" not in [b.key for b in at.selectbox]          # a lookup, one click away
    assert not at.dataframe                                                  # (FIRST_LAST_NOTE)
    assert [e.label for e in at.expander] == ["Data", "First and last listen"]
    at = open_data(at)
    artist = at.selectbox(key="plays_first_artist").options[1]
    at.selectbox(key="plays_first_artist").set_value(artist).run()
    tracks = at.dataframe[-1].value
    mine = plays[(plays["artist"] == artist) & (plays["kind"] == "music") & (plays["ms_played"] >= 30000)]
    assert set(tracks["name"]) == set(mine["track"])
    assert any(f"of {view.count_text(len(tracks), 'track')}, " in m.value for m in at.markdown)
    assert any(artist in m.value for m in at.markdown)
    other = at.selectbox(key="plays_first_artist").options[2]
    at.selectbox(key="plays_first_artist").set_value(other).run()
    assert at.dataframe, "another artist: the opened expander stays open"
    assert set(at.dataframe[-1].value["name"]) == set(plays.loc[(plays["artist"] == other) & (plays["kind"] == "music")
                                                                & (plays["ms_played"] >= 30000), "track"])


def test_first_and_last_listen_says_when_its_rows_were_cut(plays_url, monkeypatch):
    """The query asks for one row more than the section shows: with more tracks than that, the line
    says "N tracks+" and the opened list says it is cut."""
    from ui.plays import discovery

    monkeypatch.setattr(discovery, "TABLE_ROWS", 2)               # the artist's row and one track
    at = open_data(run({"from": "2024-01-01", "to": "2026-12-31"}, section="Discovery"))
    at.selectbox(key="plays_first_artist").set_value(at.selectbox(key="plays_first_artist").options[1]).run()
    assert any(" of 1 track+, " in m.value for m in at.markdown)
    assert "Showing the first 2 rows" in captions(at)


def test_first_and_last_listen_finds_an_artist_by_typed_name(plays_url, plays, monkeypatch):
    """The picker lists only the most played; any other artist is typed, case and accents aside."""
    import unicodedata

    from ui.plays import discovery

    monkeypatch.setattr(discovery, "ARTIST_CHOICES", 2)
    params = {"from": "2024-01-01", "to": "2026-12-31"}
    opened = {"data-plays_first_last": True}
    listed = run(params, section="Discovery", inputs=opened).selectbox(key="plays_first_artist").options
    music = plays[(plays["kind"] == "music") & (plays["ms_played"] >= 30000)]
    unlisted = [a for a in music["artist"].value_counts().index if a not in listed and a.strip()]
    accented = [a for a in unlisted if unicodedata.normalize("NFKD", a) != a]
    artist = (accented or unlisted)[0]
    typed = "  " + "".join(c for c in unicodedata.normalize("NFKD", artist) if not unicodedata.combining(c)).upper()
    at = run(params, section="Discovery", inputs={"plays_first_artist": typed, **opened})
    assert not at.exception
    assert set(at.dataframe[-1].value["name"]) == set(music.loc[music["artist"] == artist, "track"])
    assert any(artist in m.value for m in at.markdown), "the line names the artist as the export spells it"

    at = run(params, section="Discovery", inputs={"plays_first_artist": None, **opened})     # the box emptied
    assert not at.exception and any(c.value == "Pick a name, or type one." for c in at.caption)

    for nobody in ("no such artist ever", "x" * 5000, "a\x00b"):
        at = run(params, section="Discovery", inputs={"plays_first_artist": nobody, **opened})
        assert not at.exception
        assert any(c.value.startswith("No artist with a play is called") for c in at.caption)
        assert all(len(c.value) < 1000 for c in at.caption)


def test_year_in_review_runs_to_31_december(plays_url, plays):
    at = run(section="Year in review", inputs={"plays_review_year": 2024})
    assert "1 January to 31 December 2024" in captions(at)
    assert plays_metric(at, -1) == counted(plays, "UTC", D(2024, 1, 1), D(2024, 12, 31))
    assert plays_metric(at, 0) != plays_metric(at, -1)       # the headline keeps the page's dates


@pytest.mark.parametrize("tz", ["UTC", "America/New_York"])
def test_year_in_review_months_wait_closed_then_add_up_to_the_years_plays(plays_url, plays, tz):
    """The Month by month chart is not sent until its expander opens; opened, its months are the local
    year's (pandas, two zones, New York across DST) and their plays add up to the year's."""
    at = run({"tz": tz}, section="Year in review", inputs={"plays_review_year": 2025})
    assert len(at.get("vega_lite_chart")) == 1                        # the calendar only
    at = open_data(at)
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2
    months = next(pa.ipc.open_stream(ds.data.data).read_all().to_pandas() for ds in charts[1].proto.datasets)
    df = data.local(plays, tz)
    df = df[(df["kind"] == "music") & (df["ms_played"] >= 30_000) & (df["local"].dt.year == 2025)]
    expected = df.groupby(df["local"].dt.month).size()
    got = months[months["plays"] > 0]
    assert sorted(pd.to_datetime(got["period"]).dt.month.tolist()) == sorted(expected.index.tolist())
    assert int(got["plays"].sum()) == int(expected.sum()) == plays_metric(at, -1)


@pytest.mark.parametrize("tz", ["UTC", "America/New_York"])
def test_year_in_review_top_five_are_the_years_most_played(plays_url, plays, tz):
    """Each "Top ..." list is the year's five most played (streams of 30 s or more, local year, music),
    numbered by rank with its plays; checked against pandas in two zones (New York crosses DST)."""
    at = run({"tz": tz}, section="Year in review", inputs={"plays_review_year": 2025})
    df = data.local(plays, tz)
    df = df[(df["kind"] == "music") & (df["ms_played"] >= 30_000) & (df["local"].dt.year == 2025)]
    lines = list_blocks(at)                      # each "Top ..." title with its lines
    for title, column in (("Top artists", "artist"), ("Top tracks", "track"), ("Top albums", "album")):
        counts = df.groupby(column).size().sort_values(ascending=False) if column == "artist" else \
            df.groupby([column, "artist"]).size().sort_values(ascending=False)
        shown = lines[title]
        assert 1 <= len(shown) <= 5
        plays_shown = [int(re.search(r"· ([\d,]+) plays?$", line).group(1).replace(",", "")) for line in shown]
        assert plays_shown == sorted(plays_shown, reverse=True)
        assert plays_shown == [int(n) for n in counts.iloc[:len(shown)]], title
        assert int(re.match(r"(\d+)\. ", shown[0]).group(1)) == 1


def test_year_in_review_keeps_tied_ranks():
    from ui.plays.year_in_review import top_five

    top = pd.DataFrame({"rank": [1, 2, 2, 4], "label": ["A", "B *b*", "C", "D"], "plays": [9, 5, 5, 1]})
    assert top_five(top) == ["1. A · 9 plays", "2. B *b* · 5 plays", "2. C · 5 plays", "4. D · 1 play"]


def test_link_settings_are_used(plays_url):
    at = run({"tz": "asia/kolkata", "from": "2026-09-01", "to": "2026-09-30", "kind": "all", "min_s": "0",
              "section": "Skips"})
    assert at.selectbox(key="plays_tz").value == "Asia/Kolkata"
    assert at.date_input(key="plays_dates").value == (D(2026, 9, 1), D(2026, 9, 30))
    assert at.segmented_control(key="plays_kind").value == "all" and at.selectbox(key="plays_min_s").value == 0
    assert [s.value for s in at.subheader] == SECTIONS["Skips"]
    assert not at.warning


@pytest.mark.parametrize("key", ["tz", "from", "to", "kind", "min_s", "section"])
@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_link_values_fall_back_to_defaults(plays_url, key, value):
    at = run({key: value})
    assert figures(at), "the page still shows its numbers"
    params = dict(at.query_params)
    assert params["kind"] in ("music", "podcast", "audiobook", "all") and params["min_s"] in ("0", "10", "30", "60")
    assert params["tz"] == "UTC"
    if key not in ("section",):
        assert at.warning and "could not be used" in at.warning[0].value
    else:                                               # an unknown section opens the first
        assert at.segmented_control(key="section").value == "Over time"
        assert [h.value for h in at.subheader] == SECTIONS["Over time"]


# ---------------------------------------------------------------------------------------------
# ui/plays_view: the settings' rules and the chart frames, without Streamlit


ZONES = ["America/New_York", "Asia/Kolkata", "Europe/Berlin", "UTC"]


@pytest.mark.parametrize("browser, env, want", [
    ("Europe/Berlin", "Asia/Kolkata", ("Europe/Berlin", "your browser")),
    (None, ":Asia/Kolkata", ("Asia/Kolkata", "the server's TZ setting")),
    ("Mars/Olympus_Mons", "asia/kolkata", ("Asia/Kolkata", "the server's TZ setting")),
    (None, "/etc/localtime", ("UTC", "the default")),
    ("", None, ("UTC", "the default")),
])
def test_default_zone_is_the_browsers_then_tz_then_utc(browser, env, want):
    assert view.default_zone(browser, env, ZONES) == want


@pytest.mark.parametrize("text", HOSTILE + [None, 42, "Europe/Berlin" * 20])
def test_zone_from_a_link_is_a_known_name_or_nothing(text):
    assert view.match_zone(text, ZONES) in (None, *ZONES)


def test_zone_names_match_without_case():
    assert view.parse_zone("europe/BERLIN", ZONES) == ("Europe/Berlin", None)
    assert view.parse_zone("Europe/Paris", ZONES) == (None, "unknown time zone")


@pytest.mark.parametrize("text, want", [("30", 30), (" 0 ", 0), ("60", 60), ("45", 30), ("-1", 30), ("3e1", 30),
                                        ("", 30), ("x", 30)])
def test_threshold_from_a_link_is_one_of_the_choices(text, want):
    assert view.parse_choice(text, view.THRESHOLDS, view.DEFAULT_THRESHOLD, int)[0] == want


def test_week_grid_has_every_weekday_and_hour_with_zeros_where_nothing_played():
    grid = view.full_week_grid(pd.DataFrame({"weekday": [1, 7], "hour": [0, 23], "minutes": [5.0, 2.5],
                                             "plays": [1, 1]}))
    assert len(grid) == 7 * 24 and grid["minutes"].sum() == 7.5
    assert grid.set_index(["day", "hour"]).at[("Sun", 23), "minutes"] == 2.5


def test_calendar_frame_holds_every_day_of_the_year_in_monday_weeks():
    frame = view.calendar_frame(pd.DataFrame({"period": [D(2024, 2, 29)], "minutes": [10.0], "plays": [3]}), 2024)
    assert len(frame) == 366 and frame["minutes"].sum() == 10
    monday = frame[frame["date"] == pd.Timestamp(2024, 1, 1)].iloc[0]        # 1 January 2024 was a Monday
    assert (monday.week, monday.day) == (0, "Mon")
    assert frame[frame["date"] == pd.Timestamp(2024, 1, 8)].iloc[0].week == 1


def test_year_months_chart_shows_all_twelve_months():
    chart = view.year_months_chart(pd.DataFrame({"period": [D(2024, 3, 1)], "minutes": [60.0], "plays": [2]}), 2024)
    assert len(chart.data) == 12 and chart.data["minutes"].sum() == 60


@pytest.mark.parametrize("chart", [
    lambda: view.timeline_chart(pd.DataFrame({"period": [D(2024, 3, 1)], "minutes": [60.0], "plays": [2],
                                              "streams": [2], "skips": [0]}), "month"),
    lambda: view.new_artists_chart(pd.DataFrame({"month": [D(2024, 3, 1)], "new_artists": [4]}))])
def test_period_bars_rise_from_zero_to_their_value(chart):
    """Bars spanning a period (x to x2) need y2 at zero: without it Vega-Lite draws a thin tick at y."""
    spec = chart().to_dict()
    assert spec["encoding"]["y2"] == {"datum": 0} and "x2" in spec["encoding"]


@pytest.mark.parametrize("code, want", [("DE", "🇩🇪 DE"), ("zz", "zz"), ("ZZ", "ZZ"), (None, view.UNKNOWN),
                                        ("", view.UNKNOWN), ("D€", "D€"), ("DEU", "DEU")])
def test_country_codes_get_flags_and_odd_codes_stay_as_they_are(code, want):
    assert view.flag(code) == want


@pytest.mark.parametrize("zone, want", [("Pacific/Kiritimati", D(2026, 1, 2)), ("Pacific/Pago_Pago", D(2026, 1, 1)),
                                        ("Not/AZone", D(2026, 1, 1)), ("posix/../../etc", D(2026, 1, 1))])
def test_today_is_the_zones_date(zone, want):
    assert view.today_in(zone, dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)) == want


def test_threshold_text_says_what_counts():
    assert view.threshold_text(0) == "every stream counts as a play, however short"
    assert "30 seconds or more" in view.threshold_text(30) and "1 minute or more" in view.threshold_text(60)


def test_on_this_day_says_each_years_plays_and_every_streams_minutes(plays_url, plays):
    """1 June 2024 holds a 30 s play and two shorter streams: one play, and the minutes of all three."""
    at = run({"tz": "Europe/Berlin"}, section="On this day", inputs={"plays_on_day": D(2026, 6, 1)})
    df = data.local(plays, "Europe/Berlin")
    df = df[(df["kind"] == "music") & (df["day"] == D(2024, 6, 1))]
    minutes = df["ms_played"].sum() / 60000
    blocks = list_blocks(at)
    assert f"2024 · 1 play, {minutes:,.0f} min" in blocks
    assert "Minutes count every stream" in captions(at)
    assert not at.dataframe                      # every track waits in its expander, unbuilt
    table = open_data(at).dataframe[0].value
    assert table["plays"].tolist() == [1] and table["minutes"].sum() < minutes


@pytest.mark.parametrize("section", list(SECTIONS))
def test_expander_labels_stay_the_same_when_the_kind_changes(plays_url, section):
    """An expander whose label changes is a new one to the browser, closed: an opened list would
    close itself on a change of kind. So each expander's label is the same whatever the kind."""
    def labels(kind: str) -> dict:
        at = run({"tz": "UTC", "kind": kind}, section=section, inputs=SECTION_INPUTS.get(section))
        assert not at.exception
        return {e.key: e.label for e in open_data(at).expander if e.key}

    music, every = labels("music"), labels("all")
    shared = music.keys() & every.keys()
    assert {key: music[key] for key in shared} == {key: every[key] for key in shared}


def test_on_this_day_is_today_until_another_day_is_picked_in_its_popover(plays_url):
    """The day's picker waits in a popover labelled with the day: today in the chosen zone at first."""
    at = run({"tz": "Pacific/Kiritimati"}, section="On this day")
    today = view.today_in("Pacific/Kiritimati")
    assert at.date_input(key="plays_on_day").value == today
    assert f"{today.day} {today:%B %Y}" in popover_labels(at)
    at.date_input(key="plays_on_day").set_value(D(2026, 6, 1)).run()
    assert not at.exception
    assert "1 June 2026" in popover_labels(at)
    at.date_input(key="plays_on_day").set_value(None).run()         # the picker emptied: today again
    assert not at.exception
    assert "Pick a day" in popover_labels(at)
    assert f"Nothing played on {today:%d %B} in earlier years." in captions(at) or list_blocks(at)


def test_sessions_say_what_length_and_played_mean_and_played_never_exceeds_length(plays_url):
    at = run({"tz": "Europe/Berlin", "from": "2024-01-01", "to": "2026-11-23"}, section="Sessions & streaks")
    assert "never more than Length" in captions(at) and "consecutive days" in captions(at)
    shown = [label for label, _, _ in figure_list(at)]
    assert {"Sessions", "Median length", "Longest session", "Longest streak"} <= set(shown)   # one row for both
    assert not at.dataframe                      # the lists wait in their expander, unbuilt
    opened = open_data(at).dataframe
    assert len(opened) == 2                      # the longest sessions, then the longest streaks
    longest = opened[0].value
    assert len(longest) > 0 and (longest["minutes_played"] <= longest["minutes"] + 1e-9).all()
    assert "days" in opened[1].value.columns


def test_calendar_year_and_measure_wait_in_a_popover_that_says_them(plays_url):
    """Calendar's options (OPTIONS_NOTE): the popover's label says the year and the measure, and
    follows them when they change inside it; the measure is the one the other chart sections share."""
    at = run({"tz": "UTC", "from": "2024-01-01", "to": "2025-06-30"}, section="Calendar")
    assert "2025 · minutes" in popover_labels(at)
    at.selectbox(key="plays_calendar_year").set_value(2024).run()
    at.segmented_control(key="plays_calendar_measure").set_value("plays").run()
    assert not at.exception
    assert "2024 · plays" in popover_labels(at)
    assert "with a stream in 2024" in captions(at)
    at.session_state["section"] = "Over time"
    at.run()
    assert at.segmented_control(key="plays_measure").value == "plays"


def test_calendar_year_outside_the_data_falls_back_to_the_dates_year(plays_url):
    """A remembered year the data no longer has (another import, another time zone's first day) is
    not offered: the calendar shows the dates' last year, and the popover says it."""
    at = run({"tz": "UTC", "from": "2024-01-01", "to": "2025-06-30"}, section="Calendar",
             inputs={"plays_calendar_year": 1999})
    assert not at.exception
    assert at.selectbox(key="plays_calendar_year").value == 2025
    assert "2025 · minutes" in popover_labels(at)


def test_year_in_review_year_waits_in_a_popover_that_says_it(plays_url):
    """Year in review's year (OPTIONS_NOTE): the popover's label says it and follows it; a remembered
    year the data does not have falls back to the last year with a play."""
    at = run({"tz": "UTC"}, section="Year in review", inputs={"plays_review_year": 1999})
    assert not at.exception
    box = at.selectbox(key="plays_review_year")
    assert str(box.value) == max(box.options, key=int) and str(box.value) in popover_labels(at)
    at.selectbox(key="plays_review_year").set_value(2024).run()
    assert not at.exception
    assert "2024" in popover_labels(at)
    assert "1 January to 31 December 2024" in captions(at)


def test_skips_charts_draw_their_own_titles(plays_url):
    at = run({"tz": "UTC"}, section="Skips")
    titles = [json.loads(c.proto.spec).get("title", {}).get("text") for c in at.get("vega_lite_chart")]
    assert titles == ["By hour of day", "By platform"]


def test_new_artists_chart_draws_one_month_as_one_month_of_the_range_with_whole_counts():
    """One new artist in one month of a year's range: a bar one month wide among twelve, a Month
    axis labelled with months, a count axis of whole numbers."""
    df = pd.DataFrame({"month": [D(2026, 3, 1)], "new_artists": [1], "first_ones": ["Björk"]})
    spec = view.new_artists_chart(df, D(2025, 11, 16), D(2026, 11, 15)).to_dict()
    x, y = spec["encoding"]["x"], spec["encoding"]["y"]
    assert (y["axis"]["format"], y["axis"]["tickMinStep"]) == (",d", 1)
    assert x["axis"]["format"] == "%b %Y" and x["axis"]["tickCount"] == {"interval": "month", "step": 1}
    assert [(d["year"], d["month"]) for d in x["scale"]["domain"]] == [(2025, 11), (2026, 12)]


def _count_axes(spec: dict) -> list[dict]:
    """The axes and legends of a spec's count fields (plays, sessions, new artists, tracks, rank)."""
    out = []
    for layer in spec.get("layer", []):
        out += _count_axes(layer)
    for channel in ("x", "y", "color"):
        enc = spec.get("encoding", {}).get(channel, {})
        enc = enc.get("condition", enc) if "field" not in enc else enc      # a conditional colour
        if enc.get("field") in ("plays", "sessions", "new_artists", "tracks", "rank") and enc.get("type") == "quantitative":
            out.append(enc.get("axis") or enc.get("legend") or {})
    return out


PLAYS_ROWS = pd.DataFrame({"period": [D(2026, 1, 1)], "minutes": [3.0], "plays": [1], "streams": [1], "skips": [0]})
TOP_ROWS = pd.DataFrame({"rank": [1], "name": ["Song"], "artist": ["Band"], "kind": ["music"], "plays": [1],
                         "minutes": [3.0], "streams": [1], "skips": [0], "skip_rate": [0.0]})


@pytest.mark.parametrize("build", [
    lambda: view.timeline_chart(PLAYS_ROWS, "day", "plays"),
    lambda: view.timeline_chart(PLAYS_ROWS, "month", "plays"),
    lambda: view.year_months_chart(PLAYS_ROWS, 2026, "plays"),
    lambda: view.heatmap_chart(pd.DataFrame({"weekday": [1], "hour": [0], "minutes": [3.0], "plays": [1]}), "plays"),
    lambda: view.calendar_chart(PLAYS_ROWS, 2026, "plays"),
    lambda: view.platforms_chart(pd.DataFrame({"family": ["Linux"], "plays": [1], "minutes": [3.0], "streams": [1],
                                               "skips": [0], "skip_known": [1], "skip_rate": [0.0], "platforms": [1],
                                               "most_used": ["linux"]})),
    lambda: view.countries_chart(TOP_ROWS.assign(name=["DE"])),
    lambda: view.session_lengths_chart(pd.DataFrame({"band": [1], "label": ["under 15 min"], "sessions": [1]})),
    lambda: view.new_artists_chart(pd.DataFrame({"month": [D(2026, 3, 1)], "new_artists": [1], "first_ones": ["A"]})),
], ids=["timeline-day", "timeline-month", "year-months", "heatmap", "calendar", "platforms", "countries",
        "session-lengths", "new-artists"])
def test_every_count_axis_of_the_plays_page_shows_whole_numbers(build):
    axes = _count_axes(build().to_dict())
    assert axes and all((a.get("format"), a.get("tickMinStep")) == (",d", 1) for a in axes), axes


def test_month_timeline_labels_months():
    spec = view.timeline_chart(PLAYS_ROWS, "month", "minutes").to_dict()
    assert spec["encoding"]["x"]["axis"]["format"] == "%b %Y"


@pytest.mark.parametrize("n, want", [(0, "0 new artists"), (1, "1 new artist"), (2, "2 new artists"),
                                     (1234, "1,234 new artists")])
def test_counts_are_said_with_their_plural(n, want):
    assert view.count_text(n, "new artist") == want


@pytest.mark.parametrize("tz", ["UTC", "America/New_York"])
def test_two_periods_count_new_and_dropped_artists_in_their_expanders_like_pandas(plays_url, plays, tz):
    """The caption says how many artists are new in B and dropped in B (a play of 30 s or more, music,
    each period's local days); opened, each expander lists as many as it counts (up to 50), and stays
    open when the comparison changes (its label is fixed)."""
    at = run({"tz": tz, "from": "2025-06-01", "to": "2025-12-31"}, section="Two periods",
             inputs={"plays_compare_with": "year"})          # the second half of 2025 against 2024's
    assert "A: 2024-06-01 to 2024-12-31 · B: 2025-06-01 to 2025-12-31" in captions(at)
    df = data.local(plays, tz)
    df = df[(df["kind"] == "music") & (df["ms_played"] >= 30000)]
    a = set(df[(df["day"] >= D(2024, 6, 1)) & (df["day"] <= D(2024, 12, 31))]["artist"])
    b = set(df[(df["day"] >= D(2025, 6, 1)) & (df["day"] <= D(2025, 12, 31))]["artist"])
    new, dropped = len(b - a), len(a - b)
    assert (f"New in B: {view.count_text(new, 'artist')}; dropped in B: {view.count_text(dropped, 'artist')}."
            in captions(at))
    assert not at.dataframe[1:]                       # only the comparison is built until one is opened
    at = open_data(at)
    listed = {e.label: e for e in at.expander}
    for label, expected in (("New in B", b - a), ("Dropped in B", a - b)):
        shown = listed[label].dataframe
        if expected:
            assert set(shown[0].value["name"]) <= expected and len(shown[0].value) == min(len(expected), 50)
        else:
            assert not shown
    at.segmented_control(key="plays_compare_level").set_value("track").run()
    assert at.session_state["data-plays_new"] and at.session_state["data-plays_dropped"]


@pytest.mark.parametrize("tz", ["UTC", "America/New_York"])
def test_two_periods_table_ranks_the_artists_of_both_periods_like_pandas(plays_url, plays, tz):
    """The comparison (one HTML table, ui.tables.show_list): every artist in the top 20 of A or B by
    plays (30 s or more, music, local days), ranked by plays in B, with its plays in each period."""
    at = run({"tz": tz, "from": "2025-06-01", "to": "2025-12-31"}, section="Two periods",
             inputs={"plays_compare_with": "year"})
    df = data.local(plays, tz)
    df = df[(df["kind"] == "music") & (df["ms_played"] >= 30000)]
    a = df[(df["day"] >= D(2024, 6, 1)) & (df["day"] <= D(2024, 12, 31))]["artist"].value_counts()
    b = df[(df["day"] >= D(2025, 6, 1)) & (df["day"] <= D(2025, 12, 31))]["artist"].value_counts()
    rank_a, rank_b = a.rank(method="min", ascending=False), b.rank(method="min", ascending=False)
    expected = set(rank_a[rank_a <= 20].index) | set(rank_b[rank_b <= 20].index)
    [table] = html_tables(at)
    assert list(table.columns[:5]) == ["Rank in B", "Rank in A", "Artist", "Plays in B", "Plays in A"]
    assert set(table["Artist"]) == expected and not at.dataframe
    for row in table.itertuples(index=False):
        assert row[3] == (f"{b[row[2]]:,}" if row[2] in b else "0") and row[4] == (f"{a[row[2]]:,}" if row[2] in a else "0")
        assert row[0] == (f"{int(rank_b[row[2]]):,}" if row[2] in b else "")
    ranks_b = [int(r.replace(",", "")) for r in table["Rank in B"] if r]
    assert ranks_b == sorted(ranks_b) and ranks_b[0] == 1


@pytest.mark.parametrize("tz, day", [("Europe/Berlin", D(2026, 3, 31)), ("Europe/Berlin", D(2026, 10, 27)),
                                     ("America/New_York", D(2026, 10, 26)), ("America/New_York", D(2026, 6, 1))])
def test_on_this_day_lists_each_years_most_played_tracks_like_pandas(plays_url, plays, tz, day):
    """A list per earlier year with a play that day (local days, across daylight-saving days), newest
    first: its title the day's plays (30 s or more, music) and minutes (every stream), its lines the
    five most played tracks of the day, ties by the first play of the day."""
    at = run({"tz": tz}, section="On this day", inputs={"plays_on_day": day})
    df = data.local(plays, tz)
    df = df[(df["kind"] == "music") & (df["local"].dt.month == day.month) & (df["local"].dt.day == day.day)
            & (df["local"].dt.year < day.year)]
    df = df.assign(year=df["local"].dt.year, counted=df["ms_played"] >= 30000)
    expected = {}
    for year, rows in sorted(df.groupby("year"), key=lambda kv: -kv[0]):
        if not rows["counted"].any():
            continue
        played = rows[rows["counted"]]
        per_track = played.groupby(["track", "artist"]).agg(plays=("counted", "sum"), first=("local", "min"))
        top = per_track.reset_index().sort_values(["plays", "first"], ascending=[False, True]).head(5)
        title = (f"{year} · {view.count_text(rows['counted'].sum(), 'play')}, "
                 f"{view.hours_text(rows['ms_played'].sum() / 60000)}")
        expected[title] = [f"{view.label(r.track, r.artist)} · {view.count_text(r.plays, 'play')}"
                           for r in top.itertuples()]
    assert expected, "the day must have plays in an earlier year"
    assert list_blocks(at) == expected
    assert list(expected) == sorted(expected, reverse=True)          # newest year first
    assert not at.dataframe and not at.exception


def test_query_rows_says_a_result_was_cut_only_when_rows_were_left_out(plays_url):
    """cached.query_rows asks for one row more than it keeps: a result of exactly `rows` rows is
    whole, one with more is cut to `rows` and says so."""
    from db import queries
    from ui import cached

    params = {**{k: v for k, v in queries.get("plays_top").example.items() if k != "limit"},
              "level": "track", "since": "2020-01-01", "until": "2026-12-31"}
    every = cached.query_rows("plays_top", 10_000, **params)
    n = len(every.df)
    assert n > 2 and not every.truncated
    exact = cached.query_rows("plays_top", n, **params)
    assert len(exact.df) == n and not exact.truncated
    cut = cached.query_rows("plays_top", n - 1, **params)
    assert len(cut.df) == n - 1 and cut.truncated
    assert cut.df.equals(every.df.head(n - 1))


def test_on_this_day_says_when_its_rows_were_cut(plays_url, monkeypatch):
    """The lists come from the query's first rows (newest year first): a cut leaves out the oldest
    years, and the section says so beside the lists, not only in the expander."""
    from ui.plays import on_this_day

    monkeypatch.setattr(on_this_day, "TABLE_ROWS", 1)
    at = run({"tz": "Europe/Berlin"}, section="On this day", inputs={"plays_on_day": D(2026, 10, 27)})
    assert "Showing the first 1 rows" in captions(at)
    assert sum(len(lines) for lines in list_blocks(at).values()) == 1


def test_forgotten_gems_list_the_most_played_tracks_absent_lately_like_pandas(plays_url, plays):
    """One HTML table (most played first), 25 rows until "How many" says otherwise: tracks with at
    least the chosen plays (30 s or more, music) and no stream at all in the days before the newest."""
    at = run({"tz": "UTC"}, section="Forgotten gems", inputs={"plays_gems_days": 30, "plays_gems_min": 2})
    df = plays[plays["kind"] == "music"]
    newest = plays["ended_at"].max()
    counted = df[df["ms_played"] >= 30000].groupby(["track", "artist"]).size()
    last = df.groupby(["track", "artist"])["ended_at"].max()
    gems = counted[(counted >= 2) & (last.reindex(counted.index) < newest - pd.Timedelta(days=30))]
    assert len(gems) > 0
    [table] = html_tables(at)
    assert not at.dataframe
    assert len(table) == min(25, len(gems))
    shown = [int(v.replace(",", "")) for v in table["Plays"]]
    assert shown == sorted(gems.tolist(), reverse=True)[:len(table)]
    for row in table.itertuples(index=False):
        assert gems[(row[0], row[1])] == int(row[2].replace(",", ""))
    at.number_input(key="plays_gems_n").set_value(5).run()
    assert len(html_tables(at)[0]) == min(5, len(gems)) and "top 5" in " ".join(popover_labels(at))


def test_two_periods_compare_the_pages_dates_with_the_period_before_unless_told_otherwise(plays_url):
    """B is the page's dates; A is the period of the same length before them, or the same dates a
    year earlier, or dates picked (the only time the section shows a date picker of its own)."""
    at = run({"tz": "UTC", "from": "2025-03-01", "to": "2025-03-31"}, section="Two periods")
    assert "A: 2025-01-29 to 2025-02-28 · B: 2025-03-01 to 2025-03-31" in captions(at)
    assert [d.key for d in at.date_input] == ["plays_dates"]
    at.selectbox(key="plays_compare_with").set_value("year").run()      # the data start on 2024-03-10
    assert "A: 2024-03-10 to 2024-03-31 · B: 2025-03-01 to 2025-03-31" in captions(at)
    at.selectbox(key="plays_compare_with").set_value("custom").run()
    assert [d.key for d in at.date_input] == ["plays_dates", "plays_period_a"]
    at.date_input(key="plays_period_a").set_value((D(2024, 7, 1), D(2024, 7, 10))).run()
    assert "A: 2024-07-01 to 2024-07-10 · B: 2025-03-01 to 2025-03-31" in captions(at)
    assert not at.exception


def test_a_year_earlier_keeps_the_dates_and_moves_29_february_to_the_28th():
    assert view.year_earlier(D(2025, 3, 1), D(2025, 3, 31)) == (D(2024, 3, 1), D(2024, 3, 31))
    assert view.year_earlier(D(2024, 2, 29), D(2024, 12, 31)) == (D(2023, 2, 28), D(2023, 12, 31))
    assert view.year_earlier(D(2023, 1, 1), D(2024, 2, 29)) == (D(2022, 1, 1), D(2023, 2, 28))
