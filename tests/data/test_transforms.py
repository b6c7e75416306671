import numpy as np
import pytest

from cch_jax.data import transforms
from cch_jax.data.transforms import TRANSFORMS, apply_spec, parse_spec, split_view_list

SPECS = ["identity", "clean", "blur:sigma=1.5", "noise:std=0.3", "mnistm", "mnistm:cell=2",
         "downsample:factor=2", "downsample:factor=3,up=false", "occlude:half=left",
         "occlude:box=0.5", "channel_drop:channel=0", "channel_drop:channel=-1",
         "mnistm+blur:sigma=1+noise:std=0.05"]


def _images(n=16, h=12, w=10, c=3, seed=0):
  return np.random.default_rng(seed).random((n, h, w, c), dtype=np.float32)


@pytest.mark.parametrize("spec", SPECS)
def test_each_spec_keeps_dtype_range_batch_and_is_deterministic_given_a_seed(spec):
  images = _images()
  out = apply_spec(spec, images, seed=3)
  assert out.dtype == np.float32 and out.shape[0] == 16 and out.ndim == 4
  assert out.min() >= 0.0 and out.max() <= 1.0
  np.testing.assert_array_equal(out, apply_spec(spec, images, seed=3))
  if spec.startswith(("noise", "mnistm", "occlude:box", "channel_drop:channel=-1")):
    assert not np.array_equal(out, apply_spec(spec, images, seed=4))
  expected_hw = (4, 4) if "up=false" in spec else (12, 10)
  assert out.shape[1:3] == expected_hw


def test_every_registered_transform_is_covered_by_the_specs():
  assert set(TRANSFORMS) == {spec.split(":")[0].split("+")[0] for spec in SPECS}


def test_identity_returns_the_images():
  images = _images()
  np.testing.assert_array_equal(apply_spec("identity", images), images)


def test_blur_keeps_a_constant_image_constant_and_reduces_variance():
  constant = np.full((3, 9, 7, 2), 0.37, np.float32)
  np.testing.assert_allclose(apply_spec("blur:sigma=2", constant), constant, atol=1e-6)
  images = _images(n=8, h=32, w=32, c=1)
  blurred = apply_spec("blur:sigma=1", images)
  assert blurred.var() < 0.25 * images.var()  # white noise: variance drops ~ 1/(4πσ²)
  np.testing.assert_allclose(blurred.mean(), images.mean(), atol=0.01)
  np.testing.assert_array_equal(apply_spec("blur:sigma=0", images), images)


def test_blur_of_an_impulse_is_the_separable_gaussian_kernel():
  image = np.zeros((1, 21, 21, 1), np.float32)
  image[0, 10, 10, 0] = 1.0
  kernel = transforms.gaussian_kernel(1.5)  # radius 5
  r = len(kernel) // 2
  out = apply_spec("blur:sigma=1.5", image)[0, :, :, 0]
  np.testing.assert_allclose(out[10 - r:11 + r, 10 - r:11 + r], np.outer(kernel, kernel),
                             atol=1e-7)
  np.testing.assert_allclose(out.sum(), 1.0, atol=1e-5)


def test_noise_std_is_close_to_the_requested_one():
  images = np.full((20, 32, 32, 1), 0.5, np.float32)  # 20,480 pixels; clipping at 5σ: none
  out = apply_spec("noise:std=0.1", images, seed=0)
  # sample std of 20,480 normals has relative s.e. ~ 0.5%: 3% is > 5 standard errors.
  assert abs((out - images).std() / 0.1 - 1.0) < 0.03
  assert abs((out - images).mean()) < 0.005


def test_noise_without_clip_leaves_the_unit_interval():
  out = apply_spec("noise:std=2,clip=false", np.full((4, 8, 8, 1), 0.5, np.float32))
  assert out.min() < 0 and out.max() > 1


def test_downsample_of_a_block_constant_image_is_exact_and_averages_otherwise():
  rng = np.random.default_rng(0)
  small = rng.random((3, 4, 5, 2), dtype=np.float32)
  blocky = np.repeat(np.repeat(small, 2, axis=1), 2, axis=2)  # (3, 8, 10, 2)
  np.testing.assert_allclose(apply_spec("downsample:factor=2", blocky), blocky, atol=1e-7)
  np.testing.assert_allclose(apply_spec("downsample:factor=2,up=false", blocky), small,
                             atol=1e-7)
  checker = (np.indices((8, 8)).sum(0) % 2).astype(np.float32)[None, :, :, None]
  np.testing.assert_allclose(apply_spec("downsample:factor=2", checker), 0.5)
  odd = apply_spec("downsample:factor=3", _images(h=7, w=8))
  assert odd.shape == (16, 7, 8, 3)


def test_occlude_halves_and_boxes():
  ones = np.ones((5, 6, 8, 1), np.float32)
  left = apply_spec("occlude:half=left", ones)[0, :, :, 0]
  assert left[:, :4].max() == 0 and left[:, 4:].min() == 1
  np.testing.assert_array_equal(apply_spec("occlude", ones), apply_spec("occlude:half=left",
                                                                       ones))
  top = apply_spec("occlude:half=top,value=0.5", ones)[0, :, :, 0]
  assert np.all(top[:3] == 0.5) and np.all(top[3:] == 1)
  assert apply_spec("occlude:half=bottom", ones)[0, 3:].max() == 0
  assert apply_spec("occlude:half=right", ones)[0, :, 4:].max() == 0
  boxed = apply_spec("occlude:box=0.5", np.ones((50, 8, 8, 1), np.float32), seed=1)
  np.testing.assert_array_equal((boxed == 0).sum(axis=(1, 2, 3)), 16)  # a 4×4 box each
  assert len({tuple(np.argwhere(b[..., 0] == 0)[0]) for b in boxed}) > 1  # varied positions


def test_channel_drop_zeroes_one_channel():
  images = _images(c=3) + 0.01
  out = apply_spec("channel_drop:channel=1", images)
  assert out[..., 1].max() == 0
  np.testing.assert_array_equal(out[..., [0, 2]], images[..., [0, 2]])
  random = apply_spec("channel_drop:channel=-1", images, seed=0)
  assert np.all(((random == 0).all(axis=(1, 2))).sum(axis=1) == 1)


def test_mnistm_is_the_absolute_difference_with_a_seeded_colour_texture():
  digits = np.zeros((6, 10, 10, 1), np.float32)
  digits[:, 3:7, 3:7] = 1.0
  out = apply_spec("mnistm", digits, seed=0)
  assert out.shape == (6, 10, 10, 3)
  # apply_spec gives each step a child of SeedSequence(seed): rebuild the same texture.
  rng = np.random.default_rng(np.random.SeedSequence(0).spawn(1)[0])
  texture = transforms.random_textures(rng, 6, 10, 10, cell=4.0)
  np.testing.assert_allclose(out, np.abs(texture - digits), atol=1e-6)
  assert texture.min() >= 0 and texture.max() <= 1
  assert out[:, :3, :3].std() > 0.05  # a coloured background, not flat
  assert not np.allclose(out[..., 0], out[..., 1])
  assert apply_spec("mnistm", _images(c=3)).shape == (16, 12, 10, 3)


def test_composition_applies_left_to_right():
  images = _images(c=1)
  composed = apply_spec("downsample:factor=2+channel_drop:channel=0", images)
  assert composed.max() == 0
  assert parse_spec(" mnistm + blur : sigma = 1 ") == (("mnistm", {}),
                                                      ("blur", {"sigma": 1.0}))


def test_parse_spec_types_values():
  assert parse_spec("noise:std=0.3,clip=false") == (("noise", {"std": 0.3, "clip": False}),)
  assert parse_spec("downsample:factor=4") == (("downsample", {"factor": 4}),)
  assert parse_spec("occlude:half=top") == (("occlude", {"half": "top"}),)


@pytest.mark.parametrize("spec, message", [
    ("blr:sigma=2", "transform spec 'blr:sigma=2': unknown transform 'blr'; known: blur, "),
    ("blur:radius=2", "'blur:radius=2': 'blur' has no parameter 'radius'; its parameters: s"),
    ("blur:sigma=abc", "'blur:sigma=abc': parameter 'sigma' expects a finite float, got 'a"),
    ("downsample:factor=1.5", r"parameter 'factor' expects an integer, got '1.5'"),
    ("noise:clip=maybe", r"parameter 'clip' expects a boolean"),
    ("blur:2", r"expected 'key=value' after 'blur:', got '2'"),
    ("mnistm+", r"unknown transform ''"),
    ("", r"expected a non-empty string"),
    ("blur:sigma=-1", r"'blur:sigma=-1': sigma: expected >= 0"),
    ("occlude:half=middle", r"half: expected one of left, right, top, bottom"),
    ("occlude:half=left,box=0.3", r"give one of them"),
    ("occlude:box=1.5", r"box: expected a fraction in \(0, 1\]"),
    ("channel_drop:channel=3", r"'channel_drop:channel=3': channel: expected -1 or an index"),
    ("downsample:factor=0", r"factor: expected an integer >= 1"),
])
def test_bad_specs_raise_errors_naming_the_spec(spec, message):
  with pytest.raises(ValueError, match=message):
    apply_spec(spec, _images(n=2))


def test_apply_spec_checks_the_image_rank():
  with pytest.raises(ValueError, match=r"images: expected shape \(N, H, W, C\)"):
    apply_spec("identity", np.zeros((2, 8, 8)))


def test_split_view_list_keeps_multi_parameter_specs_together():
  assert split_view_list("clean, blur:sigma=1,noise:std=0.2,clip=false+blur:sigma=2") == (
      "clean", "blur:sigma=1", "noise:std=0.2,clip=false+blur:sigma=2")
  assert split_view_list("audio,video") == ("audio", "video")
  assert split_view_list("") == ()
