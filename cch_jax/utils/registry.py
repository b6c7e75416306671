"""A name -> component registry: the one way components are chosen by name."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Mapping[str, T], Generic[T]):
  """A read-only mapping from names to components, filled with `register`.

  Example:
    ESTIMATORS = Registry("estimator")

    @ESTIMATORS.register("ksg")
    def ksg_mi(x, y): ...

    ESTIMATORS["ksg"]  # -> ksg_mi; an unknown name raises a KeyError listing the known ones.
  """

  def __init__(self, kind: str):
    self.kind = kind
    self._items: dict[str, T] = {}

  def register(self, name: str) -> Callable[[T], T]:
    """Returns a decorator that files its argument under `name`."""

    def decorator(item: T) -> T:
      if name in self._items:
        raise ValueError(f"{self.kind} {name!r} is registered twice")
      self._items[name] = item
      return item

    return decorator

  def __getitem__(self, name: str) -> T:
    try:
      return self._items[name]
    except KeyError:
      known = ", ".join(sorted(self._items)) or "none"
      raise KeyError(f"unknown {self.kind} {name!r}; known: {known}") from None

  def __iter__(self) -> Iterator[str]:
    return iter(self._items)

  def __len__(self) -> int:
    return len(self._items)
