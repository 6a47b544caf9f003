"""Turning spec identifiers into Python names that can never clash with Python, torch or nn.Module."""

from __future__ import annotations

import builtins
import keyword
import re

# Public attributes of torch.nn.Module (checked against torch in tests/test_codegen.py):
# a submodule with one of these names would shadow a method of the model.
NN_MODULE_ATTRIBUTES = frozenset(
    [
        "T_destination",
        "add_module",
        "apply",
        "bfloat16",
        "buffers",
        "call_super_init",
        "children",
        "compile",
        "cpu",
        "cuda",
        "double",
        "dump_patches",
        "eval",
        "extra_repr",
        "float",
        "forward",
        "get_buffer",
        "get_extra_state",
        "get_parameter",
        "get_submodule",
        "half",
        "ipu",
        "load_state_dict",
        "modules",
        "mtia",
        "named_buffers",
        "named_children",
        "named_modules",
        "named_parameters",
        "parameters",
        "register_backward_hook",
        "register_buffer",
        "register_forward_hook",
        "register_forward_pre_hook",
        "register_full_backward_hook",
        "register_full_backward_pre_hook",
        "register_load_state_dict_post_hook",
        "register_load_state_dict_pre_hook",
        "register_module",
        "register_parameter",
        "register_state_dict_post_hook",
        "register_state_dict_pre_hook",
        "requires_grad_",
        "set_extra_state",
        "set_submodule",
        "share_memory",
        "smart_apply",
        "state_dict",
        "to",
        "to_empty",
        "train",
        "training",
        "type",
        "xpu",
        "zero_grad",
    ]
)

# Names the generated module itself defines or imports.
GENERATED_GLOBALS = frozenset(
    {"torch", "torchvision", "nn", "F", "METADATA", "SPEC_HASH", "make_loss", "annotations", "self"}
)

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def is_identifier(text: str) -> bool:
    return bool(_IDENT.match(text)) and text.isascii()


class NameSet(set):
    """Names in use, remembering the last suffix tried per base: the thousandth `h` costs one probe, not 1,000."""

    def __init__(self, names=()) -> None:
        super().__init__(names)
        self.last: dict[str, int] = {}


def safe_name(text: str, taken: set[str] | None = None) -> str:
    """A valid, non-clashing Python identifier derived from `text`, unique within `taken`."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", text)
    if not name or name[0].isdigit():
        name = "_" + name
    if (
        keyword.iskeyword(name)
        or keyword.issoftkeyword(name)
        or hasattr(builtins, name)
        or name in NN_MODULE_ATTRIBUTES
        or name in GENERATED_GLOBALS
        or name.startswith("__")
    ):
        name = name.strip("_") + "_" if name.strip("_") else "v_"
        if name in NN_MODULE_ATTRIBUTES or keyword.iskeyword(name) or hasattr(builtins, name):
            name += "_"
    if taken is not None:
        base = name
        k = taken.last.get(base, 1) if isinstance(taken, NameSet) else 1
        while name in taken:
            k += 1
            name = f"{base}_{k}"
        if isinstance(taken, NameSet):
            taken.last[base] = k
        taken.add(name)
    assert is_identifier(name)
    return name
