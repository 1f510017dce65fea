"""One record by id, or the :class:`~store.errors.NotFoundError` (404) that names it."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any
from typing import TypeVar

from store.errors import NotFoundError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

Row = TypeVar("Row")


def get_or_raise(s: Session, model: type[Row], record_id: Any, *, what: str) -> Row:
    """The ``model`` record ``record_id`` in session ``s``.

    Parameters
    ----------
    s
        An open session.
    model
        The mapped class (``Association``, ``Opportunity``, ...).
    record_id
        Its id (anything ``int`` takes).
    what
        How a person names the record, for the message: ``"association"``.

    Raises
    ------
    NotFoundError
        ``"{what} {record_id} does not exist"`` when there is no such record.
    """
    record = s.get(model, int(record_id))
    if record is None:
        msg = f"{what} {record_id} does not exist"
        raise NotFoundError(msg)
    return record


__all__ = ["get_or_raise"]
