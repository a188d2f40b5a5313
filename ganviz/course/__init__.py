"""The guided course: chapters with a prediction, a run to a checkpoint, a live reading and a "now try"."""

from ganviz.course.chapters import CHAPTER_BY_SLUG, CHAPTERS, Chapter, Choice, NowTry
from ganviz.course.readings import Reading

__all__ = ["CHAPTERS", "CHAPTER_BY_SLUG", "Chapter", "Choice", "NowTry", "Reading"]
