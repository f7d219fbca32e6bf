"""The named-query API (``/api/queries``) over real HTTP, and the query-file loader behind it."""

from __future__ import annotations

import doctest
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from livehttp import BASE, TEST_NQUADS, serve
from test_competency import EXPECTED, QUESTIONS, expected_rows, solution_rows

from migration_kg import queries as queries_module
from migration_kg.errors import ConfigError, QueryError
from migration_kg.pipeline import BuildReport
from migration_kg.queries import NamedQuery, Param, ParamKind, load_queries, rewrite_base_iris, to_term
from migration_kg.serve import create_app
from migration_kg.settings import Settings
from migration_kg.store import DUMP_NAME, OxigraphStore, rewrite_base

ROOT = Path(__file__).resolve().parents[1]
QUERIES_DIR = ROOT / "queries"
OTHER_BASE = "https://kg.example.org/migration/"
XSD = "http://www.w3.org/2001/XMLSchema#"

#: Queries over livehttp.TEST_NQUADS, one per parameter kind that matters here.
TEST_QUERIES = {
    "by-label.rq": """\
# title: Things with a label
# param: label string  the exact label
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?s ?label WHERE { ?s rdfs:label ?label }
""",
    "by-state.rq": """\
# title: A state's label
# param: state iri required  the state
PREFIX mkg: <https://w3id.org/migration-kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?state ?label WHERE { ?state a mkg:State ; rdfs:label ?label }
""",
    "by-ordinal.rq": """\
# title: Events by ordinal
# param: n integer  the ordinal (default: 3)
PREFIX mkg: <https://w3id.org/migration-kg/ontology#>
SELECT ?event ?n WHERE { ?event mkg:ordinal ?n }
""",
    "describe-state.rq": """\
# title: The triples about one state
# param: state iri required  the state
CONSTRUCT { ?state ?p ?o } WHERE { ?state ?p ?o }
""",
    "states.rq": """\
# title: Every state, with the ontology IRI and a string that merely looks like one
PREFIX mkg: <https://w3id.org/migration-kg/ontology#>
SELECT ?state ?note WHERE { ?state a <https://w3id.org/migration-kg/ontology#State> .
  BIND ("<https://w3id.org/migration-kg/ontology#State>" AS ?note) }
ORDER BY ?state
""",
}


def write_queries(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in TEST_QUERIES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def small_store(base: str = BASE) -> OxigraphStore:
    store = OxigraphStore()
    quads = ox.parse(TEST_NQUADS.encode("utf-8"), format=ox.RdfFormat.N_QUADS)
    store.add_quads(rewrite_base(quads, BASE, base))
    return store


def bindings(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    return [{k: v["value"] for k, v in row.items()} for row in response.json()["results"]["bindings"]]


@pytest.fixture(scope="module")
def cq_server(built: tuple[Settings, BuildReport]) -> Iterator[str]:
    """The real build served with the real queries/ folder."""
    settings, report = built
    assert report.build_dir is not None
    store = OxigraphStore.load_nquads(report.build_dir / DUMP_NAME)
    with serve(create_app(settings, store=store)) as url:
        yield url


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The small test dataset with the TEST_QUERIES."""
    folder = write_queries(tmp_path_factory.mktemp("queries"))
    with serve(create_app(Settings(queries_dir=folder), store=small_store())) as url:
        yield url


# --- the real queries over the real build --------------------------------------------------------------------


def test_openapi_lists_every_query_with_its_parameters(cq_server: str) -> None:
    spec = httpx.get(cq_server + "/openapi.json").json()
    named = load_queries(QUERIES_DIR)
    assert len(named) >= 20
    for query in named.values():
        operation = spec["paths"][f"/api/queries/{query.name}"]["get"]
        assert operation["summary"] == query.title
        assert query.cq is None or query.cq in operation["description"]
        params = {p["name"]: p for p in operation["parameters"]}
        assert set(params) == {p.name for p in query.params} | {"format"}
        for param in query.params:
            assert params[param.name]["in"] == "query"
            assert params[param.name]["required"] is param.required
    state = {p["name"]: p for p in spec["paths"]["/api/queries/cq61-ecuador-documents"]["get"]["parameters"]}["state"]
    assert state["schema"] == {"type": "string", "format": "uri", "default": BASE + "id/state/ECU"}
    assert "text/csv" in spec["paths"]["/api/queries/cq01-gfmd-chairs"]["get"]["responses"]["200"]["content"]


@pytest.mark.parametrize("cq", sorted(EXPECTED))
def test_every_competency_query_answers_through_the_api(cq: str, cq_server: str) -> None:
    spec = EXPECTED[cq]
    response = httpx.get(f"{cq_server}/api/queries/{spec['query']}", headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    solutions = ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)
    assert isinstance(solutions, ox.QuerySolutions)
    assert solution_rows(solutions, spec["columns"]) == expected_rows(spec), f"{cq}: {QUESTIONS[cq]['question']}"


def test_a_parameter_changes_the_answer(cq_server: str) -> None:
    url = cq_server + "/api/queries/cq61-ecuador-documents"
    ecuador = {row["document"] for row in bindings(httpx.get(url))}
    germany = bindings(httpx.get(url, params={"state": BASE + "id/state/DEU"}))
    assert germany and {row["state"] for row in germany} == {BASE + "id/state/DEU"}
    assert {row["document"] for row in germany} != ecuador
    assert bindings(httpx.get(url, params={"state": "http://example.org/no-such-state"})) == []


def test_the_list_in_json_and_html(cq_server: str) -> None:
    listing = httpx.get(cq_server + "/api/queries").json()["queries"]
    assert {q["name"] for q in listing} == set(load_queries(QUERIES_DIR))
    cq61 = next(q for q in listing if q["name"] == "cq61-ecuador-documents")
    assert cq61["cq"] == "CQ61" and cq61["title"].startswith("In which documents")
    assert cq61["params"] == [
        {
            "name": "state",
            "kind": "iri",
            "required": False,
            "description": cq61["params"][0]["description"],
            "default": f"<{BASE}id/state/ECU>",
        }
    ]
    assert cq61["text"] == "/api/queries/cq61-ecuador-documents.rq"
    text = httpx.get(cq_server + cq61["text"])
    assert text.headers["content-type"].startswith("application/sparql-query")
    assert text.text == (QUERIES_DIR / "cq61-ecuador-documents.rq").read_text("utf-8")
    page = httpx.get(cq_server + "/api/queries", headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html")
    assert 'href="/api/queries/cq01-gfmd-chairs"' in page.text and "CQ61" in page.text


@pytest.mark.parametrize(
    ("accept", "media_type", "first_line"),
    [
        ("text/csv", "text/csv", "state,stateLabel,role,startYear,endYear"),
        ("text/tab-separated-values", "text/tab-separated-values", "?state\t?stateLabel\t?role\t?startYear\t?endYear"),
        ("application/sparql-results+xml", "application/sparql-results+xml", "<?xml"),
    ],
)
def test_results_are_negotiated(cq_server: str, accept: str, media_type: str, first_line: str) -> None:
    response = httpx.get(cq_server + "/api/queries/cq01-gfmd-chairs", headers={"Accept": accept})
    assert response.headers["content-type"].startswith(media_type)
    assert response.text.startswith(first_line)
    assert httpx.get(cq_server + "/api/queries/cq01-gfmd-chairs?format=tsv").text.startswith("?state\t")
    assert httpx.get(cq_server + "/api/queries/cq01-gfmd-chairs", headers={"Accept": "image/png"}).status_code == 406


def test_unknown_query_is_404(cq_server: str) -> None:
    for path in ("/api/queries/no-such-query", "/api/queries/no-such-query.rq"):
        response = httpx.get(cq_server + path)
        assert response.status_code == 404
        assert "no-such-query" in response.text


# --- parameters: validation and injection ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "named"),
    [
        ("/api/queries/by-label", {"colour": "red"}, "colour"),  # unknown
        ("/api/queries/by-state", {}, "state"),  # required and missing
        ("/api/queries/by-state", {"state": "not an IRI"}, "state"),
        ("/api/queries/by-state", {"state": "id/state/ECU"}, "state"),  # relative
        ("/api/queries/by-ordinal", {"n": "three"}, "n"),
        ("/api/queries/by-ordinal", {"n": "3.0"}, "n"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(server: str, path: str, params: dict[str, str], named: str) -> None:
    response = httpx.get(server + path, params=params, headers={"Accept": "application/json"})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "QueryError" and f"'{named}'" in body["message"]


def test_a_parameter_given_twice_is_400(server: str) -> None:
    response = httpx.get(server + "/api/queries/by-label?label=a&label=b")
    assert response.status_code == 400 and "'label'" in response.text


def test_typed_parameters_bind_typed_terms(server: str) -> None:
    ordinal = bindings(httpx.get(server + "/api/queries/by-ordinal", params={"n": "+3"}))
    assert [row["n"] for row in ordinal] == ["3"]
    assert bindings(httpx.get(server + "/api/queries/by-ordinal", params={"n": "4"})) == []
    assert len(bindings(httpx.get(server + "/api/queries/by-ordinal"))) == 1  # the default, 3
    ecuador = bindings(httpx.get(server + "/api/queries/by-state", params={"state": BASE + "id/state/ECU"}))
    assert ecuador == [{"state": BASE + "id/state/ECU", "label": "Ecuador"}]


@pytest.mark.parametrize(
    "attack",
    [
        '"> } ; DROP ALL ; SELECT * { ?s ?p ?o',
        'Ecuador" } UNION { ?s ?p ?label } #',
        "Ecuador' } UNION { ?s ?p ?label } #",
        "Ecuador\"\"\" . ?s ?p ?label . #",
    ],
)
def test_parameter_values_are_bound_never_injected(server: str, attack: str) -> None:
    url = server + "/api/queries/by-label"
    assert bindings(httpx.get(url, params={"label": "Ecuador"})) == [{"s": BASE + "id/state/ECU", "label": "Ecuador"}]
    assert bindings(httpx.get(url, params={"label": attack})) == []  # a label nobody has, not a wider query
    assert len(bindings(httpx.get(url))) == len(TEST_NQUADS.split("rdf-schema#label")) - 1  # unbound: every label


def test_a_construct_query_answers_rdf(server: str) -> None:
    url = server + "/api/queries/describe-state"
    response = httpx.get(url, params={"state": BASE + "id/state/ECU"}, headers={"Accept": "application/n-triples"})
    assert response.headers["content-type"].startswith("application/n-triples")
    triples = list(ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES))
    assert len(triples) == 3 and {t.subject for t in triples} == {ox.NamedNode(BASE + "id/state/ECU")}
    assert httpx.get(url, params={"state": BASE + "id/state/ECU"}).headers["content-type"].startswith("text/turtle")
    assert httpx.get(url, params={"state": BASE + "id/state/ECU", "format": "csv"}).status_code == 406


def test_an_iri_with_sparql_syntax_is_refused_not_pasted(server: str) -> None:
    response = httpx.get(server + "/api/queries/by-state", params={"state": f"{BASE}id/state/ECU> }} UNION {{ ?s ?p ?o"})
    assert response.status_code == 400 and "'state'" in response.text


# --- a non-default base ------------------------------------------------------------------------------------------


def test_queries_follow_a_non_default_base(tmp_path: Path) -> None:
    folder = write_queries(tmp_path / "queries")
    with serve(create_app(Settings(queries_dir=folder, base_iri=OTHER_BASE), store=small_store(OTHER_BASE))) as url:
        rows = bindings(httpx.get(url + "/api/queries/states"))
        text = httpx.get(url + "/api/queries/states.rq").text
    assert [row["state"] for row in rows] == [OTHER_BASE + "id/state/CIV", OTHER_BASE + "id/state/ECU"]
    assert rows[0]["note"] == "<https://w3id.org/migration-kg/ontology#State>"  # a string: left alone
    assert f"PREFIX mkg: <{OTHER_BASE}ontology#>" in text and "w3id.org/migration-kg/ontology#State>\" AS" in text


def test_competency_queries_follow_a_non_default_base(built: tuple[Settings, BuildReport]) -> None:
    settings, report = built
    assert report.build_dir is not None
    store = OxigraphStore()
    quads = ox.parse(path=str(report.build_dir / DUMP_NAME), format=ox.RdfFormat.N_QUADS)
    store.add_quads(rewrite_base(quads, BASE, OTHER_BASE))
    app = create_app(settings.model_copy(update={"base_iri": OTHER_BASE}), store=store)
    with serve(app) as url, httpx.Client(base_url=url) as client:
        for cq, spec in sorted(EXPECTED.items()):
            response = client.get(f"/api/queries/{spec['query']}")
            solutions = ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)
            assert isinstance(solutions, ox.QuerySolutions)
            assert solution_rows(solutions, spec["columns"]) == expected_rows(spec), cq
        documents = client.get("/api/queries/cq61-ecuador-documents").json()["results"]["bindings"]
    assert documents and all(row["document"]["value"].startswith(OTHER_BASE + "doc/") for row in documents)


def test_rewrite_base_iris_touches_only_iri_tokens() -> None:
    text = (
        "# param: x iri  (default: <https://a/id/1>)\n"
        "PREFIX a: <https://a/ontology#>\n"
        "SELECT * { ?s a:p <https://a/id/2>, <https://other/https://a/>, 'x <https://a/y>', \"\"\"<https://a/z>\"\"\" "
        "FILTER(?n <https://a/id/3>) }"
    )
    assert rewrite_base_iris(text, "https://a/", "https://b/") == (
        "# param: x iri  (default: <https://b/id/1>)\n"
        "PREFIX a: <https://b/ontology#>\n"
        "SELECT * { ?s a:p <https://b/id/2>, <https://other/https://a/>, 'x <https://a/y>', \"\"\"<https://a/z>\"\"\" "
        "FILTER(?n <https://b/id/3>) }"
    )
    assert rewrite_base_iris(text, "https://a/", "https://a/") == text


# --- the loader and the kinds ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "raw", "term"),
    [
        (ParamKind.IRI, "http://ex/a", ox.NamedNode("http://ex/a")),
        (ParamKind.IRI, "<http://ex/a>", ox.NamedNode("http://ex/a")),
        (ParamKind.STRING, 'a "quoted" }', ox.Literal('a "quoted" }')),
        (ParamKind.LANGSTRING, "Genève@fr", ox.Literal("Genève", language="fr")),
        (ParamKind.LITERAL, '"a\\"b"', ox.Literal('a"b')),
        (ParamKind.LITERAL, f'"5"^^<{XSD}int>', ox.Literal("5", datatype=ox.NamedNode(XSD + "int"))),
        (ParamKind.INTEGER, "-007", ox.Literal("-7", datatype=ox.NamedNode(XSD + "integer"))),
        (ParamKind.DECIMAL, "2.50", ox.Literal("2.50", datatype=ox.NamedNode(XSD + "decimal"))),
        (ParamKind.BOOLEAN, "1", ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))),
        (ParamKind.DATE, "2019-04-04", ox.Literal("2019-04-04", datatype=ox.NamedNode(XSD + "date"))),
        (ParamKind.GYEAR, "2016", ox.Literal("2016", datatype=ox.NamedNode(XSD + "gYear"))),
    ],
)
def test_values_become_typed_terms(kind: ParamKind, raw: str, term: ox.NamedNode | ox.Literal) -> None:
    assert to_term(kind, raw) == term


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        (ParamKind.IRI, "relative/path"),
        (ParamKind.IRI, "http://ex/a b"),
        (ParamKind.LANGSTRING, "no tag"),
        (ParamKind.LITERAL, "bare"),
        (ParamKind.LITERAL, '"x"^^<not an iri>'),
        (ParamKind.LITERAL, '"x" . <a> <b> "y"'),
        (ParamKind.INTEGER, "1e3"),
        (ParamKind.DECIMAL, "NaN"),
        (ParamKind.BOOLEAN, "yes"),
        (ParamKind.DATE, "2019-02-30"),
        (ParamKind.DATE, "4 April 2019"),
        (ParamKind.GYEAR, "16"),
    ],
)
def test_bad_values_raise(kind: ParamKind, raw: str) -> None:
    with pytest.raises(ValueError):
        to_term(kind, raw)


def test_bindings_name_the_parameter() -> None:
    query = NamedQuery("q", "SELECT ?d {}", "t", params=(Param("d", "date", required=True),))
    with pytest.raises(QueryError, match="'d'.*required"):
        query.bindings()
    with pytest.raises(QueryError, match="'d'.*date"):
        query.bindings([("d", "yesterday")])
    with pytest.raises(QueryError, match="unknown parameter 'e'"):
        query.bindings([("e", "1")])
    assert query.bindings([("d", "2020-01-01"), ("format", "csv")]) == {
        "d": ox.Literal("2020-01-01", datatype=ox.NamedNode(XSD + "date"))
    }


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("# param: x colour", "kind"),
        ("# param: format string", "not a free SPARQL variable"),
        ("# param: x-y string", "not a free SPARQL variable"),
        ("# param: n integer  a number (default: many)", "bad default"),
        ("# param: hidden iri", "cannot be bound"),  # not projected: pyoxigraph could not substitute it
    ],
)
def test_bad_headers_fail_at_load_time_naming_the_file(tmp_path: Path, header: str, message: str) -> None:
    (tmp_path / "bad.rq").write_text(f"# title: t\n{header}\nSELECT ?x ?n WHERE {{ ?x ?p ?hidden }}\n", "utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        load_queries(tmp_path)
    assert "bad.rq" in str(info.value)


def test_a_query_name_must_be_a_plain_path_segment(tmp_path: Path) -> None:
    (tmp_path / "who chaired?.rq").write_text("# title: t\nASK {}\n", "utf-8")
    with pytest.raises(ConfigError, match="who chaired"):
        load_queries(tmp_path)


def test_a_bad_query_file_stops_the_app_from_being_created(tmp_path: Path) -> None:
    (tmp_path / "broken.rq").write_text("# title: t\nSELECT WHERE {\n", "utf-8")
    (tmp_path / "param.rq").write_text("# title: t\n# param: x iri\nSELECT ?x { ?x ?p ?o }\n", "utf-8")
    with pytest.raises(ConfigError, match="broken.rq"):
        create_app(Settings(queries_dir=tmp_path), store=OxigraphStore())


def test_doctests() -> None:
    assert doctest.testmod(queries_module).failed == 0
