"""Importers into PostgreSQL (the Music Time Machine's SQLite file, later the Spotify export) and the
demo generator. `migrate.api.run_import()` is the one entry point pages use."""
