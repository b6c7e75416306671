r"""KD training throughput on CPU: cch_jax's jitted KD step vs the same step in PyTorch,
and a vmapped student population vs training the same students one after another.

1. One KD train step = frozen-teacher forward (no gradient) + student forward/backward
   through `kd_loss` + Adam update. Ours: `kd.create_state` / `kd.train_step` with the
   teacher's logits computed inside the same jitted call (state donated). Peer: the same
   step in PyTorch (eager, and `torch.compile` when it works), written as PyTorch users do
   (teacher under `torch.no_grad()`, `zero_grad(set_to_none=True)`, `torch.optim.Adam`).
   Same models (`kd.make_model('mlp' | 'cnn', 10)` at their default sizes, rebuilt layer
   by layer in PyTorch and started from the same weights), the same batch (random
   digits-sized images (B, 8, 8, 1), 10 classes; PyTorch's CNN gets them as NCHW),
   λ = 0.5, T = 4, Adam at lr 1e-3, and as many threads as JAX uses. Before timing, both
   take a few identical steps and their losses are compared. Also timed: PyTorch on one
   thread (its OpenMP threads suffer most when other processes share the cores) and our
   step under XLA's own default flags (YNNPACK fusions on; ours, as `launch.py` sets
   them, has them off: `cch_jax/utils/xla_flags.py`).
2. A paired KD population (`kd.paired_grid`: 3 seeds × λ ∈ {0.25, 0.5, 0.75, 1} ×
   T ∈ {1, 4} plus a λ = 0 baseline per seed: 27 MLP students; `--population_seeds`
   scales it) trained by one `kd.train_population` call on 1..N devices
   (`--population_devices`, fake CPU devices from XLA_FLAGS), vs the same function with a
   1-member grid called once per student in a Python loop (compiled once). Also: XLA's
   FLOP count of one member-step, the population's GFLOP/s against a float32 GEMM
   measured in the same run, and its batch draws (one shuffle per stream and epoch,
   `batching.next_rows`) timed on their own.

Throughput is the median of several timed repeats after warm-up (JAX compile excluded and
reported on its own); the implementations' repeats are interleaved so that load from other
processes on a shared machine hits them alike.

  pip install -r benchmarks/requirements-peers.txt    # torch==2.13.0 (CPU wheel)
  python benchmarks/kd_step.py
  XLA_FLAGS=--xla_force_host_platform_device_count=2 python benchmarks/kd_step.py \
      --skip step --population_devices 1 2
"""

import argparse
import functools
import itertools
import os
import platform
import sys
import time
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, __file__.rsplit("/benchmarks/", 1)[0])
from cch_jax import kd  # noqa: E402
from cch_jax.utils import xla_flags  # noqa: E402

INPUT_SHAPE = (8, 8, 1)  # digits-sized grey images (H, W, C)
N_CLASSES = 10
LAM, TEMPERATURE, LEARNING_RATE = 0.5, 4.0, 1e-3
THREADS = len(os.sched_getaffinity(0))  # XLA's CPU thread pool uses every core it may


# ----------------------------------------------------------------------------- data


def random_batch(batch: int, seed: int = 0) -> dict[str, np.ndarray]:
  """Teacher-view and student-view images (B, 8, 8, 1) float32 and labels (B,) int32."""
  rng = np.random.default_rng(seed)
  return {"x_teacher": rng.random((batch,) + INPUT_SHAPE, np.float32),
          "x": rng.random((batch,) + INPUT_SHAPE, np.float32),
          "y": rng.integers(0, N_CLASSES, batch).astype(np.int32)}


# ----------------------------------------------------------------------------- JAX step


def make_jax_step(teacher: kd.Classifier, compiler_options: dict | None = None):
  """The benchmarked step, jitted with the state donated:
  (state, teacher_params, x_teacher, x, y, key) -> (state, metrics).

  `compiler_options` are XLA flags for this function only (as `jax.jit` takes them).
  """

  @functools.partial(jax.jit, donate_argnums=(0,), compiler_options=compiler_options)
  def step(state, teacher_params, x_teacher, x, y, key):
    logits = jax.lax.stop_gradient(teacher.apply({"params": teacher_params}, x_teacher))
    return kd.train_step(state, {"x": x, "y": y, "teacher_outputs": logits}, key)

  return step


class JaxRunner:
  """Frozen teacher params, the student's KD state and the jitted step, for one model
  and batch; `run(steps)` takes that many steps on the batch."""

  def __init__(self, name: str, data: dict[str, np.ndarray],
               compiler_options: dict | None = None):
    self.teacher = kd.make_model(name, N_CLASSES)
    self.student = kd.make_model(name, N_CLASSES)
    config = kd.TrainConfig(optimizer="adam", learning_rate=LEARNING_RATE)
    x = jnp.asarray(data["x"])
    self.teacher_params = self.teacher.init(jax.random.key(1), x[:1])["params"]
    self.state = kd.create_state(self.student, config, jax.random.key(2), x, lam=LAM,
                                 temperature=TEMPERATURE)
    self.data = {k: jnp.asarray(v) for k, v in data.items()}
    self.key = jax.random.key(3)
    self.step = make_jax_step(self.teacher, compiler_options)
    self.metrics = None

  def params(self) -> tuple[dict, dict]:
    """(teacher, student) params as NumPy trees (before any step: the shared start)."""
    to_np = lambda tree: jax.tree.map(np.asarray, tree)
    return to_np(self.teacher_params), to_np(self.state.params["model"])

  def run(self, steps: int) -> None:
    d = self.data
    for _ in range(steps):
      self.state, self.metrics = self.step(self.state, self.teacher_params, d["x_teacher"],
                                           d["x"], d["y"], self.key)
    jax.block_until_ready((self.state, self.metrics))

  def loss(self) -> float:
    """KD loss of the last step's batch (before its update)."""
    return float(self.metrics["loss"])


# ----------------------------------------------------------------------------- PyTorch peer


class TorchMLP(nn.Module):
  """`kd.make_model('mlp', K)`: flatten -> [Dense + ReLU] × widths -> Dense(K)."""

  def __init__(self, in_features: int, widths=(128, 128), n_classes: int = N_CLASSES):
    super().__init__()
    sizes = (in_features,) + tuple(widths)
    self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(sizes))
    self.head = nn.Linear(sizes[-1], n_classes)

  def forward(self, x: torch.Tensor) -> torch.Tensor:
    h = x.flatten(1)
    for layer in self.hidden:
      h = F.relu(layer(h))
    return self.head(h)


class TorchCNN(nn.Module):
  """`kd.make_model('cnn', K)` on NCHW: [3×3 SAME conv + ReLU + 2×2 avg pool] × features
  -> global mean -> Dense(hidden) + ReLU -> Dense(K)."""

  def __init__(self, in_channels: int, features=(32, 64), hidden: int = 128,
               n_classes: int = N_CLASSES):
    super().__init__()
    sizes = (in_channels,) + tuple(features)
    self.convs = nn.ModuleList(nn.Conv2d(a, b, 3, padding=1)
                               for a, b in itertools.pairwise(sizes))
    self.dense = nn.Linear(sizes[-1], hidden)
    self.head = nn.Linear(hidden, n_classes)

  def forward(self, x: torch.Tensor) -> torch.Tensor:
    h = x
    for conv in self.convs:
      h = F.relu(conv(h))
      if h.shape[2] >= 2 and h.shape[3] >= 2:
        h = F.avg_pool2d(h, 2)
    return self.head(F.relu(self.dense(h.mean(dim=(2, 3)))))


def load_flax_params(module: nn.Module, params: dict) -> None:
  """Copies a flax `Classifier`'s params into the matching PyTorch module (in place)."""
  enc = params["encoder"]
  pairs = [(module.head, params["head"])]
  if isinstance(module, TorchMLP):
    pairs += [(layer, enc[f"dense_{i}"]) for i, layer in enumerate(module.hidden)]
  else:
    pairs += [(conv, enc[f"conv_{i}"]) for i, conv in enumerate(module.convs)]
    pairs.append((module.dense, enc["dense"]))
  with torch.no_grad():
    for layer, p in pairs:
      kernel = np.asarray(p["kernel"])  # Dense (in, out); Conv (kh, kw, in, out)
      kernel = kernel.T if kernel.ndim == 2 else kernel.transpose(3, 2, 0, 1)
      layer.weight.copy_(torch.from_numpy(np.array(kernel)))
      layer.bias.copy_(torch.from_numpy(np.array(p["bias"])))


def torch_kd_loss(student_logits, teacher_outputs, labels, lam: float, temperature: float):
  """`kd.kd_loss` in PyTorch: (1-λ)·CE + λ·T²·KL(teacher_T ‖ student_T), batch means."""
  ce = F.cross_entropy(student_logits, labels)
  kl = F.kl_div(F.log_softmax(student_logits / temperature, dim=-1),
                F.log_softmax(teacher_outputs / temperature, dim=-1),
                reduction="batchmean", log_target=True)
  return (1.0 - lam) * ce + lam * temperature**2 * kl


class TorchRunner:
  """The same KD step in PyTorch (eager, or with `torch.compile`) on `threads` threads;
  `run(steps)` takes that many steps on the batch."""

  def __init__(self, name: str, data: dict[str, np.ndarray], teacher_params: dict,
               student_params: dict, threads: int = THREADS, compiled: bool = False):
    self.threads = threads
    in_channels = INPUT_SHAPE[-1]
    make = ((lambda: TorchMLP(int(np.prod(INPUT_SHAPE)))) if name == "mlp"
            else (lambda: TorchCNN(in_channels)))
    self.teacher, self.student = make(), make()
    load_flax_params(self.teacher, teacher_params)
    load_flax_params(self.student, student_params)
    self.teacher.eval().requires_grad_(False)
    self.optimizer = torch.optim.Adam(self.student.parameters(), lr=LEARNING_RATE)
    layout = (lambda a: a) if name == "mlp" else (lambda a: a.transpose(0, 3, 1, 2))
    self.x_teacher = torch.from_numpy(np.ascontiguousarray(layout(data["x_teacher"])))
    self.x = torch.from_numpy(np.ascontiguousarray(layout(data["x"])))
    self.y = torch.from_numpy(data["y"].astype(np.int64))
    self.forward_loss = self._forward_loss
    self.update = self.optimizer.step
    if compiled:  # as PyTorch's tutorials compile a training step and an optimizer
      self.forward_loss = torch.compile(self._forward_loss, dynamic=False)
      self.update = torch.compile(self.optimizer.step, dynamic=False)
    self.last_loss = None

  def _forward_loss(self, x_teacher, x, y):
    with torch.no_grad():
      teacher_outputs = self.teacher(x_teacher)
    return torch_kd_loss(self.student(x), teacher_outputs, y, LAM, TEMPERATURE)

  def run(self, steps: int) -> None:
    torch.set_num_threads(self.threads)
    for _ in range(steps):
      self.optimizer.zero_grad(set_to_none=True)
      loss = self.forward_loss(self.x_teacher, self.x, self.y)
      loss.backward()
      self.update()
    self.last_loss = loss.detach()

  def loss(self) -> float:
    """KD loss of the last step's batch (before its update)."""
    return float(self.last_loss)


# ----------------------------------------------------------------------------- timing


def seconds(fn) -> float:
  """Wall-clock seconds of fn()."""
  start = time.perf_counter()
  fn()
  return time.perf_counter() - start


def steps_for(runner, target_s: float) -> int:
  """Steps per timed repeat so that one repeat takes about target_s (after warm-up)."""
  per_step = seconds(lambda: runner.run(5)) / 5
  return int(np.clip(target_s / per_step, 10, 5000))


def interleaved_medians(runners: dict, repeats: int, target_s: float) -> dict[str, float]:
  """Median steps/s of each runner over `repeats` rounds; each round runs every runner."""
  steps = {name: steps_for(r, target_s) for name, r in runners.items()}
  rates = {name: [] for name in runners}
  for _ in range(repeats):
    for name, runner in runners.items():
      rates[name].append(steps[name] / seconds(functools.partial(runner.run, steps[name])))
  return {name: float(np.median(v)) for name, v in rates.items()}


# ----------------------------------------------------------------------------- part 1

# XLA's CPU backend sends convolutions, dots and reductions to YNNPACK fusions by default;
# cch_jax's launcher turns them off (`xla_flags.CPU_DEFAULTS`, set for this whole process in
# `main`). This per-function option restores XLA's own default, for the comparison.
XLA_DEFAULT_YNN = {"xla_cpu_experimental_ynn_fusion_type": ",".join(
    f"LIBRARY_FUSION_TYPE_{t}" for t in ("INDIVIDUAL_CONVOLUTION", "INDIVIDUAL_DOT",
                                         "REDUCE"))}


def step_runners(name: str, data: dict[str, np.ndarray], use_compile: bool) -> tuple:
  """All implementations of one (model, batch), warmed up, and facts about their start.

  Returns:
    (runners {label: runner}, JAX first-call seconds (trace + compile + 1 step),
     torch.compile first-3-steps seconds or a failure note, |loss JAX − torch| at step 5).
  """
  ours = JaxRunner(name, data)
  teacher_np, student_np = ours.params()
  eager = TorchRunner(name, data, teacher_np, student_np)
  compile_s = seconds(lambda: ours.run(1))
  eager.run(1)
  ours.run(4)
  eager.run(4)
  loss_gap = abs(ours.loss() - eager.loss())  # the 5th of 5 identical steps
  xla_default = JaxRunner(name, data, compiler_options=XLA_DEFAULT_YNN)
  xla_default.run(5)
  runners = {"jax": ours, "jax, XLA's default flags": xla_default, "torch": eager,
             "torch, 1 thread": TorchRunner(name, data, teacher_np, student_np, threads=1)}
  torch_compile = "not run"
  if use_compile:
    torch._dynamo.reset()  # a fresh compile for each model and batch size
    compiled = TorchRunner(name, data, teacher_np, student_np, compiled=True)
    try:
      torch_compile = f"{seconds(lambda: compiled.run(3)):.1f}"
      runners["torch.compile"] = compiled
      runners["torch.compile, 1 thread"] = TorchRunner(
          name, data, teacher_np, student_np, threads=1, compiled=True)
    except Exception as e:  # noqa: BLE001 (report any backend failure and go on)
      torch_compile = f"failed ({type(e).__name__}: {str(e).splitlines()[0][:60]})"
  for runner in runners.values():
    runner.run(3)
  return runners, compile_s, torch_compile, loss_gap


def step_table(batches, repeats: int, target_s: float, use_compile: bool) -> None:
  """Examples/s of every implementation per (model, batch); prints two tables."""
  rows = []
  for name in ("mlp", "cnn"):
    for batch in batches:
      runners, compile_s, torch_compile, gap = step_runners(name, random_batch(batch),
                                                            use_compile)
      rates = {k: v * batch for k, v in interleaved_medians(runners, repeats,
                                                             target_s).items()}
      rows.append((name, batch, rates, compile_s, torch_compile, gap))
      print(f"  {name} B={batch}: " + ", ".join(f"{k} {v:,.0f}" for k, v in rates.items()),
            file=sys.stderr, flush=True)

  print(f"\nKD train step = teacher forward (no grad) + student forward/backward + Adam; "
        f"inputs (B, {', '.join(map(str, INPUT_SHAPE))}) float32, {N_CLASSES} classes; "
        f"teacher = student architecture; examples/s, median of {repeats} interleaved "
        f"repeats of ~{target_s} s; JAX and torch on {THREADS} threads unless noted\n")
  print("| model | batch | JAX examples/s | torch examples/s | JAX / torch | "
        "best torch variant | JAX / best torch |")
  print("|---|---|---|---|---|---|---|")
  for name, batch, rates, *_ in rows:
    peers = {k: v for k, v in rates.items() if k.startswith("torch")}
    best = max(peers, key=peers.get)
    print(f"| {name} | {batch:,} | {rates['jax']:,.0f} | {rates['torch']:,.0f} | "
          f"{rates['jax'] / rates['torch']:.2f}× | {best} ({peers[best]:,.0f}) | "
          f"{rates['jax'] / peers[best]:.2f}× |")

  labels = list(rows[0][2])
  print("\nAll variants (examples/s); JAX first call = trace + compile + one step\n")
  print("| model | batch | " + " | ".join(labels) + " | JAX first call s | "
        "torch.compile first 3 steps s (Inductor disk cache) | "
        "abs(loss JAX − torch), step 5 |")
  print("|---|---|" + "---|" * (len(labels) + 3))
  for name, batch, rates, compile_s, torch_compile, gap in rows:
    cells = " | ".join(f"{rates[k]:,.0f}" if k in rates else "–" for k in labels)
    print(f"| {name} | {batch:,} | {cells} | {compile_s:.2f} | {torch_compile} | "
          f"{gap:.1e} |")


# ----------------------------------------------------------------------------- part 2


def member_step_flops(student: kd.Classifier, config: kd.TrainConfig,
                      train: dict[str, jax.Array]) -> float:
  """XLA's FLOP count of one member's KD step (forward, backward, Adam) on one batch."""
  batch = {k: v[:config.batch_size] for k, v in train.items()}
  state = kd.create_state(student, config, jax.random.key(0), batch["x"], lam=LAM,
                          temperature=TEMPERATURE)
  step = jax.jit(kd.train_step).lower(state, batch, jax.random.key(1)).compile()
  return float(step.cost_analysis()["flops"])


def gemm_peak(n: int = 2048, repeats: int = 5) -> float:
  """float32 (n, n) @ (n, n) GFLOP/s, the median of `repeats` timed products."""
  a = jax.random.normal(jax.random.key(0), (n, n), jnp.float32)
  matmul = jax.jit(lambda a, b: a @ b)
  matmul(a, a).block_until_ready()
  times = [seconds(lambda: matmul(a, a).block_until_ready()) for _ in range(repeats)]
  return 2 * n**3 / float(np.median(times)) / 1e9


@functools.partial(jax.jit, static_argnums=(1, 2, 3))
def stream_draws(keys: jax.Array, n: int, batch_size: int, steps: int) -> jax.Array:
  """A population's batch draws alone: `batching.next_rows` for its Q streams (keys
  (Q,)) over `steps` steps, as `population.advance_population` draws them."""
  from cch_jax.kd import batching  # noqa: PLC0415

  def body(carry, i):
    perms, total = carry
    perms, rows = batching.next_rows(perms, keys, i, n, batch_size)
    return (perms, total + jnp.sum(rows)), None

  perms = batching.epoch_permutations(keys, 0, n, batch_size)
  return jax.lax.scan(body, (perms, jnp.zeros((), jnp.int32)), jnp.arange(steps))[0][1]


def population_task(n_rows: int):
  """(student, train dict with a frozen teacher's logits) on random (n, 8, 8, 1) rows."""
  rng = np.random.default_rng(0)
  x = rng.random((n_rows,) + INPUT_SHAPE, np.float32)
  teacher = kd.make_model("mlp", N_CLASSES)
  teacher_params = teacher.init(jax.random.key(1), x[:1])["params"]
  train = {"x": jnp.asarray(x),
           "y": jnp.asarray(rng.integers(0, N_CLASSES, n_rows).astype(np.int32)),
           **kd.teacher_targets(teacher, teacher_params, x, features=False)}
  return kd.make_model("mlp", N_CLASSES), train


def population_table(steps: int, n_rows: int, repeats: int, seeds: int,
                     device_counts: list[int]) -> None:
  """Students/s of one `train_population` call (per device count) vs one call per
  student; the population's GFLOP/s against the GEMM peak; its batch draws' share."""
  student, train = population_task(n_rows)
  config = kd.TrainConfig(steps=steps, batch_size=128, learning_rate=LEARNING_RATE)
  grid = kd.paired_grid(lams=(0.25, 0.5, 0.75, 1.0), temperatures=(1.0, 4.0),
                        seeds=range(seeds))
  m = len(grid)
  key = jax.random.key(0)
  member = lambda i: jax.tree.map(lambda v: v[i:i + 1], grid)
  together = {d: (lambda d=d: kd.train_population(student, config, train, grid, key,
                                                  devices=jax.devices()[:d]))
              for d in device_counts}
  sequential = lambda: [kd.train_population(student, config, train, member(i), key,
                                            devices=jax.devices()[:1]) for i in range(m)]
  first = {d: seconds(run) for d, run in together.items()}
  first_one = seconds(lambda: kd.train_population(student, config, train, member(0), key))
  stream_keys = jax.random.split(key, seeds)
  draws = lambda k: stream_draws(k, n_rows, config.batch_size, steps).block_until_ready()
  draws(stream_keys), draws(stream_keys[:1])
  times = {d: [] for d in device_counts}
  apart, draws_together, draws_apart = [], [], []
  for _ in range(repeats):
    for d, run in together.items():
      times[d].append(seconds(run))
    apart.append(seconds(sequential))
    draws_together.append(seconds(lambda: draws(stream_keys)))
    draws_apart.append(seconds(lambda: [draws(stream_keys[:1]) for _ in range(m)]))
  flops, peak = member_step_flops(student, config, train), gemm_peak()
  t_seq = float(np.median(apart))
  print(f"\nKD population: MLP students, {m} members ({seeds} seeds × (1 baseline + 4 λ × "
        f"2 T)), {steps} steps of batch {config.batch_size} on {n_rows:,} random rows "
        f"(8, 8, 1) with precomputed teacher logits; median of {repeats} interleaved "
        f"repeats; {flops / 1e6:.1f} MFLOP per member-step (XLA cost analysis); float32 "
        f"GEMM peak {peak:.0f} GFLOP/s (2048² matmul, same run)\n")
  print("| implementation | devices | seconds | students/s | GFLOP/s | % of GEMM peak | "
        "speed-up | first call s (incl. compile) | batch draws alone, s (share) |")
  print("|---|---|---|---|---|---|---|---|---|")
  rows = [("one at a time (1-member grid, Python loop)", 1, t_seq, first_one,
           float(np.median(draws_apart)))]
  rows += [(f"population ({m} members, one call)", d, float(np.median(times[d])), first[d],
            float(np.median(draws_together))) for d in device_counts]
  for label, d, sec, first_s, draw_s in rows:
    gflops = flops * m * steps / sec / 1e9
    print(f"| {label} | {d} | {sec:.2f} | {m / sec:.2f} | {gflops:.1f} | "
          f"{gflops / peak:.0%} | {t_seq / sec:.2f}× | {first_s:.2f} | "
          f"{draw_s:.3f} ({draw_s / sec:.1%}) |")
  best = min(device_counts, key=lambda d: np.median(times[d]))
  gflops = flops * m * steps / float(np.median(times[best])) / 1e9
  print(f"\npopulation: {gflops:.1f} GFLOP/s = {gflops / peak:.0%} of the GEMM peak "
        f"({best} device(s))")


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--batches", type=int, nargs="+", default=[128, 1024])
  parser.add_argument("--repeats", type=int, default=7)
  parser.add_argument("--target_s", type=float, default=0.5,
                      help="seconds per timed repeat of the step benchmark")
  parser.add_argument("--no_compile", action="store_true", help="skip torch.compile")
  parser.add_argument("--population_steps", type=int, default=300)
  parser.add_argument("--population_rows", type=int, default=1797)
  parser.add_argument("--population_repeats", type=int, default=3)
  parser.add_argument("--population_seeds", type=int, default=3,
                      help="members = seeds × (1 + 8): 3 -> 27")
  parser.add_argument("--population_devices", type=int, nargs="+", default=[1],
                      help="device counts to run the population on (fake CPU devices: "
                           "XLA_FLAGS=--xla_force_host_platform_device_count=N)")
  parser.add_argument("--skip", choices=("step", "population"), default=None)
  args = parser.parse_args()

  xla_flags.set_cpu_defaults()  # what launch.py users get; before JAX's first computation
  torch.set_num_threads(THREADS)
  warnings.filterwarnings("ignore", category=UserWarning, module="torch")
  print(f"JAX {jax.__version__} ({jax.default_backend()}, {jax.local_device_count()} "
        f"device(s)), torch {torch.__version__} ({torch.get_num_threads()} threads); "
        f"{THREADS} cores, {platform.processor() or platform.machine()}; "
        f"XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r}; "
        f"load average at start {os.getloadavg()[0]:.2f}")
  if args.skip != "step":
    step_table(args.batches, args.repeats, args.target_s, not args.no_compile)
  if args.skip != "population":
    population_table(args.population_steps, args.population_rows, args.population_repeats,
                     args.population_seeds, args.population_devices)
  print(f"\nload average at end (1, 5, 15 min): "
        f"{', '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
  main()
