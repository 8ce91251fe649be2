"""infogan-edu: learn InfoGAN (Chen et al. 2016, arXiv:1606.03657) from first principles."""

__version__ = "0.1.0"
