"""`netc lsp`: the language server, so that editors show netspec's shapes and diagnostics while the user types.

The features (analysis.py, hints.py, hover.py, ...) are plain functions over the compiler's public results and
never import pygls; server.py wires them to the protocol. Nothing here imports torch.
"""
