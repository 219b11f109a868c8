-- Training: imported source rows (so an import never adds the same call twice), datasets (a
-- named, reproducible selection with a content hash, its scrubbed items), model specs created on
-- a backend, semantic versions with their eval results, promotions and rollbacks, and replays
-- of logged calls against a candidate model.
CREATE TABLE import_rows (
    fingerprint TEXT PRIMARY KEY,        -- sha256 of the call's content (an upload's call is
                                         -- the same in CSV, JSON or JSONL)
    source TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    imported_at TEXT NOT NULL
);
CREATE TABLE datasets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    filters TEXT NOT NULL,               -- JSON, as given
    conversations INTEGER NOT NULL,
    exchanges INTEGER NOT NULL,
    corrections INTEGER NOT NULL,
    categories TEXT NOT NULL,            -- JSON {category: items}
    created_at TEXT NOT NULL,
    UNIQUE (name, content_hash)
);
CREATE TABLE dataset_items (
    dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,                  -- exchange | correction | replay_correction
    ref TEXT NOT NULL,                   -- conversation_id#position, or training_examples id
    category TEXT NOT NULL,
    tenant_text TEXT NOT NULL,           -- PII scrubbed
    jamie_text TEXT NOT NULL,            -- PII scrubbed
    quality REAL NOT NULL,               -- Jamie score of the reply without similarity, 0..100
    passed INTEGER NOT NULL,
    PRIMARY KEY (dataset_id, position)
);
-- What exists (or existed) on a backend under a name; the embedded backend registers these
-- specs at start-up and on every settings change, since it keeps nothing itself.
CREATE TABLE model_specs (
    model_name TEXT PRIMARY KEY,
    version_key TEXT NOT NULL UNIQUE,
    spec TEXT NOT NULL,                  -- JSON ModelSpec
    created_at TEXT NOT NULL
);
CREATE TABLE model_versions (
    version TEXT PRIMARY KEY,            -- "0.10.0"; ordered by (major, minor, patch)
    major INTEGER NOT NULL,
    minor INTEGER NOT NULL,
    patch INTEGER NOT NULL,
    model_name TEXT NOT NULL UNIQUE REFERENCES model_specs(model_name),
    version_key TEXT NOT NULL UNIQUE,
    dataset_id INTEGER REFERENCES datasets(id),
    dataset_hash TEXT NOT NULL,
    bump TEXT NOT NULL,                  -- first | patch | minor | major
    reason TEXT NOT NULL,
    eval TEXT,                           -- JSON EvalReport, NULL when not evaluated
    backend TEXT NOT NULL,
    modelfile TEXT NOT NULL,             -- human-readable export, for the record
    created_at TEXT NOT NULL
);
CREATE INDEX model_versions_by_order ON model_versions(major, minor, patch);
CREATE TABLE model_promotions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    action TEXT NOT NULL,                -- promote | rollback
    model_name TEXT NOT NULL,            -- the new default
    version TEXT,                        -- its version (NULL for a base model)
    previous_model TEXT NOT NULL,        -- the default it replaced
    forced INTEGER NOT NULL DEFAULT 0,   -- promoted although the eval gate said no
    source TEXT NOT NULL,                -- cli | admin
    created_at TEXT NOT NULL
);
CREATE TABLE replay_runs (
    id TEXT PRIMARY KEY,
    model_name TEXT NOT NULL,
    version TEXT,
    selection TEXT NOT NULL,
    status TEXT NOT NULL,                -- running | finished | interrupted | failed
    calls INTEGER NOT NULL DEFAULT 0,
    turns INTEGER NOT NULL DEFAULT 0,
    summary TEXT NOT NULL DEFAULT '{}',
    started_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE TABLE replay_results (
    run_id TEXT NOT NULL REFERENCES replay_runs(id) ON DELETE CASCADE,
    call_id TEXT NOT NULL,
    turn_index INTEGER NOT NULL,
    tenant_text TEXT NOT NULL,
    original_turn_uid TEXT NOT NULL,
    original_model TEXT NOT NULL,
    original_reply TEXT NOT NULL,
    original_passed INTEGER NOT NULL,
    original_score REAL NOT NULL,
    original_violations TEXT NOT NULL,
    candidate_turn_uid TEXT,
    candidate_reply TEXT NOT NULL,
    candidate_passed INTEGER NOT NULL,
    candidate_score REAL NOT NULL,
    candidate_violations TEXT NOT NULL,
    candidate_ttft_ms REAL,
    error TEXT,
    PRIMARY KEY (run_id, call_id, turn_index)
);
