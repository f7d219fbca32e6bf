"""The publish stage: how the dataset describes itself and the files it is published in.

* :func:`void_graph` computes the VoID description (https://www.w3.org/TR/void/) that the
  build stores as ``graph/void``: triple and entity counts, class and property
  partitions, one subset per named graph, linksets to Wikidata, the UN SDG IRIs,
  SDGIO and ISO 3166, the vocabularies used, the corpus documents (``graph/catalogue``) as ``dct:source``,
  the endpoint, the URI space and the dump URLs.
* :func:`publish` runs after the store is written (before it is swapped in) and adds
  to the build folder: the versioned dumps (``dumps/migration-kg-<build>.nq.gz`` and
  ``.trig.gz``, reproducible gzip), ``dumps/SHA256SUMS``, a DCAT catalogue
  (``dumps/catalog.ttl``: ``dcat:Dataset`` + one ``dcat:Distribution`` per file with
  ``dcat:downloadURL``, ``dcat:mediaType``, ``dcat:byteSize`` and ``spdx:checksum``),
  ``dumps/dumps.json`` (what the server may hand out) and ``texts/<document>.txt``, the
  exact text the evidence offsets index into.

Checksums cannot sit inside the file they hash, so they live in the catalogue, not in
``graph/void``.
"""

from __future__ import annotations

import gzip
import json
import secrets
import shutil
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, Namespace, URIRef

from .corpus import Document
from .errors import StoreError
from .namespaces import DCAT, DCT, DEFAULT_BASE, FOAF, MKG, OWL, PREFIXES, RDF, RDFS, SD, VOID, XSD, graph_iri
from .settings import Settings
from .store import DUMP_NAME, OxigraphStore, sha256_file

SPDX = Namespace("http://spdx.org/rdf/terms#")
DUMPS_DIR = "dumps"
TEXTS_DIR = "texts"
DUMPS_MANIFEST = "dumps.json"
CATALOG_NAME = "catalog.ttl"
CHECKSUMS_NAME = "SHA256SUMS"
VOID_GRAPH = "void"
#: The dataset's IRI path (under the base); partitions are blank nodes, linksets are under it.
DATASET_PATH = "id/dataset/migration-kg"
#: The licence the dataset is published under (the ontology uses the same).
DATA_LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")


@dataclass(frozen=True)
class ExternalDataset:
    """A dataset our IRIs link into, recognised by the start of the linked IRIs."""

    key: str
    title: str
    uri_space: str
    homepage: str


#: Link targets counted as linksets: IRIs under ``uri_space`` that our resources point to.
EXTERNAL_DATASETS: tuple[ExternalDataset, ...] = (
    ExternalDataset("wikidata", "Wikidata", "http://www.wikidata.org/entity/", "https://www.wikidata.org/"),
    ExternalDataset("un-sdg", "UN SDG metadata (goals, targets, indicators)", "http://metadata.un.org/sdg/",
                    "https://metadata.un.org/sdg/"),
    ExternalDataset("sdgio", "SDG Interface Ontology", "http://purl.unep.org/sdg/SDGIO_",
                    "https://github.com/SDG-InterfaceOntology/sdgio"),
)
#: ISO 3166-1 is linked by code (a literal), not by IRI: counted as a linkset of ``mkg:iso3166Alpha3``.
ISO_3166 = ExternalDataset("iso-3166", "ISO 3166-1 country codes", "https://www.iso.org/obp/ui/#iso:code:3166:",
                           "https://www.iso.org/iso-3166-country-codes.html")


@dataclass(frozen=True)
class DumpFile:
    """One published file of a build."""

    name: str
    media_type: str
    compress_format: str | None
    title: str


def new_build_id(now: datetime) -> str:
    """A fresh build id: UTC time stamp plus a random suffix (sorts by time)."""
    return now.strftime("%Y%m%dT%H%M%S%fZ-") + secrets.token_hex(3)


def dump_files(build_id: str) -> tuple[DumpFile, ...]:
    """The dump files of build ``build_id``, named with it (their names are known before they are written)."""
    stem = f"migration-kg-{build_id}"
    return (
        DumpFile(f"{stem}.nq.gz", "application/n-quads", "application/gzip", "N-Quads, gzip"),
        DumpFile(f"{stem}.trig.gz", "application/trig", "application/gzip", "TriG, gzip"),
    )


def service_root(settings: Settings) -> str:
    """Where the service is reached: ``public_base_url`` or, behind the w3id redirect, the base IRI."""
    return (settings.public_base_url or DEFAULT_BASE).rstrip("/") + "/"


def dataset_iri(base: str = DEFAULT_BASE) -> URIRef:
    """The IRI of the whole dataset (the subject of the VoID and DCAT descriptions)."""
    return URIRef(base + DATASET_PATH)


def void_graph(
    graphs: Mapping[str, Graph], *, settings: Settings, build_id: str, modified: datetime
) -> Graph:
    """The VoID description of ``graphs`` (graph IRI -> graph, default base), for ``graph/void``.

    Counts are over the distinct triples of every graph except ``graph/void`` itself:
    ``void:triples``, ``void:distinctSubjects``, ``void:distinctObjects``,
    ``void:properties``, ``void:classes``, ``void:entities`` (IRIs under the base used as
    subjects); ``void:classPartition`` (``void:entities`` = typed subjects per class),
    ``void:propertyPartition`` (``void:triples`` per property), ``void:subset`` per named
    graph, and one ``void:Linkset`` per external dataset and link predicate.
    """
    own = graph_iri(VOID_GRAPH)
    triples: set[tuple[Any, Any, Any]] = set()
    per_graph: dict[str, int] = {}
    for name, g in graphs.items():
        if name != own:
            per_graph[name] = len(g)
            triples.update(g)
    subjects = {s for s, _, _ in triples}
    objects = {o for _, _, o in triples}
    properties = Counter(p for _, p, _ in triples)
    classes: dict[Any, set[Any]] = {}
    for s, p, o in triples:
        if p == RDF.type:
            classes.setdefault(o, set()).add(s)
    entities = {s for s in subjects if isinstance(s, URIRef) and str(s).startswith(DEFAULT_BASE)}

    v = Graph()
    ds = dataset_iri()
    root = service_root(settings)
    v.add((ds, RDF.type, VOID.Dataset))
    v.add((ds, RDF.type, DCAT.Dataset))
    v.add((ds, DCT.title, Literal("Migration governance knowledge graph")))
    v.add((ds, RDFS.label, Literal("Migration governance knowledge graph")))
    v.add((ds, DCT.description, Literal(
        "Who does what in global migration governance (GFMD, GCM, IMRF, UN Network on Migration, RCPs), "
        "extracted by rules from the documents these bodies publish; every fact carries its evidence.")))
    v.add((ds, DCT.license, DATA_LICENSE))
    v.add((ds, DCT.modified, Literal(modified.isoformat(timespec="seconds"), datatype=XSD.dateTime)))
    v.add((ds, OWL.versionInfo, Literal(build_id)))
    v.add((ds, FOAF.homepage, URIRef(root)))
    v.add((ds, VOID.sparqlEndpoint, URIRef(root + "sparql")))
    v.add((ds, VOID.uriSpace, Literal(settings.base_iri)))  # a literal: the base rewrite does not reach it
    v.add((ds, VOID.rootResource, URIRef(DEFAULT_BASE + "ontology")))
    for dump in dump_files(build_id):
        v.add((ds, VOID.dataDump, URIRef(root + "dumps/" + dump.name)))
    v.add((ds, VOID.feature, URIRef("http://www.w3.org/ns/formats/N-Quads")))
    v.add((ds, VOID.feature, URIRef("http://www.w3.org/ns/formats/TriG")))
    v.add((ds, VOID.triples, _int(len(triples))))
    v.add((ds, VOID.distinctSubjects, _int(len(subjects))))
    v.add((ds, VOID.distinctObjects, _int(len(objects))))
    v.add((ds, VOID.properties, _int(len(properties))))
    v.add((ds, VOID.classes, _int(len(classes))))
    v.add((ds, VOID.entities, _int(len(entities))))
    for namespace in sorted(_vocabularies(properties, classes)):
        v.add((ds, VOID.vocabulary, URIRef(namespace)))
    catalogue = graphs.get(graph_iri("catalogue"), Graph())
    for doc in sorted(set(catalogue.subjects(RDF.type, MKG.Document)), key=str):
        v.add((ds, DCT.source, doc))
    for cls, members in sorted(classes.items(), key=lambda item: str(item[0])):
        part = BNode()
        v.add((ds, VOID.classPartition, part))
        v.add((part, VOID["class"], cls))
        v.add((part, VOID.entities, _int(len(members))))
    for prop, count in sorted(properties.items(), key=lambda item: str(item[0])):
        part = BNode()
        v.add((ds, VOID.propertyPartition, part))
        v.add((part, VOID.property, prop))
        v.add((part, VOID.triples, _int(count)))
    for name, count in sorted(per_graph.items()):
        subset = URIRef(name)
        v.add((ds, VOID.subset, subset))
        v.add((subset, RDF.type, VOID.Dataset))
        v.add((subset, RDF.type, SD.Graph))
        v.add((subset, VOID.triples, _int(count)))
    _add_linksets(v, ds, triples)
    return v


def _int(n: int) -> Literal:
    return Literal(n, datatype=XSD.integer)


def _vocabularies(properties: Iterable[Any], classes: Iterable[Any]) -> set[str]:
    known = set(PREFIXES.values()) - {PREFIXES["sdg"], PREFIXES["wd"]}
    used = set()
    for term in (*properties, *classes):
        text = str(term)
        cut = max(text.rfind("#"), text.rfind("/"))
        namespace = text[: cut + 1]
        if namespace in known:
            used.add(namespace)
    return used


def _add_linksets(v: Graph, ds: URIRef, triples: set[tuple[Any, Any, Any]]) -> None:
    counts: Counter[tuple[str, Any]] = Counter()
    for s, p, o in triples:
        if not (isinstance(s, URIRef) and str(s).startswith(DEFAULT_BASE)):
            continue
        if isinstance(o, URIRef):
            for target in EXTERNAL_DATASETS:
                if str(o).startswith(target.uri_space):
                    counts[(target.key, p)] += 1
        elif p == MKG.iso3166Alpha3:
            counts[(ISO_3166.key, p)] += 1
    targets = {t.key: t for t in (*EXTERNAL_DATASETS, ISO_3166)}
    for (key, predicate), count in sorted(counts.items(), key=lambda item: (item[0][0], str(item[0][1]))):
        target = targets[key]
        target_iri = URIRef(DEFAULT_BASE + f"id/dataset/{target.key}")
        v.add((target_iri, RDF.type, VOID.Dataset))
        v.add((target_iri, RDFS.label, Literal(target.title)))
        v.add((target_iri, DCT.title, Literal(target.title)))
        v.add((target_iri, VOID.uriSpace, Literal(target.uri_space)))
        v.add((target_iri, FOAF.homepage, URIRef(target.homepage)))
        local = str(predicate).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        linkset = URIRef(f"{ds}/linkset/{target.key}-{local}")
        v.add((ds, VOID.subset, linkset))
        v.add((linkset, RDF.type, VOID.Linkset))
        v.add((linkset, RDFS.label, Literal(f"{local} links to {target.title}")))
        v.add((linkset, VOID.subjectsTarget, ds))
        v.add((linkset, VOID.objectsTarget, target_iri))
        v.add((linkset, VOID.linkPredicate, predicate))
        v.add((linkset, VOID.triples, _int(count)))


def publish(
    build_dir: Path, *, settings: Settings, build_id: str, modified: datetime, documents: Iterable[Document]
) -> dict[str, Any]:
    """Write the dumps, their checksums and DCAT catalogue, and the document texts into ``build_dir``.

    Args:
        build_dir: a finished build folder (``store.build_store``), not yet swapped in.
        settings: for the base IRI and the public URL of the service.
        build_id: names the dump files (the same id as the build folder).
        modified: the build time (``dct:modified``).
        documents: the corpus documents whose texts the evidence offsets index into.

    Returns:
        The dumps manifest (also written to ``dumps/dumps.json``): ``files`` is a list of
        ``{name, media_type, compress_format, bytes, sha256}``.

    Raises:
        StoreError: a file cannot be written (the build folder is then not to be swapped in).
    """
    try:
        return _publish(build_dir, settings, build_id, modified, documents)
    except OSError as exc:
        raise StoreError(f"cannot publish the build: {exc}", source=str(build_dir)) from exc


def _publish(
    build_dir: Path, settings: Settings, build_id: str, modified: datetime, documents: Iterable[Document]
) -> dict[str, Any]:
    texts = build_dir / TEXTS_DIR
    texts.mkdir(exist_ok=True)
    for document in documents:
        (texts / f"{document.id}.txt").write_text(document.text, encoding="utf-8", newline="")
    out = build_dir / DUMPS_DIR
    out.mkdir(exist_ok=True)
    nquads, trig = dump_files(build_id)
    _gzip(build_dir / DUMP_NAME, out / nquads.name)
    plain_trig = out / (trig.name.removesuffix(".gz") + ".partial")
    OxigraphStore.load_nquads(build_dir / DUMP_NAME).dump(plain_trig, format=ox.RdfFormat.TRIG)
    _gzip(plain_trig, out / trig.name)
    plain_trig.unlink()
    files = []
    for dump in (nquads, trig):
        path = out / dump.name
        files.append({
            "name": dump.name, "media_type": dump.media_type, "compress_format": dump.compress_format,
            "title": dump.title, "bytes": path.stat().st_size, "sha256": sha256_file(path),
        })
    (out / CHECKSUMS_NAME).write_text("".join(f"{f['sha256']}  {f['name']}\n" for f in files), "utf-8")
    catalog = catalog_graph(files, settings=settings, build_id=build_id, modified=modified)
    catalog.serialize(out / CATALOG_NAME, format="turtle")
    manifest = {"build_id": build_id, "modified": modified.isoformat(timespec="seconds"), "files": files,
                "catalog": CATALOG_NAME, "checksums": CHECKSUMS_NAME}
    (out / DUMPS_MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", "utf-8")
    return manifest


def _gzip(source: Path, target: Path) -> None:
    # mtime=0 and no file name in the header: the same content always has the same checksum
    with open(source, "rb") as src, open(target, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as packed:
            shutil.copyfileobj(src, packed, 1 << 20)


def catalog_graph(
    files: Iterable[Mapping[str, Any]], *, settings: Settings, build_id: str, modified: datetime
) -> Graph:
    """The DCAT description of the dump ``files`` (as in ``dumps.json``), in the served base IRI."""
    base = settings.base_iri
    root = (settings.public_base_url or base).rstrip("/") + "/"
    g = Graph()
    g.bind("dcat", DCAT)
    g.bind("dct", DCT)
    g.bind("spdx", SPDX)
    g.bind("void", VOID)
    ds = dataset_iri(base)
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, DCT.title, Literal("Migration governance knowledge graph")))
    g.add((ds, DCT.license, DATA_LICENSE))
    g.add((ds, DCT.modified, Literal(modified.isoformat(timespec="seconds"), datatype=XSD.dateTime)))
    g.add((ds, URIRef(str(DCAT) + "version"), Literal(build_id)))  # DCAT 3; rdflib's DCAT namespace predates it
    g.add((ds, DCAT.landingPage, URIRef(root)))
    for f in files:
        dist = URIRef(f"{root}dumps/{f['name']}#distribution")
        url = URIRef(f"{root}dumps/{f['name']}")
        g.add((ds, DCAT.distribution, dist))
        g.add((ds, VOID.dataDump, url))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCT.title, Literal(f["title"])))
        g.add((dist, DCAT.downloadURL, url))
        g.add((dist, DCAT.accessURL, URIRef(root + "dumps/")))
        g.add((dist, DCAT.mediaType, URIRef("https://www.iana.org/assignments/media-types/" + f["media_type"])))
        if f.get("compress_format"):
            g.add((dist, DCAT.compressFormat,
                   URIRef("https://www.iana.org/assignments/media-types/" + f["compress_format"])))
        g.add((dist, DCAT.byteSize, Literal(f["bytes"], datatype=XSD.nonNegativeInteger)))
        g.add((dist, DCT.license, DATA_LICENSE))
        checksum = BNode()
        g.add((dist, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((checksum, SPDX.checksumValue, Literal(f["sha256"], datatype=XSD.hexBinary)))
    return g


def read_dumps_manifest(build_dir: Path) -> dict[str, Any] | None:
    """The ``dumps/dumps.json`` of ``build_dir``, or None when the build has none (older builds)."""
    path = Path(build_dir) / DUMPS_DIR / DUMPS_MANIFEST
    try:
        manifest: dict[str, Any] = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return manifest


__all__ = [
    "CATALOG_NAME", "CHECKSUMS_NAME", "DATASET_PATH", "DUMPS_DIR", "TEXTS_DIR", "DumpFile", "catalog_graph",
    "dataset_iri", "dump_files", "new_build_id", "publish", "read_dumps_manifest", "void_graph",
]
