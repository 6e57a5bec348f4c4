"""How the rules' match and the classifier's guess combine into one answer (step 2 and 3
of intent pre-routing, see intent.py). Pure: a match and a guess in, a match out.

A `Blend` says three things, each off in `Blend()` (the classifier only fills the rules'
silence, and always answers):

- `min_posterior`: when no rule matched, a guess below this posterior is no answer (the
  default queue), so off-topic text is not sent to a specialist on a weak guess;
- `overriders` and `override_posterior`: a guess for one of these queues (fraud, say) at
  or above that posterior takes the message from a rule for any queue not among them, so
  "someone is using my card" is not kept by the cards rule.

SHIPPED_BLEND holds the values chosen by 5-fold cross-validation on the training examples,
the dev and dev2 splits (tests/bench/bench_intent.py prints the grid; docs/routing.md,
"Intent pre-routing").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from appliance.routing.intent_bayes import NO_INTENT
from appliance.routing.intent_bayes import Guess


@dataclass(frozen=True)
class IntentMatch:
    """Where to route and why: the pre-chat choice, the terms found, or the classifier's
    strongest features. `score` is weight x terms for rules, the posterior for the
    classifier, 0 for a pre-chat choice."""

    queue: str
    via: Literal["prechat", "rules", "classifier"]
    matched: tuple[str, ...]
    score: float


@dataclass(frozen=True)
class Blend:
    min_posterior: float = 0.0
    overriders: tuple[str, ...] = ()
    override_posterior: float = 1.0

    def __post_init__(self) -> None:
        for name in ("min_posterior", "override_posterior"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{name} must be a number, not {value!r}")
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be between 0 and 1: {value}")

    def consults(self, found: IntentMatch | None) -> bool:
        """Whether the classifier's guess can change the answer (else it need not run)."""
        return found is None or (bool(self.overriders) and found.queue not in self.overriders)

    def decide(self, found: IntentMatch | None, guess: Guess | None) -> IntentMatch | None:
        """The rules' match, unless the guess may and does take over; None: default queue."""
        if guess is None or guess.label == NO_INTENT:
            return found
        answer = IntentMatch(guess.label, "classifier", guess.evidence, guess.posterior)
        if found is None:
            return answer if guess.posterior >= self.min_posterior else None
        takes_over = guess.label in self.overriders and found.queue not in self.overriders
        return answer if takes_over and guess.posterior >= self.override_posterior else found


SHIPPED_BLEND = Blend(min_posterior=0.6, overriders=("fraud",), override_posterior=0.5)
