"""Errors an import reports to its user as one line, mapped to exit codes by the CLI."""


class ImportError_(Exception):
    exit_code = 1


class UnusableInput(ImportError_):
    """The input file cannot be imported at all (missing, wrong format, tables missing): exit 2."""

    exit_code = 2


class ImportFailed(ImportError_):
    """Anything else that stopped the import (database unreachable, ...): exit 1."""

    exit_code = 1
