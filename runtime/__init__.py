"""netspec's runtime: load compiled specs, validate data, train, evaluate and predict (imports torch)."""

from runtime.load import LoadedSpec, load, load_text

__all__ = ["LoadedSpec", "load", "load_text"]
