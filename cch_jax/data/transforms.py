"""Named, seeded, vectorised view transforms on image batches, chosen by a spec string.

A transform maps images (N, H, W, C) float32 in [0, 1] to images (N, H', W', C') float32 in
[0, 1]; every one is vectorised over the batch (no Python loop over samples) and draws its
randomness from a seeded `np.random.Generator`.

Spec strings (usable from a command-line flag):

  "identity" | "clean"             the image itself
  "blur:sigma=2"                   Gaussian blur, σ in pixels (separable, symmetric padding)
  "noise:std=0.3"                  additive Gaussian noise, then clipped to [0, 1] (clip=false
                                   keeps the raw values)
  "mnistm"                         MNIST-M-style domain shift: |texture − image| with a random
                                   smooth colour texture per image (cell = texture scale in
                                   pixels, default 4); grayscale input becomes 3 channels
  "downsample:factor=2"            block means over factor×factor cells, then nearest-neighbour
                                   upsampling back to (H, W) (up=false keeps the small image)
  "occlude:half=left"              zero the left|right|top|bottom half (value=... fills with
                                   another value); "occlude:box=0.5": a random square of side
                                   0.5·H per image; plain "occlude" means half=left
  "channel_drop:channel=0"         zero one channel (channel=-1: a random channel per image)

Compose with '+', applied left to right: "mnistm+blur:sigma=1". Parameters are
'key=value' pairs after ':', separated by ','. In a comma-separated list of views (see
`split_view_list`), a 'key=value' item continues the previous spec.
"""

from __future__ import annotations

import inspect
import math
import re
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

from cch_jax.utils.registry import Registry

Transform = Callable[..., np.ndarray]
TRANSFORMS: Registry[Transform] = Registry("view transform")

_HALVES = ("left", "right", "top", "bottom")


@TRANSFORMS.register("identity")
def identity(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
  """Returns a copy of images (N, H, W, C)."""
  del rng
  return np.array(images, dtype=np.float32)


TRANSFORMS.register("clean")(identity)


def gaussian_kernel(sigma: float) -> np.ndarray:
  """A normalised 1-D Gaussian kernel (2r+1,) with radius r = max(1, ceil(3σ))."""
  radius = max(1, math.ceil(3.0 * sigma))
  x = np.arange(-radius, radius + 1, dtype=np.float64)
  kernel = np.exp(-0.5 * (x / sigma) ** 2)
  return (kernel / kernel.sum()).astype(np.float32)


def convolution_matrix(size: int, kernel: np.ndarray) -> np.ndarray:
  """(size, size) matrix M with (M @ x) = x convolved with kernel, symmetric padding.

  Symmetric padding (the edge sample repeated in mirror) keeps constants constant.
  """
  radius = len(kernel) // 2
  padded = np.pad(np.eye(size, dtype=np.float32), [(radius, radius), (0, 0)],
                  mode="symmetric")
  matrix = np.zeros((size, size), np.float32)
  for tap, weight in enumerate(kernel):  # a loop over kernel taps
    matrix += weight * padded[tap:tap + size]
  return matrix


def _separable(images: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
  """rows @ image @ cols.T for every image and channel: (N, H, W, C) -> (N, H', W', C)."""
  planes = np.moveaxis(images, -1, 1)  # (N, C, H, W)
  return np.ascontiguousarray(np.moveaxis(rows @ planes @ cols.T, 1, -1))


@TRANSFORMS.register("blur")
def blur(images: np.ndarray, rng: np.random.Generator, *, sigma: float = 1.0) -> np.ndarray:
  """Gaussian blur of images (N, H, W, C) with σ = sigma pixels, as a separable convolution.

  The kernel is truncated at radius max(1, ceil(3σ)); borders use symmetric padding.
  """
  del rng
  if not sigma >= 0:
    raise ValueError(f"sigma: expected >= 0, got {sigma}")
  images = np.asarray(images, dtype=np.float32)
  if sigma == 0:
    return images.copy()
  kernel = gaussian_kernel(sigma)
  rows = convolution_matrix(images.shape[1], kernel)
  cols = convolution_matrix(images.shape[2], kernel)
  out = _separable(images, rows, cols)
  return np.clip(out, 0.0, 1.0, out=out)


@TRANSFORMS.register("noise")
def noise(images: np.ndarray, rng: np.random.Generator, *, std: float = 0.1,
          clip: bool = True) -> np.ndarray:
  """Adds N(0, std²) noise to every pixel of images (N, H, W, C); clips to [0, 1] if clip."""
  if not std >= 0:
    raise ValueError(f"std: expected >= 0, got {std}")
  images = np.asarray(images, dtype=np.float32)
  out = images + np.float32(std) * rng.standard_normal(images.shape, dtype=np.float32)
  return np.clip(out, 0.0, 1.0) if clip else out


def _interpolation_matrix(size: int, cell: float) -> np.ndarray:
  """(size, ceil(size / cell) + 1) bilinear weights from a grid of spacing `cell`."""
  position = np.arange(size) / cell
  low = np.floor(position).astype(int)
  frac = (position - low).astype(np.float32)
  matrix = np.zeros((size, math.ceil(size / cell) + 1), np.float32)
  matrix[np.arange(size), low] = 1.0 - frac
  matrix[np.arange(size), low + 1] += frac
  return matrix


def random_textures(rng: np.random.Generator, n: int, height: int, width: int,
                    cell: float = 4.0) -> np.ndarray:
  """Smooth random colour textures (n, height, width, 3) in [0, 1].

  Uniform random colours on a grid with spacing `cell` pixels, bilinearly interpolated: a
  synthetic stand-in for the natural-image (BSDS500) patches of MNIST-M.
  """
  rows, cols = _interpolation_matrix(height, cell), _interpolation_matrix(width, cell)
  grid = rng.random((n, rows.shape[1], cols.shape[1], 3), dtype=np.float32)
  texture = _separable(grid, rows, cols)
  return np.clip(texture, 0.0, 1.0, out=texture)


@TRANSFORMS.register("mnistm")
def mnistm(images: np.ndarray, rng: np.random.Generator, *, cell: float = 4.0) -> np.ndarray:
  """MNIST-M-style shift: |texture − image| per channel, a fresh colour texture per image.

  Args:
    images: (N, H, W, C) in [0, 1]; C = 1 is broadcast to 3 channels.
    rng: seeded generator for the textures.
    cell: texture scale in pixels (grid spacing of the random colours).

  Returns:
    (N, H, W, 3) if C is 1 or 3, else (N, H, W, C) (textures are drawn per channel then).
  """
  if not cell > 0:
    raise ValueError(f"cell: expected > 0, got {cell}")
  images = np.asarray(images, dtype=np.float32)
  n, height, width, channels = images.shape
  if channels in (1, 3):
    texture = random_textures(rng, n, height, width, cell)
  else:  # three channels per texture draw, as many draws as needed
    draws = [random_textures(rng, n, height, width, cell) for _ in range(-(-channels // 3))]
    texture = np.ascontiguousarray(np.concatenate(draws, axis=-1)[..., :channels])
  np.subtract(texture, images, out=texture)  # in place: these arrays can be large
  return np.abs(texture, out=texture)


@TRANSFORMS.register("downsample")
def downsample(images: np.ndarray, rng: np.random.Generator, *, factor: int = 2,
               up: bool = True) -> np.ndarray:
  """Averages factor×factor blocks; with up, repeats each block back to (H, W).

  Sizes that are not multiples of factor are edge-padded first (and cropped back if up).
  Returns (N, H, W, C) if up, else (N, ceil(H/factor), ceil(W/factor), C).
  """
  del rng
  if factor < 1:
    raise ValueError(f"factor: expected an integer >= 1, got {factor}")
  images = np.asarray(images, dtype=np.float32)
  n, height, width, channels = images.shape
  ph, pw = -height % factor, -width % factor
  padded = np.pad(images, [(0, 0), (0, ph), (0, pw), (0, 0)], mode="edge")
  small = padded.reshape(n, (height + ph) // factor, factor, (width + pw) // factor, factor,
                         channels).mean(axis=(2, 4))
  if not up:
    return small
  big = np.repeat(np.repeat(small, factor, axis=1), factor, axis=2)
  return np.ascontiguousarray(big[:, :height, :width])


@TRANSFORMS.register("occlude")
def occlude(images: np.ndarray, rng: np.random.Generator, *, half: str = "",
            box: float = 0.0, value: float = 0.0) -> np.ndarray:
  """Fills half of each image, or a random square per image, with `value`.

  Args:
    images: (N, H, W, C).
    rng: seeded generator for the box positions.
    half: 'left' | 'right' | 'top' | 'bottom' (the default 'left' when box is 0).
    box: side of a random square as a fraction of (H, W), in (0, 1]; excludes half.
    value: fill value in [0, 1].
  """
  images = np.asarray(images, dtype=np.float32)
  n, height, width, _ = images.shape
  if not 0.0 <= value <= 1.0:
    raise ValueError(f"value: expected a fill value in [0, 1], got {value}")
  rows = np.arange(height)[None, :, None]
  cols = np.arange(width)[None, None, :]
  if box:
    if half:
      raise ValueError("half, box: give one of them, not both")
    if not 0.0 < box <= 1.0:
      raise ValueError(f"box: expected a fraction in (0, 1], got {box}")
    bh, bw = max(1, round(box * height)), max(1, round(box * width))
    top = rng.integers(0, height - bh + 1, size=n)[:, None, None]
    left = rng.integers(0, width - bw + 1, size=n)[:, None, None]
    mask = (rows >= top) & (rows < top + bh) & (cols >= left) & (cols < left + bw)
  else:
    half = half or "left"
    if half not in _HALVES:
      raise ValueError(f"half: expected one of {', '.join(_HALVES)}, got {half!r}")
    mask = {"left": cols < width // 2, "right": cols >= width - width // 2,
            "top": rows < height // 2, "bottom": rows >= height - height // 2}[half]
    mask = np.broadcast_to(mask, (1, height, width))
  return np.where(mask[..., None], np.float32(value), images)


@TRANSFORMS.register("channel_drop")
def channel_drop(images: np.ndarray, rng: np.random.Generator, *,
                 channel: int = 0) -> np.ndarray:
  """Zeroes one channel of images (N, H, W, C); channel=-1 picks one at random per image."""
  images = np.asarray(images, dtype=np.float32)
  n, channels = images.shape[0], images.shape[-1]
  if channel == -1:
    dropped = rng.integers(0, channels, size=n)
  elif 0 <= channel < channels:
    dropped = np.full(n, channel)
  else:
    raise ValueError(f"channel: expected -1 or an index in [0, {channels}), got {channel}")
  keep = np.arange(channels)[None, :] != dropped[:, None]
  return images * keep[:, None, None, :].astype(np.float32)


# ------------------------------------------------------------------ spec strings

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _convert(spec: str, key: str, text: str, default: Any) -> Any:
  """Parses `text` as the type of `default`; a clear error naming the spec otherwise."""
  kind = type(default)
  try:
    if kind is bool:
      lowered = text.lower()
      if lowered not in ("1", "0", "true", "false", "yes", "no"):
        raise ValueError
      return lowered in ("1", "true", "yes")
    if kind is int:
      return int(text)
    if kind is float:
      value = float(text)
      if not math.isfinite(value):
        raise ValueError
      return value
    return text
  except ValueError:
    wanted = {bool: "a boolean (true/false)", int: "an integer", float: "a finite float"}
    raise ValueError(f"transform spec {spec!r}: parameter {key!r} expects "
                     f"{wanted.get(kind, 'a string')}, got {text!r}") from None


def _parameters(fn: Transform) -> dict[str, Any]:
  """The keyword-only parameters of a transform and their defaults."""
  return {p.name: p.default for p in inspect.signature(fn).parameters.values()
          if p.kind is inspect.Parameter.KEYWORD_ONLY}


def parse_spec(spec: str) -> tuple[tuple[str, dict[str, Any]], ...]:
  """Parses 'name:key=value,key=value+name2' into ((name, params), ...).

  Raises:
    ValueError naming the spec for an empty step, an unknown transform name (listing the
    known ones), an unknown parameter (listing the transform's parameters) or a bad value.
  """
  if not isinstance(spec, str) or not spec.strip():
    raise ValueError(f"transform spec {spec!r}: expected a non-empty string such as "
                     "'blur:sigma=2' or 'mnistm+noise:std=0.1'")
  steps = []
  for step in spec.split("+"):
    name, _, rest = step.strip().partition(":")
    name = name.strip()
    if name not in TRANSFORMS:
      known = ", ".join(sorted(TRANSFORMS))
      raise ValueError(f"transform spec {spec!r}: unknown transform {name!r}; known: {known}")
    allowed = _parameters(TRANSFORMS[name])
    params: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))) if rest else ():
      key, eq, text = (s.strip() for s in item.partition("="))
      if not eq or not _NAME.match(key):
        raise ValueError(f"transform spec {spec!r}: expected 'key=value' after "
                         f"'{name}:', got {item!r}")
      if key not in allowed:
        known = ", ".join(allowed) or "none"
        raise ValueError(f"transform spec {spec!r}: {name!r} has no parameter {key!r}; "
                         f"its parameters: {known}")
      params[key] = _convert(spec, key, text, allowed[key])
    steps.append((name, params))
  return tuple(steps)


def spec_seed(seed: int, spec: str) -> np.random.SeedSequence:
  """A seed sequence for one view: the data seed and a stable hash of the spec string."""
  return np.random.SeedSequence([int(seed), zlib.crc32(spec.encode())])


def apply_spec(spec: str, images: Any, seed: int | np.random.SeedSequence = 0) -> np.ndarray:
  """Applies the transform spec to images (N, H, W, C) in [0, 1].

  Args:
    spec: e.g. 'mnistm+blur:sigma=1' (see the module docstring).
    images: (N, H, W, C) floats in [0, 1].
    seed: an int or a SeedSequence; each step gets its own child stream, so the result is
      a pure function of (spec, images, seed).

  Returns:
    (N, H', W', C') float32.
  """
  steps = parse_spec(spec)
  images = np.asarray(images, dtype=np.float32)
  if images.ndim != 4:
    raise ValueError(f"images: expected shape (N, H, W, C), got {images.shape}")
  sequence = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
  for (name, params), child in zip(steps, sequence.spawn(len(steps))):
    try:
      images = TRANSFORMS[name](images, np.random.default_rng(child), **params)
    except ValueError as error:
      raise ValueError(f"transform spec {spec!r}: {error}") from None
  return images.astype(np.float32, copy=False)


def split_view_list(text: str) -> tuple[str, ...]:
  """Splits 'clean,blur:sigma=1,noise:std=0.2,clip=false' into view names / specs.

  An item of the form 'key=value' continues the previous spec's parameters, so
  multi-parameter specs survive a comma-separated list.
  """
  if not isinstance(text, str):
    raise TypeError(f"views: expected a string, got {text!r}")
  items: list[str] = []
  for part in (p.strip() for p in text.split(",")):
    if not part:
      continue
    if items and re.match(r"^[A-Za-z_]\w*\s*=", part):
      items[-1] = f"{items[-1]},{part}"
    else:
      items.append(part)
  return tuple(items)
