import numpy as np
import pytest

from cch_jax.data import splits


def test_stratified_split_has_the_requested_proportions_in_every_class():
  labels = np.repeat(np.arange(4), [100, 50, 30, 20])
  train, val, test = splits.stratified_split(labels, (0.6, 0.2, 0.2), seed=0)
  rows = np.concatenate([train, val, test])
  assert np.array_equal(np.sort(rows), np.arange(200))  # a partition
  for part, fraction in ((train, 0.6), (val, 0.2), (test, 0.2)):
    counts = np.bincount(labels[part], minlength=4)
    np.testing.assert_allclose(counts, fraction * np.array([100, 50, 30, 20]), atol=1)
  assert (len(train), len(val), len(test)) == (120, 40, 40)


def test_stratified_split_is_seeded():
  labels = np.arange(90) % 3
  a = splits.stratified_split(labels, (0.5, 0.25, 0.25), seed=1)
  b = splits.stratified_split(labels, (0.5, 0.25, 0.25), seed=1)
  c = splits.stratified_split(labels, (0.5, 0.25, 0.25), seed=2)
  assert all(np.array_equal(x, y) for x, y in zip(a, b))
  assert not np.array_equal(np.sort(a[0]), np.sort(c[0]))


def test_small_classes_still_get_one_example_per_part_and_empty_parts_are_allowed():
  labels = np.array([0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1])
  train, val, test = splits.stratified_split(labels, (0.8, 0.1, 0.1), seed=0)
  assert all(np.sum(labels[p] == 0) == 1 for p in (train, val, test))
  train, val, test = splits.stratified_split(labels, (0.75, 0.25, 0.0), seed=0)
  assert len(test) == 0 and len(train) + len(val) == 13


def test_a_class_too_small_for_stratification_is_named():
  labels = np.array([0] * 10 + [1] * 2)
  with pytest.raises(ValueError, match=r"class 'seven' has 2 example\(s\); a stratified "
                                       r"split .* needs at least 3 per class"):
    splits.stratified_split(labels, (0.6, 0.2, 0.2), 0, classes=("zero", "seven"))
  with pytest.raises(ValueError, match=r"class 1 has 2 example"):
    splits.stratified_split(labels, (0.6, 0.2, 0.2), 0)


@pytest.mark.parametrize("bad", [(0.5, 0.5), (0.6, 0.3, 0.3), (0.0, 0.5, 0.5),
                                 (1.2, -0.1, -0.1), "abc"])
def test_bad_fractions_are_rejected(bad):
  with pytest.raises(ValueError, match="split: expected .* fractions"):
    splits.check_fractions(bad)


def test_check_labels_recodes_and_rejects_non_integers():
  codes, classes = splits.check_labels("y", np.array([5, 2, 5, 9]))
  assert codes.tolist() == [1, 0, 1, 2] and classes == (2, 5, 9) and codes.dtype == np.int32
  codes, _ = splits.check_labels("y", np.array([1.0, 0.0, 1.0]))
  assert codes.tolist() == [1, 0, 1]
  with pytest.raises(ValueError, match="y: expected integer class labels, found non-integer "
                                       "values such as 0.5"):
    splits.check_labels("y", np.array([0.0, 0.5, 1.0]))
  with pytest.raises(ValueError, match="y: expected integer class labels, got dtype <U1"):
    splits.check_labels("y", np.array(["a", "b"]))
  with pytest.raises(ValueError, match="y: expected integer class labels, found NaN"):
    splits.check_labels("y", np.array([0.0, np.nan]))
  with pytest.raises(ValueError, match="y: expected at least two classes"):
    splits.check_labels("y", np.zeros(5, int))


def test_standardization_uses_only_the_training_statistics():
  train = splits.Split({"v": np.array([[0.0], [2.0]], np.float32),
                        "img": np.full((2, 2, 2, 1), 0.5, np.float32)},
                       np.array([0, 1]), np.arange(2))
  test = splits.Split({"v": np.array([[100.0], [102.0]], np.float32),
                       "img": np.full((2, 2, 2, 1), 0.9, np.float32)},
                      np.array([0, 1]), np.arange(2, 4))
  stats = splits.fit_standardization(train.views)
  assert set(stats) == {"v"}  # images untouched by default
  np.testing.assert_allclose(splits.apply_standardization(test, stats).views["v"][:, 0],
                             [99.0, 101.0])  # (x - 1) / 1 with train mean 1, std 1
  images_after = splits.apply_standardization(test, stats).views["img"]
  np.testing.assert_array_equal(images_after, np.float32(0.9))
  with_images = splits.fit_standardization(train.views, images=True)
  np.testing.assert_allclose(with_images["img"][0], [0.5])
  np.testing.assert_allclose(with_images["img"][1], [1.0])  # constant: std set to 1


def test_batches_cover_the_split_once():
  split = splits.Split({"v": np.arange(10, dtype=np.float32)[:, None]}, np.arange(10) % 2,
                       np.arange(10))
  seen = np.concatenate([b.views["v"][:, 0] for b in splits.batches(split, 4, seed=0)])
  assert sorted(seen.tolist()) == list(range(10)) and seen.tolist() != list(range(10))
  assert [b.n for b in splits.batches(split, 4, seed=None, drop_remainder=True)] == [4, 4]
  with pytest.raises(ValueError, match="batch_size: expected an integer >= 1"):
    next(splits.batches(split, 0))
