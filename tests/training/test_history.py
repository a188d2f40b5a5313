"""The history: rows are copies, and appending rows is how a run takes back a worker's history."""

import numpy as np

from ganviz.training.history import HISTORY_KEYS, History


def test_history_rows_are_a_copy_that_append_takes_back():
    h = History()
    rows = np.arange(3 * len(HISTORY_KEYS), dtype=float).reshape(3, -1)
    h.append(rows)
    out = h.rows()
    np.testing.assert_array_equal(out, rows)
    out[0, 0] = -1.0  # a copy: the history keeps its values
    assert h.column(HISTORY_KEYS[0])[0] == 0.0
    again = History()
    again.append(h.rows())
    np.testing.assert_array_equal(again.rows(), rows)
