"""TFDS through `as_data_source` under `tfds.testing.mock_data`: nothing downloads.

MockPolicy.USE_CODE builds the dataset info from the builder's code (no metadata files, no
TensorFlow); AUTO would also work here but may look for metadata files first.
"""

import importlib.util
import sys

import numpy as np
import pytest

from cch_jax import data

tfds = pytest.importorskip("tensorflow_datasets")

USE_CODE = tfds.testing.MockPolicy.USE_CODE


def test_mnist_loads_through_as_data_source_without_tensorflow(tmp_path):
  tensorflow_before = "tensorflow" in sys.modules
  with tfds.testing.mock_data(num_examples=200, policy=USE_CODE):
    ds = data.load_views(name="mnist", data_dir=str(tmp_path), teacher="clean",
                         student="blur:sigma=1")
  assert ds.source == "mnist" and ds.train.n + ds.validation.n + ds.test.n == 200
  assert ds.train.views["clean"].shape[1:] == (28, 28, 1)
  clean = ds.train.views["clean"]
  assert clean.dtype == np.float32 and clean.min() >= 0 and clean.max() <= 1
  assert clean.max() > 0.5  # uint8 / 255, not all zeros
  assert ds.n_classes <= 10 and ds.train.labels.max() < ds.n_classes
  if not tensorflow_before:  # TFDS read path must not import TensorFlow
    assert "tensorflow" not in sys.modules


@pytest.mark.parametrize("name, shape", [("fashion_mnist", (28, 28, 1)),
                                         ("cifar10", (32, 32, 3))])
def test_other_image_datasets_by_name(name, shape):
  with tfds.testing.mock_data(num_examples=60, policy=USE_CODE):
    pool = data.load_tfds(name)
  assert pool.images.shape == (60,) + shape and pool.labels.shape == (60,)


def test_split_pooling_and_max_examples_read_a_seeded_subset():
  with tfds.testing.mock_data(num_examples=100, policy=USE_CODE):
    both = data.load_tfds("mnist", split="train+test")
    some = data.load_tfds("mnist", split="train+test", max_examples=30, seed=1)
    same = data.load_tfds("mnist", split="train+test", max_examples=30, seed=1)
    other = data.load_tfds("mnist", split="train+test", max_examples=30, seed=2)
  assert both.images.shape[0] == 200 and some.images.shape[0] == 30
  np.testing.assert_array_equal(some.images, same.images)
  assert not np.array_equal(some.images, other.images)


def test_an_unprepared_dataset_names_the_command_that_prepares_it(tmp_path):
  with pytest.raises(FileNotFoundError, match=(
      r"TFDS dataset 'mnist' is not prepared in .*\n  pip install tensorflow "
      r"tensorflow-datasets && tfds build mnist "
      rf"--data_dir={tmp_path} --file_format=array_record")):
    data.load_views(name="mnist", data_dir=str(tmp_path))


class CchTinyTensorImages(tfds.core.GeneratorBasedBuilder):
  """A local dataset with (6, 5, 1) uint8 Tensor images: TFDS prepares it without TF."""
  VERSION = tfds.core.Version("1.0.0")

  def _info(self):
    return tfds.core.DatasetInfo(builder=self, supervised_keys=("image", "label"),
                                 features=tfds.features.FeaturesDict({
                                     "image": tfds.features.Tensor(shape=(6, 5, 1),
                                                                   dtype=np.uint8),
                                     "label": tfds.features.ClassLabel(num_classes=3)}))

  def _split_generators(self, dl_manager):
    del dl_manager
    return {"train": self._generate_examples(0, 45), "test": self._generate_examples(45, 60)}

  def _generate_examples(self, start, stop):
    for i in range(start, stop):
      yield i, {"image": np.full((6, 5, 1), 4 * i, np.uint8), "label": i % 3}


class CchTinyPngImages(CchTinyTensorImages):
  """The same with Image features: preparing it encodes PNGs, which needs TensorFlow."""

  def _info(self):
    return tfds.core.DatasetInfo(builder=self, supervised_keys=("image", "label"),
                                 features=tfds.features.FeaturesDict({
                                     "image": tfds.features.Image(shape=(6, 5, 1)),
                                     "label": tfds.features.ClassLabel(num_classes=3)}))


def test_a_real_prepared_array_record_dataset_round_trips_without_mocks(tmp_path):
  with pytest.raises(FileNotFoundError, match="tfds build cch_tiny_tensor_images"):
    data.load_tfds("cch_tiny_tensor_images", data_dir=str(tmp_path))
  pool = data.load_tfds("cch_tiny_tensor_images", data_dir=str(tmp_path), download=True)
  assert pool.images.shape == (60, 6, 5, 1) and pool.images.dtype == np.float32
  values = np.round(pool.images[:, 0, 0, 0] * 255 / 4).astype(int)  # the example ids
  assert sorted(values.tolist()) == list(range(60))  # train + test, each example once
  np.testing.assert_array_equal(np.asarray(pool.classes)[pool.labels], values % 3)
  ds = data.load_views(name="cch_tiny_tensor_images", data_dir=str(tmp_path),
                       tfds_split="test", teacher="clean", student="noise:std=0.1")
  assert ds.train.n + ds.validation.n + ds.test.n == 15 and ds.n_classes == 3


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is not None,
                    reason="TensorFlow is installed: preparing would succeed")
def test_download_without_tensorflow_says_what_to_do(tmp_path):
  with pytest.raises(ImportError, match=r"preparing TFDS dataset 'cch_tiny_png_images' needs "
                                        r"TensorFlow.*\n.*tfds build cch_tiny_png_images"):
    data.load_tfds("cch_tiny_png_images", data_dir=str(tmp_path), download=True)


def test_a_non_image_dataset_is_rejected():
  with pytest.raises(ValueError, match="'imdb_reviews' is not an image classification"):
    data.load_tfds("imdb_reviews")


def test_prepare_command():
  assert data.prepare_command("cifar10", "/d") == (
      "tfds build cifar10 --data_dir=/d --file_format=array_record")
