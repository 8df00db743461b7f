"""Suggest themes, outcomes and CPV divisions for a draft case study, and say why.

Each theme and outcome gets seven pieces of evidence, which a small logistic model turns into a
confidence (an estimate of the probability that a reviewer would tag it):

- **words**: the term's label and synonyms from ``content/taxonomy.yaml`` found in the draft
  (stemmed phrase matches; the title and summary count double);
- **passage similarity**: the best cosine similarity between a passage of the draft and the
  term's label, description and synonyms, embedded with the project's model;
- **summary similarity**: the same for the draft's title and summary;
- **relative similarity**: how far the best passage similarity stands above the draft's average
  over all terms of that kind (drafts differ in how "close" they are to everything);
- **similar case studies**: how many of the five shipped case studies most similar to the draft
  (title and summary embeddings, similarity-weighted) carry the term;
- **related words and similarity**: the strongest word and passage evidence for the outcomes
  under a theme (for a theme), or for the themes above an outcome (for an outcome).

The weights were fitted on the shipped case studies by ``bench/suggest_tags.py``, which also
measures the suggestions leave-one-out. CPV divisions are suggested only when the text names the
service (the division's label or synonyms), as the issue asks.

``write_suggestions`` adds the confident ones to the file's front matter with a ruamel.yaml
round trip, so comments, quoting and key order are kept and the body is untouched.
"""

from kb.services.tagging.constants import DEFAULT_MIN_CONFIDENCE
from kb.services.tagging.draft import Draft, read_draft
from kb.services.tagging.library import LibraryEntry, load_entries
from kb.services.tagging.suggester import Suggestion, Suggestions, TagSuggester, make_suggester
from kb.services.tagging.writeback import WriteResult, apply_to_text, choose, write_suggestions

__all__ = [
    "DEFAULT_MIN_CONFIDENCE",
    "Draft",
    "LibraryEntry",
    "Suggestion",
    "Suggestions",
    "TagSuggester",
    "WriteResult",
    "apply_to_text",
    "choose",
    "load_entries",
    "make_suggester",
    "read_draft",
    "write_suggestions",
]
