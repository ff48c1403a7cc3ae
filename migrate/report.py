"""The import report: counts per table, rejected rows with reasons, verification.

`to_dict()` is the `--json` summary and what the import-run tables store; `render()` is the readable
summary printed on a terminal and shown on the Admin page.

Bounded whatever the input: every rejected row is counted (per table and per reason), but only the
first MAX_REJECTS_KEPT are kept with their key and reason (in memory, in the report, in import_rejects);
the report says how many more there were. Reasons are counted under at most MAX_REASONS labels, and
the JSON summary lists at most MAX_FILES_IN_REPORT files.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

MAX_REJECTS_KEPT = 1_000        # rejected rows kept with key and reason; the rest are counted
MAX_REASONS = 100               # distinct reason labels counted; further ones count as OTHER_REASONS
OTHER_REASONS = "other reasons"
MAX_FILES_IN_REPORT = 1_000     # file lines in the JSON summary (import_runs.summary) and the printout


@dataclass
class TableCounts:
    read: int = 0          # rows in the source
    written: int = 0       # inserted + updated
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0     # already in PostgreSQL exactly as in the source
    duplicates: int = 0    # extra copies of a key inside the source, collapsed (last one kept)
    rejected: int = 0


@dataclass
class Reject:
    table: str
    key: str
    reason: str


@dataclass
class Report:
    source: str
    kind: str = "sqlite"
    run_id: int | None = None
    tables: dict[str, TableCounts] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)      # the first MAX_REJECTS_KEPT
    rejects_total: int = 0
    reject_reasons: Counter = field(default_factory=Counter)   # (table, label) -> rows
    checks: list[dict] = field(default_factory=list)   # {"check", "ok", "detail"}
    verified: bool = False
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    # Per history file read (Spotify export): {"file", "format", "read_as", "records", "inserted", "replaced",
    # "duplicates", "already_present", "matched", "skipped": {reason: n}, "rejected", "kinds": {kind: n}};
    # the first MAX_FILES_IN_REPORT of files_total.
    files: list[dict] = field(default_factory=list)
    files_total: int = 0
    # Files of the export that are not streaming history: {"file", "reason"} (capped likewise).
    ignored: list[dict] = field(default_factory=list)

    def table(self, name: str) -> TableCounts:
        return self.tables.setdefault(name, TableCounts())

    def reject(self, table: str, key: str, reason: str, label: str | None = None) -> None:
        """Count a rejected row under `label` (default: the reason); keep it while under the cap."""
        self.table(table).rejected += 1
        self.rejects_total += 1
        counted = (table, label or reason)
        if counted not in self.reject_reasons and len(self.reject_reasons) >= MAX_REASONS:
            counted = (table, OTHER_REASONS)
        self.reject_reasons[counted] += 1
        if len(self.rejects) < MAX_REJECTS_KEPT:
            self.rejects.append(Reject(table, key, reason))

    def reject_many(self, table: str, label: str, rows: int) -> None:
        """Count `rows` rejected rows under `label` without keeping their keys (past a cap)."""
        self.table(table).rejected += rows
        self.rejects_total += rows
        counted = (table, label)
        if counted not in self.reject_reasons and len(self.reject_reasons) >= MAX_REASONS:
            counted = (table, OTHER_REASONS)
        self.reject_reasons[counted] += rows

    @property
    def rejects_not_kept(self) -> int:
        return self.rejects_total - len(self.rejects)

    def add_file(self, entry: dict) -> None:
        self.files_total += 1
        if len(self.files) < MAX_FILES_IN_REPORT:
            self.files.append(entry)

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append({"check": name, "ok": bool(ok), "detail": detail})

    def to_dict(self) -> dict:
        out: dict = {"source": self.source, "kind": self.kind, "run_id": self.run_id}
        for name, counts in self.tables.items():
            out[name] = asdict(counts)
        out["rejects"] = [asdict(r) for r in self.rejects]
        out["rejects_total"] = self.rejects_total
        out["rejects_not_kept"] = self.rejects_not_kept
        out["rejects_by_reason"] = [{"table": t, "reason": why, "rows": n}
                                    for (t, why), n in self.reject_reasons.most_common()]
        out["verification"] = self.checks
        out["verified"] = self.verified
        out["seconds"] = round(self.seconds, 3)
        out["notes"] = self.notes
        if self.files or self.ignored:
            out["files"] = self.files
            out["ignored"] = self.ignored
            out["files_total"] = self.files_total
        return out

    def render(self, max_rejects: int = 20) -> str:
        lines = [f"Imported {self.source} in {self.seconds:.1f} s (run {self.run_id})"]
        for name, c in self.tables.items():
            lines.append(
                f"  {name:<10} read {c.read:>8,}  inserted {c.inserted:>8,}  updated {c.updated:>7,}  "
                f"unchanged {c.unchanged:>8,}  duplicates {c.duplicates:>6,}  rejected {c.rejected:>6,}")
        if self.files:
            lines.append("Files:")
            lines.extend(_file_line(f) for f in self.files)
            if self.files_total > len(self.files):
                lines.append(f"  ... and {self.files_total - len(self.files):,} more files")
        if self.ignored:
            lines.append("Ignored (not streaming history):")
            lines.extend(f"  {f['file']}: {f.get('reason', 'not streaming history')}" for f in self.ignored)
        if self.rejects_total:
            if len(self.reject_reasons) > 1 or self.rejects_not_kept:
                lines.append(f"Rejected rows ({self.rejects_total:,}) by reason:")
                lines.extend(f"  {t}: {why}: {n:,}" for (t, why), n in self.reject_reasons.most_common(max_rejects))
                lines.append("Rejected rows with their keys"
                             + (f" (the first {len(self.rejects):,} are kept):" if self.rejects_not_kept else ":"))
            else:
                lines.append(f"Rejected rows ({self.rejects_total:,}):")
            for r in self.rejects[:max_rejects]:
                lines.append(f"  {r.table} {r.key}: {r.reason}")
            more = self.rejects_total - min(len(self.rejects), max_rejects)
            if more:
                kept = (f"the first {len(self.rejects):,} are in import_rejects" if self.rejects_not_kept
                        else "all in import_rejects")
                lines.append(f"  ... and {more:,} more ({kept}, run {self.run_id})")
        lines.append("Verification: " + ("passed" if self.verified else "FAILED"))
        for c in self.checks:
            lines.append(f"  [{'ok' if c['ok'] else 'FAIL'}] {c['check']}: {c['detail']}")
        lines.extend(f"Note: {n}" for n in self.notes)
        return "\n".join(lines)


def _file_line(f: dict) -> str:
    skipped = f.get("skipped") or {}
    why = ", ".join(f"{reason} {n:,}" for reason, n in skipped.items())
    kinds = ", ".join(f"{kind} {n:,}" for kind, n in (f.get("kinds") or {}).items())
    again = f.get("rejects_recorded_in_run")
    return (f"  {f['file']} [read as {f.get('read_as') or f['format']}]: read {f['records']:,}"
            + (f" ({kinds})" if kinds else "")
            + f", inserted {f['inserted']:,}, replaced {f['replaced']:,}, duplicates in this import "
            f"{f.get('duplicates', 0):,}, already present {f['already_present']:,}, matched {f['matched']:,}, "
            f"skipped {sum(skipped.values()):,}" + (f" ({why})" if why else "")
            + (f"; its {f['rejected']:,} rejects were recorded by run {again} already" if again is not None else ""))
