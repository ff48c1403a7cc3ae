"""The import report: counts per table, rejected rows with reasons, verification.

`to_dict()` is the `--json` summary and what the import-run tables store; `render()` is the readable
summary printed on a terminal and shown on the Admin page.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

MAX_REJECTS_IN_REPORT = 10_000  # all rejects go to import_rejects; the JSON line lists this many


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
    rejects: list[Reject] = field(default_factory=list)
    checks: list[dict] = field(default_factory=list)   # {"check", "ok", "detail"}
    verified: bool = False
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    # Per source file (Spotify export): {"file", "format", "records", "inserted", ..., "skipped": {reason: n}},
    # or {"file", "format": "ignored", "reason"} for a file that is not streaming history.
    files: list[dict] = field(default_factory=list)

    def table(self, name: str) -> TableCounts:
        return self.tables.setdefault(name, TableCounts())

    def reject(self, table: str, key: str, reason: str) -> None:
        self.table(table).rejected += 1
        self.rejects.append(Reject(table, key, reason))

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append({"check": name, "ok": bool(ok), "detail": detail})

    def to_dict(self) -> dict:
        out: dict = {"source": self.source, "kind": self.kind, "run_id": self.run_id}
        for name, counts in self.tables.items():
            out[name] = asdict(counts)
        out["rejects"] = [asdict(r) for r in self.rejects[:MAX_REJECTS_IN_REPORT]]
        out["rejects_total"] = len(self.rejects)
        out["verification"] = self.checks
        out["verified"] = self.verified
        out["seconds"] = round(self.seconds, 3)
        out["notes"] = self.notes
        if self.files:
            out["files"] = self.files
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
        if self.rejects:
            lines.append(f"Rejected rows ({len(self.rejects):,}):")
            for r in self.rejects[:max_rejects]:
                lines.append(f"  {r.table} {r.key}: {r.reason}")
            if len(self.rejects) > max_rejects:
                lines.append(f"  ... and {len(self.rejects) - max_rejects:,} more (all in import_rejects, run {self.run_id})")
        lines.append("Verification: " + ("passed" if self.verified else "FAILED"))
        for c in self.checks:
            lines.append(f"  [{'ok' if c['ok'] else 'FAIL'}] {c['check']}: {c['detail']}")
        lines.extend(f"Note: {n}" for n in self.notes)
        return "\n".join(lines)


def _file_line(f: dict) -> str:
    if f.get("format") == "ignored":
        return f"  {f['file']}: ignored ({f.get('reason', 'not streaming history')})"
    skipped = f.get("skipped") or {}
    why = ", ".join(f"{reason} {n:,}" for reason, n in skipped.items())
    return (f"  {f['file']} [{f['format']}]: read {f['records']:,}, inserted {f['inserted']:,}, "
            f"replaced {f['replaced']:,}, already present {f['already_present']:,}, matched {f['matched']:,}, "
            f"skipped {sum(skipped.values()):,}" + (f" ({why})" if why else ""))
