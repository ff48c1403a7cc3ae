"""What sits in front of Streamlit in the served app (app.py): ASGI middleware, later API routes.

No page code here and no database access: app.py assembles these pieces into one `st.App`.
"""
