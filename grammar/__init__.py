"""Ships grammar/net.lark and the block library grammar/std/*.net as package data so the installed compiler finds them."""

from pathlib import Path

GRAMMAR_PATH = Path(__file__).with_name("net.lark")
STD_PATH = Path(__file__).with_name("std")
