#!/usr/bin/env bash
# Start PeteOllama on a GPU pod: Ollama serves the models, `pete serve` answers the calls.
#
#   ./runpod_start.sh            (from the repository root, in a pod image that has `ollama`)
#
# What it does, in order: starts `ollama serve` on loopback, waits for it, pulls every base
# model that config/model_settings.json marks auto_preload, installs the project (make install,
# cached after the first run), then runs `pete serve` with PETE_BACKEND=ollama. `pete serve`
# preloads the auto_preload models itself with an explicit keep_alive, so they stay on the GPU.
set -euo pipefail
cd "$(dirname "$0")"

export OLLAMA_HOST="${OLLAMA_HOST:-127.0.0.1:11434}"     # Ollama stays private to the pod
export OLLAMA_KEEP_ALIVE="${OLLAMA_KEEP_ALIVE:--1}"       # never unload between calls
export OLLAMA_NUM_PARALLEL="${OLLAMA_NUM_PARALLEL:-8}"    # concurrent calls on one model
export PETE_BACKEND=ollama
export PETE_HOST="${PETE_HOST:-0.0.0.0}"                  # the pod's proxy reaches pete here
export PETE_PORT="${PETE_PORT:-8000}"
export PETE_DATA_DIR="${PETE_DATA_DIR:-/workspace/pete-data}"
LOG_DIR="${PETE_DATA_DIR}/logs"
mkdir -p "$LOG_DIR"

if ! command -v ollama >/dev/null; then
    echo "ollama is not installed in this image; install it when building the image" >&2
    exit 1
fi

if ! curl -fsS "http://${OLLAMA_HOST}/api/version" >/dev/null 2>&1; then
    echo ">> starting ollama serve (log: $LOG_DIR/ollama.log)"
    ollama serve >>"$LOG_DIR/ollama.log" 2>&1 &
    OLLAMA_PID=$!
    trap 'kill "$OLLAMA_PID" 2>/dev/null || true' EXIT
    for _ in $(seq 1 60); do
        curl -fsS "http://${OLLAMA_HOST}/api/version" >/dev/null 2>&1 && break
        sleep 1
    done
fi
curl -fsS "http://${OLLAMA_HOST}/api/version" >/dev/null || { echo "ollama did not start" >&2; exit 1; }

make install
for model in $(.venv/bin/python - <<'PY'
import json
settings = json.load(open("config/model_settings.json"))
print(" ".join(sorted({m["base_model"] for m in settings["models"].values() if m.get("auto_preload")})))
PY
); do
    echo ">> ollama pull $model"
    ollama pull "$model"
done

echo ">> pete serve on ${PETE_HOST}:${PETE_PORT} (backend: ollama at ${OLLAMA_HOST})"
.venv/bin/pete serve
