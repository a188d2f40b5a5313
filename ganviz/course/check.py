"""`python -m ganviz course --check`: every chapter's live check, headless, over several seeds.

For one seed a chapter trains its setup to the checkpoint and reads it, then does its "now try" (a new run,
or the same one continued) and reads that. It holds when both readings show the expected outcomes; a
chapter passes when it holds for at least `need` of the seeds (the lessons' `--check` is the model).
"""

from __future__ import annotations

import time

from ganviz.course.chapters import CHAPTERS, Chapter
from ganviz.lessons.measures import train_more
from ganviz.training.trainer import Trainer


def play_chapter(chapter: Chapter, seed: int) -> dict:
    """Train one seed's run to the checkpoint, read it, then the "now try" and read that."""
    run = Trainer(chapter.config(seed, device="cpu"))
    train_more(run, chapter.steps)
    reading = chapter.read(run, 0)
    now_try = chapter.now_try
    if now_try.continue_run:
        start = run.iteration
        if run.divergence is None:
            run.set_config(run.config.replace(**now_try.changes))
        tried = run
    else:
        start, tried = 0, Trainer(chapter.config(seed, device="cpu", **now_try.changes))
    train_more(tried, now_try.steps)
    tried_reading = now_try.read(tried, start)
    return {
        "seed": seed,
        "held": reading.outcome == chapter.expected and tried_reading.outcome == now_try.expected,
        "outcome": reading.outcome,
        "now_try_outcome": tried_reading.outcome,
        "reading": reading.sentence,
        "now_try_reading": tried_reading.sentence,
    }


def check_chapters(chapters=CHAPTERS, seeds=range(5), need: int = 4, progress=None) -> dict:
    """Each chapter over `seeds`; `progress(message)` hears of each chapter as it finishes."""
    results, seeds = [], list(seeds)
    for number, chapter in enumerate(chapters, 1):
        start = time.perf_counter()
        runs = [play_chapter(chapter, seed) for seed in seeds]
        held = sum(r["held"] for r in runs)
        results.append(
            {
                "chapter": number,
                "slug": chapter.slug,
                "held": held,
                "of": len(seeds),
                "passed": held >= min(need, len(seeds)),
                "seconds": round(time.perf_counter() - start, 1),
                "runs": runs,
            }
        )
        if progress is not None:
            progress(f"chapter {number} {chapter.slug}: held in {held} of {len(seeds)} seeds")
    return {"passed": all(r["passed"] for r in results), "need": need, "chapters": results}
