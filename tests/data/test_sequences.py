"""Sequence views in .npz files: VIEW_mask / VIEW_lengths become a last mask channel,
sequences are standardised over their real steps, and bad masks name the array."""

import numpy as np
import pytest

from cch_jax import data


def _arrays(n=60, seed=0):
  rng = np.random.default_rng(seed)
  lengths = rng.integers(1, 7, size=n)
  mask = rng.random((n, 5)) < 0.6
  mask[:, 0] = True  # every row has a real step
  return {"seq": rng.normal(size=(n, 6, 3)) * [1.0, 5.0, 0.5] + [0.0, 3.0, -1.0],
          "seq_lengths": lengths, "other": rng.normal(size=(n, 5, 2)),
          "other_mask": mask, "plain": rng.normal(size=(n, 4, 2)),
          "vec": rng.normal(size=(n, 2)), "y": np.arange(n) % 3}


def test_npz_sequences_get_a_mask_channel_and_are_standardised_over_real_steps(tmp_path):
  arrays = _arrays()
  path = str(tmp_path / "views.npz")
  np.savez(path, **arrays)
  views = "seq,other,plain"
  raw = data.load_views(name="npz", path=path, teacher=views, student="vec",
                        standardize=False)
  assert raw.view_names == ("seq", "other", "plain", "vec")  # the masks are not views
  rows = raw.train.indices
  seq, other, plain = (raw.train.views[v] for v in ("seq", "other", "plain"))
  assert seq.shape[1:] == (6, 4) and other.shape[1:] == (5, 3) and plain.shape[1:] == (4, 3)
  seq_mask = np.arange(6)[None, :] < arrays["seq_lengths"][rows][:, None]
  np.testing.assert_array_equal(seq[..., -1], seq_mask)
  np.testing.assert_array_equal(other[..., -1], arrays["other_mask"][rows])
  np.testing.assert_array_equal(plain[..., -1], 1.0)  # no mask: no padding
  np.testing.assert_allclose(seq[..., :-1][seq_mask], arrays["seq"][rows][seq_mask], rtol=1e-6)
  assert np.all(seq[..., :-1][~seq_mask] == 0)  # padded steps are zeroed

  ds = data.load_views(name="npz", path=path, teacher=views, student="vec")
  mean, std = ds.standardization["seq"]
  real = arrays["seq"][rows][seq_mask]  # (real steps, 3)
  np.testing.assert_allclose(mean, real.mean(0), rtol=1e-4)
  np.testing.assert_allclose(std, real.std(0), rtol=1e-4)
  train = ds.train.views["seq"]
  np.testing.assert_allclose(train[..., :-1][seq_mask].mean(0), 0, atol=1e-5)
  np.testing.assert_allclose(train[..., :-1][seq_mask].std(0), 1, atol=1e-4)
  np.testing.assert_array_equal(train[..., -1], seq_mask)  # mask channel unchanged
  assert np.all(train[..., :-1][~seq_mask] == 0)  # padded steps stay 0
  test, test_raw = ds.test.views["seq"], raw.test.views["seq"]
  test_mask = test_raw[..., -1] > 0
  np.testing.assert_allclose(test[..., :-1][test_mask],
                             (test_raw[..., :-1][test_mask] - mean) / std, rtol=1e-4, atol=1e-5)
  assert np.all(test[..., :-1][~test_mask] == 0)


@pytest.mark.parametrize("change, match", [
    ({"seq_lengths": np.full(60, 7)}, r"'seq_lengths' must be whole numbers of steps in 1\.\.6"),
    ({"seq_lengths": np.zeros(60)}, r"'seq_lengths' must be whole numbers of steps in 1\.\.6"),
    ({"seq_lengths": np.ones((60, 1))}, r"'seq_lengths' must be \(n,\) = \(60,\) lengths"),
    ({"other_mask": np.full((60, 5), 2)}, r"'other_mask' must hold only 0/1"),
    ({"other_mask": np.ones((60, 4))}, r"'other_mask' must be \(n, L\) = \(60, 5\)"),
    ({"other_mask": np.eye(60, 5)}, r"'other_mask' row 5 has no real step"),
    ({"seq_mask": np.ones((60, 6))}, r"view 'seq' has both 'seq_lengths' and 'seq_mask'"),
    ({"vec_mask": np.ones((60, 2))}, r"'vec_mask' gives the padding of view 'vec', but that "
                                     r"view is not a sequence"),
])
def test_bad_masks_and_lengths_name_the_array(tmp_path, change, match):
  path = str(tmp_path / "bad.npz")
  np.savez(path, **{**_arrays(), **change})
  with pytest.raises(ValueError, match=match):
    data.load_views(name="npz", path=path, teacher="seq", student="vec")
