"""`explorer_demo.ipynb` is a fixture of tests/test_browser.py, and `static_explorer_demo.ipynb` one of
test_static_explorer_lab.py beside this file, not lessons: each test copies its notebook, runs it in JupyterLab
in a real browser and checks the explorer there. They are stored without outputs on purpose (what matters is the
view in a browser, not text nbval could compare), so pytest must not collect them as nbval notebooks."""

collect_ignore = ["explorer_demo.ipynb", "static_explorer_demo.ipynb"]
