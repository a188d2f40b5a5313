"""A worker process training copies of runs in rounds: exactly the rounds asked for, each run as it trains alone,
idle in between, and gone when nobody asks for more."""

import os
import sys
import time
from pathlib import Path

import pytest
import torch

from ganviz.config import image_config
from ganviz.data import mnist
from ganviz.data.images import clear_image_cache
from ganviz.training.trainer import Trainer
from ganviz.training.worker import Worker, worker_trainer
from support.runs import small

HAS_PROC = Path("/proc/self/stat").exists()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_an_unwatched_worker_trains_its_round_then_stops_and_hands_back_its_state():
    worker = Worker([Trainer(small())], idle_s=0.5)
    worker.request_round(20, view={"with_metrics": False})
    (frame,) = worker.next_frames(timeout=60)
    assert frame.iteration == 20 and frame.snapshot.iteration == 20 and len(frame.rows) == 20
    # nothing to train and no message for longer than idle_s (a closed tab): it stops by itself
    worker.process.join(timeout=60)
    assert worker.process.exitcode == 0
    rest = worker.stop()
    assert len(rest) == 1 and rest[-1][0].final and rest[-1][0].state["counters"][0] == 20


@pytest.mark.slow  # waits out the worker's final send: about 11 s
def test_a_worker_whose_parent_stopped_reading_exits_all_the_same():
    # a closed tab: frames (and the final state) fill the pipe and nobody reads them
    worker = Worker([Trainer(small())], idle_s=0.5)
    for _ in range(8):
        worker.request_round(2, view={"with_metrics": False})
    worker.process.join(timeout=60)
    assert worker.process.exitcode == 0


def test_between_rounds_a_worker_waits_without_training_or_using_the_cpu():
    worker = Worker([Trainer(small())], idle_s=60)
    worker.request_round(20)
    (first,) = worker.next_frames(timeout=60)  # its only round is done: from here it can only wait for messages
    used = cpu_seconds(worker.process.pid) if HAS_PROC else None
    time.sleep(0.5)  # time it could use to train on, were it to train without being asked
    if HAS_PROC:  # (Linux) an idle wait costs microseconds; a busy loop would take the whole 0.5 s of a free core
        assert cpu_seconds(worker.process.pid) - used < 0.1
    worker.request_round(5)
    (second,) = worker.next_frames(timeout=60)
    assert (first.iteration, second.iteration, len(second.rows), second.trained) == (20, 25, 5, 5)
    worker.stop()


def test_a_worker_with_several_runs_trains_each_as_alone():
    configs = [small(), small(loss="hinge", d_steps=2)]
    worker = Worker([Trainer(c) for c in configs])
    worker.request_round(60)
    worker.request_round(15)
    first, second = worker.next_frames(timeout=60), worker.next_frames(timeout=60)
    assert [f.iteration for f in first] == [60, 60] and [f.iteration for f in second] == [75, 75]
    assert [len(f.rows) for f in second] == [15, 15] and all(f.snapshot is None for f in first + second)
    worker.stop()
    for config, frame in zip(configs, second):
        alone = Trainer(config)
        alone.step(75)
        assert frame.state["counters"] == alone.get_state()["counters"]
        for key in ("G", "D"):
            assert all(torch.equal(a, b) for a, b in zip(frame.state[key].values(), alone.get_state()[key].values()))


def test_an_image_worker_uses_the_files_the_page_has_and_never_downloads(monkeypatch, tmp_path):
    def no_network(*args, **kwargs):
        raise AssertionError("a worker must not download")

    monkeypatch.setattr(mnist, "urlopen", no_network)
    monkeypatch.setenv("GANVIZ_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("GANVIZ_MNIST_DIR", raising=False)
    clear_image_cache()
    trainer = worker_trainer(image_config("mnist", batch_size=16), None)  # nothing cached: the page's fallback
    assert trainer.domain.image_data.name == "digits" and trainer.domain.notice
    clear_image_cache()


def test_a_worker_never_runs_the_parents_main_script_again(monkeypatch, tmp_path):
    # Under Streamlit, __main__ is the page script being run; in a plain script, the script itself. Python's
    # multiprocessing would run it again in each child; a worker must not (it needs nothing from it).
    marker = tmp_path / "ran"
    script = tmp_path / "page.py"
    script.write_text(f"open({str(marker)!r}, 'w').write('the script ran in the worker')\n")
    main = type(sys)("__main__")
    main.__file__, main.__spec__ = str(script), None
    monkeypatch.setitem(sys.modules, "__main__", main)
    worker = Worker([Trainer(small())])
    worker.request_round(2)
    (frame,) = worker.next_frames(timeout=60)
    worker.stop()
    assert frame.iteration == 2 and not marker.exists()
    assert sys.modules["__main__"] is main  # the parent's own __main__ is back
