"""python -m api token create NAME | token revoke NAME | token list

create prints the new token alone on its last line (scripts read it there); it is shown only then.
Exit codes: 0 done, 2 bad usage or a name that cannot be used, 1 the database cannot be reached.
"""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api", description="Manage the API's tokens.")
    sub = parser.add_subparsers(dest="group", required=True)
    token = sub.add_parser("token", help="create, revoke or list API tokens")
    actions = token.add_subparsers(dest="action", required=True)
    actions.add_parser("create", help="create a token (printed once, on the last line)").add_argument("name")
    actions.add_parser("revoke", help="revoke a token by name").add_argument("name")
    actions.add_parser("list", help="list tokens (never the tokens themselves)")
    args = parser.parse_args(argv)

    import psycopg2

    from api import tokens
    from db import config
    from db.schema import MigrationFailed, ensure_schema

    try:
        url = ensure_schema(config.database_url())
        conn = psycopg2.connect(url, connect_timeout=10, application_name="mtm-api-cli")
    except (psycopg2.Error, MigrationFailed) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        print(f"error: cannot reach the database: {config.redact_text(first)}", file=sys.stderr)
        return 1
    try:
        if args.action == "create":
            secret = tokens.create(conn, args.name)
            print(f"Token {args.name.strip()!r} created. It is shown only now; clients send it as "
                  "'Authorization: Token <token>':")
            print(secret)
        elif args.action == "revoke":
            tokens.revoke(conn, args.name)
            print(f"Token {args.name.strip()!r} revoked.")
        else:
            rows = tokens.listing(conn)
            if not rows:
                print("No tokens. Create one: python -m api token create NAME")
            for name, created, used, revoked in rows:
                state = f"revoked {revoked:%Y-%m-%d %H:%M}" if revoked else "valid"
                last = f"last used {used:%Y-%m-%d %H:%M}" if used else "never used"
                print(f"{name}\t{state}\tcreated {created:%Y-%m-%d %H:%M}\t{last}")
    except tokens.TokenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except psycopg2.Error as exc:
        print(f"error: {config.redact_text(str(exc).strip().splitlines()[0])}", file=sys.stderr)
        return 1
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
