"""Zones with hysteresis: up at once, down only after a run of days below (every edge)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import two_zone_scheme

from zoning.model import hysteresis
from zoning.model.schemes import NO_ZONE, SchemeError, loads_scheme

N = NO_ZONE


def run(zones: list[int], days: int) -> list[int]:
    return hysteresis.steady(np.array([zones]), days).zone[0].tolist()


def test_without_hysteresis_the_zones_are_the_computed_ones():
    z = [0, 2, 1, 0, N, 3, 0]
    assert run(z, 0) == z and run(z, 1) == z


def test_up_at_once_and_down_only_after_the_run():
    assert run([0, 2, 1, 1, 1, 0], 3) == [0, 2, 2, 2, 1, 1]
    assert run([0, 2, 1, 1, 0, 0], 3) == [0, 2, 2, 2, 1, 1]  # down to the run's highest
    assert run([0, 2, 1, 1, 2, 1, 1], 3) == [0, 2, 2, 2, 2, 2, 2]  # back up: the run ends
    assert run([0, 2, 1, 1, 3], 3) == [0, 2, 2, 2, 3]  # up at once from inside a run


def test_exactly_n_days_below_steps_down_and_n_minus_one_does_not():
    assert run([2, 0, 0, 0], 3) == [2, 2, 2, 0]
    assert run([2, 0, 0, 2], 3) == [2, 2, 2, 2]


def test_a_day_without_data_breaks_the_run_and_has_no_zone():
    assert run([2, 0, 0, N, 0, 0, 0], 3) == [2, 2, 2, N, 2, 2, 0]
    assert run([N, N, 1, N, 1], 2) == [N, N, 1, N, 1]


def test_days_in_zone_count_from_the_day_it_was_entered():
    steady = hysteresis.steady(np.array([[0, 0, 2, 1, 1, N, 2]]), 5)
    assert steady.days_in_zone[0].tolist() == [0, 1, 0, 1, 2, -1, 4]


def test_a_panel_of_many_regions_is_the_same_as_each_alone():
    rng = np.random.default_rng(4)
    panel = rng.integers(-1, 4, size=(30, 60))
    together = hysteresis.steady(panel, 4).zone
    for i in range(30):
        assert together[i].tolist() == run(panel[i].tolist(), 4)


@pytest.mark.parametrize(
    ("extra", "days"),
    [("", 0), ("[hysteresis]\nstep_down_after = 2\nunit = 'weeks'", 14),
     ("[hysteresis]\nstep_down_after = 10", 10)],
)  # fmt: skip
def test_a_scheme_file_says_how_its_zones_are_left(extra, days):
    assert loads_scheme(two_zone_scheme(extra, cut=50)).step_down_days == days


@pytest.mark.parametrize(
    ("extra", "words"),
    [("[hysteresis]\nstep_down_after = -1", "step_down_after"),
     ("[hysteresis]\nstep_down_after = 2\nunit = 'months'", "unit"),
     ("[hysteresis]\nafter = 2", "'hysteresis' must be a table"),
     ("[hysteresis]\nstep_down_after = true", "step_down_after")],
)  # fmt: skip
def test_a_wrong_hysteresis_is_refused_naming_the_field(extra, words):
    with pytest.raises(SchemeError, match=words):
        loads_scheme(two_zone_scheme(extra, cut=50))
