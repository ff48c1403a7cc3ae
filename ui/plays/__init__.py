"""The Plays page (app_pages/plays.py) in parts: settings.py (the settings and totals) and one module
per section, each with render(settings). SECTIONS: the sections in the picker's order (the page and
the tests read it)."""
from ui.plays import (
    calendar,
    discovery,
    forgotten_gems,
    on_this_day,
    over_time,
    platforms,
    sessions,
    skips,
    top_lists,
    two_periods,
    when_you_listen,
    year_in_review,
)

SECTIONS = {"Over time": over_time.render, "When you listen": when_you_listen.render, "Calendar": calendar.render,
            "Top lists": top_lists.render, "Skips": skips.render, "Sessions & streaks": sessions.render,
            "Discovery": discovery.render, "Two periods": two_periods.render, "On this day": on_this_day.render,
            "Forgotten gems": forgotten_gems.render, "Year in review": year_in_review.render,
            "Platforms & countries": platforms.render}
