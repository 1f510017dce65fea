"""The format of UK charity registration numbers (a format check, not a register look-up).

Rules, by register:

* **England and Wales** (Charity Commission for England and Wales): a registered charity
  number is 6 to 8 digits, usually 7 (``1234567``); older charities have 6 (``220949``). A
  linked or subsidiary charity is shown with a ``-N`` suffix after the main number
  (``1234567-1``). Source: Charity Commission, "Register of charities" search and the
  register's data definitions (``registered_charity_number`` and ``linked_charity_number``),
  https://register-of-charities.charitycommission.gov.uk/.
* **Scotland** (OSCR, the Scottish Charity Regulator): ``SC`` and 6 digits (``SC012345``).
  Source: OSCR, "Scottish Charity Register", https://www.oscr.org.uk/.
* **Northern Ireland** (Charity Commission for Northern Ireland): ``NIC`` and 6 digits
  (``NIC100002``), or the bare ``100xxx`` series of its register (``100002``). Source:
  CCNI, "Register of charities", https://www.charitycommissionni.org.uk/.

A bare ``100xxx`` fits both Northern Ireland's series and a 6-digit England and Wales number,
so both are named. Spaces are ignored and letters may be in any case. A number that fits a
format may still not be registered: the admin checks it on the register.
"""

from __future__ import annotations

import dataclasses
import re

_EW = re.compile(r"^(\d{6,8})(?:-(\d{1,3}))?$")
_SC = re.compile(r"^SC(\d{6})$")
_NIC = re.compile(r"^NIC(\d{6})$")
_NI_SERIES = re.compile(r"^100\d{3}$")


@dataclasses.dataclass(frozen=True)
class CharityCheck:
    """What a charity number's format says."""

    number: str
    """The number as checked: spaces removed, letters upper-case."""
    valid: bool
    registers: tuple[str, ...]
    """The registers whose format it fits (none when ``valid`` is false)."""
    message: str


def check_charity_number(raw: str | None) -> CharityCheck | None:
    """The format check of ``raw``; ``None`` when no number is given.

    Examples
    --------
    >>> check_charity_number("1234567").registers
    ('England and Wales',)
    >>> check_charity_number("sc 012345").number
    'SC012345'
    >>> check_charity_number("100002").registers
    ('Northern Ireland', 'England and Wales')
    >>> check_charity_number("12345").valid
    False
    """
    text = re.sub(r"\s+", "", str(raw or "")).upper()
    if not text:
        return None
    registers: list[str] = []
    if _SC.match(text):
        registers.append("Scotland")
    if _NIC.match(text) or _NI_SERIES.match(text):
        registers.append("Northern Ireland")
    if _EW.match(text):
        registers.append("England and Wales")
    if registers:
        where = " or ".join(registers)
        return CharityCheck(text, True, tuple(registers),
                            f"{text} has the format of a registered charity number of {where}; "
                            "check it on the register")
    return CharityCheck(text, False, (), (
        f"{text} is not in the format of a UK registered charity number: England and Wales "
        "6-8 digits (e.g. 1234567, or 1234567-1 for a linked charity), Scotland SC and 6 "
        "digits (SC012345), Northern Ireland NIC and 6 digits (NIC100002) or 100xxx"))


__all__ = ["CharityCheck", "check_charity_number"]
