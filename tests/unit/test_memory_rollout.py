"""The memory backend's simulated rolling update keeps the spec's surge and unavailable bounds."""

from hypothesis import given, settings
from hypothesis import strategies as st
from orchsdk_memory.rollout import Pace, SimulatedRollout

from orchsdk import Rollout

amounts = st.integers(0, 4) | st.sampled_from(["0%", "10%", "25%", "50%", "100%"])


def rolled_out(replicas: int) -> SimulatedRollout:
    rollout = SimulatedRollout("web", replicas, 1, Pace.of(Rollout(), replicas))
    rollout.finish()
    return rollout


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 12), st.integers(0, 12), amounts, amounts)
def test_an_update_stays_within_surge_and_unavailability(
    before: int, replicas: int, surge: int | str, unavailable: int | str
) -> None:
    rollout = rolled_out(before)
    pace = Pace.of(Rollout(surge, unavailable), replicas)
    rollout.retarget(replicas, 2, pace)
    ceiling = max(before, replicas + pace.surge)
    floor = min(before, max(0, replicas - pace.unavailable))
    for _ in range(100):
        if not rollout.step():
            break
        assert len(rollout.instances) <= ceiling
        assert sum(item.ready for item in rollout.instances) >= floor
    assert rollout.done
    assert [item.revision for item in rollout.instances] == [2] * replicas


def test_max_unavailable_zero_keeps_every_replica_ready() -> None:
    rollout = rolled_out(5)
    rollout.retarget(5, 2, Pace.of(Rollout(max_surge=1, max_unavailable=0), 5))
    while rollout.step():
        assert sum(item.ready for item in rollout.instances) >= 5
    assert rollout.done
