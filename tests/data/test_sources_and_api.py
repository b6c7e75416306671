import os

import ml_collections
import numpy as np
import pytest

from cch_jax import data


def _multiview(n=120, seed=0):
  rng = np.random.default_rng(seed)
  y = np.repeat([3, 5, 8], n // 3)
  audio = rng.normal(size=(n, 4)) * [1.0, 10.0, 0.1, 3.0] + [0.0, 50.0, -2.0, 1.0]
  video = rng.random((n, 6, 6, 1))
  return {"audio": audio, "video": video, "text": rng.normal(size=n), "y": y}


def test_digits_is_embedded_and_in_the_unit_interval():
  pool = data.load_digits()
  assert pool.images.shape == (1797, 8, 8, 1) and pool.images.dtype == np.float32
  assert pool.images.min() == 0.0 and pool.images.max() == 1.0
  assert pool.classes == tuple(range(10)) and np.bincount(pool.labels).min() > 170


def test_default_config_loads_digits_with_clean_teacher_and_mnistm_student():
  ds = data.load_views(data.default_config())
  assert ds.n_classes == 10 and ds.teacher == ("clean",) and ds.student == "mnistm"
  assert ds.train.n + ds.validation.n + ds.test.n == 1797
  assert abs(ds.train.n / 1797 - 0.6) < 0.01 and abs(ds.test.n / 1797 - 0.2) < 0.01
  clean, shifted = ds.train.views["clean"], ds.train.views["mnistm"]
  assert clean.shape[1:] == (8, 8, 1) and shifted.shape[1:] == (8, 8, 3)
  assert shifted.dtype == np.float32 and 0 <= shifted.min() and shifted.max() <= 1
  assert ds.train.labels.dtype == np.int32 and ds.standardization == {}
  for split in ds.splits().values():  # every class in every split
    assert len(np.unique(split.labels)) == 10
  assert "digits: train" in ds.summary()


def test_load_views_is_deterministic_and_splits_do_not_depend_on_the_views():
  a = data.load_views(teacher="blur:sigma=1,noise:std=0.2", student="occlude:box=0.5",
                      max_examples=300, seed=4)
  b = data.load_views(teacher="blur:sigma=1,noise:std=0.2", student="occlude:box=0.5",
                      max_examples=300, seed=4)
  c = data.load_views(teacher="clean", student="mnistm", max_examples=300, seed=4)
  assert a.teacher == ("blur:sigma=1", "noise:std=0.2") and a.train.n + a.test.n + \
      a.validation.n == 300
  for name in a.view_names:
    np.testing.assert_array_equal(a.test.views[name], b.test.views[name])
  np.testing.assert_array_equal(a.train.indices, c.train.indices)
  np.testing.assert_array_equal(a.train.labels, c.train.labels)


def test_config_dict_and_overrides_and_unknown_keys():
  config = data.default_config()
  config.max_examples = 200
  ds = data.load_views(config, student="downsample:factor=2")
  assert ds.student == "downsample:factor=2" and ds.train.n == 120
  with pytest.raises(ValueError, match="config: unknown data option 'nmae'; known: "):
    data.load_views(nmae="digits")
  with pytest.raises(ValueError, match=r"unknown data.synthetic option\(s\) \['k'\]"):
    data.load_views(name="synthetic", synthetic={"k": 3})
  with pytest.raises(ValueError, match="data.student: expected one view"):
    data.load_views(student="clean,mnistm")
  with pytest.raises(ValueError, match="transform spec 'blurr': unknown transform"):
    data.load_views(teacher="blurr")
  with pytest.raises(ValueError, match="max_examples: expected an integer >= 0"):
    data.load_views(max_examples=-1)
  with pytest.raises(ValueError, match="data.seed: expected an integer >= 0"):
    data.load_views(seed=1.5)
  embedded = ml_collections.ConfigDict({"data": data.default_config()})
  assert embedded.data.split == (0.6, 0.2, 0.2)


def test_npz_round_trip_and_train_only_standardization(tmp_path):
  arrays = _multiview()
  path = tmp_path / "views.npz"
  np.savez(path, **arrays)
  raw = data.load_views(name="npz", path=str(path), teacher="video,text", student="audio",
                        standardize=False)
  assert raw.view_names == ("video", "text", "audio") and raw.classes == (3, 5, 8)
  for split in raw.splits().values():
    np.testing.assert_allclose(split.views["audio"], arrays["audio"][split.indices], rtol=1e-6)
    np.testing.assert_allclose(split.views["video"], arrays["video"][split.indices], rtol=1e-6)
    assert split.views["text"].shape == (split.n, 1)
    np.testing.assert_array_equal(split.labels, np.searchsorted([3, 5, 8],
                                                               arrays["y"][split.indices]))
  ds = data.load_views(name="npz", path=str(path), teacher="video", student="audio")
  train_raw = arrays["audio"][ds.train.indices]
  mean, std = train_raw.mean(0), train_raw.std(0)
  np.testing.assert_allclose(ds.standardization["audio"][0], mean, rtol=1e-5)
  np.testing.assert_allclose(ds.train.views["audio"].mean(0), 0, atol=1e-5)
  np.testing.assert_allclose(ds.train.views["audio"].std(0), 1, atol=1e-5)
  # validation/test use the train statistics, not their own (which would give mean 0):
  expected = (arrays["audio"][ds.test.indices] - mean) / std
  np.testing.assert_allclose(ds.test.views["audio"], expected, rtol=1e-4, atol=1e-5)
  assert np.abs(ds.test.views["audio"].mean(0)).max() > 1e-3
  np.testing.assert_allclose(ds.train.views["video"], arrays["video"][ds.train.indices],
                             rtol=1e-6)  # images stay in [0, 1]
  assert "video" not in ds.standardization


def test_csv_round_trip(tmp_path):
  arrays = _multiview(n=60)
  np.savetxt(tmp_path / "audio.csv", arrays["audio"], delimiter=",", fmt="%.10g",
             header="a,b,c,d", comments="")
  np.savetxt(tmp_path / "text.csv", arrays["text"], delimiter=",", fmt="%.10g")
  np.savetxt(tmp_path / "y.csv", arrays["y"], fmt="%d", header="label", comments="")
  ds = data.load_views(name="csv", path=str(tmp_path), teacher="audio", student="text",
                       standardize=False, split=(0.5, 0.25, 0.25))
  assert ds.train.n == 30 and ds.n_classes == 3
  for split in ds.splits().values():
    np.testing.assert_allclose(split.views["audio"], arrays["audio"][split.indices], rtol=1e-6)
    np.testing.assert_allclose(split.views["text"][:, 0], arrays["text"][split.indices],
                               rtol=1e-6)


def _write_npz(tmp_path, **arrays):
  path = tmp_path / "bad.npz"
  np.savez(path, **arrays)
  return {"name": "npz", "path": str(path), "teacher": "a", "student": "b"}


def test_npz_errors_name_the_problem(tmp_path):
  rng = np.random.default_rng(0)
  y = np.arange(30) % 3
  a, b = rng.normal(size=(30, 2)), rng.normal(size=(30, 3))
  with pytest.raises(ValueError, match=r"no view named 'c' .*; available views: a, b"):
    data.load_views(**{**_write_npz(tmp_path, a=a, b=b, y=y), "student": "c"})
  with pytest.raises(ValueError, match=r"same number of examples; got a: 30, b: 29, y: 30"):
    data.load_views(**_write_npz(tmp_path, a=a, b=b[:29], y=y))
  b_nan = b.copy()
  b_nan[4, 1] = np.inf
  with pytest.raises(ValueError, match=r"view 'b' has NaN or inf values"):
    data.load_views(**_write_npz(tmp_path, a=a, b=b_nan, y=y))
  with pytest.raises(ValueError, match=r"y: expected integer class labels, found non-integer"):
    data.load_views(**_write_npz(tmp_path, a=a, b=b, y=y + 0.5), task="classification")
  assert data.load_views(**_write_npz(tmp_path, a=a, b=b, y=y + 0.5)).task == "regression"
  with pytest.raises(ValueError, match=r"no labels array 'y'; found a, b"):
    data.load_views(**_write_npz(tmp_path, a=a, b=b))
  y_small = y.copy()
  y_small[:2] = 9  # class 9 has 2 examples
  with pytest.raises(ValueError, match=r"class 9 has 2 example\(s\)"):
    data.load_views(**_write_npz(tmp_path, a=a, b=b, y=y_small))
  with pytest.raises(FileNotFoundError, match="data.path: no .npz file at"):
    data.load_views(name="npz", path=str(tmp_path / "missing.npz"), teacher="a", student="b")
  with pytest.raises(ValueError, match="data.path: expected the .npz file, got an empty"):
    data.load_views(name="npz")


def test_csv_errors_name_the_problem(tmp_path):
  np.savetxt(tmp_path / "a.csv", np.ones((6, 2)), delimiter=",")
  with pytest.raises(FileNotFoundError, match=r"has no y.csv \(labels\); found a.csv"):
    data.load_views(name="csv", path=str(tmp_path), teacher="a", student="a")
  (tmp_path / "y.csv").write_text("0\n1\nx\n1\n0\n1\n")
  with pytest.raises(ValueError, match=r"y.csv' is not a numeric CSV file"):
    data.load_views(name="csv", path=str(tmp_path), teacher="a", student="a")
  with pytest.raises(FileNotFoundError, match="data.path: no folder at"):
    data.load_views(name="csv", path=str(tmp_path / "nope"), teacher="a", student="b")


def test_bad_split_and_unknown_source():
  with pytest.raises(ValueError, match=r"split: expected \(train, validation, test\)"):
    data.load_views(split=(0.9, 0.2, 0.0))
  with pytest.raises(ValueError, match="'digitz' is neither a built-in source"):
    data.load_views(name="digitz")


def test_sources_registry_lists_the_builtin_sources():
  assert set(data.SOURCES) == {"digits", "npz", "csv", "synthetic", "sequence", "diabetes",
                               "breast_cancer"}
  assert os.path.basename(data.__file__) == "__init__.py"


def test_fused_views_concatenate_their_parts_on_the_last_axis(tmp_path):
  ds = data.load_views(teacher="clean", student="mnistm&blur:sigma=1")
  fused = ds.train.views["mnistm&blur:sigma=1"]
  plain = data.load_views(teacher="mnistm", student="blur:sigma=1")
  assert fused.shape[1:] == (8, 8, 4)
  np.testing.assert_array_equal(fused[..., :3], plain.train.views["mnistm"])
  np.testing.assert_array_equal(fused[..., 3:], plain.train.views["blur:sigma=1"])
  path = os.path.join(tmp_path, "views.npz")
  np.savez(path, **_multiview())
  vec = data.load_views(name="npz", path=path, teacher="text", student="audio&text")
  assert vec.train.views["audio&text"].shape[1:] == (5,)
  with pytest.raises(ValueError, match="every axis but the last"):
    data.load_views(name="npz", path=path, teacher="text", student="audio&video")
  with pytest.raises(ValueError, match="empty part"):
    data.load_views(teacher="clean", student="mnistm&")


def test_shipped_multiview_sets_have_their_documented_views_and_tasks():
  """diabetes: regression, views body (4) and serum (6), targets standardised with the
  train split's statistics and spread over the splits by quantile strata; breast_cancer:
  two classes, views mean / se / worst (10 each)."""
  ds = data.load_views(name="diabetes")
  assert (ds.task, ds.teacher, ds.student, ds.n_outputs) == ("regression", ("body",),
                                                             "serum", 1)
  assert ds.train.views["body"].shape == (ds.train.n, 4)
  assert ds.train.n + ds.validation.n + ds.test.n == 442
  np.testing.assert_allclose(ds.train.labels.mean(), 0, atol=1e-5)
  np.testing.assert_allclose(ds.train.labels.std(), 1, atol=1e-5)
  assert ds.score_scale == pytest.approx(float(ds.target_standardization[1][0]))
  for split in (ds.validation, ds.test):  # strata: each split spans the target's range
    assert split.labels.min() < -1 and split.labels.max() > 1
  cancer = data.load_views(name="breast_cancer", teacher="mean,worst", student="se")
  assert (cancer.task, cancer.n_classes) == ("classification", 2)
  assert {v: cancer.train.views[v].shape[1] for v in cancer.view_names} == {
      "mean": 10, "worst": 10, "se": 10}
  with pytest.raises(ValueError, match="data.task: data.name='diabetes' is a regression set"):
    data.load_views(name="diabetes", task="classification")
