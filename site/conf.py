"""Sphinx configuration of the course's static site (site/build.py copies it next to the staged pages).

Everything a page loads is served from the site itself: no theme, font or script from another host.
"""

project = "infogan-edu"
author = "the infogan-edu authors"
copyright = "the infogan-edu authors (MIT licence)"

extensions = ["myst_nb"]  # myst-nb brings the MyST markdown parser with it
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
suppress_warnings = ["misc.highlighting_failure"]

# Notebooks: show the stored outputs, never execute; $...$ and $$...$$ are maths.
nb_execution_mode = "off"
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
# myst-nb would load require.js and the ipywidgets manager from a CDN for pages with widget state;
# the site drops that state (site/build.py) and loads neither.
nb_ipywidgets_js = {}

# MathJax 2 from the jupyter-server-mathjax package, copied into _static/mathjax by site/build.py.
# That copy has the STIX-Web fonts only, so the HTML-CSS output is told to use them.
# The package ships MathJax's combined configuration only. Its fast preview (PreviewHTML) would ask
# for the TeX fonts, which the package does not ship, so the preview is off.
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
mathjax2_config = {
    "fast-preview": {"disabled": True},
    "tex2jax": {
        "inlineMath": [["\\(", "\\)"]],
        "displayMath": [["\\[", "\\]"]],
        "processRefs": False,
        "processEnvironments": False,
        "processClass": "math|output_area",
        "ignoreClass": "document",
    },
    "HTML-CSS": {"availableFonts": [], "preferredFont": None, "webFont": "STIX-Web", "imageFont": None},
    "menuSettings": {"zoom": "None"},
    "showMathMenu": False,
}

html_theme = "alabaster"
html_title = "InfoGAN from first principles"
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_copy_source = False  # the notebooks are in the repository; the site need not carry them twice
html_show_sourcelink = False
html_theme_options = {"page_width": "1100px", "sidebar_width": "230px", "font_family": "sans-serif",
                      "head_font_family": "sans-serif"}
html_sidebars = {"**": ["navigation.html", "relations.html", "searchbox.html"]}
