"""Toy 2D datasets, CSV validation of user points, and the generator's noise."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ganviz.data import DATASETS, MAX_BYTES, MAX_POINTS, MIN_POINTS, NOISE_KINDS, DataError, get_dataset, parse_points, points_dataset, read_points_csv, sample_noise


def nearest_centre_distance(x: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = np.linalg.norm(x[:, None, :] - centres[None, :, :], axis=2)
    return d.min(axis=1), d.argmin(axis=1)


# --- toy datasets -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_dataset_samples_finite_float64_deterministically(name):
    ds = DATASETS[name]
    assert ds.name == name and ds.title
    a = ds.sample(500, np.random.default_rng(123))
    b = ds.sample(500, np.random.default_rng(123))
    c = ds.sample(500, np.random.default_rng(124))
    assert a.shape == (500, 2)
    assert a.dtype == np.float64
    assert np.isfinite(a).all()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.std(axis=0).min() > 0.01  # not a degenerate point mass
    assert np.abs(a).max() < 20  # roughly in the plotting window


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_mixture_metadata_is_consistent(name):
    ds = DATASETS[name]
    if not ds.has_modes:
        assert ds.modes is None
        return
    assert ds.modes.ndim == 2 and ds.modes.shape[1] == 2
    assert ds.weights.shape == (len(ds.modes),)
    assert ds.weights.sum() == pytest.approx(1.0)
    assert ds.sigma > 0


def test_ring8_centres_and_spread():
    ds = get_dataset("ring8")
    assert ds.modes.shape == (8, 2)
    assert len({tuple(np.round(m, 9)) for m in ds.modes}) == 8
    for i, (x, y) in enumerate(ds.modes):
        assert math.hypot(x, y) == pytest.approx(2.0, abs=1e-12)
        assert x == pytest.approx(2 * math.cos(2 * math.pi * i / 8), abs=1e-12)
        assert y == pytest.approx(2 * math.sin(2 * math.pi * i / 8), abs=1e-12)
    assert ds.sigma == 0.02
    np.testing.assert_allclose(ds.weights, np.full(8, 1 / 8))

    x = ds.sample(10_000, np.random.default_rng(0))
    dist, which = nearest_centre_distance(x, ds.modes)
    # Distance of a 2D isotropic Gaussian sample to its centre is Rayleigh(σ): mean σ·sqrt(π/2).
    assert dist.mean() == pytest.approx(0.02 * math.sqrt(math.pi / 2), rel=0.05)
    assert dist.max() < 0.2  # no sample strays anywhere near another mode (spacing ≈ 1.53)
    counts = np.bincount(which, minlength=8)
    assert counts.min() > 1000  # each mode gets about 1250


def test_grid25_centres_and_spread():
    ds = get_dataset("grid25")
    vals = (-4.0, -2.0, 0.0, 2.0, 4.0)
    assert ds.modes.shape == (25, 2)
    assert {tuple(m) for m in ds.modes} == {(a, b) for a in vals for b in vals}
    assert ds.sigma == 0.05
    x = ds.sample(20_000, np.random.default_rng(1))
    dist, which = nearest_centre_distance(x, ds.modes)
    offsets = x - ds.modes[which]
    # Per-axis std of the offset from the sample's centre ≈ σ (n = 20000: SE ≈ 0.5 %).
    np.testing.assert_allclose(offsets.std(axis=0), [0.05, 0.05], rtol=0.03)
    assert dist.mean() == pytest.approx(0.05 * math.sqrt(math.pi / 2), rel=0.05)
    assert np.bincount(which, minlength=25).min() > 600  # each mode gets about 800


def test_two_clusters_weights():
    ds = get_dataset("two-clusters")
    np.testing.assert_allclose(ds.weights, [0.75, 0.25])
    n = 20_000
    x = ds.sample(n, np.random.default_rng(2))
    _, which = nearest_centre_distance(x, ds.modes)
    p = 0.75
    se = math.sqrt(p * (1 - p) / n)
    assert abs((which == 0).mean() - p) < 5 * se
    # First cluster is the one at (-1.5, 0).
    assert x[which == 0, 0].mean() == pytest.approx(-1.5, abs=0.01)
    assert x[which == 1, 0].mean() == pytest.approx(1.5, abs=0.01)


def test_points_dataset_samples_only_given_points():
    pts = np.array([[0.0, 1.0], [2.5, -3.0], [7.0, 7.0]])
    ds = points_dataset(pts)
    assert not ds.has_modes
    x = ds.sample(600, np.random.default_rng(0))
    assert x.shape == (600, 2) and x.dtype == np.float64
    rows = {tuple(r) for r in x}
    assert rows == {tuple(r) for r in pts}  # only these, and every one of them
    np.testing.assert_array_equal(x, ds.sample(600, np.random.default_rng(0)))


# --- CSV points ---------------------------------------------------------------------------------

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


# --- noise --------------------------------------------------------------------------------------

def test_noise_kinds():
    assert set(NOISE_KINDS) == {"gaussian", "uniform"}


@pytest.mark.parametrize("kind", NOISE_KINDS)
@pytest.mark.parametrize("dim", [1, 64])
def test_noise_shapes(kind, dim):
    z = sample_noise(7, dim, kind, torch.Generator().manual_seed(0))
    assert z.shape == (7, dim)
    assert z.dtype == torch.float32
    assert torch.isfinite(z).all()


def test_gaussian_noise_moments():
    z = sample_noise(20_000, 8, "gaussian", torch.Generator().manual_seed(1)).double()
    n = z.numel()
    assert abs(z.mean().item()) < 5 / math.sqrt(n)
    assert z.std().item() == pytest.approx(1.0, abs=5 * math.sqrt(2 / n))
    assert z.abs().max().item() > 3  # unbounded, unlike the uniform


def test_uniform_noise_moments_and_range():
    z = sample_noise(20_000, 8, "uniform", torch.Generator().manual_seed(2)).double()
    n = z.numel()
    assert z.min().item() >= -1 and z.max().item() <= 1
    assert z.min().item() < -0.999 and z.max().item() > 0.999
    sd = math.sqrt(1 / 3)
    assert abs(z.mean().item()) < 5 * sd / math.sqrt(n)
    # Var of U(-1, 1) is 1/3; the sample variance has SE sqrt((E[x^4] - σ^4)/n) = sqrt((1/5 - 1/9)/n).
    assert z.var().item() == pytest.approx(1 / 3, abs=5 * math.sqrt((1 / 5 - 1 / 9) / n))


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_noise_is_deterministic_per_seed(kind):
    a = sample_noise(50, 3, kind, torch.Generator().manual_seed(42))
    b = sample_noise(50, 3, kind, torch.Generator().manual_seed(42))
    c = sample_noise(50, 3, kind, torch.Generator().manual_seed(43))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_unknown_noise_kind():
    with pytest.raises(ValueError) as e:
        sample_noise(3, 2, "cauchy")
    msg = str(e.value)
    assert "cauchy" in msg and "gaussian" in msg and "uniform" in msg
