"""Start the Streamlit server for dashboard.py: `python -m ui.launch [streamlit run options]`.

Why not plain `streamlit run dashboard.py`: the page files live in `pages/` (the project's layout),
and Streamlit treats an app with a `pages/` folder as an old-style multipage app until the first
run of dashboard.py calls st.navigation. Until then, a direct link such as /history served the
page file alone, without the app's navigation and wide layout. dashboard.py always uses
st.navigation, so we say so before the server starts; every URL then goes through dashboard.py.
"""
from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv: list[str]) -> None:
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", os.path.join(ROOT, "dashboard.py"), *argv]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])
