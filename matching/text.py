"""Free text: words, a light stemmer, interests spotted in text, and a TF-IDF model.

The model is scikit-learn's bag of words (:class:`~sklearn.feature_extraction.text.
CountVectorizer` with our analyser) weighted the way :class:`~sklearn.feature_extraction.text.
TfidfTransformer` does with ``smooth_idf=True, sublinear_tf=True`` and L2-normalised rows, so
a dot product of two rows is their cosine similarity. Identical texts are stored once (listings
repeat: the same need posted by many branches); document frequencies still count every row.

Scoring never rebuilds anything: a query becomes one sparse vector, and the cosine with the
candidate rows is one sparse product over those rows only (each row is summed on its own, so
the result does not depend on which other rows were asked about).
"""

from __future__ import annotations

import re
import unicodedata
import weakref
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize

from matching.taxonomy import RELATED
from matching.taxonomy import TERMS

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Sequence

    from numpy.typing import NDArray

_WORD = re.compile(r"[a-z0-9]+")
_MODELS: weakref.WeakSet[TextModel] = weakref.WeakSet()
_VECTOR_CACHE = 4096
"""Query texts whose vectors a model remembers (cleared when full: a plain bound)."""
_MIN_STEM = 3
# Words that say nothing about what someone likes, on top of scikit-learn's English list.
_EXTRA_STOP = frozenset({
    "like", "love", "enjoy", "really", "want", "would", "help", "helping", "volunteer",
    "volunteers", "volunteering", "people", "things", "thing", "bit", "lot", "good", "new",
    "week", "weekly", "day", "days", "time", "times", "hours", "session", "sessions", "try",
    "bring", "friend", "friendly", "welcome", "local", "community",
})
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | _EXTRA_STOP


def fold(text: str) -> str:
    """ASCII lower case: accents dropped, apostrophes removed.

    Examples
    --------
    >>> fold("Café owner's")
    'cafe owners'
    """
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    return text.lower().replace("'", "").replace("\u2019", "")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light English stemmer, enough to meet "bikes" with "bike", "fixing" with "fix".

    Strips ``ies -> y``, a plural ``s`` (not ``ss``), ``ing``, ``ed`` and ``er`` while at least
    three letters stay; both sides of every comparison go through it, so its crudeness is
    symmetric.

    Examples
    --------
    >>> [stem(w) for w in ("bikes", "fixing", "gardener", "gardening", "class", "walks")]
    ['bike', 'fix', 'garden', 'garden', 'class', 'walk']
    """
    w = word
    if len(w) > 4 and w.endswith("ies"):  # noqa: PLR2004
        w = w[:-3] + "y"
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):  # noqa: PLR2004
        w = w[:-1]
    for suffix in ("ing", "ed", "er"):
        if w.endswith(suffix) and len(w) - len(suffix) >= _MIN_STEM:
            w = w[: -len(suffix)]
            # "running" -> "runn" -> "run"; "fitted" -> "fitt" -> "fit"
            if len(w) > _MIN_STEM and w[-1] == w[-2] and w[-1] not in "lsz":
                w = w[:-1]
            break
    return w


def words(text: str) -> list[str]:
    """The content words of ``text``, folded, without stop words (not stemmed)."""
    return [w for w in _WORD.findall(fold(text)) if len(w) > 1 and w not in STOP_WORDS]


def analyse(text: str) -> list[str]:
    """The stems that the TF-IDF model counts: :func:`stem` of each of :func:`words`.

    Piece by piece between ASCII spaces, each piece's stems remembered: a space is a word
    boundary that :func:`fold` keeps (no character decomposes or combines across it, and it
    is not a word character), so the pieces' stems, in order, are the whole text's. Listing
    texts repeat the same words: building a catalogue's TF-IDF model analyses each once.

    Examples
    --------
    >>> analyse("I like being outdoors and fixing bikes")
    ['outdoor', 'fix', 'bike']
    """
    return [s for piece in str(text).split(" ") for s in _piece_stems(piece)]


@lru_cache(maxsize=1 << 17)
def _piece_stems(piece: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in words(piece))


def _phrase_key(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in _WORD.findall(fold(text)) if w != "and")


def _build_phrases() -> dict[tuple[str, ...], tuple[tuple[str, bool], ...]]:
    """Stemmed phrase -> ``(slug, related)`` pairs.

    Slugs, labels and synonyms name an interest (``related=False``; first claim wins); the
    taxonomy's related words point at one or more interests more loosely (``related=True``)
    and never override a name.
    """
    named: dict[tuple[str, ...], str] = {}
    for t in TERMS:
        for text in (t.slug.replace("-", " "), t.label, *t.synonyms):
            key = _phrase_key(text)
            if key:
                named.setdefault(key, t.slug)
    phrases: dict[tuple[str, ...], list[tuple[str, bool]]] = {
        k: [(v, False)] for k, v in named.items()}
    for t in TERMS:
        for text in RELATED.get(t.slug, ()):
            key = _phrase_key(text)
            hits = phrases.setdefault(key, [])
            if key and all(slug != t.slug for slug, _ in hits):
                hits.append((t.slug, True))
    return {k: tuple(v) for k, v in phrases.items() if k and v}


_PHRASES = _build_phrases()
_LONGEST = max(len(k) for k in _PHRASES)


@dataclass(frozen=True)
class Understood:
    """An interest understood from free text, and the words it came from."""

    slug: str
    phrase: str
    """The peer's words, folded (``"near water"``)."""
    related: bool = False
    """From a related word rather than the interest's name or a synonym."""

    def to_dict(self) -> dict[str, object]:
        """``{"interest", "from", "related"}``."""
        return {"interest": self.slug, "from": self.phrase, "related": self.related}


def understand(text: str) -> list[Understood]:
    """The interests that free text points at (see :func:`_understand`); remembered."""
    return list(_understand(text))


@lru_cache(maxsize=8192)
def _understand(text: str) -> tuple[Understood, ...]:
    """The interests that free text points at, with the words each came from.

    Longest phrase first, left to right; a phrase may point at several interests ("bikes":
    DIY & repair and sport). Named interests (labels, synonyms) and related words
    (``matching/data/interests.json``) are both understood; each interest once, first
    mention.

    Examples
    --------
    >>> [(u.slug, u.phrase) for u in understand("I like being outdoors near water")]
    [('outdoors', 'outdoors'), ('waterways', 'near water')]
    >>> [u.slug for u in understand("keeping lonely older people company")]
    ['befriending-care']
    """
    raw = _WORD.findall(fold(text))
    tokens = [stem(w) for w in raw]
    found: list[Understood] = []
    seen: set[str] = set()
    i = 0
    while i < len(tokens):
        for n in range(min(_LONGEST, len(tokens) - i), 0, -1):
            hits = _PHRASES.get(tuple(t for t in tokens[i:i + n] if t != "and"))
            if hits is not None and "and" not in (tokens[i], tokens[i + n - 1]):
                phrase = " ".join(raw[i:i + n])
                for slug, related in hits:
                    if slug not in seen:
                        seen.add(slug)
                        found.append(Understood(slug, phrase, related))
                i += n
                break
        else:
            i += 1
    return tuple(found)


def clear_text_caches() -> None:
    """Forget every remembered understanding of a text (for cold benchmarks and tests)."""
    _understand.cache_clear()
    _piece_stems.cache_clear()
    stem.cache_clear()
    for model in list(_MODELS):
        model.clear_caches()


def spot_interests(text: str) -> list[str]:
    """Interest slugs named in free text by a label or synonym, longest phrase first.

    Related words are not enough here (see :func:`understand`).

    Examples
    --------
    >>> spot_interests("I like being outdoors and fixing bikes")
    ['outdoors', 'diy-repair']
    >>> spot_interests("painting and decorating, then a choir")
    ['diy-repair', 'music']
    """
    return [u.slug for u in understand(text) if not u.related]


class TextModel:
    """TF-IDF vectors of many documents, stored once per distinct text.

    Parameters
    ----------
    texts
        One document per row; or, with ``rows``, documents that rows point at.
    rows
        Row -> index into ``texts`` (when many rows share a document, build each once).

    Attributes
    ----------
    vocabulary : dict
        Stem -> column.
    idf : numpy.ndarray
        Inverse document frequency per column, counted over every row.
    codes : numpy.ndarray
        Row -> index of its distinct text.
    matrix : scipy.sparse.csr_matrix
        L2-normalised TF-IDF of the distinct texts.
    column_max : numpy.ndarray
        The largest weight of each column: bounds any document's cosine with a query.
    columns : scipy.sparse.csc_matrix
        The same matrix by column, to find the best cosine of any document cheaply.
    """

    def __init__(self, texts: Sequence[str], *,
                 rows: NDArray[np.int64] | None = None) -> None:
        self._vectors: dict[str, tuple[NDArray[np.int64], NDArray[np.float64]]] = {}
        self._maxima: dict[bytes, float] = {}
        self.bounds: dict[Any, tuple[float, float]] = {}
        """Per-question score bounds over this model's texts (``matching.bounds``),
        remembered and forgotten with the other caches."""
        _MODELS.add(self)
        codes, uniques = pd.factorize(pd.Series(list(texts), dtype=object), sort=False)
        if rows is not None:
            codes = np.asarray(codes, dtype=np.int64)[rows]
        self.codes: NDArray[np.int64] = np.asarray(codes, dtype=np.int64)
        self.n_rows = len(self.codes)
        unique_texts = [str(u) for u in uniques]
        self.vocabulary: dict[str, int] = {}
        if not unique_texts or not any(analyse(t) for t in unique_texts):
            self.idf = np.zeros(0)
            self.matrix = sparse.csr_matrix((len(unique_texts), 0))
            self.column_max = np.zeros(0)
            self.columns = sparse.csc_matrix(self.matrix)
            return
        counter = CountVectorizer(analyzer=analyse, dtype=np.float64)
        counts = counter.fit_transform(unique_texts).tocsr()
        self.vocabulary = {str(k): int(v) for k, v in counter.vocabulary_.items()}
        multiplicity = np.bincount(self.codes, minlength=len(unique_texts)).astype(np.float64)
        present = counts.copy()
        present.data[:] = 1.0
        df = np.asarray(present.T @ multiplicity).ravel()
        # scikit-learn's smooth idf: ln((1 + n) / (1 + df)) + 1.
        self.idf = np.log((1.0 + self.n_rows) / (1.0 + df)) + 1.0
        counts.data = 1.0 + np.log(counts.data)  # sublinear tf
        weighted = normalize(counts @ sparse.diags(self.idf), norm="l2", copy=False)
        self.matrix = sparse.csr_matrix(weighted)
        self.matrix.sort_indices()
        self.column_max = np.asarray(self.matrix.max(axis=0).todense()).ravel()
        self.columns = sparse.csc_matrix(self.matrix)
        self.columns.sort_indices()

    def clear_caches(self) -> None:
        """Forget the remembered query vectors and best cosines."""
        self._vectors.clear()
        self._maxima.clear()
        self.bounds.clear()

    @property
    def n_distinct(self) -> int:
        """Number of distinct texts."""
        return int(self.matrix.shape[0])

    def vector(self, text: str) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """The L2-normalised TF-IDF of ``text``: ``(columns, weights)``.

        Words that no listing uses are dropped.
        """
        stems = [s for s in analyse(text) if s in self.vocabulary]
        if not stems:
            return np.empty(0, np.int64), np.empty(0)
        cols, tf = np.unique([self.vocabulary[s] for s in stems], return_counts=True)
        weights = (1.0 + np.log(tf)) * self.idf[cols]
        return cols.astype(np.int64), weights / np.linalg.norm(weights)

    def cosine(
        self, rows: NDArray[np.intp], query: tuple[NDArray[np.int64], NDArray[np.float64]]
    ) -> NDArray[np.float64]:
        """Cosine similarity of ``rows`` (row positions) with a :meth:`vector`."""
        cols, weights = query
        out = np.zeros(len(rows))
        if not len(cols) or not len(rows):
            return out
        codes = self.codes[rows]
        indptr, indices, data = self.columns.indptr, self.columns.indices, self.columns.data
        # Column by column in column order, as a sparse product adds them: the same bits.
        for col, weight in zip(cols.tolist(), weights.tolist(), strict=True):
            start, end = indptr[col], indptr[col + 1]
            if start == end:
                continue
            texts = indices[start:end]
            at = np.minimum(np.searchsorted(texts, codes), end - start - 1)
            has = texts[at] == codes
            out[has] += data[start:end][at[has]] * weight
        return out

    def cosines(
        self, query: tuple[NDArray[np.int64], NDArray[np.float64]]
    ) -> NDArray[np.float64]:
        """Cosine of every distinct text with a :meth:`vector` (index it with :attr:`codes`).

        O(documents with the query's words). Bit for bit what :meth:`cosine` gives: both add
        ``weight x query weight`` over the query's columns in column order, starting from 0
        (the zero products :meth:`cosine` adds on the way change no bit).
        """
        cols, weights = query
        out = np.zeros(self.n_distinct)
        indptr, indices, data = self.columns.indptr, self.columns.indices, self.columns.data
        for col, weight in zip(cols.tolist(), weights.tolist(), strict=True):
            start, end = indptr[col], indptr[col + 1]
            # one entry per text in a column: a plain fancy add, in column order
            out[indices[start:end]] += data[start:end] * weight
        return out

    def cached_vector(self, text: str) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """:meth:`vector`, remembered for the last few thousand texts (read-only arrays)."""
        found = self._vectors.get(text)
        if found is None:
            cols, weights = self.vector(text)
            cols.flags.writeable = weights.flags.writeable = False
            found = (cols, weights)
            if len(self._vectors) >= _VECTOR_CACHE:
                self._vectors.clear()
            self._vectors[text] = found
        return found

    def cached_cosine_max(
        self, query: tuple[NDArray[np.int64], NDArray[np.float64]]
    ) -> float:
        """:meth:`cosine_max`, remembered for the last few thousand query vectors."""
        key = query[0].tobytes() + query[1].tobytes()
        found = self._maxima.get(key)
        if found is None:
            found = self.cosine_max(query)
            if len(self._maxima) >= _VECTOR_CACHE:
                self._maxima.clear()
            self._maxima[key] = found
        return found

    def cosine_bound(self, query: tuple[NDArray[np.int64], NDArray[np.float64]]) -> float:
        """No document's cosine with ``query`` exceeds this (at most 1); O(query words)."""
        cols, weights = query
        if not len(cols):
            return 0.0
        return float(min(1.0, float(weights @ self.column_max[cols])))

    def cosine_max(self, query: tuple[NDArray[np.int64], NDArray[np.float64]]) -> float:
        """The best cosine of any document with ``query``; O(documents with its words)."""
        cols, _ = query
        if not len(cols) or not self.n_distinct:
            return 0.0
        return float(min(1.0, float(np.max(self.cosines(query)))))

    def matched_words(self, rows: Sequence[int], text: str) -> list[list[str]]:
        """For each row, the words of ``text`` (as written) whose stems its document has."""
        query = [(w, self.vocabulary.get(stem(w))) for w in dict.fromkeys(words(text))]
        pairs = [(w, c) for w, c in query if c is not None]
        if not pairs or not len(rows):
            return [[] for _ in rows]
        found: list[list[str]] = []
        for row in rows:
            code = int(self.codes[int(row)])
            start, end = self.matrix.indptr[code], self.matrix.indptr[code + 1]
            present = set(self.matrix.indices[start:end].tolist())
            found.append([w for w, c in pairs if c in present])
        return found


def binary_rows(texts: Iterable[str], vocabulary: dict[str, int]) -> tuple[
    NDArray[np.int64], sparse.csc_matrix
]:
    """Which vocabulary stems each distinct text contains (for skill matches).

    Returns
    -------
    codes : numpy.ndarray
        Row -> distinct text.
    matrix : scipy.sparse.csc_matrix
        Distinct text x vocabulary, 1.0 where the stem occurs.
    """
    codes, uniques = pd.factorize(pd.Series(list(texts), dtype=object), sort=False)
    indptr = [0]
    indices: list[int] = []
    for text in uniques:
        cols = sorted({vocabulary[s] for s in analyse(str(text)) if s in vocabulary})
        indices.extend(cols)
        indptr.append(len(indices))
    matrix = sparse.csr_matrix(
        (np.ones(len(indices)), np.asarray(indices, dtype=np.int64), np.asarray(indptr)),
        shape=(len(uniques), max(len(vocabulary), 1)),
    )
    return np.asarray(codes, dtype=np.int64), sparse.csc_matrix(matrix)


__all__ = ["STOP_WORDS", "TextModel", "Understood", "analyse", "binary_rows",
           "clear_text_caches", "fold",
           "spot_interests", "stem", "understand", "words"]
