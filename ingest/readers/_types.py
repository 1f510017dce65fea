"""Meeting Guide type codes (code4recovery/spec ``types.json``, English names).

Feeds carry the codes (``"X"``); 12 Step Meeting List CSV exports carry the English names
(``"Wheelchair Access"``). ``ONL`` (online) is no longer in the spec, which now says
``conference_url``/``attendance_option``, but real feeds still use it, as do a few older names.
"""

from __future__ import annotations

from typing import Any

#: Code -> English name, as in the specification's ``types.json``.
MEETING_TYPES: dict[str, str] = {
    "11": "11th Step Meditation", "12x12": "12 Steps & 12 Traditions", "A": "Secular",
    "ABSI": "As Bill Sees It", "AF": "Afrikaans", "AL": "Concurrent with Alateen",
    "AL-AN": "Concurrent with Al-Anon", "AM": "Amharic", "AR": "Arabic",
    "ASL": "American Sign Language", "B": "Big Book", "BA": "Babysitting Available",
    "BE": "Newcomer", "BG": "Bulgarian", "BI": "Bisexual", "BRK": "Breakfast", "C": "Closed",
    "CAN": "Candlelight", "CF": "Child-Friendly", "D": "Discussion", "DA": "Danish",
    "DB": "Digital Basket", "DD": "Dual Diagnosis", "DE": "German", "DR": "Daily Reflections",
    "EL": "Greek", "EN": "English", "FA": "Persian", "FI": "Finnish", "FF": "Fragrance Free",
    "FR": "French", "G": "Gay", "GR": "Grapevine", "H": "Birthday", "HE": "Hebrew", "HI": "Hindi",
    "HR": "Croatian", "HU": "Hungarian", "IS": "Icelandic", "ITA": "Italian", "JA": "Japanese",
    "KA": "Georgian", "KOR": "Korean", "L": "Lesbian", "LGBTQ": "LGBTQ", "LIT": "Literature",
    "LS": "Living Sober", "LT": "Lithuanian", "M": "Men", "MED": "Meditation", "ML": "Malayalam",
    "MT": "Maltese", "N": "Native American", "NB": "Non-Binary", "NDG": "Indigenous",
    "NE": "Nepali", "NL": "Dutch", "NO": "Norwegian", "O": "Open", "OUT": "Outdoor",
    "P": "Professionals", "POA": "Proof of Attendance", "POC": "People of Color", "POL": "Polish",
    "POR": "Portuguese", "PUN": "Punjabi", "RUS": "Russian", "S": "Spanish", "SEN": "Seniors",
    "SK": "Slovak", "SL": "Slovenian", "SM": "Smoking Permitted", "SP": "Speaker",
    "ST": "Step Study", "SV": "Swedish", "T": "Transgender", "TC": "Location Temporarily Closed",
    "TH": "Thai", "TL": "Tagalog", "TR": "Tradition Study", "TUR": "Turkish", "UK": "Ukrainian",
    "W": "Women", "X": "Wheelchair Access", "XB": "Wheelchair-Accessible Bathroom",
    "XT": "Cross Talk Permitted", "Y": "Young People",
    "ONL": "Online Meeting",
}
ONLINE = "ONL"
TEMPORARILY_CLOSED = "TC"

#: Meeting type code -> our accessibility slug (the rest of the codes are not about access).
TYPE_ACCESSIBILITY: dict[str, str] = {"X": "wheelchair", "XB": "accessible_toilet"}

_OLD_NAMES = {
    "online": "ONL", "temporary closure": "TC", "step meeting": "ST",
    "babysitting": "BA", "child care available": "BA", "wheelchair accessible": "X",
    "beginner": "BE", "newcomers": "BE", "english speaking": "EN",
}
_CODE_BY_NAME = {name.lower(): code for code, name in MEETING_TYPES.items()} | _OLD_NAMES
_CODE_BY_UPPER = {code.upper(): code for code in MEETING_TYPES}


def type_code(value: Any) -> Any:
    """A type given as a code or an English name -> its code; unknown values unchanged.

    Examples
    --------
    >>> type_code("Wheelchair Access"), type_code("onl"), type_code("12X12"), type_code("Zz")
    ('X', 'ONL', '12x12', 'Zz')
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    return _CODE_BY_UPPER.get(text.upper()) or _CODE_BY_NAME.get(text.lower(), text)
