"""The URL filter rules (ui/filters.py parse_* functions): garbage falls back to defaults with a reason."""
from __future__ import annotations

import datetime as dt

import pytest

from ui import filters

D = dt.date
FIRST, LAST = D(2024, 1, 1), D(2025, 12, 31)


@pytest.mark.parametrize("since, until, expected", [
    (None, None, (FIRST, LAST)),
    ("2024-03-01", "2024-06-30", (D(2024, 3, 1), D(2024, 6, 30))),
    ("2024-03-01", None, (D(2024, 3, 1), LAST)),
    (" 2024-03-01 ", "2024-06-30", (D(2024, 3, 1), D(2024, 6, 30))),
    ("2020-01-01", "2030-01-01", (FIRST, LAST)),          # clamped to the data
    ("2023-01-01", "2024-02-01", (FIRST, D(2024, 2, 1))),
])
def test_date_range_from_the_link_is_used_and_clamped_to_the_data(since, until, expected):
    assert filters.parse_date_range(since, until, FIRST, LAST) == (expected, None)


@pytest.mark.parametrize("since, until", [
    ("garbage", "2024-06-30"), ("2024-13-45", None), (None, "2024-02-30"), ("24-1-1", None),
    ("2024-01-01'; drop table snapshots; --", None), ("9" * 5000, None), ("", None), ("\x00", None),
    ("2024-06-30", "2024-03-01"),                         # from after to
    ("2030-01-01", "2031-01-01"),                         # entirely after the data
    ("١٢٣٤-٠١-٠١", None),                                 # Arabic-Indic digits
])
def test_bad_date_range_falls_back_to_everything_with_a_reason(since, until):
    (got, problem) = filters.parse_date_range(since, until, FIRST, LAST)
    assert got == (FIRST, LAST) and problem


@pytest.mark.parametrize("text, expected", [
    (None, ("short_term", None)), ("long_term", ("long_term", None)), ("medium_term", ("medium_term", None)),
])
def test_known_time_range_is_kept(text, expected):
    assert filters.parse_time_range(text) == expected


@pytest.mark.parametrize("text", ["LONG_TERM", "forever", "", "' or 1=1 --", "x" * 5000, "🎸"])
def test_unknown_time_range_falls_back_to_short_term(text):
    value, problem = filters.parse_time_range(text)
    assert value == "short_term" and problem


def test_known_artist_is_kept_and_an_absent_one_means_every_artist():
    known = {"Björk", "O'Brien %_"}.__contains__
    assert filters.parse_artist("O'Brien %_", known) == ("O'Brien %_", None)
    assert filters.parse_artist(None, known) == (None, None)
    assert filters.parse_artist("", known) == (None, None)


@pytest.mark.parametrize("text", ["x" * 5000, "   ", "a\x00b", "Nobody", "björk"])
def test_unusable_or_unknown_artist_falls_back_to_every_artist(text):
    calls = []

    def known(name):
        calls.append(name)
        return name == "Björk"

    value, problem = filters.parse_artist(text, known)
    assert value is None and problem
    assert all(len(c) <= filters.MAX_ARTIST_CHARS and "\x00" not in c for c in calls)   # never queried


def test_history_filters_params_leave_the_artist_out_when_asked():
    f = filters.HistoryFilters(since=FIRST, until=LAST, time_range="long_term", artist="Björk")
    assert f.params() == {"since": FIRST, "until": LAST, "time_range": "long_term", "artist": "Björk"}
    assert "artist" not in f.params(artist=False)
