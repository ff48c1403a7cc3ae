"""Page furniture: header, database-error guard, empty states, CSV downloads.

Text from the data goes into markdown through `literal` (ui/text.py); every CSV download goes through
`download_csv`, which neutralises cells a spreadsheet would run as a formula."""
from __future__ import annotations

import contextlib
import html
import logging
from collections.abc import Callable

import pandas as pd
import streamlit as st

from ui.text import csv_safe

log = logging.getLogger("mtm")

EMPTY_HINT = ("No data yet: import a file on the **Admin** page, or run `make run` on an empty "
              "database to load the demo.")


def choice(label: str, options, *, key: str, format_func=str, help: str | None = None, default=None,
           disabled: bool = False, on_change=None, args=None):
    """One of a few options, always one picked: a segmented control (a row of buttons, as the
    section picker is) where a horizontal st.radio was. CHOICE_NOTE: chosen for one look across the
    pages. It was also thought cheaper for the browser to mount (a bare-app probe, commit ebc4b80),
    but bench.elements does not tell the two apart (BENCHMARKS.md). `default` only for a key
    not already in st.session_state (Streamlit warns on both)."""
    kw = {} if default is None or key in st.session_state else {"default": default}
    return st.segmented_control(label, list(options), key=key, format_func=format_func, help=help,
                                required=True, disabled=disabled, on_change=on_change, args=args, **kw)


def figures_html(items, columns: int = 4) -> str:
    """Headline figures as HTML: (label, value, detail) each, in a grid of at most `columns` a row
    (fewer, wrapping, on a narrow screen), laid out as st.metric lays out one: the label small, the
    value large, the detail (where st.metric would hide a help tooltip) in a small grey line under the
    value, always visible. Every text is escaped: HTML shows it literally, markdown never reads it.
    FIGURES_NOTE: one HTML element for the whole row, not a row of st.columns with a st.metric in
    each, which the browser takes several times as long to mount (bench.elements, BENCHMARKS.md:
    "figures" against "metric_columns"); the Plays totals, Year in review and Sessions open on 4-8
    of them."""
    cells = []
    for label, value, *rest in items:
        detail = rest[0] if rest else None
        cells.append(
            '<div class="mtm-figure" style="min-width:0">'
            f'<div class="mtm-figure-label" style="font-size:0.875rem;line-height:1.6">{html.escape(str(label))}</div>'
            # never cut off: the size shrinks with a narrow window, and a value still too wide wraps
            f'<div class="mtm-figure-value" style="font-size:clamp(1.5rem, 3.2vw, 2.25rem);line-height:1.25;'
            f'overflow-wrap:anywhere">{html.escape(str(value))}</div>'
            + (f'<div class="mtm-figure-detail" style="font-size:0.8rem;opacity:0.6">{html.escape(str(detail))}</div>'
               if detail else "") + "</div>")
    # a column is at least 7rem wide and at least 1/columns of the row: at most `columns` a row
    width = f"max(7rem, calc((100% - {columns - 1}rem) / {columns}))"
    return ('<div class="mtm-figures" style="display:grid;gap:0.75rem 1rem;'
            f'grid-template-columns:repeat(auto-fill, minmax({width}, 1fr))">' + "".join(cells) + "</div>")


def figures(items, columns: int = 4) -> None:
    """Draw headline figures (figures_html): (label, value[, detail]) each."""
    st.html(figures_html(items, columns))


def lists_html(items, columns: int = 3) -> str:
    """Short ranked lists side by side as HTML: (title, [line, ...]) each, in a grid of at most
    `columns` a row (fewer, wrapping, on a narrow screen); the title bold, a line each. Every text
    is escaped (figures_html): it reads as typed. One element for the row, where a row of st.columns
    with a markdown list in each was five elements for the browser to mount (Year in review)."""
    cells = []
    for title, lines in items:
        body = "".join(f'<div class="mtm-list-line">{html.escape(str(line))}</div>' for line in lines)
        cells.append('<div class="mtm-list" style="min-width:0;overflow-wrap:anywhere;line-height:1.6">'
                     f'<div class="mtm-list-title" style="font-weight:600">{html.escape(str(title))}</div>'
                     f"{body}</div>")
    width = f"max(12rem, calc((100% - {columns - 1}rem) / {columns}))"
    return ('<div class="mtm-lists" style="display:grid;gap:0.75rem 1rem;'
            f'grid-template-columns:repeat(auto-fill, minmax({width}, 1fr))">' + "".join(cells) + "</div>")


def lists(items, columns: int = 3) -> None:
    """Draw short ranked lists side by side (lists_html): (title, [line, ...]) each."""
    st.html(lists_html(items, columns))


def options(label: str, key: str, help: str):
    """A section's options: a popover (tune icon) whose `label` says what is chosen, holding the
    widgets that choose it. OPTIONS_NOTE: a section opens on its table or chart, with its options
    here: a row of widgets above it was a good part of what the browser mounted when the section
    opened; a closed popover's widgets are sent but not drawn. Keyed, the popover keeps its identity
    and stays open while an option inside it changes its label. Build the label from the widgets'
    session state (with their defaults): it is drawn before them."""
    return st.popover(label, icon=":material/tune:", key=key, help=help)


def subheader(text: str) -> None:
    """A section's heading, without the link icon Streamlit puts beside a heading (anchor=False):
    sections are opened from the picker and kept in the link (?section=), not reached by a #anchor,
    and a plain heading takes the browser about half as long to mount (bench.elements,
    BENCHMARKS.md: "subheader_plain" against "subheader")."""
    st.subheader(text, anchor=False)


def header(title: str, icon: str, caption: str | None = None) -> None:
    st.title(f"{icon} {title}")
    if caption:
        st.caption(caption)


def classify(exc: BaseException) -> str | None:
    """A user-facing message for a database problem, or None when `exc` is not one (db.errors says which)."""
    from db import errors
    from db.config import redact_text

    kind = errors.kind(exc)
    if kind == errors.SCHEMA:
        return (f"The database schema could not be upgraded ({redact_text(str(exc))}). "
                "Pages need the upgrade; check the server's log and run `python -m db.schema`.")
    if kind == errors.TIMEOUT:
        return ("That query took longer than the time limit and was cancelled. "
                "Narrow the filters (a shorter date range, a more specific path) and try again.")
    if kind in (errors.READ_ONLY, errors.PRIVILEGE):
        return "This page is read-only and cannot change data."
    if kind == errors.UNAVAILABLE:
        # The driver's text names the host or the socket path: the server's log keeps it, the page does not.
        return UNAVAILABLE
    return None


UNAVAILABLE = "The database is unavailable right now."
RETRY_EVERY_S = 5          # while the database is down, the page tries again this often ...
RETRY_TRIES = 24           # ... this many times (two minutes), then waits for Rerun
KEY_RETRIES = "mtm_db_retries"
KEY_RETRY_STARTED = "mtm_db_retry_started"


def is_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached (down, restarting, refusing connections)."""
    from db import errors

    return errors.kind(exc) == errors.UNAVAILABLE


def _detail(exc: BaseException) -> str:
    from db.config import redact_text

    orig = getattr(exc, "orig", exc)
    text = str(orig).strip()
    return redact_text(text.splitlines()[0]) if text else type(exc).__name__


def retry_text(tries: int) -> str:
    """What the page says while it retries by itself (`tries` done so far), and after it gave up."""
    if tries >= RETRY_TRIES:
        return (f"Tried {tries} times over {tries * RETRY_EVERY_S // 60} minutes; use Rerun (R) or reload the "
                "page to try again.")
    return (f"This page tries again by itself every {RETRY_EVERY_S} seconds and comes back as soon as the "
            f"database answers (try {tries + 1} of {RETRY_TRIES}).")


def database_answers() -> bool:
    """One cheap read: True when the database answers again."""
    from db import queries

    try:
        queries.run("data_version")
    except Exception as exc:  # noqa: BLE001 - any failure means: not yet
        if is_unavailable(exc):
            return False
        raise
    return True


def _wait_for_database() -> None:
    """While the database is down: a fragment that reruns every RETRY_EVERY_S seconds (bounded by
    RETRY_TRIES), checks the database, and reruns the whole page once it answers."""
    @st.fragment(run_every=RETRY_EVERY_S)
    def waiting() -> None:
        tries = int(st.session_state.get(KEY_RETRIES, 0))
        if st.session_state.get(KEY_RETRY_STARTED) and tries < RETRY_TRIES:
            tries += 1
            st.session_state[KEY_RETRIES] = tries
            if database_answers():
                st.session_state.pop(KEY_RETRIES, None)
                st.rerun(scope="app")
        st.session_state[KEY_RETRY_STARTED] = True
        st.caption(retry_text(tries))

    waiting()


@contextlib.contextmanager
def guard():
    """Turn database failures into a clear message instead of a traceback; re-raise anything else.
    While the database is unavailable the page retries by itself (_wait_for_database)."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - classified below
        message = classify(exc)
        if message is None:
            raise
        if is_unavailable(exc):
            log.warning("database unavailable: %s", _detail(exc))
            st.error(message, icon="🛑")
            # a whole run (the first, or Rerun after the tries ran out) starts the tries afresh
            st.session_state.pop(KEY_RETRIES, None)
            st.session_state.pop(KEY_RETRY_STARTED, None)
            _wait_for_database()
        else:
            log.warning("database problem: %s", message)
            st.error(message, icon="🛑")
        st.stop()
    else:
        if KEY_RETRIES in st.session_state:          # back after an outage: the next one starts afresh
            st.session_state.pop(KEY_RETRIES, None)
            st.session_state.pop(KEY_RETRY_STARTED, None)


def empty_state(message: str = EMPTY_HINT) -> None:
    st.info(message, icon="ℹ️")


def csv_bytes(df: pd.DataFrame) -> bytes:
    """`df` as UTF-8 CSV, text cells starting with =, +, -, @, tab or CR prefixed with ' (ui.text.csv_safe).
    Lines end in CRLF (RFC 4180), which also makes pandas quote a cell holding a lone CR: unquoted, a
    spreadsheet would start a new row there, and a formula after it would escape the prefix."""
    return csv_safe(df).to_csv(index=False, lineterminator="\r\n").encode("utf-8")


def download_csv(df: pd.DataFrame | Callable[[], pd.DataFrame], name: str, label: str = "Download CSV") -> None:
    """A CSV download of `df` (csv_bytes), or of the frame a function `df` returns. The file is made
    when the button is clicked, not on every run that draws the button, and the click does not rerun
    the page; a function, too, runs only then (a run that draws a table and its button does not
    also shape the CSV's frame)."""
    st.download_button(label, lambda: csv_bytes(df() if callable(df) else df), file_name=f"{name}.csv",
                       mime="text/csv", key=f"csv-{name}", on_click="ignore")


def truncated_note(result) -> None:
    if getattr(result, "truncated", False):
        st.caption(f"Showing the first {len(result.df):,} rows; narrow the filters to see the rest.")


# open_section's own state
SECTION_PAGE, SECTION_WRITTEN, SECTION_SLOT = "section-page", "section-written", "section-slot"


def open_section(sections: dict, *args) -> None:
    """A page's section picker (a segmented control, kept in the URL as ?section=) and the open
    section, `sections[name](*args)`, the only one built. The run writes the URL (as the settings
    are written), not the widget (bind="query-params"): with a bound widget the browser did more
    between the click and sending the rerun. Back and Forward still open the section of their
    link. SECTION_SLOT_NOTE: the open section draws in one of two slots, the other one than the
    last section's: the browser then builds the opened section's elements afresh, where one shared
    slot made it turn the last section's elements into the next one's, which took longer than
    building them (a table where a chart was, a chart where a radio was). A run that keeps the
    section (a filter, the section's own widget) keeps its slot, so its elements update in place.
    (A slot per section did the same with an empty placeholder per closed section, eleven more
    elements the browser took in on every run.) SECTION_PICKER_NOTE: a segmented control rather
    than st.tabs: a tab bar is re-measured and redrawn in the browser on every run of its fragment
    (all its tabs), a button group is not."""
    from ui.filters import write_url_params  # imported here: ui.filters imports this module

    names, state = list(sections), st.session_state
    linked = st.query_params.get("section")
    if (state.get("section") not in sections or state.get(SECTION_PAGE, names[0]) != names[0]
            or (linked != state.get(SECTION_WRITTEN) and linked in sections)):
        # first run of the page, another page's picker (the key is shared), or a link or Back/Forward
        # that changed ?section= since this picker wrote it: the link says, else the first section
        state["section"] = linked if linked in sections else names[0]
    name = st.segmented_control("Section", names, key="section", required=True, label_visibility="collapsed")
    if name not in sections:
        name = names[0]
    shown = None if name == names[0] else name          # the first section: a link without ?section=
    state[SECTION_PAGE], state[SECTION_WRITTEN] = names[0], shown
    write_url_params({"section": shown})
    last, slot = state.get(SECTION_SLOT, ((), 0))
    if last != (names[0], name):
        slot = 1 - slot
    state[SECTION_SLOT] = ((names[0], name), slot)
    if slot:
        st.empty()
    with st.container():
        sections[name](*args)
