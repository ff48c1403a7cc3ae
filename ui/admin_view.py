"""Helpers of the Admin page that need no Streamlit: staging an uploaded file, the EXPLAIN parameter
form's field kinds and parsing, and the tables the page shows (plan tree, import report, runs).

Uploads are checked before any work starts: a known extension, a size limit, and the file's first bytes
(the SQLite header, a zip's local-file header, or JSON's opening bracket). An accepted upload is written
to a private temporary directory (mode 0700, the file 0600) under its sanitised name and removed
afterwards, whatever happens. Server paths are confined to one import folder (MTM_IMPORT_DIR, see
server_path).
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from typing import IO

import pandas as pd

from db import settings
from db.explain import PlanNode

MAX_UPLOAD_MB = settings.get("MTM_MAX_UPLOAD_MB")  # = server.maxUploadSize
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
UPLOAD_TYPES = ("db", "sqlite", "sqlite3", "zip", "json")
SQLITE_MAGIC = b"SQLite format 3\x00"
ZIP_MAGIC = b"PK\x03\x04"
MAX_PATH_CHARS = 4_096
MAX_FOLDER_ENTRIES = 10_000
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_CHUNK = 1024 * 1024


class UploadRejected(ValueError):
    """The upload (or server path) cannot be imported; the message is one line for the user."""


# ---------------------------------------------------------------------------------------------
# Uploads and server paths


def _split(name: str) -> tuple[str, str]:
    """(stem, extension) of a file name without its folders; '.db' alone is all extension."""
    base = os.path.basename(str(name).replace("\\", "/").replace("\x00", ""))
    stem, ext = os.path.splitext(base)
    if not ext and stem.startswith(".") and stem.count(".") == 1:
        stem, ext = "", stem
    return stem, ext


def safe_filename(name: str) -> str:
    """`name` without folders or unusual characters, at most 100 characters, keeping its extension."""
    stem, ext = _split(name)
    stem = re.sub(r"[^\w.-]+", "_", stem, flags=re.ASCII).strip("._") or "upload"
    ext = re.sub(r"[^\w.]+", "", ext, flags=re.ASCII).lower()
    return stem[:100 - len(ext)] + ext


def upload_kind(name: str, head: bytes, size: int, *, limit: int = MAX_UPLOAD_BYTES) -> str:
    """'sqlite' or 'spotify_export' for an acceptable upload; UploadRejected (one line) otherwise."""
    ext = _split(name)[1].lower().lstrip(".")
    if ext not in UPLOAD_TYPES:
        raise UploadRejected(f"{safe_filename(name)}: only .db, .sqlite, .sqlite3, .zip and .json files can be "
                             "imported")
    if size <= 0:
        raise UploadRejected(f"{safe_filename(name)}: the file is empty")
    if size > limit:
        raise UploadRejected(f"{safe_filename(name)}: {size / 1024 / 1024:,.1f} MB is over the "
                             f"{limit / 1024 / 1024:,.0f} MB upload limit (MTM_MAX_UPLOAD_MB); "
                             "import it from a path on the server instead")
    if ext in ("db", "sqlite", "sqlite3"):
        if not head.startswith(SQLITE_MAGIC):
            raise UploadRejected(f"{safe_filename(name)}: not a SQLite database (its header is missing)")
        return "sqlite"
    if ext == "zip":
        if not head.startswith(ZIP_MAGIC):
            raise UploadRejected(f"{safe_filename(name)}: not a zip archive")
        return "spotify_export"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text[:1] not in (b"[", b"{"):
        raise UploadRejected(f"{safe_filename(name)}: not a JSON file (it should start with [ or {{)")
    return "spotify_export"


def _size(fileobj: IO[bytes]) -> int:
    size = getattr(fileobj, "size", None)
    if isinstance(size, int):
        return size
    pos = fileobj.tell()
    fileobj.seek(0, os.SEEK_END)
    end = fileobj.tell()
    fileobj.seek(pos)
    return end - pos


@contextlib.contextmanager
def staged_upload(name: str, fileobj: IO[bytes], *, limit: int = MAX_UPLOAD_BYTES) -> Iterator[str]:
    """Check an uploaded file, write it to a private temp dir, yield its path, and remove it afterwards.

    `fileobj` is anything readable as bytes (Streamlit's UploadedFile, io.BytesIO). UploadRejected when
    the file fails a check; nothing is written in that case.
    """
    fileobj.seek(0)
    size = _size(fileobj)
    head = fileobj.read(len(SQLITE_MAGIC))
    upload_kind(name, head, size, limit=limit)
    fileobj.seek(0)
    folder = tempfile.mkdtemp(prefix="mtm-upload-")
    try:
        os.chmod(folder, 0o700)
        path = os.path.join(folder, safe_filename(name))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        written = 0
        with os.fdopen(fd, "wb") as out:
            while chunk := fileobj.read(_CHUNK):
                written += len(chunk)
                if written > limit:
                    raise UploadRejected(f"{safe_filename(name)}: over the {limit / 1024 / 1024:,.0f} MB upload limit")
                out.write(chunk)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def import_root() -> str:
    """The one folder the Admin page may import from by path: MTM_IMPORT_DIR, default .data/imports."""
    configured = settings.get("MTM_IMPORT_DIR")
    return os.path.abspath(configured or os.path.join(PROJECT_ROOT, ".data", "imports"))


def _inside(path: str, root: str) -> bool:
    return os.path.commonpath([root, path]) == root


def server_path(text: str, root: str | None = None) -> str:
    """The file or folder typed into the 'path on the server' box, resolved inside the import folder.

    A relative path is taken from the import folder; an absolute one must lie inside it. Links are resolved
    before the check, so none leads out; a folder must hold no link that leads out and at most
    MAX_FOLDER_ENTRIES entries. A path that does not exist, lies outside, or is neither a file nor a
    folder gets one and the same message, so the box reveals nothing about the rest of the filesystem.
    """
    root = os.path.realpath(import_root() if root is None else root)
    path = (text or "").strip()
    if not path:
        raise UploadRejected("enter the name of a file or folder in the import folder")
    if "\x00" in path:
        raise UploadRejected("the path contains a NUL character")
    if len(path) > MAX_PATH_CHARS:
        raise UploadRejected(f"the path is longer than {MAX_PATH_CHARS:,} characters")
    if not os.path.isdir(root):
        raise UploadRejected(f"the import folder {root} does not exist: create it and put the files to import "
                             "there (MTM_IMPORT_DIR)")
    unknown = UploadRejected("there is no such file or folder in the import folder (MTM_IMPORT_DIR)")
    try:
        resolved = os.path.realpath(os.path.join(root, path))
        if not _inside(resolved, root) or not (os.path.isfile(resolved) or os.path.isdir(resolved)):
            raise unknown
    except (OSError, ValueError):
        raise unknown from None
    if os.path.isdir(resolved):
        _check_folder(resolved, root)
    return resolved


def _check_folder(folder: str, root: str) -> None:
    """UploadRejected when `folder` holds a link leading out of `root` or more than MAX_FOLDER_ENTRIES entries."""
    seen = 0
    for top, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs + files:
            seen += 1
            if seen > MAX_FOLDER_ENTRIES:
                raise UploadRejected(f"the folder holds more than {MAX_FOLDER_ENTRIES:,} entries; import its files "
                                     "one by one or a zip")
            full = os.path.join(top, name)
            if os.path.islink(full) and not _inside(os.path.realpath(full), root):
                raise UploadRejected("the folder holds a link that leads out of the import folder")


def user_message(exc: BaseException, path: str | None = None, shown_as: str | None = None) -> str:
    """The first line of an import error, with the staged temp path replaced by the uploaded name."""
    from db.config import redact_text

    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    if path and shown_as:
        line = line.replace(path, shown_as)
    return redact_text(line)


# ---------------------------------------------------------------------------------------------
# EXPLAIN parameter form


def field_kind(example) -> str:
    """The input for a parameter whose example value is `example`: checkbox/int/float/json/text."""
    if isinstance(example, bool):
        return "checkbox"
    if isinstance(example, int):
        return "int"
    if isinstance(example, float):
        return "float"
    if isinstance(example, (list, dict)):
        return "json"
    return "text"


def json_field_text(example) -> str:
    return json.dumps(example, ensure_ascii=False)


def parse_field(kind: str, raw):
    """The bound value for a form field; ValueError (a readable message) for JSON that does not parse."""
    if kind == "checkbox":
        return bool(raw)
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    if kind == "json":
        try:
            return json.loads(raw or "null")
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON ({exc.msg} at character {exc.pos})") from None
        except RecursionError:
            raise ValueError("not valid JSON here (nested too deeply)") from None
        except ValueError:   # not a JSONDecodeError: an integer past Python's 4,300-digit conversion limit
            raise ValueError("not usable here: a number of more than 4,300 digits") from None
    return "" if raw is None else str(raw)


# ---------------------------------------------------------------------------------------------
# Tables


INDENT = "\u2003"  # an em space: the dataframe keeps it, so depth shows as indentation


def misestimate_label(node: PlanNode) -> str:
    if node.never_executed:
        return "never executed"
    if node.misestimate is None or node.misestimate_dir is None:
        return ""
    text = f"{node.misestimate:,.0f}× {node.misestimate_dir}" if node.misestimate >= 10 else \
        f"{node.misestimate:.1f}× {node.misestimate_dir}"
    return ("⚠️ " + text) if node.flagged else text


def tree_label(node: PlanNode) -> str:
    prefix = INDENT * node.depth + ("└ " if node.depth else "")
    extra = f"  [{node.subplan}]" if node.subplan else ""
    return f"{prefix}{node.label}{extra}"


PLAN_COLUMNS = ["node", "exclusive_ms", "inclusive_ms", "share", "est_rows", "actual_rows", "misestimate",
                "loops", "shared_hit", "shared_read", "index", "condition"]


def plan_frame(nodes: list[PlanNode], execution_ms: float | None = None) -> pd.DataFrame:
    """One row per plan node, depth-first, the node label indented by depth."""
    total = execution_ms or sum(n.exclusive_ms for n in nodes) or None
    rows = [{
        "node": tree_label(n),
        "exclusive_ms": round(n.exclusive_ms, 3),
        "inclusive_ms": round(n.inclusive_ms, 3),
        "share": min(n.exclusive_ms / total, 1.0) if total else 0.0,
        "est_rows": n.plan_rows,
        "actual_rows": n.actual_rows,
        "misestimate": misestimate_label(n),
        "loops": n.loops,
        "shared_hit": n.shared_hit,
        "shared_read": n.shared_read,
        "index": n.index_name or "",
        "condition": (n.condition or "")[:300],
    } for n in nodes]
    return pd.DataFrame(rows, columns=PLAN_COLUMNS)


def report_tables_frame(report) -> pd.DataFrame:
    cols = ["table", "read", "inserted", "updated", "unchanged", "duplicates", "rejected"]
    return pd.DataFrame([{"table": name, **{c: getattr(t, c) for c in cols[1:]}}
                         for name, t in report.tables.items()], columns=cols)


FILE_COLUMNS = ["file", "format", "read", "inserted", "replaced", "duplicates", "already present", "matched",
                "skipped", "why"]


def report_files_frame(report) -> pd.DataFrame:
    """A Spotify export's report per file: what it was read as ('account data, audiobooks'), records
    read, inserted, replaced, duplicates in this import, already present from an earlier import,
    matched and skipped (with the reasons); then the files that were ignored with why. Empty for
    other imports."""
    rows = []
    for f in report.files or []:
        skipped = f.get("skipped") or {}
        why = ", ".join(f"{reason} {n:,}" for reason, n in skipped.items())
        if f.get("rejects_recorded_in_run") is not None:
            why += f"{'; ' if why else ''}rejects recorded by run {f['rejects_recorded_in_run']} already"
        rows.append({"file": f.get("file"), "format": f.get("read_as") or f.get("format"), "read": f.get("records"),
                     "inserted": f.get("inserted"), "replaced": f.get("replaced"), "duplicates": f.get("duplicates"),
                     "already present": f.get("already_present"), "matched": f.get("matched"),
                     "skipped": sum(skipped.values()), "why": why})
    for f in getattr(report, "ignored", None) or []:
        rows.append({"file": f.get("file"), "format": "ignored", "why": f.get("reason", "not streaming history")})
    frame = pd.DataFrame(rows, columns=FILE_COLUMNS)
    counts = FILE_COLUMNS[2:9]
    frame[counts] = frame[counts].astype("Int64")   # ignored files have no counts: blank, not NaN floats
    return frame


def report_rejects_frame(report, limit: int = 10_000) -> pd.DataFrame:
    return pd.DataFrame([{"table": r.table, "key": r.key, "reason": r.reason} for r in report.rejects[:limit]],
                        columns=["table", "key", "reason"])


def report_checks_frame(report) -> pd.DataFrame:
    return pd.DataFrame([{"ok": "✅" if c.get("ok") else "❌", "check": c.get("check"), "detail": c.get("detail")}
                         for c in report.checks], columns=["ok", "check", "detail"])
