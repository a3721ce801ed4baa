.PHONY: run test lint bench
run:
	bash scripts/run
test:
	bash scripts/test
lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy && .venv/bin/lint-imports
bench:
	.venv/bin/python bench/relay.py
	.venv/bin/python bench/leads.py
	.venv/bin/python bench/storm.py
