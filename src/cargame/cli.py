"""The `cargame` command. Model-service commands import TensorFlow only when they run."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from cargame.accounts.cli import add_users_parser
from cargame.config import Config, ConfigError, load_config
from cargame.domain.catalog import CatalogError
from cargame.domain.levels import Levels


def progress(message: str) -> None:
    """Progress lines go to stderr so stdout stays parseable."""
    print(message, file=sys.stderr, flush=True)


def _data_demo(args: argparse.Namespace, config: Config) -> int:
    from model_service.garage import build as garage

    out = Path(args.out) if args.out else config.path("catalog")
    catalog = garage.build_demo_catalog(
        out, seed=args.seed, per_class=args.per_class, progress=progress
    )
    print(f"demo garage: {len(catalog.images)} images, {len(catalog.labels)} models in {out}")
    return 0


def _data_import(args: argparse.Namespace, config: Config) -> int:
    from model_service.catalog import importers

    settings = config.section("catalog")
    catalog = importers.import_catalog(
        Path(args.source),
        Path(args.out),
        seed=settings["seed"],
        min_images_per_class=args.min_images or settings["min_images_per_class"],
        validation_fraction=settings["validation_fraction"],
        game_fraction=settings["game_fraction"],
        progress=progress,
    )
    report = catalog.report
    print(
        f"imported {len(catalog.images)} images in {len(catalog.labels)} classes into {args.out}; "
        f"skipped {len(report.get('skipped', []))} files, "
        f"dropped {len(report.get('dropped_classes', []))} classes (see catalog.json)"
    )
    return 0


def _data_references(args: argparse.Namespace, config: Config) -> int:
    from cargame.domain.catalog import Catalog
    from model_service.catalog import references

    catalog = Catalog.load(Path(args.catalog) if args.catalog else config.path("catalog"))
    catalog.references, catalog.report["references"] = references.choose_references(
        catalog, progress, args.min_side or references.MIN_SIDE
    )
    catalog.save()  # rewrites the manifest too, so running web apps reload the catalog
    print(references.summary(catalog.report["references"]))
    return 0


def _levels_of(args: argparse.Namespace, config: Config) -> Levels:
    """The `[levels]`, their servables named after `--name` when given."""
    if args.name:
        config = config.with_overrides({"model": {"name": args.name}})
    return Levels.from_config(config)


def _train(args: argparse.Namespace, config: Config) -> int:
    from cargame.domain.catalog import Catalog
    from model_service.training import models, train

    settings = config.section("train")
    backbone = args.backbone or settings["backbone"]
    if backbone not in (train.AUTO, models.SMALL_CNN):
        try:
            models.backbone_spec(backbone)
        except ValueError as error:  # before the catalog is read or anything is built
            raise ConfigError(str(error)) from error
    try:
        image_size = models.parse_image_size(args.image_size or settings["image_size"])
    except ValueError as error:
        raise ConfigError(str(error)) from error
    catalog = Catalog.load(Path(args.catalog) if args.catalog else config.path("catalog"))
    export_dir = train.train(
        catalog,
        Path(args.models) if args.models else config.path("models"),
        args.name or config.get("model", "name"),
        backbone=backbone,
        weights=args.weights or settings["weights"],
        epochs=args.epochs or settings["epochs"],
        batch_size=settings["batch_size"],
        seed=settings["seed"],
        patience=settings["patience"],
        progress=progress,
        opponent_levels=_levels_of(args, config).levels,
        fine_tune=settings["fine_tune"] if args.fine_tune is None else args.fine_tune,
        cache_dir=config.path("cache"),
        image_size=image_size,
        refit=settings["refit"] if args.refit is None else args.refit,
    )
    print(f"exported {export_dir} and its opponent levels")
    return 0


def _levels(args: argparse.Namespace, config: Config) -> int:
    from cargame.domain.catalog import Catalog
    from model_service.training import levels

    catalog = Catalog.load(Path(args.catalog) if args.catalog else config.path("catalog"))
    folders = levels.derive_from_export(
        catalog,
        Path(args.models) if args.models else config.path("models"),
        args.name or config.get("model", "name"),
        _levels_of(args, config).levels,
        batch_size=config.get("train", "batch_size"),
        progress=progress,
    )
    for folder in folders:
        print(f"exported {folder}")
    return 0


def _serve(args: argparse.Namespace, config: Config) -> int:
    """Run one local service on the port of its `[section] url`, bound to `host` or `--host`."""
    section = "serving" if args.service == "model" else "explainer"
    host, port = config.listen_address(section)
    settings = config.section(section)
    models_dir = Path(args.models) if args.models else config.path("models")
    if args.service == "model":
        from model_service.serving import server as serving

        serving.run_server(
            models_dir,
            host=args.host or host,
            port=port,
            max_body_bytes=settings["max_body_bytes"],
            max_image_pixels=settings["max_image_pixels"],
            poll_seconds=settings["poll_seconds"],
        )
    else:
        from model_service.explain import server as explainer

        explainer.run_server(
            models_dir,
            config.path("cache") / "explainer",
            host=args.host or host,
            port=port,
            max_body_bytes=settings["max_body_bytes"],
            max_image_pixels=settings["max_image_pixels"],
            cache_size_bytes=settings["cache_size_bytes"],
            # The same schedule as the model server, so both swap to a new version together.
            poll_seconds=config.get("serving", "poll_seconds"),
        )
    return 0


def _precompute(args: argparse.Namespace, config: Config) -> int:
    from cargame.domain.catalog import Catalog
    from model_service.explain import server as explainer

    catalog = Catalog.load(Path(args.catalog) if args.catalog else config.path("catalog"))
    models_dir = Path(args.models) if args.models else config.path("models")
    # Every level on offer: each is its own servable, explained with its own answers.
    servables = [level.servable for level in _levels_of(args, config).levels]
    exported = [name for name in servables if (models_dir / name).is_dir()]
    if not exported:
        raise FileNotFoundError(f"no exported model {' or '.join(servables)} in {models_dir}")
    for name in servables:
        if name not in exported:
            print(f"precompute: {name} is not exported in {models_dir}; skipped")
            continue
        count = explainer.precompute(
            catalog,
            models_dir,
            name,
            config.path("cache") / "explainer",
            cache_size_bytes=config.get("explainer", "cache_size_bytes"),
            progress=progress,
        )
        print(f"explanations of {name} cached for {count} game images")
    return 0


def _run(args: argparse.Namespace, config: Config) -> int:
    from cargame import runner

    return runner.run(config, progress)


def _web(args: argparse.Namespace, config: Config) -> int:
    from cargame.web import server as web

    web.serve(config)
    return 0


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--models", help="models folder (TF Serving layout); default [paths] models"
    )
    parser.add_argument("--name", help="model name; default [model] name")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cargame", description=__doc__)
    parser.add_argument("--profile", help="config profile in configs/ (default: CARGAME_PROFILE)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data = commands.add_parser("data", help="build or import an image catalog")
    data_commands = data.add_subparsers(dest="data_command", required=True, metavar="SOURCE")
    demo = data_commands.add_parser("demo", help="generate the offline demo garage")
    demo.add_argument("--out", help="catalog folder; default [paths] catalog")
    demo.add_argument("--seed", type=int, default=7, help="generator seed (default 7)")
    demo.add_argument("--per-class", type=int, default=100, help="photos per car model")
    demo.set_defaults(handler=_data_demo)
    imp = data_commands.add_parser(
        "import",
        help="import photos: <Make>/<Model>/*.jpg folders, Car Connection file names, or a CSV",
    )
    imp.add_argument("source", help="folder of photos, or a CSV file with path,make,model")
    imp.add_argument("--out", required=True, help="catalog folder to write")
    imp.add_argument("--min-images", type=int, help="drop classes with fewer images")
    imp.set_defaults(handler=_data_import)
    refs = data_commands.add_parser(
        "references",
        help="choose each model's showroom picture again (a sharp, typical training photo)",
    )
    refs.add_argument("--catalog", help="catalog folder; default [paths] catalog")
    refs.add_argument("--min-side", type=int, help="smallest longest side in px (default 320)")
    refs.set_defaults(handler=_data_references)

    train = commands.add_parser("train", help="train and export a model for TF Serving")
    train.add_argument("--catalog", help="catalog folder; default [paths] catalog")
    _add_model_options(train)
    train.add_argument(
        "--backbone",
        help="auto, small-cnn, mobilenet_v2 (alpha 0.35), mobilenet_v2_<alpha>, mobilenet_<alpha> "
        "(v1), efficientnet_b0, efficientnet_v2_b0",
    )
    train.add_argument("--weights", help="imagenet | none | PATH to the backbone's weights")
    train.add_argument(
        "--fine-tune",
        action=argparse.BooleanOptionalAction,
        help="after the head, fine-tune a pretrained backbone's top blocks and the head on cached "
        "maps, kept if validation improves (default [train] fine_tune)",
    )
    train.add_argument(
        "--refit",
        action=argparse.BooleanOptionalAction,
        help="then train what validation chose again on train + validation, a pretrained "
        "backbone's head (and fine-tuned top) for its best epochs (default [train] refit)",
    )
    train.add_argument("--epochs", type=int, help="maximum epochs (early stopping may end sooner)")
    train.add_argument(
        "--image-size",
        help="a pretrained backbone's input, HEIGHTxWIDTH or one side (default [train] image_size)",
    )
    train.set_defaults(handler=_train)

    levels = commands.add_parser(
        "levels", help="export the opponent levels ([levels]) of the newest trained model"
    )
    levels.add_argument("--catalog", help="catalog folder; default [paths] catalog")
    _add_model_options(levels)
    levels.set_defaults(handler=_levels)

    serve = commands.add_parser(
        "serve",
        help="run the local model server or the explainer on the port of [serving|explainer] url",
    )
    serve.add_argument("service", choices=["model", "explainer"])
    serve.add_argument("--host", help="address to bind; default [serving|explainer] host")
    serve.add_argument("--models", help="models folder; default [paths] models")
    serve.set_defaults(handler=_serve)

    pre = commands.add_parser(
        "precompute", help="warm the explainer cache for the game split, for every level"
    )
    pre.add_argument("--catalog", help="catalog folder; default [paths] catalog")
    _add_model_options(pre)
    pre.set_defaults(handler=_precompute)

    run = commands.add_parser(
        "run", help="first-run set-up, then the model server, explainer and web app (Ctrl-C stops)"
    )
    run.set_defaults(handler=_run)
    web = commands.add_parser("web", help="run only the web app (services must already run)")
    web.set_defaults(handler=_web)
    add_users_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = load_config(args.profile)
        handler: Callable[[argparse.Namespace, Config], int] = args.handler
        return handler(args, config)
    except ConfigError as error:
        parser.exit(2, f"cargame: configuration error: {error}\n")
    except (CatalogError, FileNotFoundError) as error:
        parser.exit(2, f"cargame: {error}\n")
    except SQLAlchemyError as error:
        # e.g. `users list` with the database down: one line, not a traceback.
        reason = getattr(error, "orig", None) or error
        parser.exit(2, f"cargame: database error: {reason}\n")
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
