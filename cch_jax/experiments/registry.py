"""The experiment registry: name -> run(config, workdir) -> summary dict."""

from cch_jax.utils.registry import Registry

EXPERIMENTS = Registry("experiment")
