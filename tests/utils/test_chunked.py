import jax
import jax.numpy as jnp
import numpy as np

from cch_jax.utils import chunked


@jax.jit
def _row_fn(x, y):
  return {"sum": jnp.sum(x, axis=1) * y, "x": x}


def test_map_in_chunks_equals_one_call_for_any_chunk_size_and_mesh():
  x = np.arange(23 * 3, dtype=np.float32).reshape(23, 3)
  y = np.linspace(0, 1, 23, dtype=np.float32)
  expected = jax.tree.map(np.asarray, _row_fn(x, y))
  assert len(jax.devices()) == 8  # tests/conftest.py
  for devices in (jax.devices()[:1], jax.devices()):
    mesh = chunked.cell_mesh(devices)
    for chunk in (1, 5, 23, 64):
      seen = []
      got = chunked.map_in_chunks(_row_fn, x, y, chunk_size=chunk, mesh=mesh,
                                  on_chunk=lambda done, total: seen.append((done, total)))
      np.testing.assert_array_equal(got["sum"], expected["sum"])
      np.testing.assert_array_equal(got["x"], expected["x"])
      assert seen[-1] == (23, 23)
