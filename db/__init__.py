"""PostgreSQL layer: which database, pooled engines, schema, named queries. No Streamlit here."""
