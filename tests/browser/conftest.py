"""`explorer_demo.ipynb` is a fixture of tests/test_browser.py, not a lesson: that test copies it, runs it in JupyterLab
in a real browser and checks the widget there. It is stored without outputs on purpose (a widget's output is a
browser view, not text nbval could compare), so pytest must not collect it as an nbval notebook."""

collect_ignore = ["explorer_demo.ipynb"]
