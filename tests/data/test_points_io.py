"""Your own 2D points: CSV validation with one-line messages that say what to fix, and cells drawn on the canvas."""

from __future__ import annotations

import numpy as np
import pytest

from ganviz.data import MAX_BYTES, MAX_POINTS, MIN_POINTS, DataError, parse_points, read_points_csv
from ganviz.data.points_io import canvas_cells, cell_size, fill_cells


def good_rows(n: int) -> str:
    return "".join(f"{i},{-i * 0.5}\n" for i in range(n))


def assert_one_line_error(source, *needles: str, parse=read_points_csv) -> str:
    with pytest.raises(DataError) as e:
        parse(source)
    msg = str(e.value)
    assert "\n" not in msg and "\r" not in msg
    assert msg.strip()
    for needle in needles:
        assert needle.lower() in msg.lower(), (needle, msg)
    return msg


def test_data_error_is_a_value_error():
    assert issubclass(DataError, ValueError)


def test_non_numeric_value_names_the_line():
    text = good_rows(5) + "3,abc\n" + good_rows(6)
    assert_one_line_error(text.encode(), "line 6", "abc", "number")
    assert_one_line_error(text, "line 6", "number", parse=parse_points)


def test_line_number_counts_blank_lines_and_header():
    text = "x,y\n" + good_rows(3) + "\n\n" + "1,oops\n" + good_rows(8)
    assert_one_line_error(text, "line 7", "oops", parse=parse_points)


def test_non_numeric_first_row_is_an_error_not_a_header():
    # A data row with one bad value must be reported, not silently dropped as if it were a header.
    text = "1,abc\n" + good_rows(12)
    assert_one_line_error(text, "line 1", "abc", parse=parse_points)


def test_long_bad_value_is_truncated_in_the_message():
    text = good_rows(11) + "1," + "z" * 500 + "\n"
    msg = assert_one_line_error(text, "line 12", parse=parse_points)
    assert len(msg) < 200


def test_three_columns():
    text = good_rows(4) + "1,2,3\n" + good_rows(7)
    assert_one_line_error(text.encode(), "line 5", "3 values", "two columns")


def test_one_column():
    text = good_rows(4) + "1\n" + good_rows(7)
    assert_one_line_error(text.encode(), "line 5", "1 value", "two columns")


@pytest.mark.parametrize("bad", ["nan", "NaN", "inf", "-inf", "Infinity", "1e999"])
def test_nan_and_inf_rejected(bad):
    text = good_rows(10) + f"0.5,{bad}\n"
    assert_one_line_error(text.encode(), "line 11", "nan", "infinite")


def test_too_few_points():
    assert_one_line_error(good_rows(MIN_POINTS - 1).encode(), "9 points", "at least 10")
    assert_one_line_error(("x,y\n" + good_rows(MIN_POINTS - 1)).encode(), "9 points")
    assert_one_line_error(b"", "0 points")


def test_too_many_points():
    text = "1,2\n" * (MAX_POINTS + 1)
    assert_one_line_error(text.encode(), "100,001", "100,000")


def test_exactly_min_and_max_points_accepted():
    assert read_points_csv(good_rows(MIN_POINTS).encode()).shape == (10, 2)
    pts = read_points_csv(("x,y\n" + "1,2\n" * MAX_POINTS).encode())
    assert pts.shape == (100_000, 2)
    assert (pts == [1.0, 2.0]).all()


def test_bytes_over_limit_rejected():
    raw = b"1,2\n" * (MAX_BYTES // 4) + b"\n"  # MAX_BYTES + 1 bytes
    assert len(raw) == MAX_BYTES + 1
    assert_one_line_error(raw, "limit")


def test_file_over_limit_rejected(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"1,2\n" * (MAX_BYTES // 4) + b"\n")
    assert_one_line_error(path, "limit")
    assert_one_line_error(str(path), "limit")


def test_not_utf8():
    raw = good_rows(12).encode() + b"\xff\xfe,1\n"
    assert_one_line_error(raw, "utf-8")
    assert_one_line_error(good_rows(12).encode("utf-16"), "utf-8")


def test_missing_path(tmp_path):
    missing = tmp_path / "missing.csv"
    msg = assert_one_line_error(missing, "no such file")
    assert "missing.csv" in msg
    assert_one_line_error(str(missing), "no such file")
    assert_one_line_error(tmp_path, "no such file")  # a directory is not a CSV file


def test_values_parsed_exactly(tmp_path):
    values = [(0.1, -2.5), (1e-300, 3.141592653589793), (-0.0, 12345678.901234567), (7, -7)] * 3
    text = "".join(f"{x!r},{y!r}\n" for x, y in values)
    expected = np.array(values, dtype=np.float64)
    np.testing.assert_array_equal(read_points_csv(text.encode()), expected)
    path = tmp_path / "pts.csv"
    path.write_text(text, encoding="utf-8")
    for source in (path, str(path)):
        got = read_points_csv(source)
        assert got.dtype == np.float64 and got.shape == (12, 2)
        np.testing.assert_array_equal(got, expected)


def test_header_accepted():
    pts = read_points_csv(("x,y\n" + good_rows(10)).encode())
    assert pts.shape == (10, 2)
    assert pts[0].tolist() == [0.0, -0.0] and pts[9].tolist() == [9.0, -4.5]


def test_utf8_bom_accepted():
    raw = b"\xef\xbb\xbf" + ("x,y\n" + good_rows(10)).encode()
    assert read_points_csv(raw).shape == (10, 2)
    raw = b"\xef\xbb\xbf" + good_rows(10).encode()  # BOM directly before a number
    pts = read_points_csv(raw)
    assert pts.shape == (10, 2) and pts[0, 0] == 0.0


def test_blank_lines_and_whitespace_accepted():
    text = "\n  x , y \n\n" + "".join(f"  {i} ,\t{i * 2}  \n\n" for i in range(10)) + "   \n"
    pts = parse_points(text)
    np.testing.assert_array_equal(pts, [[i, 2 * i] for i in range(10)])
    crlf = text.replace("\n", "\r\n").encode()
    np.testing.assert_array_equal(read_points_csv(crlf), pts)


# --- cells drawn on the canvas --------------------------------------------------------------------


def test_drawn_cells_become_points_inside_them():
    cells = canvas_cells()[[0, 100, 500]]
    points = fill_cells(cells, seed=1, per_cell=20)
    assert points.shape == (60, 2)
    owner = np.repeat(cells, 20, axis=0)
    assert (np.abs(points - owner) <= cell_size() / 2 + 1e-12).all()
    np.testing.assert_array_equal(points, fill_cells(cells, seed=1, per_cell=20))
    with pytest.raises(DataError, match="select at least one cell"):
        fill_cells([])
