"""`python -m ganviz course [--check]`: the chapters as JSON, or every chapter's live check over seeds."""

from __future__ import annotations

import math
import sys

from ganviz.course.chapters import CHAPTER_BY_SLUG, CHAPTERS
from ganviz.course.check import check_chapters


def add_course_parser(sub) -> None:
    course = sub.add_parser(
        "course",
        help="list the course's chapters as JSON, or check their live readings",
        description="List the chapters (question, choices, answer, checkpoint, setup, now try) as JSON. With "
        "--check, play each chapter and its 'now try' headless for seeds 0 .. N-1 (progress on stderr) and exit 1 "
        "unless each chapter's readings show the expected outcomes in at least 80 %% of the seeds.",
    )
    course.add_argument("--check", action="store_true", help="run the chapters' live checks instead of listing")
    course.add_argument("--seeds", type=int, default=None, help="seeds per chapter for --check [1 to 20] (default 5)")
    course.add_argument("--only", nargs="+", metavar="SLUG", help="only these chapters (default: all, in order)")


def cmd_course(args, error) -> tuple[dict, int]:
    """The listing or the check's results, and the exit status; `error(message)` raises the CLI's user error."""
    chapters = list(CHAPTERS)
    if args.only:
        unknown = [s for s in args.only if s not in CHAPTER_BY_SLUG]
        if unknown:
            raise error(f"--only: unknown chapter {unknown[0]!r}; choose from: {', '.join(CHAPTER_BY_SLUG)}")
        chapters = [CHAPTER_BY_SLUG[s] for s in dict.fromkeys(args.only)]
    if not args.check:
        if args.seeds is not None:
            raise error("--seeds: only with --check")
        return {"chapters": [{"chapter": CHAPTERS.index(c) + 1, **c.as_dict()} for c in chapters]}, 0
    seeds = 5 if args.seeds is None else args.seeds
    if not 1 <= seeds <= 20:
        raise error(f"--seeds: must be between 1 and 20 (got {seeds})")
    result = check_chapters(
        chapters, range(seeds), need=math.ceil(0.8 * seeds), progress=lambda m: print(m, file=sys.stderr, flush=True)
    )
    return result, 0 if result["passed"] else 1
