"""The ontology stage: load the OWL ontology from its Turtle edit files and list its terms.

``ontology/*.ttl`` holds one edit file per module of the ontology (``core.ttl`` carries
the ``owl:Ontology`` header, ``alignments.ttl`` declares every external term). They are
merged into one graph by :func:`load_ontology`, which also checks that every IRI the
ontology uses is declared, so the merged ontology is OWL 2 DL without imports.

``_terms.py`` (the closed ``MKG`` namespace) is generated from the ontology::

    python -m migration_kg.ontology --write-terms   # regenerate src/migration_kg/_terms.py
    python -m migration_kg.ontology --check         # exit 1 if _terms.py is out of date
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.plugins.parsers.notation3 import BadSyntax

from .errors import OntologyError

MKG_NAMESPACE = "https://w3id.org/migration-kg/ontology#"
ONTOLOGY_IRI = URIRef("https://w3id.org/migration-kg/ontology")
TERMS_MODULE = Path(__file__).with_name("_terms.py")


class TermKind(StrEnum):
    """The OWL kind a term is declared as; the value is the heading used in ``_terms.py``."""

    CLASS = "classes"
    INDIVIDUAL = "individuals"
    OBJECT_PROPERTY = "object properties"
    DATATYPE_PROPERTY = "datatype properties"
    ANNOTATION_PROPERTY = "annotation properties"


_DECLARATION_TYPE: dict[URIRef, TermKind] = {
    OWL.Class: TermKind.CLASS,
    OWL.NamedIndividual: TermKind.INDIVIDUAL,
    OWL.ObjectProperty: TermKind.OBJECT_PROPERTY,
    OWL.DatatypeProperty: TermKind.DATATYPE_PROPERTY,
    OWL.AnnotationProperty: TermKind.ANNOTATION_PROPERTY,
}
_OTHER_DECLARATIONS = {OWL.Ontology, RDFS.Datatype}
_BUILTIN_NAMESPACES = (str(RDF), str(RDFS), str(OWL), str(XSD))
# Annotation properties OWL 2 knows without a declaration; their values may be any IRI.
_BUILTIN_ANNOTATIONS = {
    RDFS.label, RDFS.comment, RDFS.seeAlso, RDFS.isDefinedBy, OWL.versionInfo, OWL.deprecated,
    OWL.priorVersion, OWL.backwardCompatibleWith, OWL.incompatibleWith,
}
_PROPERTY_KINDS = {TermKind.OBJECT_PROPERTY, TermKind.DATATYPE_PROPERTY, TermKind.ANNOTATION_PROPERTY}


def ontology_files(directory: Path) -> list[Path]:
    """The Turtle edit files of the ontology in ``directory``, sorted by name.

    Raises:
        OntologyError: ``directory`` does not exist or holds no ``*.ttl`` file.
    """
    files = sorted(Path(directory).glob("*.ttl"))
    if not files:
        raise OntologyError("no ontology files (*.ttl) found", source=str(directory))
    return files


def parse_file(path: Path) -> Graph:
    """Parse one Turtle edit file.

    Raises:
        OntologyError: the file cannot be read or is not valid Turtle (names file and line).
    """
    graph = Graph()
    try:
        graph.parse(path, format="turtle")
    except BadSyntax as exc:
        why = getattr(exc, "_why", "bad Turtle syntax")
        raise OntologyError(f"Turtle syntax error: {why}", source=str(path), line=exc.lines + 1) from exc
    except (OSError, ValueError) as exc:
        raise OntologyError(f"cannot parse: {exc}", source=str(path)) from exc
    return graph


def load_ontology(directory: Path) -> Graph:
    """Parse and merge every edit file in ``directory`` into one graph.

    Returns:
        The merged ontology, with the usual prefixes bound.

    Raises:
        OntologyError: a file is not valid Turtle, an IRI is used but not declared, or a
        property is declared with two OWL kinds (names the offending file).
    """
    parts = {path: parse_file(path) for path in ontology_files(directory)}
    merged = Graph()
    for part in parts.values():
        merged += part
        for prefix, namespace in part.namespaces():
            merged.bind(prefix, namespace, override=False)
    for iri in sorted(undeclared_iris(merged)):
        where = next(p for p, g in parts.items() if any(True for _ in _uses(g, iri)))
        raise OntologyError(f"<{iri}> is used but not declared (declare it, e.g. in alignments.ttl)",
                            source=str(where))
    for iri, kinds in sorted(_kinds(merged).items()):
        if len(kinds & _PROPERTY_KINDS) > 1:
            where = next(p for p, g in parts.items() if (iri, RDF.type, None) in g)
            raise OntologyError(f"<{iri}> is declared as {', '.join(sorted(kinds))}", source=str(where))
    return merged


def _kinds(graph: Graph) -> dict[URIRef, set[TermKind]]:
    kinds: dict[URIRef, set[TermKind]] = {}
    for declaration, kind in _DECLARATION_TYPE.items():
        for subject in graph.subjects(RDF.type, declaration):
            if isinstance(subject, URIRef):
                kinds.setdefault(subject, set()).add(kind)
    return kinds


def term_kinds(graph: Graph) -> dict[str, TermKind]:
    """Map each term declared in the ``mkg:`` namespace (local name) to its OWL kind.

    A named individual that is also declared with another kind counts as that other kind.
    """
    result: dict[str, TermKind] = {}
    for iri, kinds in _kinds(graph).items():
        if str(iri).startswith(MKG_NAMESPACE):
            rest = kinds - {TermKind.INDIVIDUAL}
            result[str(iri)[len(MKG_NAMESPACE):]] = min(rest) if rest else TermKind.INDIVIDUAL
    return result


def declared_terms(graph: Graph) -> set[str]:
    """The local names of every term declared in the ``mkg:`` namespace of ``graph``."""
    return set(term_kinds(graph))


def _uses(graph: Graph, iri: URIRef) -> Iterable[object]:
    yield from graph.triples((iri, None, None))
    yield from graph.triples((None, iri, None))
    yield from graph.triples((None, None, iri))


def undeclared_iris(graph: Graph) -> set[URIRef]:
    """IRIs that ``graph`` uses as a class, property or individual without declaring them.

    IRIs of the RDF, RDFS, OWL and XSD namespaces count as built in, and so do the values
    of annotation properties (``rdfs:seeAlso <http://…>``), which OWL 2 DL allows to be any IRI.
    """
    declared = set(_kinds(graph))
    for declaration in _OTHER_DECLARATIONS:
        declared.update(s for s in graph.subjects(RDF.type, declaration) if isinstance(s, URIRef))
    annotations = _BUILTIN_ANNOTATIONS | set(graph.subjects(RDF.type, OWL.AnnotationProperty))
    annotations |= {OWL.versionIRI, OWL.imports}
    used: set[URIRef] = set()
    for subject, predicate, obj in graph:
        used.update(term for term in (subject, predicate) if isinstance(term, URIRef))
        if isinstance(obj, URIRef) and predicate not in annotations:
            used.add(obj)
    return {iri for iri in used - declared if not str(iri).startswith(_BUILTIN_NAMESPACES)}


def render_terms_module(directory: Path) -> str:
    """The text of ``_terms.py`` for the ontology in ``directory``.

    Terms are grouped by kind, then by the edit file that declares them, sorted by name.

    Raises:
        OntologyError: as :func:`load_ontology`.
    """
    load_ontology(directory)  # validates the whole ontology first
    groups: dict[tuple[TermKind, str], list[str]] = {}
    for path in ontology_files(directory):
        for name, kind in term_kinds(parse_file(path)).items():
            groups.setdefault((kind, path.stem), []).append(name)
    lines = [
        '"""Terms of the migration-kg ontology (mkg:). Generated from ontology/*.ttl; do not edit.',
        "",
        "Regenerate with ``python -m migration_kg.ontology --write-terms``.",
        '"""',
        "",
        "MKG_TERMS: tuple[str, ...] = (",
    ]
    kind_order = list(TermKind)
    for kind, stem in sorted(groups, key=lambda key: (kind_order.index(key[0]), key[1])):
        lines.append(f"    # {kind.value}: {stem}")
        lines.extend(_wrap([f'"{name}",' for name in sorted(set(groups[kind, stem]), key=str.lower)]))
    lines.append(")")
    return "\n".join(lines) + "\n"


def _wrap(items: Sequence[str], width: int = 100) -> list[str]:
    lines: list[str] = []
    current = ""
    for item in items:
        if current and len(current) + 1 + len(item) > width:
            lines.append(current)
            current = ""
        current = f"{current} {item}" if current else f"    {item}"
    if current:
        lines.append(current)
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``--write-terms`` regenerates ``_terms.py``, ``--check`` compares it.

    Returns the exit status (0 on success, 1 if ``--check`` finds ``_terms.py`` stale).
    """
    parser = argparse.ArgumentParser(prog="python -m migration_kg.ontology", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write-terms", action="store_true", help="regenerate the terms module")
    action.add_argument("--check", action="store_true", help="fail if the terms module is out of date")
    parser.add_argument("--ontology-dir", type=Path, default=None, help="default: settings ontology_dir")
    parser.add_argument("--output", type=Path, default=TERMS_MODULE, help="default: %(default)s")
    args = parser.parse_args(argv)
    if args.ontology_dir is None:
        from .settings import get_settings

        args.ontology_dir = get_settings().ontology_dir
    try:
        text = render_terms_module(args.ontology_dir)
    except OntologyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run python -m migration_kg.ontology --write-terms",
                  file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    count = text.count('",')
    print(f"wrote {args.output} ({count} terms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
