"""Built-in centroids of the UK postcode areas, so that geocoding works with no data files.

Derived once, with a throwaway script, from ``uk-postcodes/postcode_districts.csv`` (the
doogal.co.uk "Postcode districts" table, built from ONS Postcode Directory / OS Code-Point
Open data, snapshot about 2023): for each area, the districts with at least one active
postcode that are not marked "Non-geographic" were averaged as unit vectors on the sphere
(each district counts once, whatever its size) and the mean vector turned back into degrees,
rounded to 4 decimal places (about 10 m). The trailing comment gives the number of districts
averaged. Spot checks: ``M`` lies in central Manchester, ``WA`` at Warrington, ``EH`` in
Edinburgh; large rural areas (``PH``, ``PA``, ``IV``, ``KW``) have centres far from their
post town, as expected.

``GY``, ``IM`` and ``JE`` (Guernsey, Isle of Man, Jersey) are not in that table; their
entries are the approximate centres of the islands, entered by hand.

Licence: Open Government Licence v3.0. Contains OS data © Crown copyright and database
right; Contains Royal Mail data © Royal Mail copyright and database right; Contains
National Statistics data © Crown copyright and database right.
"""

from __future__ import annotations

#: Postcode area -> ``(lat, lon)`` WGS84 degrees.
_POSTCODE_AREA_CENTROIDS: dict[str, tuple[float, float]] = {
    "AB": (57.2706, -2.4488),  # 33 districts
    "AL": (51.7772, -0.2697),  # 10 districts
    "B": (52.4577, -1.8834),  # 77 districts
    "BA": (51.1661, -2.4579),  # 19 districts
    "BB": (53.7959, -2.3244),  # 13 districts
    "BD": (53.8221, -1.8170),  # 27 districts
    "BH": (50.7453, -1.8990),  # 26 districts
    "BL": (53.5860, -2.4097),  # 12 districts
    "BN": (50.8340, -0.1254),  # 34 districts
    "BR": (51.3933, 0.0535),  # 8 districts
    "BS": (51.4272, -2.6586),  # 37 districts
    "BT": (54.6145, -6.3776),  # 80 districts
    "CA": (54.6450, -3.1566),  # 28 districts
    "CB": (52.1988, 0.2028),  # 16 districts
    "CF": (51.5625, -3.3690),  # 35 districts
    "CH": (53.2990, -3.0202),  # 29 districts
    "CM": (51.7499, 0.3605),  # 26 districts
    "CO": (51.8966, 0.9626),  # 16 districts
    "CR": (51.3456, -0.1037),  # 8 districts
    "CT": (51.2424, 1.2340),  # 22 districts
    "CV": (52.3701, -1.4938),  # 24 districts
    "CW": (53.1514, -2.4531),  # 12 districts
    "DA": (51.4416, 0.2152),  # 18 districts
    "DD": (56.5490, -2.8239),  # 11 districts
    "DE": (52.9266, -1.5038),  # 23 districts
    "DG": (55.0616, -3.7028),  # 15 districts
    "DH": (54.8263, -1.5867),  # 12 districts
    "DL": (54.5349, -1.6683),  # 17 districts
    "DN": (53.5524, -0.6412),  # 32 districts
    "DT": (50.7533, -2.5249),  # 11 districts
    "DY": (52.4495, -2.1925),  # 14 districts
    "E": (51.5462, -0.0112),  # 20 districts
    "EC": (51.5170, -0.0950),  # 23 districts
    "EH": (55.9066, -3.1769),  # 57 districts
    "EN": (51.6881, -0.0777),  # 11 districts
    "EX": (50.8449, -3.6981),  # 33 districts
    "FK": (56.1596, -3.9727),  # 21 districts
    "FY": (53.8349, -3.0223),  # 8 districts
    "G": (55.8733, -4.2736),  # 50 districts
    "GL": (51.8220, -2.2161),  # 27 districts
    "GU": (51.2207, -0.7134),  # 38 districts
    "HA": (51.5854, -0.3407),  # 10 districts
    "HD": (53.6358, -1.7804),  # 9 districts
    "HG": (54.0370, -1.5386),  # 5 districts
    "HP": (51.7153, -0.6985),  # 24 districts
    "HR": (52.0901, -2.7385),  # 9 districts
    "HS": (57.6965, -6.9835),  # 9 districts
    "HU": (53.7686, -0.3479),  # 20 districts
    "HX": (53.7131, -1.8951),  # 7 districts
    "IG": (51.5894, 0.0708),  # 11 districts
    "IP": (52.2222, 1.0956),  # 34 districts
    "IV": (57.5379, -4.8328),  # 49 districts
    "KA": (55.5961, -4.6472),  # 30 districts
    "KT": (51.3557, -0.3439),  # 24 districts
    "KW": (58.4246, -3.4846),  # 16 districts
    "KY": (56.1740, -3.1761),  # 17 districts
    "L": (53.4384, -2.9353),  # 48 districts
    "LA": (54.2140, -2.9655),  # 23 districts
    "LD": (52.1913, -3.3700),  # 8 districts
    "LE": (52.6454, -1.1406),  # 23 districts
    "LL": (53.1087, -3.9732),  # 67 districts
    "LN": (53.2731, -0.2700),  # 13 districts
    "LS": (53.8233, -1.5466),  # 31 districts
    "LU": (51.8959, -0.4915),  # 7 districts
    "M": (53.4766, -2.2751),  # 45 districts
    "ME": (51.3353, 0.5773),  # 20 districts
    "MK": (52.0568, -0.7033),  # 27 districts
    "ML": (55.7583, -3.9166),  # 12 districts
    "N": (51.5908, -0.1190),  # 23 districts
    "NE": (55.0669, -1.6940),  # 59 districts
    "NG": (53.0051, -1.0504),  # 31 districts
    "NN": (52.2903, -0.8269),  # 19 districts
    "NP": (51.6937, -3.0228),  # 18 districts
    "NR": (52.6759, 1.2758),  # 35 districts
    "NW": (51.5613, -0.2009),  # 11 districts
    "OL": (53.5800, -2.1191),  # 16 districts
    "OX": (51.7892, -1.2632),  # 26 districts
    "PA": (56.0974, -5.4483),  # 67 districts
    "PE": (52.6916, 0.0391),  # 36 districts
    "PH": (56.7926, -4.3968),  # 43 districts
    "PL": (50.4613, -4.4158),  # 35 districts
    "PO": (50.7816, -1.1056),  # 34 districts
    "PR": (53.7137, -2.7559),  # 11 districts
    "RG": (51.3873, -1.0424),  # 30 districts
    "RH": (51.1246, -0.1955),  # 20 districts
    "RM": (51.5451, 0.2187),  # 20 districts
    "S": (53.3846, -1.4165),  # 49 districts
    "SA": (51.8409, -4.3489),  # 52 districts
    "SE": (51.4616, -0.0326),  # 28 districts
    "SG": (51.9448, -0.1583),  # 19 districts
    "SK": (53.3799, -2.0905),  # 19 districts
    "SL": (51.5224, -0.6346),  # 10 districts
    "SM": (51.3616, -0.1885),  # 7 districts
    "SN": (51.5113, -1.8800),  # 20 districts
    "SO": (50.9479, -1.3934),  # 23 districts
    "SP": (51.0984, -1.8269),  # 11 districts
    "SR": (54.8819, -1.3918),  # 9 districts
    "SS": (51.5669, 0.5919),  # 17 districts
    "ST": (52.9509, -2.1335),  # 21 districts
    "SW": (51.4710, -0.1670),  # 27 districts
    "SY": (52.6296, -3.1588),  # 25 districts
    "TA": (51.0326, -2.9999),  # 24 districts
    "TD": (55.6663, -2.5096),  # 15 districts
    "TF": (52.6900, -2.4736),  # 13 districts
    "TN": (51.0675, 0.4537),  # 40 districts
    "TQ": (50.4341, -3.6434),  # 14 districts
    "TR": (50.1721, -5.4311),  # 27 districts
    "TS": (54.5896, -1.2287),  # 29 districts
    "TW": (51.4478, -0.3955),  # 20 districts
    "UB": (51.5284, -0.4233),  # 11 districts
    "W": (51.5114, -0.1973),  # 25 districts
    "WA": (53.3927, -2.5901),  # 16 districts
    "WC": (51.5176, -0.1223),  # 14 districts
    "WD": (51.6667, -0.3935),  # 11 districts
    "WF": (53.6881, -1.5053),  # 17 districts
    "WN": (53.5339, -2.6434),  # 8 districts
    "WR": (52.1717, -2.1986),  # 16 districts
    "WS": (52.6416, -1.9522),  # 15 districts
    "WV": (52.5835, -2.1687),  # 16 districts
    "YO": (54.0785, -0.8571),  # 31 districts
    "ZE": (60.1140, -1.2340),  # 3 districts
    # Not in the districts table: island centres, by hand.
    "GY": (49.4540, -2.5760),  # Guernsey
    "IM": (54.2280, -4.5330),  # Isle of Man
    "JE": (49.2140, -2.1320),  # Jersey
}
