"""Training: the frozen-feature baseline and `cargame train`, side by side on the same catalogs.

The baseline is the simplest thing that works: frozen MobileNetV2 features (global average pool)
of each training photo and its mirror image, one softmax layer (Adam, 100 epochs, no validation,
no caching), game-split top-1; timed all-in, feature extraction included. The pipeline is
`cargame train` in a subprocess: frozen (`--no-fine-tune`) once with an empty feature cache (a
first run) and once with the cache filled (a re-run), then `--fine-tune` (top blocks trained on
cached maps) with a cache of its own, empty; each timed from the command to the exported version
(TensorFlow start-up, levels and export included); its scores come from the export's
evaluation.json.

    KERAS_HOME=../shared/keras .venv/bin/python bench/bench_training.py \
        [--catalog NAME=SOURCE ...] [--demo] [--backbone mobilenet_v2] [--out /tmp/cg-bench]

Catalogs are imported first (not timed) with the default splits. `--demo` adds the demo garage:
its build (timed: part of a first run) and `cargame train` with two seeds; `--demo-only` runs
that alone.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CARGAME = str(ROOT / ".venv" / "bin" / "cargame")
SHARED = ROOT.parent / "shared" / "data"
DEFAULT_CATALOGS = (
    f"stanford-cars-dev={SHARED / 'stanford-cars-dev'}",
    f"stanford-cars-60={SHARED / 'stanford-cars-60'}",
)
BASELINE_EPOCHS = 100
DEMO_SEEDS = ("42", "7")  # the default seed and one more: a first run elsewhere must hold up too


def load() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def cargame(*arguments: str, env: dict[str, str]) -> float:
    """Run one cargame command; its wall time in seconds (raises when it fails)."""
    started = time.monotonic()
    subprocess.run([CARGAME, *arguments], check=True, env=env, capture_output=True)
    return time.monotonic() - started


def baseline(catalog_dir: Path, backbone: str) -> dict[str, Any]:
    """Frozen features of photo + mirror, one softmax layer; game top-1 and seconds all-in."""
    import keras
    import numpy as np
    import tensorflow as tf

    from cargame.domain.catalog import Catalog
    from model_service.training import data, models
    from model_service.training.preprocess import load_image

    started = time.monotonic()
    catalog = Catalog.load(catalog_dir)
    # The baseline stays what it was measured as: the square input of the ImageNet weights.
    built = models.build_model(
        backbone, len(catalog.labels), weights="imagenet", image_size=models.MOBILENET_SIZE
    )
    extractor = models.feature_model(built.model)

    def features(split: str, mirror: bool) -> tuple[np.ndarray, np.ndarray]:
        items = catalog.split(split)
        paths = [str(catalog.path(item)) for item in items]
        dataset = tf.data.Dataset.from_tensor_slices(paths).map(
            lambda path: load_image(path, built.image_size)
        )
        rows = [extractor.predict(dataset.batch(32), verbose=0)]
        if mirror:
            flipped = dataset.map(tf.image.flip_left_right).batch(32)
            rows.append(extractor.predict(flipped, verbose=0))
        labels = np.array(data.label_indices(items, catalog.labels))
        return np.concatenate(rows), np.tile(labels, len(rows))

    train_rows, train_labels = features("train", mirror=True)
    game_rows, game_labels = features("game", mirror=False)
    keras.utils.set_random_seed(42)
    inputs = keras.Input((train_rows.shape[1],))
    head = keras.Model(inputs, keras.layers.Dense(len(catalog.labels), "softmax")(inputs))
    head.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    head.fit(train_rows, train_labels, epochs=BASELINE_EPOCHS, batch_size=32, verbose=0)
    predicted = head.predict(game_rows, verbose=0).argmax(axis=1)
    return {
        "seconds": time.monotonic() - started,
        "game_top1": float(np.mean(predicted == game_labels)),
        "game_count": len(game_labels),
    }


def pipeline(
    catalog_dir: Path, out: Path, name: str, arguments: list[str], rerun: bool = True
) -> list[dict[str, Any]]:
    """`cargame train` with an empty feature cache, then (`rerun`) again with it filled."""
    env = {**os.environ, "CARGAME_PATHS_CACHE": str(out / f"cache-{name}")}
    shutil.rmtree(out / f"cache-{name}", ignore_errors=True)
    results = []
    runs = ("first run (empty cache)", "re-run (cache filled)")
    for run in runs if rerun else runs[:1]:
        load_before = load()
        wall, report = train_once(catalog_dir, out, name, arguments, env)
        results.append({"run": run, "wall": wall, "load": f"{load_before} -> {load()}", **report})
    return results


def train_once(
    catalog_dir: Path, out: Path, name: str, arguments: list[str], env: dict[str, str]
) -> tuple[float, dict[str, Any]]:
    """One `cargame train` into `out`/models: its wall time and the new export's evaluation."""
    wall = cargame(
        "train", "--catalog", str(catalog_dir), "--models", str(out / "models"),
        "--name", name, *arguments, env=env,
    )  # fmt: skip
    versions = sorted((out / "models" / name).iterdir(), key=lambda path: int(path.name))
    return wall, json.loads((versions[-1] / "evaluation.json").read_text())


def row(catalog: str, what: str, result: dict[str, Any]) -> str:
    """One Markdown table row of a pipeline run."""
    splits = result["splits"]
    head = result.get("head", {}).get("chosen")
    shape = "small CNN" if not head else ("linear" if not head["hidden"] else "hidden")
    chosen = f"{shape}, L2 {head['l2']:g}, dropout {head['dropout']:g}" if head else shape
    tuned = result.get("head", {}).get("fine_tuning")
    if tuned:
        kept = "kept" if tuned["kept"] else "not kept: frozen weights exported"
        chosen += (
            f"; top blocks from {tuned['cut_layer']}: validation "
            f"{tuned['validation_top1_before']:.1%} -> {tuned['validation_top1_after']:.1%}, "
            f"{tuned['epochs']} epochs (best {tuned['best_epoch']}), {tuned['seconds']:.0f} s, "
            f"{kept}"
        )
    refit = result.get("head", {}).get("refit")
    if refit:
        top = f" and top blocks {refit['fine_tune_epochs']}" if refit["fine_tune_epochs"] else ""
        chosen += (
            f"; refit on train + validation ({refit['photos']} photos): head "
            f"{refit['head_epochs']} epochs{top}, {refit['seconds']:.0f} s"
        )
    size = "x".join(map(str, result.get("image_size", [])))

    def share(split: str, key: str) -> str:
        low, high = splits[split].get(f"{key}_interval") or (0.0, 1.0)
        return f"{splits[split][key]:.1%} ({low:.0%}-{high:.0%})"

    return (
        f"| {catalog} | {what} | {result['backbone']} {size}, {chosen} "
        f"| {result['training_seconds']:.0f} s | {result['wall']:.0f} s "
        f"| {share('validation', 'top1')} | {share('game', 'top1')} "
        f"| {share('game', 'top5')} | {share('game', 'make_top1')} | {result['load']} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", action="append", help="NAME=SOURCE folder to import")
    parser.add_argument("--demo", action="store_true", help="also the demo garage (small CNN)")
    parser.add_argument("--demo-only", action="store_true", help="the demo garage alone")
    parser.add_argument("--backbone", default="mobilenet_v2")
    parser.add_argument(
        "--rerun-fine-tune",
        action="store_true",
        help="also the fine-tuned run with its cache filled",
    )
    parser.add_argument("--out", default="/tmp/cg-bench", type=Path)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    lines = [
        "| catalog | run | backbone, head | training | wall clock | validation top-1 "
        "| game top-1 | game top-5 | game make | load before -> after |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for spec in [] if args.demo_only else args.catalog or DEFAULT_CATALOGS:
        name, source = spec.split("=", 1)
        catalog_dir = args.out / name
        cargame("data", "import", source, "--out", str(catalog_dir), env=env)
        load_before = load()
        result = baseline(catalog_dir, args.backbone)
        print(f"{name} baseline: {result}", file=sys.stderr, flush=True)
        lines.append(
            f"| {name} | baseline: frozen features + softmax | {args.backbone} 224x224, linear "
            f"| {result['seconds']:.0f} s all-in | | | {result['game_top1']:.1%} | | "
            f"| {load_before} -> {load()} |"
        )
        backbone = ["--backbone", args.backbone]
        for run in pipeline(catalog_dir, args.out, name, [*backbone, "--no-fine-tune"]):
            lines.append(row(name, f"`cargame train`, frozen, {run['run']}", run))
            print(lines[-1], file=sys.stderr, flush=True)
        tuned_name = f"{name}-fine-tune"
        for run in pipeline(
            catalog_dir,
            args.out,
            tuned_name,
            [*backbone, "--fine-tune"],
            rerun=args.rerun_fine_tune,
        ):
            lines.append(row(name, f"`cargame train --fine-tune`, {run['run']}", run))
            print(lines[-1], file=sys.stderr, flush=True)
    if args.demo or args.demo_only:
        catalog_dir = args.out / "demo"
        shutil.rmtree(catalog_dir, ignore_errors=True)  # the build is part of a first run
        load_before = load()
        seconds = cargame("data", "demo", "--out", str(catalog_dir), env=env)
        lines.append(
            f"| demo garage | `cargame data demo` (draws the 1,200 photos) | | | {seconds:.0f} s "
            f"| | | | | {load_before} -> {load()} |"
        )
        for seed in DEMO_SEEDS:
            # pipeline() passes this process's environment on to `cargame train`.
            os.environ["CARGAME_TRAIN_SEED"] = seed
            for run in pipeline(catalog_dir, args.out, f"demo-{seed}", [], rerun=False):
                lines.append(row("demo garage", f"`cargame train`, first run, seed {seed}", run))
            print(lines[-1], file=sys.stderr, flush=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
