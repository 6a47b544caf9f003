"""netspec's runtime: load compiled specs, validate data, train, evaluate and predict (imports torch)."""

from netspec.runtime.importer import disable_import_hook, enable_import_hook
from netspec.runtime.load import LoadedSpec, load, load_text

__all__ = ["LoadedSpec", "disable_import_hook", "enable_import_hook", "load", "load_text"]
