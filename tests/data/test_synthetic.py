import numpy as np
import pytest

from cch_jax import data
from cch_jax.data.synthetic import make_synthetic


def _r2(x, target):
  """Held-in R² of least squares (with intercept) of target (n, k) on x (n, d)."""
  design = np.concatenate([x, np.ones((len(x), 1))], axis=1)
  coef, *_ = np.linalg.lstsq(design, target, rcond=None)
  resid = target - design @ coef
  return 1.0 - resid.var(0).sum() / target.var(0).sum()


def _accuracy(x, labels, n_classes):
  """Accuracy of a least-squares one-vs-rest classifier (train = test; n >> d)."""
  onehot = np.eye(n_classes)[labels]
  design = np.concatenate([x, np.ones((len(x), 1))], axis=1)
  coef, *_ = np.linalg.lstsq(design, onehot, rcond=None)
  return float(np.mean(np.argmax(design @ coef, axis=1) == labels))


def _class_means(x, labels):
  sums = np.zeros((labels.max() + 1, x.shape[1]))
  np.add.at(sums, labels, x)
  return (sums / np.bincount(labels)[:, None])[labels]


def test_shapes_balance_and_determinism():
  out = make_synthetic(300, n_classes=3, d_shared=2, d_private_a=3, d_private_b=1,
                       d_nuisance=2, d_noise_a=4, d_noise_b=0, seed=5)
  assert out.views["a"].shape == (300, 11) and out.views["b"].shape == (300, 5)
  assert out.views["a"].dtype == np.float32 and out.labels.dtype == np.int32
  assert np.bincount(out.labels).tolist() == [100, 100, 100]
  again = make_synthetic(300, n_classes=3, d_shared=2, d_private_a=3, d_private_b=1,
                         d_nuisance=2, d_noise_a=4, d_noise_b=0, seed=5)
  np.testing.assert_array_equal(out.views["a"], again.views["a"])
  assert not np.array_equal(out.views["a"], make_synthetic(300, n_classes=3, d_shared=2,
                                                           d_private_a=3, d_private_b=1,
                                                           d_nuisance=2, d_noise_a=4,
                                                           d_noise_b=0, seed=6).views["a"])


def test_shared_features_are_in_both_views_and_private_ones_in_one_only():
  # n = 4000, d <= 12: least-squares R² has sampling error ~ d/n = 0.003; margins are wide.
  out = make_synthetic(4000, n_classes=3, d_shared=3, d_private_a=3, d_private_b=3,
                       d_nuisance=2, d_noise_a=2, d_noise_b=2, class_sep=2.0, seed=0)
  a, b = out.views["a"], out.views["b"]
  assert _r2(a, out.latents["shared"]) > 0.95 and _r2(b, out.latents["shared"]) > 0.95
  # a private block is read from its own view; the other view (even given the label)
  # knows only its class means, not its within-class part (R² < 0.02).
  onehot = np.eye(3)[out.labels]
  for own, other, block in ((a, b, "private_a"), (b, a, "private_b")):
    latent = out.latents[block]
    within = latent - _class_means(latent, out.labels)
    assert _r2(own, latent) > 0.95
    assert _r2(np.concatenate([own, onehot], 1), within) > 0.95
    assert _r2(np.concatenate([other, onehot], 1), within) < 0.02
  assert _r2(a, out.latents["nuisance"]) > 0.95 and _r2(b, out.latents["nuisance"]) > 0.95
  chance = 1 / 3
  # the label from the shared block of either view, and from each private block:
  shared_a, shared_b = _accuracy(a[:, :3], out.labels, 3), _accuracy(b[:, :3], out.labels, 3)
  assert shared_a > chance + 0.2 and shared_b > chance + 0.2 and abs(shared_a - shared_b) < 0.05
  assert _accuracy(a[:, 3:6], out.labels, 3) > chance + 0.2
  # the label-irrelevant columns (nuisance and noise) carry nothing about the label:
  assert _accuracy(a[:, 6:], out.labels, 3) < chance + 0.05
  # both decisive blocks together beat either alone:
  assert _accuracy(a, out.labels, 3) > max(shared_a, _accuracy(a[:, 3:6], out.labels, 3))


def test_mixing_rotates_without_losing_information():
  plain = make_synthetic(2000, seed=1)
  mixed = make_synthetic(2000, mix=True, seed=1)
  np.testing.assert_array_equal(plain.labels, mixed.labels)
  assert _r2(mixed.views["a"], plain.latents["private_a"]) > 0.95
  assert not np.allclose(np.abs(np.corrcoef(mixed.views["a"].T)), np.eye(12), atol=0.1)


def test_errors_name_the_argument():
  with pytest.raises(ValueError, match="n_classes: expected an integer >= 2"):
    make_synthetic(100, n_classes=1)
  with pytest.raises(ValueError, match="noise_std: expected a finite number >= 0"):
    make_synthetic(100, noise_std=-1.0)
  with pytest.raises(ValueError, match="expected at least one decisive feature"):
    make_synthetic(100, d_shared=0, d_private_a=0, d_private_b=0)
  with pytest.raises(ValueError, match="view 'b' would have no columns"):
    make_synthetic(100, d_shared=0, d_private_b=0, d_noise_b=0)


def test_load_views_with_the_synthetic_source():
  ds = data.load_views(name="synthetic", teacher="a", student="b", seed=2,
                       synthetic={"n": 600, "n_classes": 4})
  assert ds.n_classes == 4 and ds.train.n == 360 and ds.train.views["a"].shape == (360, 12)
  np.testing.assert_allclose(ds.train.views["b"].mean(0), 0, atol=1e-5)
  with pytest.raises(ValueError, match=r"no view named 'clean', 'mnistm' \(set data.teacher / "
                                       r"data.student to view names\); available views: a, b"):
    data.load_views(name="synthetic", teacher="clean", student="mnistm")
  assert data.load_views(name="synthetic").view_names == ("a", "b")  # the default views
