"""Is every recall drill mutation-tested, and does it kill each catalogued mistake of its step?"""

import pytest

from from_memory.course import build
from from_memory.judge import mutants, mutation

CATALOG = {m.slug: m for m in mutants.CATALOG}
DRILLS = [(ps, index, nb) for ps, index, nb in mutation.cells()
          if nb.cells[index].metadata.nbgrader.grade_id.startswith("recall_")]


def drill(ps: str, function: str):
    return next((p, i, nb) for p, i, nb in DRILLS if p == ps and nb.cells[i].metadata.nbgrader.grade_id == f"recall_{function}")


def test_mutation_testing_finds_every_drill_of_the_schedule():
    found = sorted((ps, nb.cells[i].metadata.nbgrader.grade_id) for ps, i, nb in DRILLS)
    planned = sorted((ps, f"recall_{f}") for ps, drills in build.SCHEDULE.items() for f in drills)
    assert found == planned


@pytest.mark.parametrize(("ps", "slug"), [
    ("ps3_alpha", "hidden_delta__precedence"),
    ("ps5_hidden", "hidden_delta__precedence"),
    ("ps5_hidden", "train_counting_directions__updates_inside_if"),
])
def test_the_seed_notebooks_bugs_are_killed_named_and_caught_by_validate_in_their_drills(ps, slug):
    mutant = CATALOG[slug]
    _, index, nb = drill(ps, mutant.step)
    killed, named, caught = mutation.grade_drill(nb, index, mutant)
    assert (killed, named, caught) == (True, True, True)


def test_the_reference_survives_its_drill():
    """A drill cell holding the right function passes both its small case and its check."""
    _, index, nb = drill("ps5_hidden", "train_counting_directions")
    right = mutants.Mutant("train_counting_directions__none", "", ())
    assert mutation.grade_drill(nb, index, right) == (False, False, False)


@pytest.mark.slow
def test_every_drill_kills_and_its_small_case_catches_every_mutant_of_its_step():
    outcomes = [o for o in mutation.score_cells() if mutation.is_drill(o)]
    assert len(outcomes) >= sum(len(mutants.for_step(f)) for drills in build.SCHEDULE.values() for f in drills)
    assert [o for o in outcomes if not o.killed] == []
    assert [o for o in outcomes if not o.caught] == []
