"""Text from the data, shown safely: as literal text inside Streamlit markdown, as a link or an image
URL only when it is a plain http(s) URL (images only from Spotify's image hosts), and as CSV cells
no spreadsheet runs as a formula. Plain functions (no Streamlit calls), testable on their own.

Where Streamlit reads markdown (1.67): st.markdown / caption / write / info / warning / error /
success / title / subheader / toast, every widget's label and help, metric label, value and help,
radio and segmented-control options (and their format_func), tab, expander and status labels,
progress text. Not markdown: selectbox and multiselect options, st.text, st.code, st.json, dataframe
cells, Altair titles and tooltips. Text from the database, a file, an exception or the URL goes
through `literal` before it reaches the first kind.
"""
from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

import pandas as pd

_MD_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")   # every ASCII punctuation character
# Streamlit's markdown rewrites some text after escapes are resolved (seen in Chromium): GFM turns
# URLs and e-mail addresses into links (`www\.x\.y` still links), `-\>` becomes an arrow (also <- <->
# -- >= <= ~=) and `\:streamlit\:` its logo. A WORD JOINER (U+2060, invisible) after a scheme or www,
# before @, and between the characters of those pairs breaks each of these.
_AUTOLINK = re.compile(r"(?i)(https?|www|mailto|xmpp)(?=[:.])|(?=@)")
_REWRITTEN = re.compile(r"(?<=<)(?=[-=])|(?<=-)(?=[->])|(?<=[>~])(?==)|(?<=:)(?=streamlit:)", re.IGNORECASE)
WORD_JOINER = "\u2060"

# Hosts of the album, playlist and artist images in real Spotify Web API responses: i.scdn.co
# today, d3rt1990lpmkn.cloudfront.net in older ones (tests/fixtures/spotify), mosaic.scdn.co for
# playlist mosaics, image-cdn-ak / image-cdn-fa.spotifycdn.com for artist images.
IMAGE_HOSTS = frozenset({"i.scdn.co", "mosaic.scdn.co", "d3rt1990lpmkn.cloudfront.net"})
_URL_REFUSED = re.compile(r"[\s\"'<>\\`]")   # whitespace (as str.isspace: the same Unicode set), quotes, <>, \, `
_IMAGE_HOST_PATTERN = re.compile(r"image-cdn-[a-z0-9]+\.spotifycdn\.com")
# Where a "Spotify" link may point: open.spotify.com (tracks.spotify_url, external_urls.spotify,
# the links built from spotify: URIs) and other spotify.com hosts.
LINK_DOMAIN = "spotify.com"
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")   # OWASP CSV injection: cells a spreadsheet evaluates
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def literal(text: object) -> str:
    """`text` shown literally inside Streamlit markdown: every ASCII punctuation character
    backslash-escaped (no emphasis, links, images, HTML, LaTeX `$`, `:color[...]` directives,
    `:emoji:` or `:material/...:` shortcodes, headings or lists can come out of it), bare URLs,
    e-mail addresses, arrows and `:streamlit:` kept from being rewritten (invisible word joiners,
    see _REWRITTEN), line breaks flattened to spaces. None is the empty string."""
    flat = re.sub(r"\s+", " ", "" if text is None else str(text))
    flat = _AUTOLINK.sub(lambda m: (m.group(1) or "") + WORD_JOINER, flat)
    flat = _REWRITTEN.sub(WORD_JOINER, flat)
    return _MD_SPECIAL.sub(r"\\\1", flat)


MAX_URL_CHARS = 2048


def safe_url(url: object, hosts=None) -> str | None:
    """`url` when it is a plain http(s) URL (no javascript:, data:, spaces, quotes or backslashes)
    and, when `hosts` (a predicate on the lower-case host name) is given, its host passes; else None.
    Memoised (a search shows the same album images and links again on every keystroke, and each
    check splits the URL)."""
    if not isinstance(url, str):
        return None
    # a very long string (whitespace around a URL, or junk) is checked without being remembered
    return (_safe_url if len(url) <= 4 * MAX_URL_CHARS else _safe_url.__wrapped__)(url, hosts)


@functools.lru_cache(maxsize=8192)
def _safe_url(url: str, hosts) -> str | None:
    url = url.strip()
    if not url or len(url) > MAX_URL_CHARS or _URL_REFUSED.search(url):
        return None
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or not host:
        return None
    if hosts is not None and not hosts(host):
        return None
    return url


def is_image_host(host: str) -> bool:
    return host in IMAGE_HOSTS or bool(_IMAGE_HOST_PATTERN.fullmatch(host))


def is_spotify_host(host: str) -> bool:
    return host == LINK_DOMAIN or host.endswith("." + LINK_DOMAIN)


def image_url(url: object) -> str | None:
    """`url` when it is an https image on one of Spotify's image hosts, else None (a page shows the
    grey placeholder instead: a viewer's browser never fetches from a host the data names)."""
    url = safe_url(url, is_image_host)
    return url if url is not None and url.lower().startswith("https:") else None


def spotify_link(url: object) -> str | None:
    """`url` when it is a plain http(s) link to a spotify.com host, else None."""
    return safe_url(url, is_spotify_host)


def spotify_links(values) -> list:
    """spotify_link of every value (for a LinkColumn): unusable links become None."""
    return [spotify_link(v) for v in values]


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: a string starting with =, +, -, @, tab or carriage
    return gets a leading single quote (OWASP); anything else as it is, numbers included, and so is
    a string that is one plain number ("-3.5", "+1": the explorer's JSON values), which no
    spreadsheet runs as a formula."""
    if isinstance(value, str) and value.startswith(CSV_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` whose text cells and column names are csv_cell'd. Numeric, boolean and date
    columns are left alone, so a negative number stays a number."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_object_dtype(out[col]) or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(csv_cell, na_action="ignore")
    out.columns = [csv_cell(c) for c in out.columns]
    return out
