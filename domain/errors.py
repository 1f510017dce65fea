"""Problems of values and the errors that carry them.

A rule that finds something wrong describes it as a :class:`Problem`: the field, the value
as given, and a reason that names the field, shows the value, says what is allowed and how
to fix it. Rules collect every problem of a record and report them once
(:class:`RecordError`); a single value's parser raises :class:`FieldError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from collections.abc import Iterable


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field of a record.

    Attributes
    ----------
    field
        The field's name (``"title"``, ``"weekdays"``), or ``"lat,lon"`` for the pair,
        ``"location"`` when a record that needs a position gives none, ``"fields"`` for
        unknown field names.
    value
        The value as given (``None`` when missing).
    reason
        The sentence shown to people: what is wrong, what is allowed, how to fix it.
    """

    field: str
    value: Any
    reason: str

    def as_row(self, row: int, id: Any = None) -> dict[str, Any]:
        """The ``{"row", "id", "field", "reason"}`` shape of ingest reports."""
        return {"row": row, "id": id, "field": self.field, "reason": self.reason}


class FieldError(ValueError):
    """A value one field cannot take; ``str(error)`` is the reason.

    Parameters
    ----------
    reason
        The full sentence (names the field, shows the value, says the fix).
    field, value
        Which field and what was given, when known.
    """

    status = 400
    code = "invalid_value"

    def __init__(self, reason: str, *, field: str | None = None, value: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field
        self.value = value


class RecordError(ValueError):
    """Every problem of one record, reported at once.

    ``problems`` maps each field to its reason(s) (joined by a space when a field has
    several); ``str(error)`` is every reason, each naming its field by its label;
    ``items`` keeps the :class:`Problem` objects in the order found.
    """

    status = 400
    code = "invalid_record"

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.items = list(problems)
        merged: dict[str, str] = {}
        for p in self.items:
            merged[p.field] = f"{merged[p.field]} {p.reason}" if p.field in merged else p.reason
        self.problems = merged
        # each reason names its field by its label: the message reads well on its own
        super().__init__(" ".join(merged.values()))


__all__ = ["FieldError", "Problem", "RecordError"]
