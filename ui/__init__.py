"""Streamlit-side helpers shared by the pages: cached reads, charts, page furniture."""
