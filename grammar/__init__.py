"""Ships grammar/net.lark as package data so the installed compiler can find it."""

from pathlib import Path

GRAMMAR_PATH = Path(__file__).with_name("net.lark")
