"""Turning what a user types into the search box into safe parameters for `search_tracks`.

Pure functions, no database: `parse("kickst \"sigur ros\" -live")` gives a SearchQuery whose
`params()` are bound into db/sql/search.sql. The syntax is a web search's:

- words are ANDed; every plain word also matches as a prefix (`kickst` finds Kickstart), so a
  search works while the last word is still being typed;
- `"quoted words"` must appear together, in that order, as whole words;
- `OR` (upper case) between two items matches either; it binds tighter than the implicit AND,
  so `queen OR bowie heroes` is (queen or bowie) and heroes (a leading OR is a plain word);
- `-word` / `-"some words"` excludes tracks containing them (whole words).

The tsquery is built here, not by PostgreSQL's websearch_to_tsquery, because that one has no
prefix matching. Every operand is a single-quoted tsquery string from which the characters the
tsquery syntax treats specially (`' \\ & | ! ( ) : * < >`) have been replaced by spaces: none of
them can be part of a word for PostgreSQL's text parser, so the words found are the same, and no
input can produce an invalid tsquery. PostgreSQL then splits and accent-folds each operand with
the same configuration (`simple_unaccent`) that built `tracks.search`.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

MAX_QUERY_CHARS = 200   # longer input is cut here (the page says so)
MAX_TERMS = 12          # words/phrases beyond this are ignored (the page says so)
OR_WORD = "OR"

# Replaced by a space inside operands: tsquery syntax characters and the backslash escape.
_TSQUERY_SPECIAL = re.compile(r"['\\&|!():*<>]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Term:
    """One search item: a word, or a quoted phrase; `negated` for -word / -"phrase"."""
    text: str
    phrase: bool = False
    negated: bool = False

    def operand(self, prefix: bool) -> str:
        """This term as a tsquery operand: quoted, with `:*` for a prefix match of a plain word."""
        body = _SPACES.sub(" ", _TSQUERY_SPECIAL.sub(" ", self.text)).strip()
        star = ":*" if prefix and not self.phrase and not self.negated else ""
        return f"{'!' if self.negated else ''}'{body}'{star}"


@dataclass(frozen=True)
class SearchQuery:
    """A parsed search: `clauses` are ANDed; the terms inside one clause are ORed."""
    raw: str
    clauses: tuple[tuple[Term, ...], ...] = ()
    cut_chars: bool = False   # the input was longer than MAX_QUERY_CHARS
    cut_terms: bool = False   # there were more than MAX_TERMS items

    @property
    def positive(self) -> list[Term]:
        return [t for clause in self.clauses for t in clause if not t.negated]

    @property
    def empty(self) -> bool:
        """True when there is nothing to look for (blank input, only symbols, only -exclusions)."""
        return not self.positive

    def tsquery(self, prefix: bool = True, exclusions: bool = True) -> str:
        """The tsquery text for to_tsquery('simple_unaccent', ...); '' when empty. Without
        `exclusions`, the -word / -"phrase" terms are left out: what a match is ranked by, the words
        looked for (a row found by the whole query holds none of the excluded words; over every
        keystroke of bench.search ts_rank_cd gave the same ranks without them, and took several
        times as long with them)."""
        if self.empty:
            return ""
        parts = []
        for clause in self.clauses:
            ops = [t.operand(prefix) for t in clause if exclusions or not t.negated]
            if ops:
                parts.append(ops[0] if len(ops) == 1 else "( " + " | ".join(ops) + " )")
        return " & ".join(parts)

    @property
    def text(self) -> str:
        """The words looked for, as typed (no operators): for the trigram fallback and name bonus."""
        return " ".join(t.text for t in self.positive)

    @property
    def plain(self) -> bool:
        """Only plain words (and ORs): no "phrase" and no -exclusion, so a fuzzy fallback fits.
        (Quotes ask for exactly these words, and the fallback cannot honour an exclusion.)"""
        return not any(t.phrase or t.negated for clause in self.clauses for t in clause)

    def params(self, limit: int, min_seconds: int = 30) -> dict:
        """Bind parameters of the `search_tracks` and `search_play_items` named queries; min_seconds is
        what counts as a play (search_play_items), by default the Plays page's 30 s."""
        text = self.text if self.plain else ""
        cjk = unspaced(text)
        return {"tsq": self.tsquery(prefix=True), "tsq_rank": self.tsquery(prefix=True, exclusions=False),
                "tsq_exact": self.tsquery(prefix=False, exclusions=False),
                "q": self.text, "fuzzy": "" if cjk else text, "infix": text if cjk else "",
                "min_seconds": int(min_seconds), "limit": int(limit)}

    def needles(self) -> list[tuple[str, bool]]:
        """(folded word, prefix?) pairs to highlight: each word of each positive term."""
        out: list[tuple[str, bool]] = []
        for term in self.positive:
            term_words = words(term.text)
            for word in term_words:
                needle = (fold(word), not term.phrase)
                # a lone letter inside a longer term (the t of don't) would mark every t-word
                if len(term_words) > 1 and len(needle[0]) == 1 and not unspaced(needle[0]):
                    continue
                if needle[0] and needle not in out:
                    out.append(needle)
        return out


def clean(raw: object) -> tuple[str, bool]:
    """Text safe to send to PostgreSQL: no NUL/control characters or lone surrogates, at most
    MAX_QUERY_CHARS characters; and whether it had to be cut."""
    text = "" if raw is None else str(raw)
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c
                   for c in text if unicodedata.category(c) != "Cs")
    text = _SPACES.sub(" ", text).strip()
    cut = len(text) > MAX_QUERY_CHARS
    if cut:
        text = text[:MAX_QUERY_CHARS].rstrip()
    return text, cut


# Chinese, Japanese and Korean characters: a name in them often has no spaces, so it is one long
# "word" to the text parser, and the fallback also looks for the query anywhere inside the text.
_UNSPACED = ((0x3041, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0xAC00, 0xD7AF),
             (0x20000, 0x3FFFD))   # the ranges of mtm_cjk_grams() in db/migrations/0002_search.sql


def unspaced(text: str) -> bool:
    """Whether `text` has a Chinese, Japanese or Korean character (kana, ideograph, Hangul syllable)."""
    return any(lo <= ord(c) <= hi for c in text for lo, hi in _UNSPACED)


def has_word_char(text: str) -> bool:
    """Whether `text` has a letter or digit (an item without one can match nothing)."""
    return any(c.isalnum() for c in text)


def _tokens(text: str) -> list[tuple[str, str, bool]]:
    """Split into (kind, text, negated) with kind 'word', 'phrase' or 'or'."""
    out: list[tuple[str, str, bool]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        negated = c == "-" and i + 1 < n and not text[i + 1].isspace()
        if negated:
            i += 1
        if text[i] == '"':
            end = text.find('"', i + 1)
            end = n if end < 0 else end
            out.append(("phrase", text[i + 1:end], negated))
            i = end + 1
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] != '"':
            j += 1
        word = text[i:j]
        out.append(("or" if word == OR_WORD and not negated else "word", word, negated))
        i = j
    return out


def parse(raw: object) -> SearchQuery:
    """Parse the search box's text (any text at all) into a SearchQuery."""
    text, cut_chars = clean(raw)
    clauses: list[list[Term]] = []
    count, cut_terms, pending_or = 0, False, False
    for kind, value, negated in _tokens(text):
        if kind == "or" and clauses:
            pending_or = True
            continue
        value = value.strip()
        if not has_word_char(value):
            continue
        if count >= MAX_TERMS:
            cut_terms = True
            break
        term = Term(text=value, phrase=kind == "phrase", negated=negated)
        count += 1
        if pending_or:
            clauses[-1].append(term)
        else:
            clauses.append([term])
        pending_or = False
    return SearchQuery(raw=text, clauses=tuple(tuple(c) for c in clauses),
                       cut_chars=cut_chars, cut_terms=cut_terms)


# ---------------------------------------------------------------------------------------------
# Folding, as PostgreSQL's mtm_fold (lower(unaccent(x))) does, closely enough for highlighting

_SPECIAL_FOLDS = {"ß": "ss", "ẞ": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o",
                  "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th", "ł": "l", "Ł": "l",
                  "ı": "i", "ħ": "h", "Ħ": "h", "й": "й", "Й": "й"}
WORD = re.compile(r"[^\W_]+")      # a word: letters and digits (also ui.search_view's highlighting)


@functools.lru_cache(maxsize=8192)
def fold_char(c: str) -> str:
    """One character folded: lower case, accents removed from Latin, Greek and Cyrillic letters.
    Memoised: the search page folds every shown name's characters on each keystroke, and a name's
    characters repeat; two Unicode normalisations per character otherwise."""
    if c in _SPECIAL_FOLDS:
        return _SPECIAL_FOLDS[c]
    decomposed = unicodedata.normalize("NFKD", c)
    if decomposed and ord(decomposed[0]) < 0x0530:
        decomposed = "".join(d for d in decomposed if not unicodedata.combining(d))
        return unicodedata.normalize("NFC", decomposed).lower()
    return c.lower()


def fold(text: str) -> str:
    return "".join(fold_char(c) for c in text)


def words(text: str) -> list[str]:
    """The letter/digit runs of `text` (what PostgreSQL's parser would see as words, roughly)."""
    return WORD.findall(text)
