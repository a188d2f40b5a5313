"""Every registry answers a known name with its entry and an unknown one with the list of names."""

import pytest

from ganviz.data import DATASETS, get_dataset
from ganviz.lessons.presets import PRESETS, get_preset
from ganviz.losses import LOSSES, get_loss


@pytest.mark.parametrize(
    "registry, get, known",
    [
        (DATASETS, get_dataset, "moons"),
        (LOSSES, get_loss, "hinge"),
        (PRESETS, get_preset, "grid25"),
    ],
)
def test_lookup_by_name(registry, get, known):
    assert get(known) is registry[known]
    with pytest.raises(ValueError) as e:
        get("no-such-name")
    message = str(e.value)
    assert "no-such-name" in message and "\n" not in message
    assert all(name in message for name in registry)
