"""The benchmark suite behind ``scratchnet bench``: every workload, scratchnet beside PyTorch.

Workloads: ``mlp``, ``cnn`` and ``bncnn`` (epoch time, peak memory and accuracy; see
``training.py``) and ``ops`` (per-op overhead and backward scaling; see ``op_overhead.py`` and
``backward_scaling.py``). ``--extra`` adds the micro-benchmarks of conv layers, optimiser steps,
data loading and what Keras ``fit`` adds per step, the layer-by-layer profile of a ``bncnn``
step, and data-parallel training over MPI at 1 and 2 ranks (``data_parallel.py``). Results print
as tables and, with ``--json FILE``, are written as JSON.

Both frameworks run on the same number of threads (``--threads``, default: the cores this
process may use). After the training table comes a thread-scaling table (each workload's step
time at 1, 2, 4... threads up to the cores, both frameworks; ``--scaling 1,2`` picks the counts,
``--scaling none`` skips it), timed over ``--steps`` steps (200 when not given) after a warm-up.
``--contended`` adds two runs of each workload side by side (two processes at once), for each
framework, against one run alone.

    scratchnet bench                       # full epochs, median of 3 alternated runs
    scratchnet bench --steps 50            # quick: 50 steps per run after 10 warm-up, one run each
    scratchnet bench --workloads mlp --steps 300 --scaling none --contended
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

import backward_scaling  # noqa: E402
import conv_bench  # noqa: E402
import data_loading  # noqa: E402
import data_parallel  # noqa: E402
import fit_overhead  # noqa: E402
import op_overhead  # noqa: E402
import optimizer_step  # noqa: E402
import step_profile  # noqa: E402
import training  # noqa: E402

TRAINING_WORKLOADS = ("mlp", "cnn", "bncnn", "resnet")
SCALING_STEPS = 200
"""Steps timed per run in the scaling and contention tables when ``--steps`` is not given."""


def default_thread_counts() -> list[int]:
    """1, 2, 4, ... up to the cores this process may use, and that count itself."""
    cores = training.default_threads()
    counts = [1 << power for power in range(cores.bit_length()) if 1 << power < cores]
    return counts + [cores]


def scaling_counts(text: str) -> list[int]:
    """Parse ``--scaling``: ``none``, or comma-separated positive thread counts."""
    return [] if text == "none" else training.thread_counts(text)


class _OneLineErrors(argparse.ArgumentParser):
    """Argument errors in one line and exit status 2, as every ``scratchnet`` command."""

    def error(self, message: str) -> None:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def main(argv: list[str] | None = None) -> dict:
    """Run the chosen workloads; return ``{workload: results}``."""
    parser = _OneLineErrors(prog="scratchnet bench", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", default="mlp,cnn,bncnn,ops",
                        help="comma-separated: mlp, cnn, bncnn, resnet (ResNet-20, not in the default: "
                        "an epoch takes minutes), ops")
    parser.add_argument("--steps", type=training.positive, default=None,
                        help="time this many training steps per run, after the warm-up")
    parser.add_argument("--warmup", type=training.non_negative, default=10,
                        help="untimed steps before the timed ones (default 10)")
    parser.add_argument("--repeats", type=training.positive, default=None, help="alternated runs per "
                        "framework (default 3, or 1 with --steps)")
    parser.add_argument("--threads", type=training.positive, default=training.default_threads(),
                        help="threads of each framework (default: the cores this process may use)")
    parser.add_argument("--scaling", type=scaling_counts, default=None, metavar="COUNTS",
                        help="thread counts of the scaling table, e.g. 1,2 (default: 1, 2, 4... up to the "
                        "cores); none to skip it")
    parser.add_argument("--contended", action="store_true",
                        help="also two runs of each workload side by side against one alone")
    parser.add_argument("--extra", action="store_true",
                        help="also the conv, optimiser, data, fit and step-profile benchmarks")
    parser.add_argument("--json", default=None, help="write all results to this file")
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.steps else 3)
    chosen = args.workloads.split(",")
    unknown = set(chosen) - {*TRAINING_WORKLOADS, "ops"}
    if unknown:
        parser.error(f"unknown workloads {sorted(unknown)}; choose from {[*TRAINING_WORKLOADS, 'ops']}")
    results: dict = {}
    trained = [w for w in chosen if w in TRAINING_WORKLOADS]
    if trained:
        print("== training: median time, peak memory, mean test accuracy over the seeds ==", flush=True)
        common = ["--workloads", ",".join(trained), "--threads", str(args.threads),
                  "--warmup", str(args.warmup)]
        options = common + ["--repeats", str(repeats)] + (["--steps", str(args.steps)] if args.steps else [])
        results["training"] = training.main(options)
        counts = default_thread_counts() if args.scaling is None else args.scaling
        timed = common + ["--repeats", "0", "--steps", str(args.steps or SCALING_STEPS)]
        if counts:
            results["scaling"] = training.main(timed + ["--scaling", ",".join(map(str, counts))])["scaling"]
        if args.contended:
            results["contended"] = training.main(timed + ["--contended"])["contended"]
    if "ops" in chosen:
        print("\n== per-op overhead ==", flush=True)
        results["op_overhead"] = op_overhead.main(["--repeats", "5"] if args.steps else [])
        print("\n== backward time against graph size ==", flush=True)
        results["backward_scaling"] = backward_scaling.main([])
    if args.extra:
        for name, module in (("conv", conv_bench), ("optimizer_step", optimizer_step),
                             ("data_loading", data_loading), ("fit_overhead", fit_overhead),
                             ("step_profile", step_profile), ("data_parallel", data_parallel)):
            print(f"\n== {name} ==", flush=True)
            results[name] = module.main([])
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    return results


if __name__ == "__main__":
    main()
