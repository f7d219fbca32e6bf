"""The ``migration-kg`` command: build, serve, validate and query the graph.

The CLI only parses arguments and calls the stages; every error of the package
(:class:`MigrationKGError`) ends the command with exit code 1 and a message that
names the file and line, and nothing half-built is ever swapped in.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import ConfigError, MigrationKGError, QueryError
from .settings import Settings

#: Exit status of ``build --skip-unreadable`` when it built, but without some documents.
EXIT_SKIPPED = 3
_BUILD_EXIT_CODES = f"""exit status:
  0  built and swapped in
  1  an error (named with its file and line); the served graph is unchanged
  {EXIT_SKIPPED}  built and swapped in, but --skip-unreadable left documents out (named on stderr)"""


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings()
    overrides = {n: Path(v) for n in ("data_dir", "corpus_dir") if (v := getattr(args, n, None)) is not None}
    return settings.model_copy(update=overrides)


def cmd_build(args: argparse.Namespace) -> int:
    """Run the whole pipeline into a new store and swap it in; :data:`EXIT_SKIPPED` if documents were left out."""
    from .pipeline import build

    settings = _settings(args)
    default = Settings()
    other_corpus = args.corpus_dir is not None and Path(args.corpus_dir).resolve() != default.corpus_dir.resolve()
    if other_corpus and args.data_dir is None and not args.replace:
        raise ConfigError(f"building the documents of {args.corpus_dir} would replace the graph served from "
                          f"{settings.data_dir}; pass --out DIR for a build of its own, or --replace to replace it")
    report = build(settings, corpus_dir=settings.corpus_dir, out_dir=settings.data_dir,
                   skip_unreadable=getattr(args, "skip_unreadable", False))
    print(report.to_text())
    for message in report.skipped:
        print(f"skipped: {message}", file=sys.stderr)
    for message in report.warnings:
        print(f"warning: {message}", file=sys.stderr)
    return EXIT_SKIPPED if report.skipped else 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Assemble, reason and validate without storing; print the SHACL report (exit 1 on failure)."""
    from .pipeline import BuildReport, assemble, check

    settings = _settings(args)
    report = BuildReport()
    check(settings, assemble(settings, settings.corpus_dir, report), report)
    print(f"reasoner (HermiT): {'consistent' if report.consistent else 'not run'}")
    print(report.validation.to_text() if report.validation is not None else "")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    """Add documents to the corpus and rebuild; exit 1 if any document had to be skipped."""
    import datetime as dt

    from .errors import ConfigError
    from .ingest import RecordOptions, ingest

    settings = _settings(args)
    try:
        date = dt.date.fromisoformat(args.date) if args.date else None
    except ValueError as exc:
        raise ConfigError(f"--date {args.date!r} is not YYYY-MM-DD") from exc
    options = RecordOptions(title=args.title, date=date, publisher=args.publisher, doctype=args.type)
    report = ingest(settings, [Path(p) for p in args.paths], options)
    print(report.to_text())
    for _, why in report.skipped:
        print(f"migration-kg ingest: error: {why}", file=sys.stderr)
    return 0 if report.ok else 1


def cmd_report(args: argparse.Namespace) -> int:
    """Per document: entities and facts by type, rules that fired, sentences without facts, SHACL results."""
    from .report import corpus_report

    settings = _settings(args)
    report = corpus_report(settings, corpus_dir=settings.corpus_dir, shacl=not args.no_shacl, sample=args.sample,
                           seed=args.seed)
    print(json.dumps(report.to_json(), ensure_ascii=False, indent=1) if args.json else report.to_text())
    return 0


def _open_store(settings: Settings):  # type: ignore[no-untyped-def]
    from .errors import StoreError
    from .store import DUMP_NAME, OxigraphStore, current_build

    current = current_build(settings.data_dir)
    if current is None:
        raise StoreError("no graph has been built yet; run 'migration-kg build' first", source=str(settings.data_dir))
    return OxigraphStore.load_nquads(current / DUMP_NAME)


def cmd_query(args: argparse.Namespace) -> int:
    """Run a SPARQL query file (or - for standard input) against the current build."""
    import pyoxigraph as ox

    from .namespaces import DEFAULT_BASE
    from .queries import NamedQuery, read_header, rewrite_base_iris

    settings = _settings(args)
    text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    text = rewrite_base_iris(text, DEFAULT_BASE, settings.base_iri)  # as the server loads named queries
    _, params = read_header(text, source=args.file)
    values: list[tuple[str, str]] = []
    for item in args.params:
        name, sep, value = item.partition("=")
        if not sep:
            raise QueryError(f"--param takes NAME=VALUE, got {item!r}")
        values.append((name, value))
    bindings = NamedQuery(Path(args.file).stem, text, "", params=params).bindings(values)
    result = _open_store(settings).query(text, substitutions=bindings)
    if isinstance(result, ox.QueryBoolean):
        print(json.dumps({"boolean": bool(result)}) if args.format == "json" else str(bool(result)).lower())
        return 0
    if isinstance(result, ox.QueryTriples):
        sys.stdout.write((result.serialize(format=ox.RdfFormat.N_TRIPLES) or b"").decode("utf-8"))
        return 0
    names = [v.value for v in result.variables]
    rows = [[(sol[n].value if sol[n] is not None else "") for n in names] for sol in result]
    if args.format == "json":
        print(json.dumps([dict(zip(names, r, strict=True)) for r in rows], ensure_ascii=False, indent=1))
    elif args.format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(names)
        writer.writerows(rows)
    else:
        widths = [min(60, max([len(n)] + [len(r[i]) for r in rows])) for i, n in enumerate(names)]
        print(" | ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)))
        print("-+-".join("-" * w for w in widths))
        for r in rows:
            print(" | ".join(c[:w].ljust(w) for c, w in zip(r, widths, strict=True)))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Score a build against a gold annotation (entity and fact recall, modality, evidence)."""
    from .evaluate import evaluate, render

    settings = _settings(args)
    results = evaluate(Path(args.gold), settings.data_dir, settings.mappings_dir,
                       tiers=("core", "all") if args.tier == "both" else (args.tier,))
    if args.json:
        print(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=1))
    else:
        print(render(results))
    if args.out:
        Path(args.out).write_text(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=1) + "\n",
                                  encoding="utf-8")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the current build over HTTP, building one first if there is none."""
    import uvicorn

    from .serve.app import create_app, server_options
    from .store import current_build

    settings = _settings(args).model_copy(update={"host": args.host, "port": args.port})
    if current_build(settings.data_dir) is None:
        print("no build yet: building the graph first", file=sys.stderr)
        cmd_build(args)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info",
                **server_options(settings))
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the tests)."""
    p = argparse.ArgumentParser(prog="migration-kg", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="run the pipeline and swap in the new store", epilog=_BUILD_EXIT_CODES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    b.add_argument("--corpus", dest="corpus_dir", help="corpus folder (default: corpus/)")
    b.add_argument("--out", dest="data_dir", help="data folder (default: data/)")
    b.add_argument("--replace", action="store_true",
                   help="with --corpus of another folder and no --out: replace the graph served from data/")
    b.add_argument("--skip-unreadable", action="store_true",
                   help="build from the readable documents and name the others, exit status "
                        f"{EXIT_SKIPPED} if there were any (default: fail and keep the served graph)")
    b.set_defaults(func=cmd_build)
    v = sub.add_parser("validate", help="reason and validate without storing")
    v.add_argument("--corpus", dest="corpus_dir")
    v.set_defaults(func=cmd_validate)
    q = sub.add_parser("query", help="run a SPARQL query file against the current build")
    q.add_argument("file", help="a .rq file, or - for standard input")
    q.add_argument("--format", choices=("table", "json", "csv"), default="table")
    q.add_argument("--data", dest="data_dir")
    q.add_argument("--param", dest="params", action="append", default=[], metavar="NAME=VALUE",
                   help="a value for a '# param:' of the query file (repeatable; the others take their defaults)")
    q.set_defaults(func=cmd_query)
    i = sub.add_parser("ingest", help="add documents to the corpus and rebuild (same content: no-op)")
    i.add_argument("paths", nargs="+", help=".txt, .md, .html or .pdf files")
    i.add_argument("--title", help="catalogue title (default: the first heading or line)")
    i.add_argument("--date", help="catalogue date YYYY-MM-DD (default: from the file name or the text)")
    i.add_argument("--publisher", help="catalogue publisher (default: unknown)")
    i.add_argument("--type", help="catalogue type: SummaryReport, ConceptPaper, Report, Publication, NonPaper, Document")
    i.add_argument("--corpus", dest="corpus_dir")
    i.add_argument("--out", dest="data_dir")
    i.set_defaults(func=cmd_ingest)
    r = sub.add_parser("report", help="what the rules read in each document: facts, rules, coverage, SHACL")
    r.add_argument("--json", action="store_true", help="machine-readable output")
    r.add_argument("--no-shacl", action="store_true", help="skip reasoning and SHACL validation")
    r.add_argument("--sample", type=int, default=0, help="also print N random facts for a precision audit")
    r.add_argument("--seed", type=int, default=0, help="random seed of --sample")
    r.add_argument("--corpus", dest="corpus_dir")
    r.set_defaults(func=cmd_report)
    e = sub.add_parser("evaluate", help="score a build against a gold annotation (../shared/gold format)")
    e.add_argument("--gold", required=True, help="folder with entities.yaml and facts.yaml (or its parent)")
    e.add_argument("--data", dest="data_dir", help="data folder or build folder (default: data/)")
    e.add_argument("--tier", choices=("core", "all", "both"), default="both", help="which gold facts count")
    e.add_argument("--json", action="store_true", help="print JSON instead of the table")
    e.add_argument("--out", help="also write the JSON to this file")
    e.set_defaults(func=cmd_evaluate)

    s = sub.add_parser("serve", help="serve the current build (building it first if needed)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--data", dest="data_dir")
    s.add_argument("--corpus", dest="corpus_dir")
    s.set_defaults(func=cmd_serve)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except MigrationKGError as exc:
        print(f"migration-kg {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except FileNotFoundError as exc:
        print(f"migration-kg {args.command}: error: {exc.filename}: no such file", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
