"""Plays: every stream of a Spotify data export, in the listener's time zone. Minutes over time,
when you listen, top lists, skips, sessions and streaks, discovery, two periods side by side, on
this day, forgotten gems, a year in review, platforms and countries.

The settings (time zone, dates, kind, what counts as a play) and the open section live in the URL,
so a view can be shared. Only the open section runs; each is a module of ui/plays/.
"""
from __future__ import annotations

import streamlit as st

from ui import charts, common
from ui.plays import SECTIONS
from ui.plays.settings import Settings, kind_choice, settings, totals


@st.fragment
def body() -> None:
    """The settings, the totals and the sections. A fragment: changing a setting reruns this, not the
    navigation and page header around it."""
    chosen = settings()
    if chosen is None:
        return
    numbers(chosen)


@st.fragment
def numbers(chosen: Settings) -> None:
    """The kind, the totals and the sections. A fragment of its own (settings.KIND_NOTE): a change of
    kind reruns this, not the dates and the settings popover above it."""
    chosen = kind_choice(chosen)
    totals(chosen)
    sections(chosen)


@st.fragment
def sections(chosen: Settings) -> None:
    """The section picker and the open section, the only one built (common.open_section). A fragment
    of its own: opening a section or moving a section's own widget reruns this alone, with the
    settings of the last run of body()."""
    common.open_section(SECTIONS, chosen)


def main() -> None:
    charts.enable_theme()
    common.header("Plays", ":material/headphones:", "Every stream of your Spotify data export: when, what and "
                  "how you listen. Settings are kept in the link, so a view can be shared.")
    body()


main()
