"""Data for infogan-edu: MNIST / Fashion-MNIST loaders, procedural Shapes, 2-D toys, fast batching.

* :mod:`.idx` reads and writes the IDX files MNIST is shipped in.
* :mod:`.datasets` finds and loads MNIST and Fashion-MNIST (downloading them if needed).
* :mod:`.download` downloads their files from mirrors and verifies them by SHA-256.
* :mod:`.svhn` and :mod:`.celeba` load SVHN and CelebA as 32x32 RGB images; :mod:`.published` finds,
  downloads and verifies their published files.
* :mod:`.folder` reads a folder of your own PNG or JPEG images (unlabelled, square crops, gray or RGB).
* :mod:`.shapes` renders a dSprites-style dataset with known factors of variation.
* :mod:`.render3d` renders 32x32 heads and chairs from known factors (SDFs sphere-traced by
  :mod:`.raymarch`) and caches data sets of fixed size.
* :mod:`.toys` samples 2-D Gaussian mixtures and scores mode coverage.
* :mod:`.batching` draws random batches from one uint8 tensor kept on the device.
"""

from .batching import TensorBatcher, to_float_images, to_uint8_images
from .celeba import CELEBA_ATTRIBUTES, load_celeba
from .datasets import (
    CLASS_COUNTS,
    CLASS_NAMES,
    DATASETS,
    DataLocation,
    DataNotFoundError,
    available_datasets,
    candidate_dirs,
    find_dataset,
    has_class_labels,
    load_dataset,
    load_fashion_mnist,
    load_mnist,
)
from .download import ChecksumError, cache_dir
from .folder import FolderError, is_folder_dataset, load_folder
from .idx import IDXFormatError, read_idx, read_idx_bytes, write_idx
from .published import DataFormatError
from .render3d import (
    CHAIR_FACTORS,
    CHAIR_STYLES,
    HEAD_FACTORS,
    draw_chairs,
    draw_heads,
    load_chairs,
    load_heads,
    render3d_path,
    sample_chairs,
    sample_heads,
)
from .shapes import (
    N_SHAPES,
    SHAPE_NAMES,
    SHAPES_FACTOR_NAMES,
    SHAPES_FACTORS,
    ShapesDataset,
    draw_shapes,
    render_shapes,
    sample_shapes,
    shapes_factors,
    shapes_index,
)
from .svhn import load_svhn
from .toys import (
    grid_centres,
    grid_of_gaussians,
    mode_counts,
    mode_coverage,
    ring_centres,
    ring_of_gaussians,
)

__all__ = [
    "CELEBA_ATTRIBUTES",
    "CHAIR_FACTORS",
    "CHAIR_STYLES",
    "CLASS_COUNTS",
    "CLASS_NAMES",
    "DATASETS",
    "HEAD_FACTORS",
    "N_SHAPES",
    "SHAPES_FACTORS",
    "SHAPES_FACTOR_NAMES",
    "SHAPE_NAMES",
    "ChecksumError",
    "DataFormatError",
    "DataLocation",
    "DataNotFoundError",
    "FolderError",
    "IDXFormatError",
    "ShapesDataset",
    "TensorBatcher",
    "available_datasets",
    "cache_dir",
    "candidate_dirs",
    "draw_chairs",
    "draw_heads",
    "draw_shapes",
    "find_dataset",
    "grid_centres",
    "grid_of_gaussians",
    "is_folder_dataset",
    "has_class_labels",
    "load_celeba",
    "load_chairs",
    "load_dataset",
    "load_fashion_mnist",
    "load_folder",
    "load_heads",
    "load_mnist",
    "load_svhn",
    "mode_counts",
    "mode_coverage",
    "read_idx",
    "read_idx_bytes",
    "render3d_path",
    "render_shapes",
    "ring_centres",
    "ring_of_gaussians",
    "sample_chairs",
    "sample_heads",
    "sample_shapes",
    "shapes_factors",
    "shapes_index",
    "to_float_images",
    "to_uint8_images",
    "write_idx",
]
