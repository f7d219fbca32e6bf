"""The benchmark of the SPARQL service (``python bench/run.py``); see bench/README.md. Not part of the package."""
