"""The base of every compiler data model: frozen pydantic, built without validation by the compiler itself.

Inside `trusted()` (the compiler's own passes, which construct models from values they have
already checked) construction skips validation -- and pydantic's schema building, which
dominated `netc check`'s start-up. Everywhere else, including `model_validate_json` on data
from outside, models are fully validated.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from pydantic import BaseModel, ConfigDict

_TRUSTED: ContextVar[bool] = ContextVar("netc_trusted_construction", default=False)
_STATE = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")


@contextmanager
def trusted() -> Iterator[None]:
    token = _TRUSTED.set(True)
    try:
        yield
    finally:
        _TRUSTED.reset(token)


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    def __init__(self, **data: Any) -> None:
        if not _TRUSTED.get():
            super().__init__(**data)
            return
        built = type(self).model_construct(**data)
        for slot in _STATE:
            object.__setattr__(self, slot, getattr(built, slot))
