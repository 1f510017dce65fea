"""The shortcuts of building a catalogue give what building it row by row gives.

* Each document is built once per combination of its fields (titles, texts, skills, tags,
  category, association repeat across listings), missing fields kept apart (``None`` and
  NaN give different documents);
* tags, weekdays and times are computed once per distinct value;
* :func:`matching.text.analyse` works piece by piece between spaces, each piece remembered:
  the same stems as folding and splitting the whole text, including Unicode spaces that
  folding drops (they join words) and marks that combine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from matching import catalogue as cat_module
from matching.catalogue import Catalogue
from matching.text import TextModel
from matching.text import analyse
from matching.text import stem
from matching.text import words
from tests.test_recommend_bound import _frame


def _reference_analyse(text: str) -> list[str]:
    return [stem(w) for w in words(text)]


def test_analyse_by_pieces_equals_the_whole_text() -> None:
    rng = np.random.default_rng(3)
    alphabet = [*"ab XY'-0\t\n", "\u2019", "e\u0301", "\u0301", "\u00a0", "\u2028", "\u1680",
                "\u3000", "\u00bd", "\ufb01", "\u00a8", "\u00df", "\u0130", "\u200b", "ing",
                "bikes", "the"]
    texts = ["".join(alphabet[int(i)] for i in rng.integers(len(alphabet),
                                                            size=int(rng.integers(26))))
             for _ in range(20000)]
    # U+2028 and U+1680 are dropped by folding: the words either side join.
    texts += ["walk\u2028ing", "bike\u1680s", "caf\u00e9 owner's"]
    for text in texts:
        assert analyse(text) == _reference_analyse(text), repr(text)
    assert analyse("walk\u2028ing") == ["walk"]


def test_catalogue_equals_building_it_row_by_row() -> None:
    frame = _frame(3000, seed=4)
    frame["interests"] = frame["interests"].astype(object)
    # Rows 5 and 6 differ only in a missing title: None (left out) and NaN (written "nan").
    frame.loc[6, frame.columns.drop("id")] = frame.loc[5, frame.columns.drop("id")]
    titles = frame["title"].tolist()
    titles[5], titles[6] = None, float("nan")
    texts = frame["description"].tolist()
    texts[7] = texts[8] = None
    frame["title"] = pd.Series(titles, dtype=object)
    frame["description"] = pd.Series(texts, dtype=object)
    frame.loc[9, "start_time"] = None
    frame.at[10, "weekdays"] = [1, 1, 9]
    catalogue = Catalogue(frame)
    rows = frame.sort_values("id", kind="stable")
    interests = [cat_module._as_tuple(v) for v in rows["interests"]]
    skills = [tuple(str(s) for s in cat_module._as_tuple(v)) for v in rows["skills"]]
    documents = [cat_module._document(fields) for fields in zip(
        rows["title"].tolist(), rows["description"].tolist(), skills, interests,
        rows["category"].tolist(), rows["association"].tolist(), strict=True)]
    assert documents[5] != documents[6]
    reference = TextModel(documents)
    got = catalogue.text
    np.testing.assert_array_equal(got.codes, reference.codes)
    assert got.vocabulary == reference.vocabulary
    np.testing.assert_array_equal(got.idf, reference.idf)
    for part in ("data", "indices", "indptr"):
        np.testing.assert_array_equal(getattr(got.matrix, part), getattr(reference.matrix, part))
    np.testing.assert_array_equal(
        catalogue.tags, [cat_module.tag_mask(t) for t in interests])
    np.testing.assert_array_equal(catalogue.weekdays, [
        sum(1 << int(d) for d in set(cat_module._as_tuple(w)) if 0 <= int(d) <= 6)
        for w in rows["weekdays"]])
    for column, got_minutes in (("start_time", catalogue.start_min),
                                ("end_time", catalogue.end_min)):
        np.testing.assert_array_equal(got_minutes,
                                      [cat_module.minutes(v) for v in rows[column]])
