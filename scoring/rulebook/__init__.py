"""Rulebooks as data: the file format (docs/rulebook-format.md), its parser and
validator, and its writer. `rulebook_parse(text)` and `rulebook_dump(rulebook)`
are the two ways in and out."""

from .dump import rulebook_dump
from .parse import RulebookError, RulebookInvalid, rulebook_parse
from .types import (
    FACT_KINDS,
    MARK,
    Fact,
    Member,
    PastYear,
    Rulebook,
)

__all__ = [
    "FACT_KINDS",
    "MARK",
    "Fact",
    "Member",
    "PastYear",
    "Rulebook",
    "RulebookError",
    "RulebookInvalid",
    "rulebook_dump",
    "rulebook_parse",
]
