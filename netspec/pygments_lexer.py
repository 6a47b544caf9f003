"""A Pygments lexer for `.net` specs, so Sphinx, MkDocs and other Pygments-based tools highlight them.

Registered as the `netspec` lexer (aliases `net`, `netspec`) through the `pygments.lexers` entry point in
pyproject.toml. Its words come from netspec.vocabulary: the grammar's keywords and the compiler's catalogs.
"""

from __future__ import annotations

from typing import ClassVar

from pygments.lexer import RegexLexer, words
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Text, Whitespace

from netspec import vocabulary

_END = r"(?![A-Za-z0-9_])"


class NetspecLexer(RegexLexer):
    name = "netspec"
    aliases = ("netspec", "net")
    filenames = ("*.net",)
    mimetypes = ("text/x-netspec",)

    tokens: ClassVar[dict[str, list]] = {
        "root": [
            (r"[ \t\f\r\n]+", Whitespace),
            (r"\\[ \t]*\r?\n", Text),  # a line continuation
            (r"#[^\n]*", Comment.Single),
            (r'"([^"\\\n]|\\[^\n])*"?', String.Double),
            (r"'([^'\\\n]|\\[^\n])*'?", String.Single),
            (r"(\d+\.\d*([eE][+-]?\d+)?|\d+[eE][+-]?\d+|\.\d+([eE][+-]?\d+)?)" + _END, Number.Float),
            (r"\d+" + _END, Number.Integer),
            (words(vocabulary.keywords(), suffix=_END), Keyword),
            (words(vocabulary.CONSTANTS, suffix=_END), Keyword.Constant),
            (words(vocabulary.dtypes(), suffix=_END), Keyword.Type),
            (words(vocabulary.layer_names(), suffix=_END), Name.Builtin),
            (words(vocabulary.task_kinds(), suffix=_END), Name.Class),
            (words(vocabulary.settings(), suffix=_END), Name.Attribute),
            (words(vocabulary.train_choices(), suffix=_END), Name.Constant),
            (words(("in",), suffix=_END), Name.Builtin.Pseudo),
            (r"[A-Za-z_][A-Za-z0-9_]*", Name),
            (r"->", Operator),
            (r"[-+*/=:]", Operator),
            (r"[()\[\],]", Punctuation),
            (r"\d+[A-Za-z_][A-Za-z0-9_]*", Name),  # `3x`: not a name the grammar accepts, but one word
            (r".", Text),  # anything else the compiler reports; the highlighter stays calm
        ]
    }
