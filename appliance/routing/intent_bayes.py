"""The intent classifier: multinomial naive Bayes over words and Chinese characters.

Step 3 of intent pre-routing (see intent.py), consulted only when no rule found a term.
It trains on texts already normalised and examples already validated: intent.py checks
them against the rules and names the rule at fault, so this module knows nothing of rules.
Like the rest of appliance.routing it cannot do I/O: the examples come in as values.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise

NO_INTENT = ""  # the label of examples that teach what is no intent ("你好", "anyone there?")

_SMOOTHING = 0.5
_LATIN_WORD = re.compile(r"[a-z0-9']+")
_NOT_HAN = re.compile(r"[^\u4e00-\u9fff]")
# English words too common to tell queues apart; they still count inside word pairs.
# fmt: off
STOP_WORDS = frozenset({
    "a", "an", "the", "to", "i", "my", "me", "is", "it", "of", "and", "in", "on", "for",
    "you", "your", "be", "was", "this", "that", "with", "at", "do", "can", "have",
})
# fmt: on


def classifier_features(normalised: str) -> list[str]:
    """The distinct features of a text: English words other than STOP_WORDS, their first
    four letters (a crude stem: scammed, scamming -> scam) and all word pairs; Chinese
    characters and character pairs. Each counts once per text, so a long story does not
    outvote a short question. (Chosen by 5-fold cross-validation of the classifier alone on
    the tuning splits: docs/routing.md, "Intent pre-routing".)"""
    words = _LATIN_WORD.findall(normalised)
    features: list[str] = []
    for word in words:
        if word not in STOP_WORDS:
            features += (f"w:{word}", f"w:{word[:4]}")
    features += [f"p:{first} {second}" for first, second in pairwise(words)]
    han = _NOT_HAN.sub("", normalised)
    features += [f"c:{char}" for char in han]
    features += [f"b:{han[index : index + 2]}" for index in range(len(han) - 1)]
    return list(dict.fromkeys(features))


@dataclass(frozen=True)
class Guess:
    """The likeliest label, its posterior probability, and up to three words or character
    pairs that most favour it over the runner-up."""

    label: str
    posterior: float
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class NaiveBayes:
    """Multinomial naive Bayes over classifier_features, with additive smoothing."""

    labels: tuple[str, ...]
    log_priors: tuple[float, ...]
    log_likelihoods: tuple[Mapping[str, float], ...]
    log_unseen: tuple[float, ...]  # a known feature never seen with this label
    vocabulary: frozenset[str]

    @classmethod
    def train(cls, order: Iterable[str], documents: Iterable[tuple[str, str]]) -> NaiveBayes:
        """Train on (normalised text, label) pairs. Labels keep their place in `order`
        (ties go to the earlier one), then NO_INTENT; labels without examples are left out."""
        counts: dict[str, Counter[str]] = {}
        sizes: Counter[str] = Counter()
        for normalised, label in documents:
            counts.setdefault(label, Counter()).update(classifier_features(normalised))
            sizes[label] += 1
        labels = tuple(label for label in dict.fromkeys((*order, NO_INTENT)) if label in sizes)
        if len(labels) < len(sizes):
            raise ValueError(f"labels missing from the order: {sorted(set(sizes) - set(labels))}")
        vocabulary = frozenset[str]().union(*counts.values())
        total = sum(sizes.values())
        likelihoods: list[dict[str, float]] = []
        unseen: list[float] = []
        for label in labels:
            denominator = math.log(counts[label].total() + _SMOOTHING * len(vocabulary))
            likelihoods.append(
                {
                    feature: math.log(count + _SMOOTHING) - denominator
                    for feature, count in counts[label].items()
                }
            )
            unseen.append(math.log(_SMOOTHING) - denominator)
        priors = tuple(math.log(sizes[label] / total) for label in labels)
        return cls(labels, priors, tuple(likelihoods), tuple(unseen), vocabulary)

    def predict(self, normalised: str) -> Guess:
        features = [f for f in classifier_features(normalised) if f in self.vocabulary]
        scores = [self._log_likelihood(index, features) for index in range(len(self.labels))]
        best = max(range(len(scores)), key=lambda index: (scores[index], -index))
        posterior = 1 / sum(math.exp(score - scores[best]) for score in scores)
        return Guess(self.labels[best], posterior, self._evidence(best, scores, features))

    def _log_likelihood(self, index: int, features: list[str]) -> float:
        likelihoods, unseen = self.log_likelihoods[index], self.log_unseen[index]
        return self.log_priors[index] + sum(likelihoods.get(f, unseen) for f in features)

    def _evidence(self, best: int, scores: list[float], features: list[str]) -> tuple[str, ...]:
        if len(scores) < 2:
            return ()
        second = max((i for i in range(len(scores)) if i != best), key=scores.__getitem__)

        def lead(feature: str) -> float:
            own = self.log_likelihoods[best].get(feature, self.log_unseen[best])
            return own - self.log_likelihoods[second].get(feature, self.log_unseen[second])

        ranked = sorted(
            {feature for feature in features if not feature.startswith("c:")},
            key=lambda feature: (-lead(feature), feature),
        )
        return tuple(dict.fromkeys(feature[2:] for feature in ranked[:3]))
