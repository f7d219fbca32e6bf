"""migration-kg: a knowledge graph of global migration governance.

The pipeline runs corpus -> extract -> mapping -> reason -> validate -> store -> serve;
each stage is one module named after it. See ``docs/contracts.md``.
"""

__version__ = "0.1.0"
