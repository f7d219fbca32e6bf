"""The SPARQL 1.1 Service Description of the endpoint, as RDF triples and as a small HTML page.

https://www.w3.org/TR/sparql11-service-description/
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import pyoxigraph as ox

from ..namespaces import OWL, RDF, SD
from .formats import RDF_OFFERS, RESULT_OFFERS


def _sd(local: str) -> ox.NamedNode:
    return ox.NamedNode(str(SD) + local)


_RESULT_FORMAT_IRIS = {
    "application/sparql-results+json": "http://www.w3.org/ns/formats/SPARQL_Results_JSON",
    "application/sparql-results+xml": "http://www.w3.org/ns/formats/SPARQL_Results_XML",
    "text/csv": "http://www.w3.org/ns/formats/SPARQL_Results_CSV",
    "text/tab-separated-values": "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
    "text/turtle": "http://www.w3.org/ns/formats/Turtle",
    "application/n-triples": "http://www.w3.org/ns/formats/N-Triples",
    "application/n-quads": "http://www.w3.org/ns/formats/N-Quads",
    "application/trig": "http://www.w3.org/ns/formats/TriG",
    "application/ld+json": "http://www.w3.org/ns/formats/JSON-LD",
    "application/rdf+xml": "http://www.w3.org/ns/formats/RDF_XML",
}


def describe_service(
    endpoint: str, named_graphs: Sequence[str], *, update: bool = False, federated: bool = False,
    build: str | None = None,
) -> list[ox.Triple]:
    """The service description of the endpoint at ``endpoint`` serving ``named_graphs``.

    Args:
        endpoint: absolute URL of the endpoint (becomes ``sd:endpoint``).
        named_graphs: IRIs of the named graphs in the default dataset.
        update: SPARQL Update is served (with a token): adds ``sd:SPARQL11Update``.
        federated: SERVICE may call allow-listed endpoints: adds ``sd:BasicFederatedQuery``.
        build: the id of the build served, as ``owl:versionInfo`` of the dataset (as in VoID).

    Returns:
        The triples: one ``sd:Service`` with endpoint, language, result formats,
        features and a default dataset whose default graph is the union of the graphs.
    """
    service, dataset, default_graph = (
        ox.BlankNode("service"),
        ox.BlankNode("dataset"),
        ox.BlankNode("default"),
    )
    a = ox.NamedNode(str(RDF.type))
    triples = [
        ox.Triple(service, a, _sd("Service")),
        ox.Triple(service, _sd("endpoint"), ox.NamedNode(endpoint)),
        ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        ox.Triple(service, _sd("feature"), _sd("UnionDefaultGraph")),
        ox.Triple(service, _sd("defaultDataset"), dataset),
        ox.Triple(dataset, a, _sd("Dataset")),
        ox.Triple(dataset, _sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, a, _sd("Graph")),
    ]
    if build is not None:
        triples.append(ox.Triple(dataset, ox.NamedNode(str(OWL.versionInfo)), ox.Literal(build)))
    if update:
        triples.append(ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Update")))
    if federated:
        triples.append(ox.Triple(service, _sd("feature"), _sd("BasicFederatedQuery")))
    for offer in (*RESULT_OFFERS, *RDF_OFFERS):
        triples.append(
            ox.Triple(service, _sd("resultFormat"), ox.NamedNode(_RESULT_FORMAT_IRIS[offer.media_type]))
        )
    for i, graph in enumerate(named_graphs):
        node = ox.BlankNode(f"graph{i}")
        triples += [
            ox.Triple(dataset, _sd("namedGraph"), node),
            ox.Triple(node, a, _sd("NamedGraph")),
            ox.Triple(node, _sd("name"), ox.NamedNode(graph)),
        ]
    return triples


def service_page(endpoint: str, named_graphs: Sequence[str], *, update: bool = False, build: str | None = None) -> str:
    """A small HTML page for browsers: what the endpoint is, a query form, the graphs.

    ``update``: SPARQL Update is served (with a token), so the page does not call the endpoint read-only.
    ``build``: the id of the build served.
    """
    graphs = "\n".join(f"<li><code>{escape(g)}</code></li>" for g in named_graphs)
    url = escape(endpoint, quote=True)
    kind = "an update-enabled (with a token)" if update else "a read-only"
    version = f" It serves build <code>{escape(build)}</code>." if build else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>SPARQL endpoint — migration governance knowledge graph</title></head>
<body>
<h1>SPARQL endpoint</h1>
<p>This is {kind} <a href="https://www.w3.org/TR/sparql11-protocol/">SPARQL 1.1 Protocol</a>
endpoint at <code>{url}</code>.{version} The default graph is the union of the named graphs below.
Ask for <code>text/turtle</code> to get the service description as RDF.</p>
<form method="get" action="{url}">
<textarea name="query" rows="12" cols="80">SELECT * WHERE {{ ?s ?p ?o }} LIMIT 10</textarea><br>
<select name="format">
<option value="json">JSON</option><option value="xml">XML</option>
<option value="csv">CSV</option><option value="tsv">TSV</option>
</select>
<button type="submit">Run</button>
</form>
<h2>Named graphs</h2>
<ul>
{graphs}
</ul>
</body>
</html>
"""
