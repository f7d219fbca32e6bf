-- The explorer's search index (search.sqlite in each build folder), written by search.index.
-- FTS5 tables fold case and diacritics (unicode61 remove_diacritics 2); name_tri holds the
-- compact folded names (search.text.compact) under the trigram tokenizer, for misspellings.
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE entity (
  id INTEGER PRIMARY KEY,
  iri TEXT NOT NULL UNIQUE,
  label TEXT NOT NULL,
  type TEXT NOT NULL,
  type_label TEXT NOT NULL
);
-- rowid = entity.id; names: every other name (alt labels, hidden labels, acronyms), one per line
CREATE VIRTUAL TABLE entity_fts USING fts5 (label, names, type_label, tokenize = 'unicode61 remove_diacritics 2',
                                            prefix = '2 3');

CREATE TABLE name (
  id INTEGER PRIMARY KEY,
  entity INTEGER NOT NULL REFERENCES entity (id),
  name TEXT NOT NULL,
  kind TEXT NOT NULL,     -- label | alt | hidden | acronym
  compact TEXT NOT NULL
);
-- rowid = name.id
CREATE VIRTUAL TABLE name_tri USING fts5 (compact, tokenize = 'trigram');

CREATE TABLE passage (
  id INTEGER PRIMARY KEY,
  document TEXT NOT NULL,
  title TEXT,
  sentence TEXT NOT NULL,
  start INTEGER NOT NULL,  -- offsets of the sentence in the document text (of the quote if it was not found)
  "end" INTEGER NOT NULL,
  quotes TEXT NOT NULL     -- JSON: [{quote, start, end, rule, modality}], offsets into the document text
);
-- rowid = passage.id
CREATE VIRTUAL TABLE passage_fts USING fts5 (sentence, quotes, title, tokenize = 'unicode61 remove_diacritics 2',
                                             prefix = '2 3');
