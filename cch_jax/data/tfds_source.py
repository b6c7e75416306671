"""TensorFlow-free TFDS image classification: `tfds.builder(...).as_data_source(split)`.

Reading needs only `tensorflow-datasets` and `array-record` (ArrayRecord files, PNG decoding
with pillow). *Preparing* a dataset (download and conversion) does need TensorFlow for
datasets with `Image` features, i.e. all the standard image datasets: TFDS encodes their
images with `tf.image` (and reads the raw MNIST/CIFAR files with `tf.io`). So prepare once
on a networked machine,

  pip install tensorflow tensorflow-datasets
  tfds build mnist --data_dir=DATA_DIR --file_format=array_record

and point `data.data_dir` at DATA_DIR (or pass `download=True` where TensorFlow is installed).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from cch_jax.data import sources


def prepare_command(name: str, data_dir: str) -> str:
  """The shell command that prepares `name` in `data_dir` for `as_data_source`."""
  target = data_dir or "~/tensorflow_datasets"
  return f"tfds build {name} --data_dir={target} --file_format=array_record"


def _import_tfds() -> Any:
  try:
    import tensorflow_datasets as tfds  # pylint: disable=import-outside-toplevel
  except ImportError as error:
    raise ImportError("TFDS data needs tensorflow-datasets and array-record: "
                      "pip install -r requirements.txt") from error
  return tfds


def _builder(tfds: Any, name: str, data_dir: str) -> Any:
  try:
    return tfds.builder(name, data_dir=os.path.expanduser(data_dir) if data_dir else None)
  except tfds.core.registered.DatasetNotFoundError:
    raise ValueError(f"data.name: {name!r} is neither a built-in source (digits, npz, csv, "
                     "synthetic) nor a TFDS dataset name (e.g. mnist, fashion_mnist, "
                     "cifar10)") from None


def _keys(tfds: Any, name: str, info: Any) -> tuple[str, str]:
  """(image key, label key) of an image classification dataset, or a clear error."""
  image_key, label_key = info.supervised_keys or ("image", "label")
  features = info.features
  image = dict(features.items()).get(image_key)
  is_image = isinstance(image, tfds.features.Image) or (
      type(image) is tfds.features.Tensor and len(image.shape) == 3)
  if not (is_image and label_key in features
          and isinstance(features[label_key], tfds.features.ClassLabel)):
    raise ValueError(f"data.name: TFDS dataset {name!r} is not an image classification "
                     f"dataset (need an Image or (H, W, C) Tensor feature and a ClassLabel "
                     f"as supervised keys); features: {', '.join(features.keys())}")
  shape = features[image_key].shape
  if None in shape:
    raise ValueError(f"data.name: TFDS dataset {name!r} has images of varying size {shape}; "
                     "only fixed-size image datasets are supported")
  return image_key, label_key


def _sources(builder: Any, name: str, data_dir: str, parts: list[str]) -> list[Any]:
  """builder.as_data_source for each split part, turning failures into a clear error."""
  try:
    return list(builder.as_data_source(parts))
  except (NotImplementedError, AssertionError, FileNotFoundError, KeyError,
          ValueError) as error:
    command = prepare_command(name, data_dir)
    if not builder.is_prepared():
      raise FileNotFoundError(
          f"TFDS dataset {name!r} is not prepared in {builder.data_dir!r}. On a machine "
          f"with network access, run:\n  pip install tensorflow tensorflow-datasets && "
          f"{command}\nand copy the data_dir here (or set data.download=True where "
          "TensorFlow is installed)") from error
    raise ValueError(f"TFDS dataset {name!r} in {builder.data_dir!r} cannot be read as "
                     f"ArrayRecord (split {'+'.join(parts)!r}): {error}. If it was built as "
                     f"TFRecord, rebuild it with:\n  {command}") from error


def _read(source: Any, keys: list[int]) -> list[Any]:
  """Batched `__getitems__`, or one `__getitem__` per key where that is broken.

  The fallback exists for `tfds.testing.mock_data` (tfds 4.9.10), whose mocked
  `__getitems__` is not bound to the data source and raises a TypeError.
  """
  try:
    return list(source.__getitems__(keys))
  except TypeError:
    return [source[key] for key in keys]


def _to_unit_float(images: np.ndarray) -> np.ndarray:
  if np.issubdtype(images.dtype, np.integer):
    return images.astype(np.float32) / np.float32(np.iinfo(images.dtype).max)
  return np.clip(images.astype(np.float32), 0.0, 1.0)


def load_tfds(name: str, data_dir: str = "", split: str = "", download: bool = False,
              max_examples: int = 0, seed: int = 0, chunk_size: int = 4096
              ) -> sources.Pool:
  """Loads a TFDS image classification dataset without TensorFlow.

  Args:
    name: a TFDS name, optionally with config/version ('mnist', 'cifar10:3.0.2').
    data_dir: the TFDS data_dir ('' = TFDS's default, ~/tensorflow_datasets).
    split: TFDS split(s) joined by '+', e.g. 'train' or 'train[:10%]+test'; '' pools all
      the dataset's splits (or 'train' when the dataset info lists none).
    download: prepare the dataset first if it is missing (download_and_prepare with
      ArrayRecord files); datasets with Image features need TensorFlow for that (see the
      module docstring): without it, an ImportError with the command to run elsewhere.
    max_examples: read only a seeded uniform random subset of this size (0 = all).
    seed: seed of that subset.
    chunk_size: records read per `__getitems__` call.

  Returns:
    A Pool with images (n, H, W, C) float32 in [0, 1] and labels.

  Raises:
    FileNotFoundError if the dataset is not prepared (with the command that prepares it).
  """
  tfds = _import_tfds()
  builder = _builder(tfds, name, data_dir)
  image_key, label_key = _keys(tfds, name, builder.info)
  if download and not builder.is_prepared():
    try:
      builder.download_and_prepare(file_format="array_record")
    except ImportError as error:  # TFDS re-raises it with a longer message, without .name
      if "No module named 'tensorflow" not in str(error):
        raise
      raise ImportError(
          f"data.download: preparing TFDS dataset {name!r} needs TensorFlow, which is not "
          f"installed. Either `pip install tensorflow` here, or on a networked machine run\n"
          f"  pip install tensorflow tensorflow-datasets && "
          f"{prepare_command(name, data_dir)}\nand copy the data_dir here") from error
  parts = [p.strip() for p in split.split("+") if p.strip()] if split else \
      sorted(builder.info.splits) or ["train"]
  data_sources = _sources(builder, name, data_dir, parts)
  offsets = np.cumsum([0] + [len(source) for source in data_sources])
  rows = sources.subsample_rows(int(offsets[-1]), max_examples, seed)
  if rows is None:
    rows = np.arange(offsets[-1])
  images, labels = [], []
  which = np.searchsorted(offsets, rows, side="right") - 1
  for index, source in enumerate(data_sources):
    local = (rows[which == index] - offsets[index]).tolist()
    for start in range(0, len(local), chunk_size):
      records = _read(source, local[start:start + chunk_size])
      images.append(np.stack([np.asarray(r[image_key]) for r in records]))
      labels.append(np.asarray([r[label_key] for r in records]))
  if not images:
    raise ValueError(f"TFDS dataset {name!r}, split {'+'.join(parts)!r}: no examples")
  return sources.image_pool(_to_unit_float(np.concatenate(images)), np.concatenate(labels),
                            f"TFDS {name}")
