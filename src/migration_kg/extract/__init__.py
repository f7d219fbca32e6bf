"""Extract stage: the rules of ``mappings/`` applied to a document's text, giving facts with evidence.

The stage is a package, one module per concern:

* :mod:`.parse`: the linguistic layer (spaCy: sentences, tokens, lemmas, parts of speech, dependencies,
  named entities), computed once per document and cached by content hash;
* :mod:`.rules`: loading and compiling the regular-expression rules (``mappings/rules/*.yaml``);
* :mod:`.dictionary`: the entity dictionary (``mappings/entities.yaml``) and ISO 3166 states;
* :mod:`.minting`: entities for names the dictionary does not know;
* :mod:`.engine`: applying the rules to a document.
"""

from .dates import DateValue, parse_date
from .dictionary import Dictionary, Entity, load_dictionary, normalize_form, slugify
from .engine import Evidence, Fact, clean_view, document_iri, extract, sentence_spans
from .rules import Rule, RuleSet, load_rules

__all__ = [
    "DateValue", "Dictionary", "Entity", "Evidence", "Fact", "Rule", "RuleSet", "clean_view", "document_iri",
    "extract", "load_dictionary", "load_rules", "normalize_form", "parse_date", "sentence_spans", "slugify",
]
