"""The dataset gallery: one panel per dataset, its samples for the seed and its modes where known."""

import numpy as np
import pytest

from ganviz.data import DATASETS
from ganviz.figures.gallery import dataset_gallery


def traces_by_dataset(fig, kind):
    return {t.meta["dataset"]: t for t in fig.data if t.meta and t.meta.get("kind") == kind}


@pytest.fixture(scope="module")
def fig():
    return dataset_gallery(DATASETS, n=300, seed=7)


def test_one_sample_trace_per_dataset_and_mode_traces_only_where_known(fig):
    samples, modes = traces_by_dataset(fig, "samples"), traces_by_dataset(fig, "modes")
    assert list(samples) == list(DATASETS)
    assert set(modes) == {name for name, ds in DATASETS.items() if ds.modes is not None}
    assert len(fig.data) == len(samples) + len(modes)
    for name, trace in modes.items():
        np.testing.assert_array_equal(np.column_stack([trace.x, trace.y]), DATASETS[name].modes)


def test_subplot_titles_name_every_dataset(fig):
    titles = [a.text.replace("<br>", " ") for a in fig.layout.annotations]
    assert titles == [ds.title for ds in DATASETS.values()]


def test_points_are_the_datasets_samples_for_the_seed(fig):
    for name, trace in traces_by_dataset(fig, "samples").items():
        expected = DATASETS[name].sample(300, np.random.default_rng(7))
        np.testing.assert_array_equal(np.column_stack([trace.x, trace.y]), expected)


def test_panels_keep_an_equal_aspect_ratio(fig):
    for trace in traces_by_dataset(fig, "samples").values():
        xaxis = fig.layout[trace.xaxis.replace("x", "xaxis")]
        yaxis = fig.layout[trace.yaxis.replace("y", "yaxis")]
        assert yaxis.scaleanchor == trace.xaxis and yaxis.scaleratio == 1
        assert np.isclose(np.ptp(xaxis.range), np.ptp(yaxis.range))


def test_subset_and_empty_input():
    one = {"ring8": DATASETS["ring8"]}
    assert len(dataset_gallery(one, n=10).data) == 2
    with pytest.raises(ValueError, match="at least one dataset"):
        dataset_gallery({})
