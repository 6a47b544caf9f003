"""The base of every compiler data model: frozen pydantic, built without validation by the compiler itself.

Inside `trusted()` (the compiler's own passes, which construct models from values they have
already checked) construction skips validation -- and pydantic's schema building, which
dominated `netc check`'s start-up. Everywhere else, including `model_validate_json` on data
from outside, models are fully validated.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict

_TRUSTED: ContextVar[bool] = ContextVar("netc_trusted_construction", default=False)


@contextmanager
def trusted() -> Iterator[None]:
    token = _TRUSTED.set(True)
    try:
        yield
    finally:
        _TRUSTED.reset(token)


# per class: each field's name and how to fill it when it is not given (None: required)
_Plan = tuple[tuple[str, Callable[[], Any] | None], ...]
_PLANS: dict[type, _Plan] = {}
_SHARED_DEFAULTS = (int, float, str, bool, type(None), Enum)  # immutable: one object serves every instance


def _plan(cls: type[BaseModel]) -> _Plan:
    """What model_construct would do for each field, worked out once per class instead of once per object."""
    steps: list[tuple[str, Callable[[], Any] | None]] = []
    for name, info in cls.model_fields.items():
        if info.is_required():
            steps.append((name, None))
        elif info.default_factory is not None or not (isinstance(info.default, _SHARED_DEFAULTS) or info.default == ()):
            steps.append((name, functools.partial(info.get_default, call_default_factory=True, validated_data={})))
        else:
            steps.append((name, functools.partial(lambda value: value, info.default)))
    return tuple(steps)


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    def __init__(self, **data: Any) -> None:
        if not _TRUSTED.get():
            super().__init__(**data)
            return
        # model_construct's work without its per-object overhead (the compiler builds ~50 records per layer):
        # the same field values, in field order, the same fields-set, no extra, no private state
        cls = type(self)
        plan = _PLANS.get(cls)
        if plan is None:
            plan = _PLANS[cls] = _plan(cls)
        values = {}
        for name, default in plan:
            if name in data:
                values[name] = data[name]
            elif default is not None:
                values[name] = default()
        object.__setattr__(self, "__dict__", values)
        object.__setattr__(self, "__pydantic_fields_set__", set(data) & values.keys())
        object.__setattr__(self, "__pydantic_extra__", None)
        object.__setattr__(self, "__pydantic_private__", None)
