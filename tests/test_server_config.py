"""The server's settings (.streamlit/config.toml) against what ganviz accepts: uploads no larger than the largest
file a parser takes, XSRF protection on."""

import tomllib
from pathlib import Path

from ganviz.data import MAX_BYTES
from ganviz.io.checkpoints import MAX_UPLOAD_BYTES

CONFIG = tomllib.loads((Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml").read_text())
MB = 2**20  # Streamlit's maxUploadSize is in megabytes


def test_uploads_are_no_larger_than_the_largest_file_a_parser_takes():
    largest = max(MAX_BYTES, MAX_UPLOAD_BYTES)
    assert CONFIG["server"]["maxUploadSize"] * MB <= largest
    assert CONFIG["server"]["maxUploadSize"] * MB >= MAX_UPLOAD_BYTES  # a weights file the parser takes gets through


def test_xsrf_protection_stays_on():
    assert CONFIG["server"].get("enableXsrfProtection", True) is True
