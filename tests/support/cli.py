"""Running the CLI in-process from tests."""

import json

from ganviz.cli import main


def run(capsys, *argv):
    """Call `python -m ganviz ARGV` in this process: (exit code, stdout, stderr)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def last_json(out: str) -> dict:
    """The JSON object on the last line of a command's stdout."""
    return json.loads(out.strip().splitlines()[-1])
