"""Training on resampled splits: the frozen-feature baseline against `cargame train`, paired.

One catalog split is few game photos (70 on stanford-cars-dev), so a gap of a few photos may be
the split's luck. This imports the same source once per split seed (`[catalog] seed`, through
`CARGAME_CATALOG_SEED`: the importer's stratified split and its near-duplicate rule, same-label
copies in one split) and on each split runs the baseline exactly as `bench_training.py` defines it
and `cargame train` with its defaults (and `--no-fine-tune` unless `--skip-frozen`). It prints a
Markdown table per split, the paired differences (pipeline minus baseline, game top-1) with their
mean and a 95 % paired-t interval over the splits, and the pooled correct counts.

Photos get the same ids whatever the seed (a digest of their bytes), and cached frozen features
depend on the photo, view, backbone and input size, not on the split: the `--no-fine-tune` runs
share one cache (`[paths] cache`), so only the first split pays for their backbone pass. The
default (fine-tuning) runs get an empty cache per split: after fine-tuning, the game split's
pooled features are computed by the fine-tuned top blocks and stored under the frozen
backbone's key, so a later split would train on them. Nothing is chosen here: the game split is
scored once per run, and the pipeline's defaults are its own.

    KERAS_HOME=../shared/keras nice -n 19 .venv/bin/python bench/bench_training_splits.py \
        [--source ../shared/data/stanford-cars-dev] [--seeds 42,1,2,3,4] [--out /tmp/cg-splits]

Each split's results are appended as one JSON line to `<out>/results.jsonl` as they come; a
second call with the same `--out` keeps those splits and runs only the seeds not there yet.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

from bench_training import SHARED, baseline, cargame, load, train_once

# Two-sided 95 % quantiles of Student's t for 1-15 degrees of freedom (then the normal's).
T_95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131)  # fmt: skip


def train(
    catalog_dir: Path, out: Path, name: str, arguments: list[str], cache: str
) -> dict[str, Any]:
    """`cargame train` on a cache shared by the splits; its evaluation, wall time and load."""
    env = {**os.environ, "CARGAME_PATHS_CACHE": str(out / cache)}
    load_before = load()
    wall, report = train_once(catalog_dir, out, name, arguments, env)
    game = report["splits"]["game"]
    tuned = report.get("head", {}).get("fine_tuning") or {}
    return {
        "game_top1": game["top1"],
        "game_correct": round(game["top1"] * game["count"]),
        "game_count": game["count"],
        "validation_top1": report["splits"]["validation"]["top1"],
        "training_seconds": report["training_seconds"],
        "wall": wall,
        "fine_tuning_kept": tuned.get("kept"),
        "load": f"{load_before} -> {load()}",
    }


def split_sizes(catalog_dir: Path) -> str:
    """Train / validation / game photo counts of an imported catalog."""
    from cargame.domain.catalog import Catalog

    catalog = Catalog.load(catalog_dir)
    return " / ".join(str(len(catalog.split(split))) for split in ("train", "validation", "game"))


def paired(differences: list[float]) -> str:
    """Mean of the paired differences (points) with its 95 % t interval over the splits."""
    mean = statistics.fmean(differences)
    if len(differences) < 2:
        return f"{mean:+.1f} points (one split: no interval)"
    quantile = T_95[len(differences) - 2] if len(differences) - 1 <= len(T_95) else 1.96
    half = quantile * statistics.stdev(differences) / math.sqrt(len(differences))
    return f"{mean:+.1f} points (95 % interval {mean - half:+.1f} to {mean + half:+.1f})"


def summary(results: list[dict[str, Any]], runs: list[str]) -> list[str]:
    """Paired differences against the baseline and pooled correct counts, one line per run."""
    lines = []
    pooled_base = sum(result["baseline"]["game_correct"] for result in results)
    total = sum(result["baseline"]["game_count"] for result in results)
    lines.append(f"- baseline: {pooled_base} / {total} correct ({pooled_base / total:.1%})")
    for run in runs:
        correct = sum(result[run]["game_correct"] for result in results)
        differences = [
            100 * (result[run]["game_top1"] - result["baseline"]["game_top1"]) for result in results
        ]
        wins = sum(difference > 0 for difference in differences)
        ties = sum(difference == 0 for difference in differences)
        lines.append(
            f"- {run}: {correct} / {total} correct ({correct / total:.1%}); minus baseline per "
            f"split {', '.join(f'{d:+.1f}' for d in differences)}; mean {paired(differences)}; "
            f"ahead on {wins}, tied on {ties}, behind on {len(results) - wins - ties} of "
            f"{len(results)} splits"
        )
    return lines


def table_row(result: dict[str, Any], runs: list[str]) -> str:
    """One Markdown table row of a split."""

    def score(entry: dict[str, Any]) -> str:
        return f"{entry['game_top1']:.1%} ({entry['game_correct']}/{entry['game_count']})"

    base = result["baseline"]
    scores = [f"{result[run]['validation_top1']:.1%}, {score(result[run])}" for run in runs]
    gaps = [f"{100 * (result[run]['game_top1'] - base['game_top1']):+.1f}" for run in runs]
    return (
        f"| {result['seed']} | {result['sizes']} | {score(base)} | {' | '.join(scores)} "
        f"| {' | '.join(gaps)} | {result['load']} |"
    )


def split_result(seed: str, args: argparse.Namespace, runs: dict[str, list[str]]) -> dict[str, Any]:
    """Import the source with this split seed, then the baseline and each `cargame train` run."""
    catalog_dir = args.out / f"catalog-{seed}"
    env = {**os.environ, "CARGAME_CATALOG_SEED": seed}
    cargame("data", "import", str(args.source), "--out", str(catalog_dir), env=env)
    load_before = load()
    base = baseline(catalog_dir, args.backbone)
    base["game_correct"] = round(base["game_top1"] * base["game_count"])
    result: dict[str, Any] = {"seed": seed, "sizes": split_sizes(catalog_dir), "baseline": base}
    for run, arguments in runs.items():
        frozen = "--no-fine-tune" in arguments
        name = f"seed-{seed}" + ("-frozen" if frozen else "")
        cache = "cache-frozen" if frozen else f"cache-{seed}"
        if not frozen:
            shutil.rmtree(args.out / cache, ignore_errors=True)  # a first run on this split
        result[run] = train(catalog_dir, args.out, name, arguments, cache)
    result["load"] = f"{load_before} -> {load()}"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=SHARED / "stanford-cars-dev", type=Path)
    parser.add_argument("--seeds", default="42,1,2,3,4,5,6,7,8,9", help="split seeds, commas")
    parser.add_argument("--backbone", default="mobilenet_v2")
    parser.add_argument("--skip-frozen", action="store_true", help="no `--no-fine-tune` runs")
    parser.add_argument("--out", default="/tmp/cg-splits", type=Path)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    runs = {"cargame train": ["--backbone", args.backbone]}
    if not args.skip_frozen:
        runs["cargame train --no-fine-tune"] = ["--backbone", args.backbone, "--no-fine-tune"]
    saved = args.out / "results.jsonl"
    done = [json.loads(line) for line in saved.read_text().splitlines()] if saved.exists() else []
    by_seed = {result["seed"]: result for result in done}
    results = []
    for seed in args.seeds.split(","):
        if seed not in by_seed:
            by_seed[seed] = split_result(seed, args, runs)
            with saved.open("a") as handle:
                handle.write(json.dumps(by_seed[seed]) + "\n")
        results.append(by_seed[seed])
        print(table_row(results[-1], list(runs)), file=sys.stderr, flush=True)
    header = (
        "| split seed | train / validation / game | baseline game top-1 | "
        + " | ".join(f"`{run}` validation, game top-1" for run in runs)
        + " | " + " | ".join(f"`{run}` minus baseline" for run in runs)
        + " | load before -> after |"
    )  # fmt: skip
    rows = [table_row(result, list(runs)) for result in results]
    separator = "|---" * (4 + 2 * len(runs)) + "|"
    print("\n".join([header, separator, *rows, "", *summary(results, list(runs))]))


if __name__ == "__main__":
    main()
