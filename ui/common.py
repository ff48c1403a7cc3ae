"""Page furniture: header, database-error guard, empty states, CSV downloads.

Text from the data goes into markdown through `literal` (ui/text.py); every CSV download goes through
`download_csv`, which neutralises cells a spreadsheet would run as a formula."""
from __future__ import annotations

import contextlib
import logging

import pandas as pd
import streamlit as st

from ui.text import csv_safe, literal

log = logging.getLogger("mtm")

EMPTY_HINT = ("No data yet: import a file on the **Admin** page, or run `make run` on an empty "
              "database to load the demo.")


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
        detail = literal(errors.first_line(exc))
        return ("The database is unavailable right now" + (f" ({detail})" if detail else "")
                + ". This page retries by itself on the next interaction; use Rerun (R) to try again.")
    return None


@contextlib.contextmanager
def guard():
    """Turn database failures into a clear message instead of a traceback; re-raise anything else."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - classified below
        message = classify(exc)
        if message is None:
            raise
        log.warning("database problem: %s", message)
        st.error(message, icon="🛑")
        st.stop()


def empty_state(message: str = EMPTY_HINT) -> None:
    st.info(message, icon="ℹ️")


def csv_bytes(df: pd.DataFrame) -> bytes:
    """`df` as UTF-8 CSV, text cells starting with =, +, -, @, tab or CR prefixed with ' (ui.text.csv_safe).
    Lines end in CRLF (RFC 4180), which also makes pandas quote a cell holding a lone CR: unquoted, a
    spreadsheet would start a new row there, and a formula after it would escape the prefix."""
    return csv_safe(df).to_csv(index=False, lineterminator="\r\n").encode("utf-8")


def download_csv(df: pd.DataFrame, name: str, label: str = "Download CSV") -> None:
    st.download_button(label, csv_bytes(df), file_name=f"{name}.csv",
                       mime="text/csv", key=f"csv-{name}")


def truncated_note(result) -> None:
    if getattr(result, "truncated", False):
        st.caption(f"Showing the first {len(result.df):,} rows; narrow the filters to see the rest.")
