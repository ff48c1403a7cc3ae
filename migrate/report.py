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
    # Per history file read (Spotify export): {"file", "format", "read_as", "records", "inserted", "replaced",
    # "duplicates", "already_present", "matched", "skipped": {reason: n}, "rejected", "kinds": {kind: n}}.
    files: list[dict] = field(default_factory=list)
    # Files of the export that are not streaming history: {"file", "reason"}.
    ignored: list[dict] = field(default_factory=list)

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
        if self.files or self.ignored:
            out["files"] = self.files
            out["ignored"] = self.ignored
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
        if self.ignored:
            lines.append("Ignored (not streaming history):")
            lines.extend(f"  {f['file']}: {f.get('reason', 'not streaming history')}" for f in self.ignored)
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
