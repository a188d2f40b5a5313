"""The guards of a freshly started server, without a browser (tests/e2e/test_first_visit_browser.py opens every
page's link at once on a fresh server): the imports made once, and a run of the legacy pages-folder mode known."""

import ast
import sys

from pages._import_once import SCRIPTS, import_all, imported_modules

from pages._first_visit import LEGACY_RUNNER, run_by_the_legacy_mode


def test_the_modules_the_scripts_import_are_read_from_their_top_level(tmp_path):
    script = tmp_path / "page.py"
    script.write_text(
        "import json, os.path\nfrom ganviz.figures import words, latent as figures\nfrom . import sibling\n"
        "def later():\n    import csv\n"
    )
    assert imported_modules([script]) == {"json": [], "os.path": [], "ganviz.figures": ["words", "latent"]}


def test_every_script_is_read_and_its_modules_imported_submodules_too():
    modules = imported_modules(SCRIPTS)
    assert len(SCRIPTS) >= 9 and "ganviz.figures" in modules and "latent" in modules["ganviz.figures"]
    assert "pages._import_once" not in modules  # this module does not import itself
    import_all({"email": ["mime"]})  # `from email import mime`: a package's submodule, not an attribute until imported
    import email.mime

    assert email.mime.__name__ == "email.mime"


def test_a_run_started_by_the_legacy_runner_is_known_by_its_caller():
    def legacy_runner():
        return run_by_the_legacy_mode()

    legacy_runner.__code__ = legacy_runner.__code__.replace(co_name=LEGACY_RUNNER)
    assert legacy_runner() and not run_by_the_legacy_mode()


STANDARD_LIBRARY = sys.stdlib_module_names | {"__future__"}


def test_app_and_every_page_import_it_before_anything_but_the_standard_library():
    scripts = [s for s in SCRIPTS if not s.name.startswith("_")]
    assert {s.name for s in scripts} >= {"app.py", "home.py", "course.py", "playground.py", "latent.py"}
    for script in scripts:
        imports = [n for n in ast.parse(script.read_text()).body if isinstance(n, ast.Import | ast.ImportFrom)]
        outside_stdlib = [n for n in imports if ast.unparse(n).split()[1].split(".")[0] not in STANDARD_LIBRARY]
        assert ast.unparse(outside_stdlib[0]) == "import pages._import_once", script.name
