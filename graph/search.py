"""Find a thing of the graph by its name or its code: campuses, schools, trainings, trades, pôles, projects, territories.

The index is an SQLite FTS5 file (the standard library's ``sqlite3``; the choice against tantivy is measured
in BENCHMARKS.md), :data:`cmqgraph.store.SEARCH_INDEX` in the store folder: every build writes it beside the
graph (:func:`cmqgraph.build`), from the graph itself (``queries/internal/search_*.rq``). A store built before
the index existed gets it on its first search (:func:`open_index`: written beside, then renamed into the store
folder).

What a search does (:meth:`SearchIndex.query`):

- the text is folded (:func:`normalize`: accents, case, ligatures and punctuation do not count), cut into
  words, and the small words (``de``, ``la``, ``l'``…) dropped when others remain;
- every word is a prefix (one types ``mobi``, Mobicampus is there) and every word must match somewhere (the
  name, a code, another name, the place, the context): several words narrow;
- a word that starts no word of the index is read as a typo: the words of the index within one edit
  (two from eight letters; a swap of two letters is one edit) take its place (``mobicampsu``);
- ranking: BM25 with the name above the codes, other names, place and context, times a weight per kind
  (a campus before a school that mentions it), times 4 when the name is exactly the text; a code typed alone
  (a UAI, a CFD, an RNCP code, a ROME code) puts its thing first;
- facets: how many things of each kind match, whatever the ``kind`` asked.

Examples
--------
>>> import tempfile, pathlib
>>> doc = Document("https://w3id.org/cmqgraph/id/rome/H2209", "trade", "Dessinateur / Dessinatrice de structures en bois", "H2209",
...                names=("Dessinateur / Dessinatrice en menuiserie",))
>>> index = SearchIndex(write_index([doc], pathlib.Path(tempfile.mkdtemp()) / "index.sqlite"))
>>> [(h.code, h.snippet) for h in index.query("dessinatrice menuserie").hits]
[('H2209', 'Dessinateur / Dessinatrice en menuiserie')]
>>> index.query("h2209").facets
{'trade': 1}
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import sys
import threading
import unicodedata
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import pyoxigraph as ox

from .errors import OutputError, ParameterError, StoreError
from .iris import CMQ, PREFIXES
from .output import atomic_file
from .resources import internal_query
from .saved_queries import insert_values
from .store import SEARCH_INDEX, open_store, resolve_store_path

__all__ = [
    "KINDS",
    "MAX_LIMIT",
    "Document",
    "Hit",
    "SearchResult",
    "SearchIndex",
    "normalize",
    "words",
    "documents",
    "write_index",
    "build_index",
    "open_index",
    "search",
    "search_facets",
    "search_with_facets",
    "check_kind",
    "check_limit",
]

#: Each kind of thing the search finds → its name in French and in English, in the order facets are listed.
KINDS: dict[str, tuple[str, str]] = {
    "campus": ("Campus des métiers et des qualifications", "Campus"),
    "school": ("Établissement", "School"),
    "training": ("Formation", "Training"),
    "trade": ("Métier (ROME)", "Trade"),
    "cluster": ("Pôle de compétitivité", "Competitiveness cluster"),
    "project": ("Projet régional", "Regional project"),
    "region": ("Région", "Region"),
    "academie": ("Académie", "Académie"),
    "departement": ("Département", "Département"),
    "commune": ("Commune", "Commune"),
    "bassin": ("Bassin de formation", "Training area (bassin)"),
}
#: The most hits one search returns.
MAX_LIMIT = 100
#: The longest text a search takes (characters).
MAX_TEXT = 300
#: Bumped when the index's tables change: an index of another format is rebuilt, never read.
FORMAT = 1

#: The internal query of each kind that is not a territory.
_QUERIES = {"campus": "search_campuses", "school": "search_schools", "training": "search_trainings", "trade": "search_trades",
            "cluster": "search_clusters", "project": "search_projects"}
#: The class of each kind of territory (``search_territories.rq`` runs once per class).
_TERRITORIES = {"region": CMQ.Region, "academie": CMQ.Academie, "departement": CMQ.Departement, "commune": CMQ.Commune,
                "bassin": CMQ.BassinFormation}
#: The weight of each kind in the ranking: a few campuses, pôles and territories before thousands of schools and trainings.
_BOOST = {"campus": 3.0, "cluster": 2.5, "project": 2.5, "region": 2.5, "academie": 2.2, "departement": 2.0, "bassin": 1.6,
          "commune": 1.4, "trade": 1.3, "school": 1.0, "training": 0.9}
#: The extra weight of a school member of a campus, and of a training some school offers.
_MEMBER_BOOST, _OFFERED_BOOST = 1.25, 1.2
#: The indexed columns and their BM25 weights, in the FTS5 table's order.
_WEIGHTS = {"label": 10.0, "code": 12.0, "codes": 6.0, "names": 4.0, "place": 2.5, "context": 1.0}
#: Words left out of a search when other words remain (they are in most names).
_STOP = frozenset("a au aux d de des du en et l la le les par pour sur un une".split())
_FOLD = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D"})
_WORD = re.compile(r"[a-z0-9]+")
_LETTERS_DIGITS = re.compile(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])")
_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE things(id INTEGER PRIMARY KEY, iri TEXT NOT NULL, kind TEXT NOT NULL, label TEXT NOT NULL, code TEXT NOT NULL,
                    texts TEXT NOT NULL, boost REAL NOT NULL);
CREATE VIRTUAL TABLE fts USING fts5(label, code, codes, names, place, context, content='', tokenize='unicode61', prefix='2 3');
CREATE TABLE keys(key TEXT NOT NULL, id INTEGER NOT NULL, is_code INTEGER NOT NULL);
"""
_FINISH = """
CREATE INDEX keys_key ON keys(key);
CREATE VIRTUAL TABLE vocabulary USING fts5vocab(fts, 'row');
CREATE TABLE terms(term TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO terms SELECT term FROM vocabulary;
DROP TABLE vocabulary;
CREATE VIRTUAL TABLE grams USING fts5(term, tokenize='trigram', detail='none');
INSERT INTO grams(term) SELECT term FROM terms WHERE length(term) >= 4;
INSERT INTO fts(fts) VALUES('optimize');
INSERT INTO grams(grams) VALUES('optimize');
"""


@lru_cache(maxsize=1 << 16)
def normalize(text: str) -> str:
    """Return ``text`` folded for search: no accents, lower case, ``œ`` as ``oe``, every run of other characters one space.

    >>> normalize("Lycée professionnel Nelson-Mandela, Cœur d'Audincourt")
    'lycee professionnel nelson mandela coeur d audincourt'
    """
    return " ".join(words(text))


def words(text: str) -> list[str]:
    """Return the words of ``text`` as :func:`normalize` folds them.

    >>> words("RNCP25353 · Métiers de l'électricité")
    ['rncp25353', 'metiers', 'de', 'l', 'electricite']
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return _WORD.findall(decomposed.translate(_combining_marks()).casefold())


@cache
def _combining_marks() -> dict[int, None]:
    """A translation table that deletes every combining character (the accents NFKD splits off)."""
    return dict.fromkeys(cp for cp in range(sys.maxunicode + 1) if unicodedata.combining(chr(cp)))


def _code_words(codes: Iterable[str]) -> str:
    """The codes as words, each also cut where letters and digits meet (``RNCP25353`` is also ``rncp 25353``)."""
    out = []
    for code in codes:
        folded = normalize(code)
        out.append(folded)
        split = _LETTERS_DIGITS.sub(" ", folded)
        if split != folded:
            out.append(split)
    return "\n".join(out)


def _code_key(text: str) -> str:
    return "".join(words(text))


@dataclass(frozen=True)
class Document:
    """One thing as the index holds it.

    Attributes
    ----------
    iri, kind, label : str
        The thing, its kind (a key of :data:`KINDS`) and its name.
    code : str
        Its main official code (UAI, CFD, ROME code, territory code), or ``""``.
    codes, names, place, context : tuple of str
        Its other codes (SIRET, RNCP), its other names (a trade's appellations), where it is (its town first),
        and what it is (filière, kind of school, campuses it belongs to): matched after the name, in this order.
    boost : float
        Its weight in the ranking (its kind's, more for a school member of a campus).
    """

    iri: str
    kind: str
    label: str
    code: str = ""
    codes: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    place: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    boost: float = 1.0


@dataclass(frozen=True)
class Hit:
    """A thing found: its ``iri``, ``label``, ``kind`` (a key of :data:`KINDS`), ``code``, ``score`` and ``snippet``.

    The snippet says why it was found when its name does not (the appellation, the town, the campus that
    matched), else where it is or what it is.
    """

    iri: str
    label: str
    kind: str
    code: str
    score: float
    snippet: str

    def as_dict(self) -> dict:
        """The hit as a JSON object (the API's ``results``)."""
        return asdict(self)


@dataclass(frozen=True)
class SearchResult:
    """What a search found: its ``hits`` (best first, at most the limit), and its ``facets`` (kind → things matching, any kind)."""

    text: str
    kind: str | None
    hits: tuple[Hit, ...]
    facets: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """How many things match the text, of every kind."""
        return sum(self.facets.values())


# ---------------------------------------------------------------------------------------------- the documents


def _rows(store: ox.Store) -> Iterable[tuple[str, str, str, str]]:
    """(kind, iri, field, value) of every row of the ``search_*`` queries, run two at a time (Oxigraph evaluates without the GIL)."""
    queries = [(kind, internal_query(name)) for kind, name in _QUERIES.items()]
    queries += [(kind, insert_values(internal_query("search_territories"), {"class": cls})) for kind, cls in _TERRITORIES.items()]

    def run(kind: str, query: str) -> list[tuple[str, str, str, str]]:
        rows = store.query(query, prefixes=PREFIXES, use_default_graph_as_union=True)
        return [(kind, row["iri"].value, row["field"].value, row["value"].value) for row in rows]

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="cmqgraph-search") as pool:
        for rows in pool.map(run, *zip(*queries)):
            yield from rows


def _unique(values: Iterable[str], seen: set[str]) -> tuple[str, ...]:
    """``values`` sorted, without those whose folded text is in ``seen`` (which receives theirs)."""
    out = []
    for value in sorted(set(values), key=lambda v: (v.casefold(), v)):
        key = normalize(value)
        if key and key not in seen:
            seen.add(key)
            out.append(value)
    return tuple(out)


def _document(iri: str, kind: str, values: dict[str, list[str]]) -> Document:
    labels = sorted(set(values.get("label", ())))
    codes = sorted(set(values.get("code", ())))
    others = values.get("names", [])
    label = labels[0] if labels else (min(others) if others else (codes[0] if codes else iri.rsplit("/", 1)[-1]))
    seen, places = {normalize(label)}, set()
    members = values.get("member", [])
    boost = _BOOST[kind] * (_MEMBER_BOOST if members else 1.0) * (_OFFERED_BOOST if "offered" in values else 1.0)
    return Document(
        iri, kind, label, codes[0] if codes else "",
        codes=tuple(sorted(set(codes[1:] + values.get("codes", [])))),
        names=_unique(labels[1:] + others, seen),
        place=_unique(values.get("town", ()), places) + _unique(values.get("place", ()), places),
        context=_unique(values.get("context", []) + [f"membre de {m}" for m in members], set()),
        boost=boost,
    )


def documents(store: ox.Store) -> list[Document]:
    """Read every thing the search finds from the built graph ``store`` (``queries/internal/search_*.rq``), by IRI.

    About 22,000 things on the default graph, read in 3 seconds.
    """
    grouped: dict[str, tuple[str, dict[str, list[str]]]] = {}
    for kind, iri, name, value in _rows(store):
        grouped.setdefault(iri, (kind, {}))[1].setdefault(name, []).append(value)
    return [_document(iri, kind, values) for iri, (kind, values) in sorted(grouped.items())]


# ---------------------------------------------------------------------------------------------- writing the index


def _columns(doc: Document) -> tuple[str, ...]:
    return (normalize(doc.label), _code_words([doc.code] if doc.code else []), _code_words(doc.codes),
            "\n".join(map(normalize, doc.names)), "\n".join(map(normalize, doc.place)), "\n".join(map(normalize, doc.context)))


def write_index(docs: Iterable[Document], path: str | os.PathLike) -> Path:
    """Write the index of ``docs`` to ``path`` (made in memory, then written beside and renamed into place); return ``path``.

    Raises
    ------
    OutputError
        ``path`` cannot be written (nothing is left under its name).
    StoreError
        This Python's SQLite has no FTS5.
    """
    path = Path(path)
    db = sqlite3.connect(":memory:")
    try:
        db.executescript(_SCHEMA)
    except sqlite3.OperationalError as exc:
        raise StoreError(f"the search index cannot be written: this Python's SQLite {sqlite3.sqlite_version} has no FTS5 ({exc})") from exc
    docs = list(docs)
    texts = ({"codes": d.codes, "names": d.names, "place": d.place, "context": d.context} for d in docs)
    db.executemany("INSERT INTO things VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [(i, d.iri, d.kind, d.label, d.code, json.dumps(t, ensure_ascii=False), d.boost) for i, (d, t) in enumerate(zip(docs, texts), 1)])
    db.executemany("INSERT INTO fts(rowid, label, code, codes, names, place, context) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [(i, *_columns(d)) for i, d in enumerate(docs, 1)])
    keys = [(normalize(d.label), i, 0) for i, d in enumerate(docs, 1)]
    keys += [(_code_key(c), i, 1) for i, d in enumerate(docs, 1) for c in {d.code, *d.codes} if c]
    db.executemany("INSERT INTO keys VALUES (?, ?, ?)", keys)
    db.executescript(_FINISH)
    db.executemany("INSERT INTO meta VALUES (?, ?)", [("format", str(FORMAT)), ("things", str(len(docs)))])
    db.commit()
    db.execute("VACUUM")
    data = db.serialize()
    db.close()
    with atomic_file(path) as f:
        f.write(data)
    return path


def build_index(store: str | os.PathLike | ox.Store | None = None, path: str | os.PathLike | None = None) -> Path:
    """Build the search index of the graph ``store`` (a store folder, see :func:`~cmqgraph.store.resolve_store_path`, or an
    open pyoxigraph store) into ``path`` (default: :data:`~cmqgraph.store.SEARCH_INDEX` in the store folder); return ``path``.

    :func:`cmqgraph.build` calls it on the new store before it swaps it in; about 5 seconds on the default graph.

    Raises
    ------
    StoreError
        No graph at ``store``, or this Python's SQLite has no FTS5.
    OutputError
        The index cannot be written (a read-only store folder: rebuild with ``cmqgraph build``).
    """
    if isinstance(store, ox.Store):
        if path is None:
            raise ValueError("build_index needs a path when given an open store")
        graph = store
    else:
        folder = resolve_store_path(store)
        graph = open_store(folder)
        path = folder / SEARCH_INDEX if path is None else path
    return write_index(documents(graph), path)


# ---------------------------------------------------------------------------------------------- searching


def _distance(a: str, b: str, most: int) -> int:
    """The optimal string alignment distance of ``a`` and ``b`` (a swap of two neighbours is one edit), or ``most + 1`` when it is more than ``most``.

    >>> _distance("mobicampsu", "mobicampus", 1), _distance("boulangre", "boulanger", 1), _distance("lycee", "lyon", 1)
    (1, 1, 2)
    """
    if abs(len(a) - len(b)) > most:
        return most + 1
    before, row = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > most:  # every alignment is already too far
            return most + 1
        before, row = row, current
    return row[-1]


def check_kind(kind: str | None) -> str | None:
    """Return ``kind`` (None or ``""``: every kind); raise :class:`~cmqgraph.errors.ParameterError` if it is not one of :data:`KINDS`."""
    if not kind:
        return None
    if kind not in KINDS:
        raise ParameterError(f"genre inconnu / unknown kind {kind!r}: choose one of {', '.join(KINDS)}", "kind")
    return kind


def check_limit(limit: int) -> int:
    """Return ``limit``; raise :class:`~cmqgraph.errors.ParameterError` unless it is between 1 and :data:`MAX_LIMIT`."""
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise ParameterError(f"limit must be a whole number from 1 to {MAX_LIMIT}, not {limit!r}", "limit")
    return limit


class SearchIndex:
    """An index file opened for searching (read-only; one search at a time per index, each well under a second).

    Parameters
    ----------
    path : path
        The index file (:func:`write_index`).

    Raises
    ------
    StoreError
        The file is missing, is not a search index, or is of another format (rebuild it with :func:`build_index`).
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if not self.path.is_file():
            raise StoreError(f"no search index at {self.path}: run 'cmqgraph build' (or cmqgraph.search.build_index)")
        self._db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        try:
            meta = dict(self._db.execute("SELECT key, value FROM meta"))
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise StoreError(f"{self.path} is not a search index ({exc}): rebuild it with 'cmqgraph build'") from exc
        if meta.get("format") != str(FORMAT):
            self._db.close()
            raise StoreError(f"{self.path} is a search index of format {meta.get('format')}, not {FORMAT}: rebuild it with 'cmqgraph build'")
        #: How many things the index holds.
        self.things = int(meta["things"])

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def _starts_a_word(self, word: str) -> bool:
        return self._db.execute("SELECT 1 FROM terms WHERE term >= ? AND term < ? LIMIT 1", (word, word + "\x7f")).fetchone() is not None

    def _close_words(self, word: str) -> list[str]:
        """The words of the index within one edit of ``word`` (two from eight letters), or of its start (one types it)."""
        if len(word) < 4:
            return []
        grams = " OR ".join(sorted({f'"{word[i:i + 3]}"' for i in range(len(word) - 2)}))
        near = [t for (t,) in self._db.execute("SELECT term FROM grams WHERE grams MATCH ? ORDER BY rank LIMIT 80", (grams,))]
        most = 1 if len(word) < 8 else 2
        return [t for t in near if _distance(word, t, most) <= most or _distance(word, t[:len(word)], most) <= most][:8]

    def _match(self, terms: list[str], fuzzy: bool) -> tuple[str, list[str]]:
        """The FTS5 expression of ``terms`` (each a prefix, or the words close to it) and the words it looks for ("" if a term matches nothing)."""
        groups, looked = [], []
        for term in terms:
            alternatives = [term] if self._starts_a_word(term) else []
            if fuzzy or not alternatives:
                alternatives += [w for w in self._close_words(term) if w != term]
            if not alternatives:
                return "", []
            looked += alternatives
            groups.append("(" + " OR ".join(f'"{w}"*' for w in alternatives) + ")")
        return " AND ".join(groups), looked

    def _ranked(self, match: str, text: str, kind: str | None, limit: int) -> list[tuple[float, sqlite3.Row]]:
        """The best ``limit`` things for ``match``: (score, row), the things whose code is ``text`` first."""
        weights = ", ".join(str(w) for w in _WEIGHTS.values())
        where, args = ("AND t.kind = ?", [kind]) if kind else ("", [])
        select = f"SELECT t.id, t.iri, t.kind, t.label, t.code, t.texts, -bm25(fts, {weights}) * t.boost AS s FROM fts JOIN things t ON t.id = fts.rowid"
        rows = {r[0]: r for r in self._db.execute(f"{select} WHERE fts MATCH ? {where} ORDER BY s DESC LIMIT ?", [match, *args, 3 * limit + 20])}
        keys = {i: c for i, c in self._db.execute("SELECT id, MAX(is_code) FROM keys WHERE key IN (?, ?) GROUP BY id", (normalize(text), _code_key(text)))}
        missing = [i for i in keys if i not in rows]
        if missing:
            marks = ", ".join("?" * len(missing))
            rows.update({r[0]: r for r in self._db.execute(f"{select} WHERE fts MATCH ? AND t.id IN ({marks}) {where}", [match, *missing, *args])})
        folded = normalize(text)

        def rank(row) -> tuple[int, float, str, str]:
            label = normalize(row[3])
            score = row[6] * (4.0 if label == folded else 1.5 if label.startswith(folded) else 1.0)
            return (0 if keys.get(row[0]) == 1 else 1, -score, row[3], row[1])

        best = sorted(rows.values(), key=rank)[:limit]
        return [(-rank(r)[1], r) for r in best]

    def query(self, text: str, kind: str | None = None, limit: int = 10) -> SearchResult:
        """Search ``text`` among the things (of ``kind`` only, when given); see the module's description for how.

        Raises
        ------
        ParameterError
            ``kind`` is not one of :data:`KINDS`, ``limit`` is not from 1 to :data:`MAX_LIMIT`, or ``text`` is too long.
        """
        kind, limit = check_kind(kind), check_limit(limit)
        if len(text) > MAX_TEXT:
            raise ParameterError(f"the text to search is {len(text)} characters long; {MAX_TEXT} at most", "q")
        every = [w for w in words(text)[:12] if len(w) > 1]  # a letter alone finds everything
        terms = [w for w in every if w not in _STOP] or every
        if not terms:
            return SearchResult(text, kind, ())
        with self._lock:
            match, looked = self._match(terms, fuzzy=False)
            if match and not self._db.execute("SELECT 1 FROM fts WHERE fts MATCH ? LIMIT 1", (match,)).fetchone():
                match, looked = self._match(terms, fuzzy=True)  # each word, or a word close to it
            if not match:
                return SearchResult(text, kind, ())
            ranked = self._ranked(match, text, kind, limit)
            counts = dict(self._db.execute("SELECT t.kind, COUNT(*) FROM fts JOIN things t ON t.id = fts.rowid WHERE fts MATCH ? GROUP BY t.kind", (match,)))
        facets = {k: counts[k] for k in sorted(counts, key=lambda k: (-counts[k], list(KINDS).index(k)))}
        hits = tuple(Hit(r[1], r[3], r[2], r[4], round(score, 3), _snippet(r[3], json.loads(r[5]), looked)) for score, r in ranked)
        return SearchResult(text, kind, hits, facets)


def _snippet(label: str, texts: dict[str, list[str]], looked: list[str]) -> str:
    """Why a thing was found when its name does not say (the other name, code or place that matched), and where it is or what it is."""
    def found(value: str) -> set[str]:
        return {t for t in looked for w in words(value) if w.startswith(t)}

    unexplained = set(looked) - found(label)
    best, gain = "", 0
    for value in (*texts["names"], *texts["codes"], *texts["place"], *texts["context"]):
        matched = len(found(value) & unexplained)
        if matched > gain:
            best, gain = value, matched
    places = [p for p in texts["place"] if not p.isdigit()]
    if best in places:  # the place that matched, first
        best, places = "", [best, *(p for p in places if p != best)]
    about = " · ".join(places[:2]) if places else (texts["context"][0] if texts["context"] else "")
    snippet = " — ".join(p for p in (best, about) if p and (p == best or p not in best))
    return snippet if len(snippet) <= 160 else snippet[:159] + "…"


_OPEN: dict[Path, tuple[tuple[int, int, int], SearchIndex]] = {}
_OPENING = threading.Lock()


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino, info.st_mtime_ns


def open_index(store: str | os.PathLike | None = None, build: bool = True) -> SearchIndex:
    """The search index of the store folder ``store`` (see :func:`~cmqgraph.store.resolve_store_path`), kept open.

    The index is opened again when its file changed (a rebuild swapped the store folder). A store built
    before the index existed gets it now when ``build`` is true (:func:`build_index`, about 5 seconds).

    Raises
    ------
    StoreError
        No graph at ``store``; or no index and ``build`` is false; or the index cannot be written there (a
        read-only folder: run ``cmqgraph build``).
    """
    folder = resolve_store_path(store).expanduser().resolve()
    path = folder / SEARCH_INDEX
    with _OPENING:
        identity = _identity(path)
        if identity is None:
            open_store(folder)  # no graph: the usual message
            if not build:
                raise StoreError(f"the graph at {folder} has no search index (built before it existed): run 'cmqgraph build', or search once from Python or the command line")
            try:
                build_index(folder)
            except OutputError as exc:
                raise StoreError(f"the graph at {folder} has no search index and it cannot be written there ({exc}): run 'cmqgraph build'") from exc
            identity = _identity(path)
        kept = _OPEN.get(folder)
        if kept is not None and kept[0] == identity:
            return kept[1]
        index = SearchIndex(path)
        _OPEN[folder] = (identity, index)
        return index


def search_with_facets(text: str, kind: str | None = None, limit: int = 10, store: str | os.PathLike | None = None) -> SearchResult:
    """Search ``text`` in the graph at ``store`` (default: :func:`~cmqgraph.store.resolve_store_path`): hits and facets.

    Examples
    --------
    >>> from cmqgraph.search import search_with_facets
    >>> result = search_with_facets("nelson mandela audincourt")  # doctest: +SKIP
    >>> result.hits[0].iri, result.facets  # doctest: +SKIP
    ('https://w3id.org/cmqgraph/id/etablissement/0250001R', {'school': 2})
    """
    return open_index(store).query(text, kind, limit)


def search(text: str, kind: str | None = None, limit: int = 10, store: str | os.PathLike | None = None) -> list[Hit]:
    """Find the things whose name, codes, other names or place match ``text``, best first (also ``cmqgraph.search``).

    Parameters
    ----------
    text : str
        What to look for: a name or its start (``mobicamp``), with a typo or not (``mobicampsu``), several
        words (``nelson mandela audincourt``), or a code (``0250001R``, ``H2209``, ``40025510``, ``RNCP25353``).
    kind : str, optional
        Only things of this kind (a key of :data:`KINDS`: ``campus``, ``school``, ``training``, ``trade``…).
    limit : int
        How many hits at most (1 to :data:`MAX_LIMIT`).
    store : path, optional
        The store folder (default: :func:`~cmqgraph.store.resolve_store_path`).

    Returns
    -------
    list of Hit

    Raises
    ------
    ParameterError
        A wrong ``kind`` or ``limit``, or a text over :data:`MAX_TEXT` characters.
    StoreError
        No graph, or no index and none can be written (:func:`open_index`).

    Examples
    --------
    >>> import cmqgraph
    >>> [hit.label for hit in cmqgraph.search("mobicampsu", kind="campus")]  # doctest: +SKIP
    ['Mobicampus – Automobile et mobilités du futur (Nord Franche-Comté)']
    """
    return list(search_with_facets(text, kind, limit, store).hits)


def search_facets(text: str, store: str | os.PathLike | None = None) -> dict[str, int]:
    """How many things of each kind match ``text`` (most first), as :func:`search` matches them.

    Examples
    --------
    >>> search_facets("nelson mandela audincourt")  # doctest: +SKIP
    {'school': 2}
    """
    return search_with_facets(text, None, 1, store).facets
