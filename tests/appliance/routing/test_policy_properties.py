"""routing/policy.py: the promises of the routing policy, over generated snapshots.

Small worlds (up to 8 agents, 24 conversations, 3 queues, 2 skills, 2 languages,
times a few ms apart) so that ties, full agents, declines and VIPs collide often.
"""

from __future__ import annotations

from collections import Counter
from random import Random

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from appliance.routing.policy import AgentState
from appliance.routing.policy import PolicySettings
from appliance.routing.policy import QueueRule
from appliance.routing.policy import Router
from appliance.routing.policy import Snapshot
from appliance.routing.policy import Strategy
from appliance.routing.policy import Waiting
from appliance.routing.policy import is_eligible
from appliance.routing.policy import plan
from appliance.routing.policy import priority_key
from appliance.routing.policy import queue_positions
from appliance.routing.reference import reference_assign_for
from appliance.routing.reference import reference_next
from appliance.routing.reference import reference_pick_for_agent
from appliance.routing.reference import reference_plan
from appliance.routing.rules import requirement

QUEUES = ("q1", "q2", "q3")
GROUPS = ("g1", "g2")
SKILLS = ("s1", "s2")
LANGUAGES = ("zh", "en")
AGENT_IDS = list(range(1, 10))
CONVERSATION_IDS = [f"c{n:02d}" for n in range(30)]

fast = settings(max_examples=100, deadline=None)

policy_settings = st.builds(
    PolicySettings,
    vip_boost_ms=st.sampled_from([0, 3, 10]),
    aging_bound_ms=st.sampled_from([0, 5, 15, 1_000]),
)


# Worlds are built from a seeded Random: drawing each of their ~300 fields through
# Hypothesis costs tens of milliseconds per example. Hypothesis still picks (and
# shrinks) the sizes and the seed, and prints the snapshot of a failing example.


def random_agent(rng, agent_id):
    capacity = rng.randint(0, 4)
    return AgentState(
        id=agent_id,
        groups=frozenset(rng.sample(GROUPS, rng.randint(0, 2))),
        skills={skill: rng.randint(1, 5) for skill in rng.sample(SKILLS, rng.randint(0, 2))},
        languages=frozenset(rng.sample(LANGUAGES, rng.randint(1, 2))),
        status=rng.choice(["online", "online", "online", "away", "offline"]),
        load=rng.randint(0, capacity + 1),
        capacity=capacity,
        idle_since_ms=rng.randint(0, 40),
        last_assigned_ms=rng.randint(0, 40),
    )


def random_waiting(rng, conversation_id):
    return Waiting(
        conversation_id=conversation_id,
        queue=rng.choice(QUEUES),
        enqueued_ms=rng.randint(0, 30),
        skill=rng.choice([None, None, *SKILLS]),
        min_level=rng.randint(0, 5),
        language=rng.choice([None, None, *LANGUAGES]),
        vip_level=rng.choice([0, 0, 0, 1, 2, 5]),
        last_agent_id=rng.choice([None, *AGENT_IDS]),
        declined_by=frozenset(rng.sample(AGENT_IDS, rng.choice([0, 0, 0, 1, 3]))),
    )


@st.composite
def snapshots(draw, max_agents=8, max_waiting=24):
    agent_count = draw(st.integers(0, max_agents), label="agents")
    waiting_count = draw(st.integers(0, max_waiting), label="waiting")
    rng = Random(draw(st.integers(0, 2**32 - 1), label="seed"))
    queues = {
        name: QueueRule(
            name=name,
            group=rng.choice(GROUPS),
            strategy=rng.choice(list(Strategy)),
            prefer_last_agent=rng.random() < 0.5,
        )
        for name in QUEUES
    }
    agent_ids = rng.sample(AGENT_IDS, agent_count)
    conversation_ids = rng.sample(CONVERSATION_IDS, waiting_count)
    return Snapshot(
        now_ms=rng.randint(30, 60),
        agents=[random_agent(rng, agent_id) for agent_id in agent_ids],
        waiting=[random_waiting(rng, conversation_id) for conversation_id in conversation_ids],
        queues=queues,
        round_robin_cursor={q: rng.choice(AGENT_IDS) for q in QUEUES if rng.random() < 0.5},
    )


def steps(snapshot, policy):
    """Each decision of a round with the state it was made in."""
    router = Router.from_snapshot(snapshot, policy)
    while True:
        before = router.snapshot()
        assignment = router.next_assignment()
        if assignment is None:
            return
        yield before, assignment


def state_of(snapshot):
    agents = {agent.id: agent for agent in snapshot.agents}
    waiting = {w.conversation_id: w for w in snapshot.waiting}
    return agents, waiting


@fast
@given(snapshots(), policy_settings)
def test_it_never_pushes_an_agent_over_capacity(snapshot, policy):
    given_to = Counter(assignment.agent_id for assignment in plan(snapshot, policy))

    for agent in snapshot.agents:
        room = max(0, agent.capacity - agent.load) if agent.status == "online" else 0
        assert given_to[agent.id] <= room


@fast
@given(snapshots(), policy_settings)
def test_it_never_assigns_a_conversation_twice(snapshot, policy):
    assigned = [assignment.conversation_id for assignment in plan(snapshot, policy)]

    assert len(assigned) == len(set(assigned))
    assert set(assigned) <= {w.conversation_id for w in snapshot.waiting}


@fast
@given(snapshots(), policy_settings)
def test_it_assigns_only_to_eligible_agents(snapshot, policy):
    # is_eligible covers status, room, group, skill level, language, declines, manual queues.
    for before, assignment in steps(snapshot, policy):
        agents, waiting = state_of(before)
        conversation = waiting[assignment.conversation_id]
        rule = before.queues[conversation.queue]

        assert rule.strategy is not Strategy.MANUAL
        assert assignment.agent_id not in conversation.declined_by
        assert is_eligible(agents[assignment.agent_id], conversation, rule)


@fast
@given(snapshots(), policy_settings)
def test_it_lets_nobody_overtake_by_more_than_the_aging_bound(snapshot, policy):
    for before, assignment in steps(snapshot, policy):
        agents, waiting = state_of(before)
        chosen = waiting[assignment.conversation_id]
        agent = agents[assignment.agent_id]
        for other in waiting.values():
            if other is chosen or not is_eligible(agent, other, before.queues[other.queue]):
                continue
            # `other` could have had this agent, yet waits: it comes later in priority,
            # and if it arrived first, it arrived less than the aging bound first.
            assert priority_key(chosen, policy) < priority_key(other, policy)
            if chosen.enqueued_ms > other.enqueued_ms:
                assert chosen.enqueued_ms < other.enqueued_ms + policy.aging_bound_ms


@fast
@given(snapshots(), policy_settings)
def test_it_serves_equal_priority_first_come_first_served(snapshot, policy):
    order = {a.conversation_id: n for n, a in enumerate(plan(snapshot, policy))}
    plain = [w for w in snapshot.waiting if not w.declined_by]

    for earlier in plain:
        for later in plain:
            same_line = (
                requirement(earlier) == requirement(later)
                and earlier.vip_level == later.vip_level
                and (earlier.enqueued_ms, earlier.conversation_id)
                < (later.enqueued_ms, later.conversation_id)
            )
            if same_line and later.conversation_id in order:
                # Both could be served by the same agents, so the earlier went first.
                assert order[earlier.conversation_id] < order[later.conversation_id]


@fast
@given(snapshots(), policy_settings, st.randoms(use_true_random=False))
def test_it_decides_the_same_whatever_the_order_of_its_input(snapshot, policy, random):
    agents, waiting = list(snapshot.agents), list(snapshot.waiting)
    random.shuffle(agents)
    random.shuffle(waiting)
    shuffled = Snapshot(
        now_ms=snapshot.now_ms,
        agents=agents,
        waiting=waiting,
        queues=dict(reversed(list(snapshot.queues.items()))),
        round_robin_cursor=snapshot.round_robin_cursor,
    )

    assert plan(shuffled, policy) == plan(snapshot, policy) == plan(snapshot, policy)


@fast
@given(snapshots(), policy_settings)
def test_it_matches_the_reference_policy(snapshot, policy):
    assert plan(snapshot, policy) == reference_plan(snapshot, policy)


OPERATIONS = ["next", "next", "pick", "assign", "update_agent", "enqueue", "withdraw"]


@settings(max_examples=150, deadline=None)
@given(snapshots(max_agents=6, max_waiting=16), policy_settings, st.integers(0, 2**32 - 1))
def test_it_matches_the_reference_policy_step_by_step(snapshot, policy, seed):
    rng = Random(seed)
    router = Router.from_snapshot(snapshot, policy)
    for _ in range(rng.randint(1, 25)):
        now = router.snapshot()
        operation = rng.choice(OPERATIONS)
        if operation == "next":
            assert router.next_assignment() == reference_next(now, policy)
        elif operation == "pick":
            agent_id = rng.choice(AGENT_IDS)
            assert router.pick_for_agent(agent_id) == reference_pick_for_agent(
                now, policy, agent_id
            )
        elif operation == "assign":
            conversation_id = rng.choice(CONVERSATION_IDS)
            expected = reference_assign_for(now, policy, conversation_id)
            assert router.assign_for(conversation_id) == expected
        elif operation == "update_agent":
            router.update_agent(random_agent(rng, rng.choice(AGENT_IDS)))
        elif operation == "enqueue":
            router.enqueue(random_waiting(rng, rng.choice(CONVERSATION_IDS)))
        else:
            router.withdraw(rng.choice(CONVERSATION_IDS))
    rest = router.snapshot()
    assert router.drain() == reference_plan(rest, policy)


@fast
@given(snapshots(), policy_settings, st.integers(1, 600_000))
def test_it_numbers_each_queue_in_the_order_it_serves_it(snapshot, policy, handle_ms):
    positions = queue_positions(snapshot, policy, {name: handle_ms for name in QUEUES})

    for name in QUEUES:
        here = sorted(
            (w for w in snapshot.waiting if w.queue == name),
            key=lambda w: priority_key(w, policy),
        )
        assert [positions[w.conversation_id].position for w in here] == list(
            range(1, len(here) + 1)
        )
        etas = [positions[w.conversation_id].eta_ms for w in here]
        assert all(eta is None for eta in etas) or etas == sorted(etas)
