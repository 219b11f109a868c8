-- Reply quality: checks and the Jamie score of every turn, corrections, and the conversation
-- corpus (demo, imported and logged threads) that scoring and training draw on.
CREATE TABLE turn_scores (
    turn_uid TEXT PRIMARY KEY,
    passed INTEGER NOT NULL,
    jamie_score REAL NOT NULL,
    violations TEXT NOT NULL DEFAULT '[]',
    soft_scores TEXT NOT NULL DEFAULT '{}',
    similarity REAL,
    scored_at TEXT NOT NULL
);
CREATE TABLE scoring_backlog (
    turn_uid TEXT PRIMARY KEY,
    payload TEXT NOT NULL,
    queued_at TEXT NOT NULL
);
CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    category TEXT NOT NULL,
    split TEXT NOT NULL DEFAULT 'train',
    caller_key TEXT,
    started_at TEXT,
    metadata TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX conversations_by_category ON conversations(category, split);
CREATE TABLE exchanges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    tenant_text TEXT NOT NULL,
    jamie_text TEXT NOT NULL,
    UNIQUE (conversation_id, position)
);
CREATE TABLE training_examples (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    source_turn_uid TEXT,
    tenant_text TEXT NOT NULL,
    bad_reply TEXT,
    good_reply TEXT NOT NULL,
    errors TEXT NOT NULL DEFAULT '[]',
    category TEXT,
    created_at TEXT NOT NULL
);
