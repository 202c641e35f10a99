# Developer shortcuts; the README's two commands are scripts/run and scripts/test.
.PHONY: run test lint format bench

run:
	scripts/run

test:
	scripts/test

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format:
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

bench:
	.venv/bin/python bench/bench_model_service.py
	.venv/bin/python bench/bench_rounds.py
	.venv/bin/python bench/bench_pages.py
