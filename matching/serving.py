"""Which meetings serve people on a date: the meetings coverage counts.

Pure: frames in, frames out (:mod:`matching.coverage` re-exports these names).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import datetime as dt

IN_PERSON = ("in_person", "hybrid")
"""Attendance modes that bring people into a room: the meetings that cover a place."""


def licensed_organisations(volunteers: pd.DataFrame, on: dt.date) -> set[int]:
    """Organisations with at least one volunteer whose licence is valid on ``on``.

    A licence is valid up to and including its ``licence_valid_until`` date; a volunteer
    without a date has no valid licence.

    Examples
    --------
    >>> import datetime as dt
    >>> import pandas as pd
    >>> vols = pd.DataFrame({"organisation_id": [1, 2, 2], "licence_valid_until": [
    ...     dt.date(2026, 1, 1), dt.date(2025, 1, 1), None]})
    >>> sorted(licensed_organisations(vols, dt.date(2026, 1, 1)))
    [1]
    """
    if volunteers.empty:
        return set()
    until = pd.to_datetime(volunteers["licence_valid_until"], errors="coerce")
    valid = until.notna() & (until >= pd.Timestamp(on))
    return {int(i) for i in volunteers.loc[valid.to_numpy(), "organisation_id"].dropna()}


def serving_meetings(
    meetings: pd.DataFrame, organisations: pd.DataFrame, volunteers: pd.DataFrame, *,
    on: dt.date,
) -> pd.DataFrame:
    """The meetings that serve people on ``on``: the ones coverage counts.

    Active, in a room (:data:`IN_PERSON`), with a position, of an approved organisation that
    has at least one volunteer with a licence valid on ``on``.

    Parameters
    ----------
    meetings
        ``id``, ``organisation_id``, ``lat``, ``lon``, ``attendance``, ``active``.
    organisations
        ``id``, ``status``.
    volunteers
        ``organisation_id``, ``licence_valid_until``.
    on
        The date asked.

    Returns
    -------
    pandas.DataFrame
        The rows of ``meetings`` kept.
    """
    approved = {int(i) for i, st in zip(organisations["id"], organisations["status"],
                                        strict=True) if st == "approved"}
    ok_orgs = approved & licensed_organisations(volunteers, on)
    org = meetings["organisation_id"]
    keep = (meetings["active"].fillna(False).astype(bool)
            & meetings["attendance"].isin(IN_PERSON)
            & meetings["lat"].notna() & meetings["lon"].notna()
            & org.notna() & org.fillna(-1).astype(np.int64).isin(list(ok_orgs)))
    return meetings.loc[keep.to_numpy()]


__all__ = ["IN_PERSON", "licensed_organisations", "serving_meetings"]
