"""Command line: `python -m ganviz train|bench|presets|lessons|course`. Each prints one JSON object as its last line.

Every setting of GANConfig is a flag of `train` (field lr_d -> --lr-d), with its range in --help.
A bad value exits with status 2 and a one-line message on stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

from ganviz.bench.fingerprint import differences, fingerprint
from ganviz.bench.races import bench_runs
from ganviz.bench.smoke import dry_run
from ganviz.bench.train import bench_train_2d
from ganviz.config import CUSTOM_DATASET, POINTS, ConfigError, GANConfig, choices_of, setting_fields, starting_values
from ganviz.course.command import add_course_parser, cmd_course
from ganviz.data import DataError, read_points_csv
from ganviz.io import script
from ganviz.io.samples import save_samples
from ganviz.lessons.presets import LESSONS, PRESETS, get_preset
from ganviz.training.runtime import resolve_device, use_one_thread
from ganviz.training.trainer import Trainer

ALIASES = {"image_model": ("--model",)}  # shorter flags for settings that image runs name often


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse prints usage + message; we promise one line
        raise CliError(message)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _describe(f) -> str:
    meta, text = f.metadata, f.metadata["help"]
    choices = choices_of(f)
    if choices:
        text += f" (one of: {', '.join(choices)})"
    elif meta["min"] is not None:
        text += f" [{meta['min']:g} to {meta['max']:g}]"
    return text + f" (default: {f.default})" + ("" if "live" in meta["roles"] else " [new networks]")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m ganviz", description="Train and measure small GANs headless.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    config = _Parser(add_help=False)  # the flags that make a config: train's and export-script's
    config.add_argument("--preset", choices=list(PRESETS), help="start from a named setup; flags override it")
    config.add_argument(
        "--config",
        type=Path,
        metavar="FILE.json",
        help='start from a JSON config (e.g. an earlier run\'s "config"); flags override it',
    )
    config.add_argument(
        "--data-csv",
        type=Path,
        metavar="FILE",
        help="train on your own points: a CSV with two numeric columns x,y (optional header), 10 to 100,000 rows",
    )
    config.add_argument("--steps", default="5000", help="iterations to train [1 to 10,000,000] (default: 5000)")
    groups = {}
    for f in setting_fields():
        group = groups.get(f.metadata["group"]) or config.add_argument_group(f.metadata["group"] + " settings")
        groups[f.metadata["group"]] = group
        if f.type == "bool":
            group.add_argument(
                _flag(f.name), dest=f.name, action=argparse.BooleanOptionalAction, default=None, help=_describe(f)
            )
        else:
            flags = [_flag(f.name), *ALIASES.get(f.name, ())]
            group.add_argument(*flags, dest=f.name, default=None, metavar=f.type.upper(), help=_describe(f))

    train = sub.add_parser(
        "train",
        parents=[config],
        help="train a 2D GAN and print its metrics as JSON",
        description="Train a 2D GAN. Prints progress on stderr and one JSON object (resolved "
        "config, speed and metrics) as the last line of stdout.",
    )
    train.add_argument(
        "--dry-run",
        action="store_true",
        help="instead of training: two iterations of every loss on "
        "ring8 and of every loss with every image model on the 8x8 digits, each with a snapshot and "
        "an evaluation (offline, seconds); exit 1 if any fails. Takes --device only",
    )
    train.add_argument(
        "--samples-out",
        type=Path,
        metavar="FILE",
        help="2D: write 2,500 generated points as x,y CSV rows with a header; images (--dataset "
        "mnist|digits): write 1,000 generated images as a .npy array (1000, H, W) in [0, 1]",
    )
    script.add_export_parser(sub, parents=[config])

    bench = sub.add_parser("bench", help="measure headless training speed; prints JSON")
    bench.add_argument("--seconds", default="5", help="timed seconds after warm-up [0.1 to 600] (default: 5)")
    bench.add_argument(
        "--mnist",
        action="store_true",
        help="image models: iterations/s of each, and the time "
        "to recognisable digits of the default setup (see ganviz/bench_images.py)",
    )
    bench.add_argument(
        "--dataset",
        choices=["mnist", "digits"],
        default="mnist",
        help="with --mnist: the images to use (default: mnist; offline it falls back to digits and says so)",
    )
    bench.add_argument(
        "--max-seconds",
        default="300",
        help="with --mnist: give up on recognisable digits after this much training [1 to 3600] (default: 300)",
    )
    bench.add_argument(
        "--runs",
        default=None,
        metavar="N",
        help="N runs of the default config raced (the Compare "
        "page's race: a worker process per run) against one run: ratio_vs_one_run is the wall time "
        "for N runs divided by the time for one (ratio_goal: 2.2 for four runs on two cores, 1.3 "
        "with a core per run), and identical_to_alone says whether each run equals the run trained "
        "alone [2 to 4]",
    )
    bench.add_argument(
        "--config",
        type=Path,
        metavar="FILE.json",
        help='with --runs: race this config (e.g. an earlier run\'s "config") instead of the default',
    )
    bench.add_argument(
        "--fingerprint",
        action="store_true",
        help="train fixed configs (every loss, the tricks, "
        "every image model, a conditional run, a race) and print their CLI JSON without timings and a "
        "hash of their final weights: what a refactoring must keep",
    )
    bench.add_argument(
        "--check",
        type=Path,
        metavar="FILE.json",
        help="with --fingerprint: compare with a "
        "fingerprint recorded earlier; prints the differences; exit 1 unless identical",
    )
    bench.add_argument(
        "--live",
        action="store_true",
        help="measure the 2D playground in a real browser "
        "(frames/s and live iterations/s vs headless; needs Chromium and the test requirements)",
    )
    bench.add_argument(
        "--sessions",
        metavar="K",
        help="K browser sessions play the 2D playground on one server [1 to 32]: each one's iterations/s and "
        "frames/s, blank pages, exceptions, the server's processes and memory, and its processes 30 s after "
        "the tabs close (needs Chromium, the test requirements and Linux)",
    )
    bench.add_argument(
        "--soak",
        metavar="MINUTES",
        help="one browser session plays the 2D playground this long [1 to 600]: the server's memory and the "
        "page's JavaScript heap at the start and the end",
    )

    sub.add_parser("presets", help="list the named setups as JSON")

    lessons = sub.add_parser(
        "lessons",
        help="list the lessons as JSON, or check their promises",
        description="List the lessons (name, title, what to watch, promise, seed, steps, "
        "settings) as JSON. With --check, run each lesson's check for seeds "
        "seed .. seed+N-1 (progress on stderr) and print one JSON object as the "
        "last line of stdout; exit 1 if a lesson's promise holds in fewer than "
        "80 % of the seeds.",
    )
    lessons.add_argument("--check", action="store_true", help="run the checks instead of listing")
    lessons.add_argument("--seeds", default=None, help="seeds per lesson for --check [1 to 100] (default: 5)")
    lessons.add_argument("--only", nargs="+", metavar="NAME", help="only these lessons (default: all, in order)")
    add_course_parser(sub)
    return parser


def _number(text: str, name: str, lo: float, hi: float, kind=float):
    try:
        value = kind(text)
    except ValueError:
        raise CliError(f"{name}: expected a number (got {text!r})") from None
    if not (lo <= value <= hi):
        raise CliError(f"{name}: must be between {lo:g} and {hi:g} (got {value:g})")
    return value


def resolve_config(args) -> tuple[GANConfig, object]:
    """The config from preset, then --config file, then flags; and the user's points if any."""
    values = {}
    if args.preset:
        values.update(get_preset(args.preset).config().to_dict())  # its overrides and its fixed seed
    if args.config:
        values.update(_read_config(args.config).to_dict())
    flags = {f.name: getattr(args, f.name) for f in setting_fields() if getattr(args, f.name) is not None}
    if not values:  # digits need other defaults than points
        values.update(starting_values(flags.get("dataset", ""), flags.get("image_model"), flags.get("device", "auto")))
    points = None
    if args.data_csv:
        if "dataset" in flags and flags["dataset"] != CUSTOM_DATASET:
            raise CliError("give either --dataset or --data-csv, not both")
        try:
            points = read_points_csv(args.data_csv)
        except DataError as e:
            raise CliError(f"--data-csv: {e}") from None
        flags["dataset"] = CUSTOM_DATASET
    values.update(flags)
    try:
        config = GANConfig.from_dict(values)
    except ConfigError as e:
        raise CliError(f"{_flag(e.field) if e.field in flags else e.field}: {e.message}") from None
    if config.dataset == CUSTOM_DATASET and points is None:
        raise CliError("--dataset custom needs --data-csv FILE")
    return config, points


def json_safe(value):
    """Strict JSON: NaN and infinities become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def cmd_train(args) -> dict:
    config, points = resolve_config(args)
    steps = _number(args.steps, "--steps", 1, 10_000_000, int)
    try:
        result, trainer = train_json(config, steps, points, progress=sys.stderr)
    except ConfigError as e:
        raise CliError(f"{_flag(e.field)}: {e.message}") from None
    if args.samples_out:
        try:
            save_samples(trainer, args.samples_out)
        except OSError as e:
            raise CliError(f"--samples-out: cannot write {args.samples_out} ({e.strerror})") from None
    return result


def train_json(config: GANConfig, steps: int, points=None, progress=None) -> tuple[dict, Trainer]:
    """Train a run `steps` iterations (progress lines to `progress`, a text stream, if given) and return
    what `train` prints (the resolved config, speed and the domain's metrics) with the trainer."""
    trainer = Trainer(config, points=points)
    start, report_every = time.perf_counter(), max(1, steps // 10)
    while trainer.iteration < steps and trainer.divergence is None:
        trainer.step(min(report_every, steps - trainer.iteration))
        if progress is not None:
            print(f"iteration {trainer.iteration}/{steps}", file=progress, flush=True)
    seconds = time.perf_counter() - start
    if trainer.divergence and progress is not None:
        print(f"warning: {trainer.divergence.message}", file=progress)
    metrics = trainer.evaluate()
    result = {
        "config": config.to_dict(),
        "iterations": trainer.iteration,
        "seconds": seconds,
        "iters_per_sec": trainer.iteration / seconds if seconds > 0 else None,
        "diverged": None
        if trainer.divergence is None
        else {"iteration": trainer.divergence.iteration, "problem": trainer.divergence.problem},
        "device": str(trainer.device),
    }
    return {**result, **trainer.domain.report(metrics)}, trainer


def cmd_lessons(args) -> tuple[dict, int]:
    """The lesson list, or the checks' results; the exit status is 1 when a promise does not hold."""
    lessons = list(LESSONS)
    if args.only:
        known = {p.name: p for p in LESSONS}
        for name in args.only:
            if name not in known:
                raise CliError(f"--only: unknown lesson {name!r}; choose from: {', '.join(known)}")
        lessons = [known[name] for name in dict.fromkeys(args.only)]
    if not args.check:
        if args.seeds is not None:
            raise CliError("--seeds: only with --check")
        return {
            "lessons": [
                {
                    "name": p.name,
                    "title": p.title,
                    "watch": p.watch,
                    "promise": p.promise,
                    "seed": p.seed,
                    "steps": p.steps,
                    "overrides": p.overrides,
                }
                for p in lessons
            ]
        }, 0
    n = _number("5" if args.seeds is None else args.seeds, "--seeds", 1, 100, int)
    results = {}
    for lesson in lessons:
        passed, measured, start = 0, [], time.perf_counter()
        for seed in range(lesson.seed, lesson.seed + n):
            t = time.perf_counter()
            outcome = lesson.check(seed)
            passed += bool(outcome["passed"])
            measured.append({"seed": seed, "passed": bool(outcome["passed"]), **outcome["measured"]})
            print(
                f"{lesson.name} seed {seed}: {'passed' if outcome['passed'] else 'FAILED'} "
                f"({time.perf_counter() - t:.1f} s)",
                file=sys.stderr,
                flush=True,
            )
        results[lesson.name] = {
            "promise": lesson.promise,
            "passed": passed,
            "of": n,
            "holds": passed >= math.ceil(0.8 * n),
            "seconds": time.perf_counter() - start,
            "measured": measured,
        }
    return results, 0 if all(r["holds"] for r in results.values()) else 1


def _read_config(path: Path) -> GANConfig:
    """A `--config FILE.json`, or a one-line CliError saying what is wrong with it."""
    try:
        return GANConfig.from_json(path.read_text())
    except OSError as e:
        raise CliError(f"--config: cannot read {path} ({e.strerror})") from None
    except ConfigError as e:
        raise CliError(f"--config: {path}: {e}") from None


def _read_json_file(path: Path, flag: str):
    try:
        return json.loads(path.read_text())
    except OSError as e:
        raise CliError(f"{flag}: cannot read {path} ({e.strerror})") from None
    except json.JSONDecodeError as e:
        raise CliError(f"{flag}: {path} is not JSON ({e.msg} at line {e.lineno})") from None


def _bench_config(args) -> GANConfig | None:
    """`bench --config FILE`: the 2D config to benchmark (None: the default)."""
    if args.config is None:
        return None
    config = _read_config(args.config)
    if config.domain != POINTS or config.dataset == CUSTOM_DATASET:
        raise CliError(f"--config: races are benchmarked on a built-in 2D dataset (got {config.dataset!r})")
    return config


def main(argv=None) -> int:
    use_one_thread()
    status = 0
    try:
        args = build_parser().parse_args(argv)
        if args.command == "train" and args.dry_run:
            try:
                resolve_device(args.device or "auto")
            except ValueError as e:
                raise CliError(f"--device: {e}") from None
            result = dry_run(args.device or "auto")
            status = 1 if result["failed"] else 0
        elif args.command == "train":
            result = cmd_train(args)
        elif args.command == "bench" and args.live:
            from ganviz.bench.browser import bench_live

            try:
                result = bench_live(seconds=_number(args.seconds, "--seconds", 0.1, 600))
            except RuntimeError as e:
                raise CliError(str(e)) from None
        elif args.command == "bench" and (args.sessions is not None or args.soak is not None):
            from ganviz.bench.sessions import bench_sessions, bench_soak

            try:
                if args.sessions is not None:
                    sessions = _number(args.sessions, "--sessions", 1, 32, int)
                    result = bench_sessions(sessions, seconds=_number(args.seconds, "--seconds", 0.1, 600))
                else:
                    result = bench_soak(_number(args.soak, "--soak", 1, 600))
            except RuntimeError as e:
                raise CliError(str(e)) from None
        elif args.command == "bench" and args.fingerprint:
            result = fingerprint(train_json)
            if args.check:
                found = differences(_read_json_file(args.check, "--check"), json.loads(json.dumps(json_safe(result))))
                result = {"identical": not found, "differences": found, "compared_with": str(args.check)}
                status = 1 if found else 0
        elif args.command == "bench" and args.runs is not None:
            result = bench_runs(
                _number(args.runs, "--runs", 2, 4, int),
                seconds=_number(args.seconds, "--seconds", 0.1, 600),
                config=_bench_config(args),
            )
        elif args.command == "bench" and args.mnist:
            from ganviz.bench.images import bench_images

            try:
                result = bench_images(
                    args.dataset,
                    seconds=_number(args.seconds, "--seconds", 0.1, 600),
                    max_seconds=_number(args.max_seconds, "--max-seconds", 1, 3600),
                )
            except DataError as e:
                raise CliError(str(e)) from None
        elif args.command == "lessons":
            result, status = cmd_lessons(args)
        elif args.command == "export-script":
            config, steps = resolve_config(args)[0], _number(args.steps, "--steps", 1, 10_000_000, int)
            result = script.export_command(config, args.out, steps, CliError)
        elif args.command == "course":
            result, status = cmd_course(args, CliError)
        elif args.command == "bench":
            result = bench_train_2d(seconds=_number(args.seconds, "--seconds", 0.1, 600))
        else:
            result = {
                name: {"title": p.title, "watch": p.watch, "overrides": p.overrides} for name, p in PRESETS.items()
            }
    except CliError as e:
        print(f"ganviz: error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(json_safe(result)))
    return status


if __name__ == "__main__":
    sys.exit(main())
