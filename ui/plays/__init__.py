"""The Plays page (app_pages/plays.py) in parts: settings.py (the settings and totals) and one module
per section, each with render(settings)."""
