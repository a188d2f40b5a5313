"""The teacher's link builder: the link it shows opens what was chosen, and its QR code reads back as that link
(read with zxing-cpp, a QR reader independent of the library that drew it)."""

import io
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from pages._link_builder import built_query, qr_png
from support.pages import live_figures, open_page, page_state_of

PAGES = Path(__file__).resolve().parents[2] / "pages"


def read_qr(png: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


@pytest.mark.parametrize(
    "link",
    [
        "http://localhost:8501/course?chapter=3",
        "http://teacher.example:8501/playground?lesson=mode-collapse&hide=charts%2Closs%2Cplayback",
        "/compare?comparison=nonsaturating-vs-wgan-gp",
    ],
)
def test_the_qr_code_reads_back_as_the_link(link):
    assert read_qr(qr_png(link)) == [link]


def test_the_query_names_the_choice_and_the_hidden_parts_in_a_stable_order():
    assert built_query("lesson", "wgan", ["playback", "charts"]) == {"lesson": "wgan", "hide": "charts,playback"}
    assert built_query("lesson", "", []) == {}  # free play: the page's own defaults


def builder_link(at) -> str:
    return at.code[-1].value


def build(at, page: str, choice: str, hidden: list[str]):
    at.selectbox(key=f"link_{page}_choice").set_value(choice).run()
    at.multiselect(key=f"link_{page}_hide").set_value(hidden).run()
    assert not at.exception, at.exception


def test_a_playground_link_opens_the_lesson_with_the_controls_hidden():
    at = open_page(str(PAGES / "playground.py"), {})
    assert builder_link(at) == "/playground"  # free play, nothing hidden: the plain page
    build(at, "playground", "mode-collapse", ["charts", "playback"])
    link = builder_link(at)
    assert link == "/playground?lesson=mode-collapse&hide=charts%2Cplayback"
    opened = open_page(str(PAGES / "playground.py"), {"lesson": "mode-collapse", "hide": "charts,playback"})
    state = page_state_of(opened, "PlaygroundState")
    assert state.hidden == {"charts", "playback"} and "pg_charts" not in live_figures(opened)
    assert "pg_play" not in [b.key for b in opened.button]
    assert opened.session_state["pg_lesson"] == "mode-collapse"


@pytest.mark.slow  # several page runs: several seconds
def test_a_course_link_opens_the_chapter_with_the_chapter_list_hidden():
    at = open_page(str(PAGES / "course.py"), {"chapter": "2"})
    assert builder_link(at).endswith("/course?chapter=2")  # it starts at the chapter shown
    build(at, "course", "5", ["chapters"])
    assert builder_link(at).endswith("/course?chapter=5&hide=chapters")
    opened = open_page(str(PAGES / "course.py"), {"chapter": "5", "hide": "chapters"})
    assert page_state_of(opened, "CourseState").chapter == 4
    assert not [b for b in opened.button if b.key.startswith("co_go_")]


@pytest.mark.parametrize("page", ["playground.py", "mnist.py", "compare.py", "course.py"])
def test_presenter_mode_is_no_setting_and_stays_in_the_link(page):
    """`present=1` is app.py's (the sidebar folded, larger text): no page reports it as an unknown setting, and the
    link each page writes back keeps it."""
    at = open_page(str(PAGES / page), {"present": "1"})
    assert not [w.value for w in at.warning if "present" in w.value]
    assert at.query_params["present"] == "1"


def test_the_builder_adds_presenter_mode_to_the_link():
    assert built_query("lesson", "wgan", [], present=True) == {"lesson": "wgan", "present": "1"}
    at = open_page(str(PAGES / "playground.py"), {})
    at.checkbox(key="link_playground_present").check().run()
    assert builder_link(at) == "/playground?present=1"
