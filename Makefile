# Two commands set up a fresh machine:  make run  and  make test  (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DB := data/docintake.db
INBOX := inbox
PORT ?= 8001
export OMP_THREAD_LIMIT := 1

.PHONY: run test setup setup-test system-deps system-deps-test demo-inbox ingest serve bench bench-quick clean help

help:
	@echo "make run   - install what is missing, ingest the sample scans, serve the review UI on 127.0.0.1:$(PORT)"
	@echo "make test  - install what is missing, then run the test suite"
	@echo "make bench - run the benchmarks (slow) and update BENCHMARKS.md"

system-deps:
	@bash scripts/system-deps.sh run

system-deps-test:
	@bash scripts/system-deps.sh test

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[test]'
	@touch $(STAMP)

setup: system-deps $(STAMP)

setup-test: system-deps-test $(STAMP)

# First run only: generated demo submissions (with ground truth) plus the real public sample scans.
demo-inbox: setup
	@if [ ! -e data/.demo-seeded ]; then \
	  mkdir -p $(INBOX) data; \
	  $(VENV)/bin/docintake demo $(INBOX) --seed 1 --count 6; \
	  if [ -d ../shared/samples/invoices ]; then mkdir -p "$(INBOX)/公开样例-发票" && cp ../shared/samples/invoices/*.{jpg,png} "$(INBOX)/公开样例-发票/" 2>/dev/null || true; fi; \
	  touch data/.demo-seeded; \
	fi

ingest: demo-inbox
	$(VENV)/bin/docintake ingest $(INBOX) --db $(DB)

serve: setup
	@printf "%s\n" demo-review | $(VENV)/bin/docintake users add demo --role reviewer --password-stdin --display-name 演示审核员 --db $(DB) --if-missing
	@# The server starts in the background so that, once it answers, the address of the queue and
	@# the demo sign-in are the last lines on the screen (not buried under the server's start-up log).
	@$(VENV)/bin/docintake review --db $(DB) --host 127.0.0.1 --port $(PORT) & pid=$$!; \
	trap 'kill $$pid 2>/dev/null; wait $$pid; exit 0' INT TERM; \
	for i in $$(seq 1 150); do \
	  if ! kill -0 $$pid 2>/dev/null; then wait $$pid; exit $$?; fi; \
	  (exec 3<>/dev/tcp/127.0.0.1/$(PORT)) 2>/dev/null && break; sleep 0.2; \
	done; \
	printf '\n  审核队列 (review queue):  http://127.0.0.1:$(PORT)/-/review\n  演示账号 (demo sign-in):  demo / demo-review\n  按 Ctrl+C 停止 (stop).\n\n'; \
	wait $$pid

run: ingest serve

test: setup-test
	$(PY) -m pytest -q -p no:cacheprovider; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

bench: setup
	$(PY) bench/pipeline_speed.py
	$(PY) bench/accuracy.py --count 200 --engine rapidocr --out bench/results/accuracy-rapidocr.md
	$(PY) bench/accuracy.py --count 200 --engine tesseract --out bench/results/accuracy-tesseract.md
	$(PY) bench/seals.py
	$(PY) bench/real_samples.py
	$(PY) bench/decisions.py
	$(PY) bench/load.py --clients 20 --seconds 30
	$(PY) bench/scale.py --submissions 10000 --pages 10
	$(PY) bench/collect.py

clean:
	rm -rf data $(INBOX) tests/artifacts
