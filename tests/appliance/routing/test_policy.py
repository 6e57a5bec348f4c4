"""routing/policy.py: who gets which waiting conversation, by example (see docs/routing.md)."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pytest

from appliance.routing.policy import AgentState
from appliance.routing.policy import PolicySettings
from appliance.routing.policy import QueueRule
from appliance.routing.policy import Router
from appliance.routing.policy import Snapshot
from appliance.routing.policy import Strategy
from appliance.routing.policy import Trigger
from appliance.routing.policy import Waiting
from appliance.routing.policy import estimate_wait_ms
from appliance.routing.policy import plan
from appliance.routing.policy import priority_key
from appliance.routing.policy import queue_positions
from appliance.routing.reference import reference_pick_for_agent

RETAIL = QueueRule(name="retail", group="retail")
SETTINGS = PolicySettings(vip_boost_ms=60_000, aging_bound_ms=180_000)
NOW = 36_000_000  # 10:00 in ms since midnight; any fixed instant will do


def at(clock):
    hours, minutes, seconds = (int(part) for part in clock.split(":"))
    return ((hours * 60 + minutes) * 60 + seconds) * 1000


def agent(agent_id, **overrides):
    fields = {
        "id": agent_id,
        "groups": frozenset({"retail"}),
        "skills": {},
        "languages": frozenset({"zh"}),
        "status": "online",
        "load": 0,
        "capacity": 3,
        "idle_since_ms": 0,
        "last_assigned_ms": 0,
    }
    return AgentState(**{**fields, **overrides})


def waiting(conversation_id, **overrides):
    fields = {"conversation_id": conversation_id, "queue": "retail", "enqueued_ms": 0}
    return Waiting(**{**fields, **overrides})


def snapshot(agents, conversations, *queues, cursor=None):
    return Snapshot(
        now_ms=NOW,
        agents=agents,
        waiting=conversations,
        queues={rule.name: rule for rule in queues or (RETAIL,)},
        round_robin_cursor=cursor or {},
    )


def decided(assignments):
    return [(a.conversation_id, a.agent_id) for a in assignments]


# strategies


def test_it_gives_the_conversation_to_the_least_busy_agent():
    agents = [
        agent(1, load=1, capacity=2),
        agent(2, load=1, capacity=4),
        agent(3, load=2, capacity=8),
    ]

    (assignment,) = plan(snapshot(agents, [waiting("c1")]), SETTINGS)

    # 2 and 3 are both a quarter busy; 2 has fewer conversations open.
    assert assignment.agent_id == 2
    assert assignment.reason.strategy is Strategy.LEAST_BUSY
    assert assignment.reason.candidates_considered == 3
    assert [c.agent_id for c in assignment.reason.top_candidates] == [2, 3, 1]
    assert assignment.reason.top_candidates[0].score == (1, 4, 0)


def test_it_breaks_least_busy_ties_by_idle_time_then_agent_id():
    agents = [agent(3, idle_since_ms=5), agent(2, idle_since_ms=9), agent(1, idle_since_ms=5)]

    assignments = plan(snapshot(agents, [waiting("c1"), waiting("c2"), waiting("c3")]), SETTINGS)

    assert decided(assignments) == [("c1", 1), ("c2", 3), ("c3", 2)]


def test_it_rotates_round_robin_after_the_cursor_and_wraps():
    rule = QueueRule(name="retail", group="retail", strategy=Strategy.ROUND_ROBIN)
    agents = [agent(7), agent(3), agent(5, status="away"), agent(9)]
    conversations = [waiting(f"c{n}", enqueued_ms=n) for n in range(4)]

    router = Router.from_snapshot(
        snapshot(agents, conversations, rule, cursor={"retail": 7}), SETTINGS
    )

    assert [a.agent_id for a in router.drain()] == [9, 3, 7, 9]
    assert router.round_robin_cursor() == {"retail": 9}


def test_it_gives_the_conversation_to_the_agent_idle_longest():
    rule = QueueRule(name="retail", group="retail", strategy=Strategy.LONGEST_IDLE)
    agents = [agent(1, idle_since_ms=at("09:40:00")), agent(2, idle_since_ms=at("09:10:00"))]

    assignments = plan(
        snapshot(agents, [waiting("c1"), waiting("c2", enqueued_ms=1)], rule), SETTINGS
    )

    # Agent 2 takes c1 and is then idle "since now", so c2 goes to agent 1.
    assert decided(assignments) == [("c1", 2), ("c2", 1)]


def test_it_never_auto_assigns_a_manual_queue():
    manual = QueueRule(name="complaints", group="retail", strategy=Strategy.MANUAL)
    state = snapshot([agent(1)], [waiting("c1", queue="complaints")], RETAIL, manual)
    router = Router.from_snapshot(state, SETTINGS)

    assert plan(state, SETTINGS) == []
    assert router.assign_for("c1") is None
    assert router.pick_for_agent(1) is None


# priority


def test_it_serves_first_come_first_served_within_equal_priority():
    conversations = [
        waiting("b", enqueued_ms=at("09:05:00")),
        waiting("c", enqueued_ms=at("09:01:00")),
        waiting("a", enqueued_ms=at("09:05:00")),
    ]

    assignments = plan(snapshot([agent(1, capacity=5)], conversations), SETTINGS)

    assert [a.conversation_id for a in assignments] == ["c", "a", "b"]


def test_it_moves_vips_up_but_never_further_than_the_aging_bound():
    # The worked example of docs/routing.md: one minute per VIP level, three at most.
    conversations = [
        waiting("A", enqueued_ms=at("09:00:00")),
        waiting("B", enqueued_ms=at("09:01:00"), vip_level=2),  # counts as 08:59:00
        waiting("C", enqueued_ms=at("09:03:30"), vip_level=5),  # capped: counts as 09:00:30
        waiting("D", enqueued_ms=at("09:01:30")),
    ]

    assignments = plan(snapshot([agent(1, capacity=4)], conversations), SETTINGS)

    assert [a.conversation_id for a in assignments] == ["B", "A", "C", "D"]
    assert priority_key(conversations[2], SETTINGS) == (at("09:00:30"), at("09:03:30"), "C")
    assert assignments[2].reason.priority == (at("09:00:30"), at("09:03:30"), "C")


def test_it_decides_the_worked_example_of_the_docs():
    cards = QueueRule(name="cards", group="cards", prefer_last_agent=True)
    wang = agent(3, groups=frozenset({"cards"}), load=1, idle_since_ms=at("09:58:00"))
    li = agent(5, groups=frozenset({"cards"}), capacity=2, idle_since_ms=at("09:50:00"))
    zhao = agent(8, groups=frozenset({"cards"}), status="away")
    conversations = [
        waiting("A", queue="cards", enqueued_ms=at("09:55:00")),
        waiting("B", queue="cards", enqueued_ms=at("09:56:00"), vip_level=2),
        waiting("C", queue="cards", enqueued_ms=at("09:59:00"), vip_level=5, last_agent_id=3),
        waiting("D", queue="cards", enqueued_ms=at("09:57:30"), declined_by=frozenset({5})),
    ]
    state = Snapshot(
        now_ms=at("10:00:00"),
        agents=[wang, li, zhao],
        waiting=conversations,
        queues={"cards": cards},
    )

    before = queue_positions(state, SETTINGS, {"cards": 360_000})
    router = Router.from_snapshot(state, SETTINGS)
    assignments = router.drain()
    after = queue_positions(router.snapshot(), SETTINGS, {"cards": 360_000})

    assert [(p.conversation_id, p.position, p.eta_ms) for p in before.values()] == [
        ("B", 1, 72_000),
        ("A", 2, 144_000),
        ("C", 3, 216_000),
        ("D", 4, 288_000),
    ]
    assert decided(assignments) == [("B", 5), ("A", 3), ("C", 3)]
    assert [a.reason.last_agent_preferred for a in assignments] == [False, False, True]
    assert assignments[2].as_dict() == {
        "conversation_id": "C",
        "agent_id": 3,
        "reason": {
            "trigger": "queue",
            "queue": "cards",
            "strategy": "least_busy",
            "priority": [35_760_000, 35_940_000, "C"],
            "vip_level": 5,
            "waited_ms": 60_000,
            "candidates_considered": 2,
            "top_candidates": [
                {"agent_id": 5, "score": [1, 2, 36_000_000]},
                {"agent_id": 3, "score": [2, 3, 36_000_000]},
            ],
            "last_agent_preferred": True,
        },
    }
    assert {cid: (p.position, p.eta_ms) for cid, p in after.items()} == {"D": (1, 72_000)}


def test_it_skips_a_conversation_nobody_can_serve_without_holding_up_the_rest():
    conversations = [waiting("c1", skill="mortgage"), waiting("c2", enqueued_ms=1)]

    assignments = plan(snapshot([agent(1)], conversations), SETTINGS)

    assert decided(assignments) == [("c2", 1)]


# eligibility


@pytest.mark.parametrize(
    ("agent_overrides", "conversation_overrides"),
    [
        ({"status": "away"}, {}),
        ({"status": "offline"}, {}),
        ({"load": 3, "capacity": 3}, {}),
        ({"capacity": 0}, {}),
        ({"groups": frozenset({"cards"})}, {}),
        ({"skills": {"mortgage": 2}}, {"skill": "mortgage", "min_level": 3}),
        ({"skills": {"cards": 5}}, {"skill": "mortgage"}),
        ({"languages": frozenset({"zh"})}, {"language": "en"}),
        ({}, {"declined_by": frozenset({1})}),
    ],
)
def test_it_assigns_only_to_an_eligible_agent(agent_overrides, conversation_overrides):
    state = snapshot([agent(1, **agent_overrides)], [waiting("c1", **conversation_overrides)])

    assert plan(state, SETTINGS) == []


def test_it_assigns_when_skill_level_and_language_are_enough():
    state = snapshot(
        [agent(1, skills={"mortgage": 3}, languages=frozenset({"zh", "en"}))],
        [waiting("c1", skill="mortgage", min_level=3, language="en")],
    )

    assert decided(plan(state, SETTINGS)) == [("c1", 1)]


def test_it_never_assigns_past_capacity_in_one_round():
    conversations = [waiting(f"c{n}", enqueued_ms=n) for n in range(5)]

    assignments = plan(snapshot([agent(1, load=1, capacity=3)], conversations), SETTINGS)

    assert decided(assignments) == [("c0", 1), ("c1", 1)]


def test_it_never_offers_a_conversation_again_to_an_agent_who_declined_it():
    agents = [agent(1), agent(2, load=2)]

    (assignment,) = plan(snapshot(agents, [waiting("c1", declined_by=frozenset({1}))]), SETTINGS)

    assert assignment.agent_id == 2
    assert assignment.reason.candidates_considered == 1


def test_it_lets_a_conversation_everyone_declined_wait_while_others_are_served():
    conversations = [waiting("c1", declined_by=frozenset({1})), waiting("c2", enqueued_ms=1)]
    router = Router.from_snapshot(snapshot([agent(1)], conversations), SETTINGS)

    assert decided(router.drain()) == [("c2", 1)]

    router.update_agent(agent(2))
    assert decided(router.drain()) == [("c1", 2)]


# last-agent preference


def test_it_prefers_the_agent_who_served_the_customer_last():
    rule = QueueRule(name="retail", group="retail", prefer_last_agent=True)
    agents = [agent(1), agent(2, load=2)]

    (assignment,) = plan(snapshot(agents, [waiting("c1", last_agent_id=2)], rule), SETTINGS)

    assert assignment.agent_id == 2
    assert assignment.reason.last_agent_preferred is True
    assert assignment.reason.top_candidates[0].agent_id == 1  # what least-busy alone would say


@pytest.mark.parametrize(
    ("prefer", "last_agent"),
    [
        (False, agent(2)),  # the queue does not ask for it
        (True, agent(2, load=3)),  # full
        (True, agent(2, status="away")),
        (True, agent(2, groups=frozenset({"cards"}))),  # moved to another team
    ],
)
def test_it_falls_back_to_the_strategy_when_the_last_agent_cannot_take_it(prefer, last_agent):
    rule = QueueRule(name="retail", group="retail", prefer_last_agent=prefer)
    agents = [agent(1), last_agent]

    (assignment,) = plan(snapshot(agents, [waiting("c1", last_agent_id=2)], rule), SETTINGS)

    assert assignment.agent_id == 1
    assert assignment.reason.last_agent_preferred is False


# the incremental Router


def test_it_gives_an_agent_who_frees_up_the_best_conversation_they_may_take():
    cards = QueueRule(name="cards", group="cards")
    conversations = [
        waiting("retail-late", enqueued_ms=at("09:05:00")),
        waiting("cards-early", queue="cards", enqueued_ms=at("09:01:00")),
        waiting("retail-en", enqueued_ms=at("09:00:00"), language="en"),
    ]
    busy = agent(1, groups=frozenset({"retail", "cards"}), load=3)
    router = Router.from_snapshot(snapshot([busy], conversations, RETAIL, cards), SETTINGS)
    assert router.next_assignment() is None

    router.update_agent(agent(1, groups=frozenset({"retail", "cards"}), load=2))
    assignment = router.pick_for_agent(1)

    assert assignment is not None
    assert decided([assignment]) == [("cards-early", 1)]
    assert assignment.reason.trigger is Trigger.AGENT
    assert router.pick_for_agent(1) is None  # full again
    assert router.agent(1) == agent(
        1, groups=frozenset({"retail", "cards"}), load=3, idle_since_ms=NOW, last_assigned_ms=NOW
    )


def test_it_assigns_one_named_conversation_on_request():
    conversations = [waiting("c1"), waiting("c2", enqueued_ms=1)]
    router = Router.from_snapshot(snapshot([agent(1)], conversations), SETTINGS)

    assignment = router.assign_for("c2")

    assert assignment is not None
    assert decided([assignment]) == [("c2", 1)]
    assert assignment.reason.trigger is Trigger.CONVERSATION
    assert router.assign_for("c2") is None  # no longer waiting


def test_it_follows_conversations_that_arrive_and_leave():
    router = Router.from_snapshot(snapshot([agent(1, capacity=1)], [waiting("c1")]), SETTINGS)

    assert router.withdraw("c1") is True
    assert router.withdraw("c1") is False
    router.enqueue(waiting("c2", vip_level=1, enqueued_ms=at("09:00:00")))
    router.enqueue(waiting("c3", enqueued_ms=at("08:59:30")))

    assert decided(router.drain()) == [("c2", 1)]
    assert [w.conversation_id for w in router.snapshot().waiting] == ["c3"]


def test_it_stays_small_however_long_it_lives():
    # A service may keep one Router for hours, only ever telling it that agents
    # closed a chat and asking what they take next: nothing may pile up.
    router = Router.from_snapshot(
        snapshot([agent(1, capacity=1), agent(2, capacity=1)], []), SETTINGS
    )
    for n in range(200):
        router.enqueue(waiting(f"c{n:03d}", enqueued_ms=n, language=("zh", None)[n % 2]))
        agent_id = 1 + n % 2
        router.update_agent(agent(agent_id, capacity=1))  # closed their chat
        expected = reference_pick_for_agent(router.snapshot(), SETTINGS, agent_id)
        assert router.pick_for_agent(agent_id) == expected

    index = router._index
    assert len(index.entries) <= 2 * len(index.buckets) + 16
    assert all(len(bucket.pool._heap) <= 2 * 2 + 16 for bucket in index.buckets)


def test_it_refuses_a_conversation_for_an_unknown_queue():
    router = Router.from_snapshot(snapshot([], []), SETTINGS)

    with pytest.raises(ValueError, match="unknown queue"):
        router.enqueue(waiting("c1", queue="nowhere"))


def test_it_reports_its_state_as_a_snapshot():
    router = Router.from_snapshot(snapshot([agent(2), agent(1)], [waiting("c1")]), SETTINGS)
    router.drain()

    state = router.snapshot()

    assert [a.id for a in state.agents] == [1, 2]
    assert state.agents[0].load == 1
    assert state.waiting == ()
    assert state.round_robin_cursor == {"retail": 1}


# reasons, for the audit trail


def test_it_explains_each_assignment_in_plain_json():
    rule = QueueRule(name="retail", group="retail", prefer_last_agent=True)
    state = snapshot(
        [agent(1, load=1), agent(2, idle_since_ms=at("09:00:00"))],
        [waiting("c1", enqueued_ms=at("09:58:00"), vip_level=1)],
        rule,
    )

    (assignment,) = plan(state, SETTINGS)

    assert json.loads(json.dumps(assignment.as_dict())) == {
        "conversation_id": "c1",
        "agent_id": 2,
        "reason": {
            "trigger": "queue",
            "queue": "retail",
            "strategy": "least_busy",
            "priority": [at("09:57:00"), at("09:58:00"), "c1"],
            "vip_level": 1,
            "waited_ms": 120_000,
            "candidates_considered": 2,
            "top_candidates": [
                {"agent_id": 2, "score": [0, 3, at("09:00:00")]},
                {"agent_id": 1, "score": [1, 3, 0]},
            ],
            "last_agent_preferred": False,
        },
    }


# queue positions


def test_it_tells_each_visitor_their_place_and_estimated_wait():
    manual = QueueRule(name="complaints", group="retail", strategy=Strategy.MANUAL)
    state = snapshot(
        [agent(1, capacity=2), agent(2, capacity=2, status="away"), agent(3, capacity=2)],
        [
            waiting("late", enqueued_ms=at("09:10:00")),
            waiting("vip", enqueued_ms=at("09:09:00"), vip_level=3),
            waiting("early", enqueued_ms=at("09:07:00")),
            waiting("manual", queue="complaints"),
        ],
        RETAIL,
        manual,
    )

    positions = queue_positions(state, SETTINGS, {"retail": 240_000})

    # Two online agents with room for two each: 240 s x position / 4.
    assert {cid: (p.position, p.eta_ms) for cid, p in positions.items()} == {
        "vip": (1, 60_000),
        "early": (2, 120_000),
        "late": (3, 180_000),
        "manual": (1, None),  # no handle time given for it
    }


def test_it_gives_no_estimate_when_nobody_serves_the_queue():
    assert estimate_wait_ms(3, 240_000, 0) is None
    assert estimate_wait_ms(1, 100, 3) == 34  # rounded up


# validation


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: snapshot([agent(1), agent(1)], []), "agent id appears twice"),
        (lambda: snapshot([], [waiting("c1"), waiting("c1")]), "conversation id appears twice"),
        (lambda: snapshot([], [waiting("c1", queue="cards")]), "unknown queue"),
        (lambda: Snapshot(now_ms=0, agents=[], waiting=[], queues={"x": RETAIL}), "another name"),
        (lambda: agent(1, status="busy"), "unknown status"),
        (lambda: agent(1, load=-1), "cannot be negative"),
        (lambda: waiting("c1", vip_level=-1), "cannot be negative"),
        (lambda: PolicySettings(aging_bound_ms=-1), "cannot be negative"),
    ],
)
def test_it_refuses_inconsistent_input(build, message):
    with pytest.raises(ValueError, match=message):
        build()


# the boundary


ROUTING = Path(__file__).resolve().parents[3] / "appliance" / "routing"
NO_IO = {"os", "io", "time", "socket", "subprocess", "threading", "random", "logging", "pathlib"}
CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter"}


@pytest.mark.parametrize("module", sorted(ROUTING.glob("*.py")), ids=lambda path: path.name)
def test_it_keeps_routing_free_of_io_clocks_and_the_rest_of_the_app(module):
    tree = ast.parse(module.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr not in CLOCK_CALLS, f"{module.name}:{node.lineno} reads a clock"
            continue
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            allowed = name.startswith("appliance.routing") or (
                top in sys.stdlib_module_names and top not in NO_IO
            )
            assert allowed, f"{module.name}:{node.lineno} imports {name}"
