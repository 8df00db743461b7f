"""The suggester's settings and fitted weights."""

from __future__ import annotations

from kb.content import rules

#: Suggestions at or above this confidence are "confident": `--write` adds them.
DEFAULT_MIN_CONFIDENCE = 0.5
MAX_THEMES = rules.THEMES.max
MAX_OUTCOMES = rules.OUTCOMES.max
MAX_CPV = rules.CPV_DIVISIONS.max
NEIGHBOURS = 5
PASSAGE_WORDS = 80  # smaller than the index's passages, so a reason points at a paragraph
FEATURES = (
    "words",
    "passage_sim",
    "summary_sim",
    "relative_sim",
    "neighbours",
    "related_words",
    "related_sim",
)

#: Fitted by `python bench/suggest_tags.py --fit` on the 52 shipped case studies:
#: feature means, standard deviations, coefficients (on standardised features) and intercept.
DEFAULT_WEIGHTS: dict[str, dict[str, list[float] | float]] = {
    "theme": {
        "mean": [1.0036, 0.3239, 0.2334, -0.0, 0.4126, 1.071, 0.388],
        "std": [0.9643, 0.0957, 0.0948, 0.0805, 0.3213, 0.8877, 0.1047],
        "coef": [0.8622, -0.2153, 0.0351, 0.4922, 1.0275, 1.2116, -0.0978],
        "intercept": -0.6743,
    },
    "outcome": {
        "mean": [0.3079, 0.2628, 0.183, -0.0, 0.1371, 1.4361, 0.3418],
        "std": [0.6558, 0.1056, 0.1041, 0.1007, 0.2096, 0.9742, 0.1087],
        "coef": [1.1712, 0.1866, -0.6689, 0.7273, 0.6388, 0.502, 0.353],
        "intercept": -2.913,
    },
}
