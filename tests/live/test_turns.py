"""Fair turns at the training slots: first come first served, turns of TURN_S while others wait, a paused or
closed session out of the queue; and live runs that wait for their turn, keeping their state."""

import pytest

from ganviz.live.run import LiveRun
from ganviz.live.turns import Turns, max_training
from support.runs import small


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


def test_sessions_train_while_there_are_slots_then_wait_in_the_order_they_came(clock):
    turns = Turns(slots=2, turn_s=10, forget_s=5, clock=clock)
    assert turns.ask("a") and turns.ask("b")
    assert not turns.ask("c") and not turns.ask("d")
    assert turns.standing("c").place == 1 and turns.standing("d").place == 2
    standing = turns.standing("a")
    assert standing.training and (standing.sessions_training, standing.sessions_waiting, standing.slots) == (2, 2, 2)
    turns.leave("a")  # paused: its slot goes to the first in line
    assert turns.standing("c").training and turns.ask("c") and not turns.ask("d")


def test_a_session_gives_up_its_slot_after_its_turn_only_while_others_wait(clock):
    turns = Turns(slots=1, turn_s=10, forget_s=5, clock=clock)
    assert turns.ask("a")
    clock.now = 30.0
    assert turns.ask("a")  # nobody waits: no turn ends
    assert not turns.ask("b")
    assert not turns.ask("a")  # 30 s since it got the slot, and b waits: a goes to the back at its next tick
    assert turns.ask("b") and turns.standing("a").place == 1
    clock.now = 36.0
    assert turns.ask("b") and not turns.ask("a")
    clock.now = 40.0
    assert not turns.ask("b") and turns.ask("a")  # b's 10 s: back to a


def test_a_session_that_stops_asking_loses_its_place(clock):
    turns = Turns(slots=1, turn_s=10, forget_s=5, clock=clock)
    assert turns.ask("a") and not turns.ask("b")
    clock.now = 4.0
    assert not turns.ask("b")  # a is quiet, but not for long enough
    clock.now = 6.0
    assert turns.ask("b")  # a's tab closed 6 s ago
    assert not turns.standing("a").training and turns.standing("a").place == 0


def test_a_session_asking_for_several_slots_waits_for_them_and_nobody_jumps_the_queue(clock):
    turns = Turns(slots=2, clock=clock)
    assert turns.ask("a", slots=1)
    assert not turns.ask("race", slots=2)
    assert not turns.ask("b", slots=1)  # one slot is free, but the race came first
    assert turns.ask("x", slots=9) is False  # asks for at most every slot
    turns.leave("a")
    assert turns.ask("race", slots=2) and not turns.ask("b")


def test_the_server_setting_is_a_whole_number_of_slots_and_defaults_to_the_cores():
    assert max_training({"GANVIZ_MAX_TRAINING": "3"}) == 3
    assert max_training({}) >= 1
    for bad in ("0", "-1", "two", "1.5"):
        with pytest.raises(ValueError, match="GANVIZ_MAX_TRAINING='.*': set it to a whole number"):
            max_training({"GANVIZ_MAX_TRAINING": bad})


def test_with_one_slot_a_second_playing_run_waits_then_trains_when_the_first_pauses():
    turns = Turns(slots=1, forget_s=600)  # starting a worker takes seconds: nobody is forgotten meanwhile
    first = LiveRun(small(), background=True, turns=turns)
    second = LiveRun(small(seed=1), background=True, turns=turns)
    try:
        first.tick(0.1)
        second.tick(0.1)
        assert first.training_in_background and not second.training_in_background
        assert second.standing().place == 1 and second.iteration == 0
        first.stop()  # Pause
        assert first.standing().place == 0 and not first.standing().training
        second.tick(0.1)
        assert second.training_in_background and second.standing().training
    finally:
        first.stop()
        second.stop()
