"""python -m migrate PATH [--json]: import a Music Time Machine SQLite file (or a Spotify export).

Exit codes: 0 the import completed (rejected rows are in the report), 2 the input is unusable,
1 any other failure. Errors are one line on stderr; no traceback reaches the user.
"""
from __future__ import annotations

import argparse
import json
import sys


def _progress_bar():
    """A tqdm bar per stage on a terminal; silent otherwise."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=f"{stage:<10}", unit=" rows", leave=True)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return progress


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m migrate", description=__doc__.splitlines()[0])
    parser.add_argument("path", help="Music Time Machine .db file, or a Spotify export (file, folder or zip)")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON line at the end")
    parser.add_argument("--keep-network-data", action="store_true",
                        help="Spotify export: keep ip_addr, user_agent and username (dropped by default)")
    args = parser.parse_args(argv)

    from db.config import redact_text
    from migrate.api import run_import
    from migrate.errors import ImportError_

    def notice(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    options = {"keep_network_data": True} if args.keep_network_data else {}
    try:
        report = run_import(args.path, progress=_progress_bar(), notice=notice, **options)
    except ImportError_ as exc:
        print(f"error: {exc}", file=sys.stderr)
        if args.json:
            print(json.dumps({"error": str(exc), "exit": exc.exit_code}))
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted; nothing from this run was committed", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: still one line for the user
        line = redact_text(str(exc).strip().splitlines()[0] if str(exc).strip() else "")
        print(f"error: import failed unexpectedly: {type(exc).__name__}: {line}", file=sys.stderr)
        return 1
    print(report.render())
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
