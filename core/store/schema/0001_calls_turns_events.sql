-- Calls, their turns, and raw events (provider payloads, rejected requests).
CREATE TABLE calls (
    id TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    provider_call_id TEXT,
    from_number TEXT,
    to_number TEXT,
    direction TEXT,
    persona TEXT,
    status TEXT NOT NULL DEFAULT 'active',
    started_at TEXT NOT NULL,
    last_activity_at TEXT NOT NULL,
    ended_at TEXT,
    metadata TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE turns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uid TEXT NOT NULL UNIQUE,
    call_id TEXT NOT NULL REFERENCES calls(id),
    turn_index INTEGER NOT NULL,
    channel TEXT NOT NULL,
    persona TEXT NOT NULL,
    model TEXT NOT NULL,
    model_version TEXT,
    backend TEXT NOT NULL,
    user_text TEXT NOT NULL,
    reply_text TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ttft_ms REAL,
    first_byte_out_ms REAL,
    total_ms REAL NOT NULL,
    tokens INTEGER NOT NULL,
    interrupted INTEGER NOT NULL DEFAULT 0,
    finish_reason TEXT,
    error TEXT
);
CREATE INDEX turns_by_call ON turns(call_id, turn_index);
CREATE INDEX turns_by_model ON turns(model, started_at);
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id TEXT,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX events_by_call ON events(call_id, created_at);
