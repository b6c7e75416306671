"""The data engine: paired teacher/student views with fixed, seeded, stratified splits.

  from cch_jax import data
  ds = data.load_views(data.default_config())      # digits; teacher 'clean', student 'mnistm'
  ds = data.load_views(name="synthetic", teacher="a", student="b")
  x_t = ds.train.views[ds.teacher[0]]               # (n, ...) float32, NumPy on the host
  x_s, y = ds.train.views[ds.student], ds.train.labels   # y: (n,) int32 in 0..K-1
  print(ds.summary())

`load_views(config=None, **overrides) -> MultiViewData` is the one entry point; `config` is
the `data` block of an experiment config (`default_config()` lists every key):

  name        'digits' (scikit-learn's bundled 8×8 digits, no download: (1797, 8, 8, 1) in
              [0, 1], 10 classes) | 'diabetes' (442 rows, regression; views body (4),
              serum (6)) | 'breast_cancer' (569 rows, 2 classes; views mean, se, worst
              (10 each)) | 'sequence' (synthetic sequence (n, 16, 9) + vector (n, 8), known
              Bayes accuracy) | 'synthetic' | 'npz' | 'csv' | any TFDS image
              classification name ('mnist', 'fashion_mnist', 'cifar10', ...)
  task        'auto' | 'classification' | 'regression' (npz/csv: non-whole labels are
              regression targets under 'auto')
  path        the .npz file or CSV folder; data_dir, tfds_split, download: TFDS options
  teacher     image data: transform specs ('clean', 'blur:sigma=2', 'mnistm+noise:std=0.1');
              named-view sources: view names. A comma-separated list gives several
              teachers; '' = the source's default (`DEFAULT_VIEWS`; npz/csv have none).
  student     one view name or transform spec ('' = the source's default)
              Any view may be a fusion 'a&b' of views: their arrays concatenated on the
              last axis (image channels, vector features), e.g. student='mnistm&noise:std=0.5'.
  split       (train, validation, test) fractions; seed; standardize; standardize_images;
              max_examples (0 = all); synthetic (the `make_synthetic` knobs)

Returned containers (frozen dataclasses, NumPy arrays; `jax.device_put` them once):

  MultiViewData(train, validation, test: Split, n_classes: int, teacher: tuple[str, ...],
                student: str, view_names: tuple[str, ...], classes: tuple, source: str,
                standardization: {view: (mean, std)}, task: str,
                target_standardization: (mean (k,), std (k,)) | None); .n_outputs,
                .score_scale
  Split(views: {view name: (n, ...) float32}, labels: (n,) int32 or regression targets
        (n, k) float32 standardised with train statistics, indices: (n,) int64)

Vector views are (n, d) and standardised with train statistics (`standardize=True`); image
views are (n, H, W, C) in [0, 1] (standardised per channel only if `standardize_images`);
sequence views are (n, L, d + 1), the last channel the padding mask (standardised per
feature over the real steps). Regression splits are stratified by quantile bins of y.
Labels are re-coded to 0..K-1 (`classes` keeps the original values). Splits depend only on
the labels, fractions, seed and max_examples, so runs over different views share them.
For image data a view's name is its spec string (`ds.train.views["blur:sigma=2"]`), and its
randomness is seeded by (seed, spec). TFDS splits (`tfds_split`, default all) are pooled
and re-split by `split` like every other source. File formats (.npz, CSV folder): see
`cch_jax.data.sources`.

Pieces: `TRANSFORMS` (the view-transform registry) with `parse_spec`, `apply_spec`;
`SOURCES` (built-in sources; other names go to TFDS, read with `as_data_source` and no
TensorFlow, see `tfds_source`); `make_synthetic` (a Modality-Focusing-Hypothesis-style
generator); `stratified_split`; `batches(split, batch_size, seed)`.
"""

from cch_jax.data.api import (DEFAULT_VIEWS, SOURCES, DefaultViews, default_config,
                              default_views, fused_parts, load_views)
from cch_jax.data.sources import Pool, load_csv_dir, load_digits, load_npz
from cch_jax.data.splits import MultiViewData, Split, batches, stratified_split
from cch_jax.data.synthetic import SyntheticViews, make_synthetic
from cch_jax.data.tfds_source import load_tfds, prepare_command
from cch_jax.data.transforms import TRANSFORMS, apply_spec, parse_spec, spec_seed, split_view_list

__all__ = ["DEFAULT_VIEWS", "SOURCES", "TRANSFORMS", "DefaultViews", "MultiViewData", "Pool",
           "Split", "SyntheticViews", "apply_spec", "batches", "default_config",
           "default_views", "fused_parts", "load_csv_dir", "load_digits", "load_npz",
           "load_tfds", "load_views", "make_synthetic", "parse_spec", "prepare_command",
           "spec_seed", "split_view_list", "stratified_split"]
