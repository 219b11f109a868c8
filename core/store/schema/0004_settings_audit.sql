-- Every change to the model settings (admin pages, API or a hand edit of the file): when,
-- which field (a JSON pointer into model_settings.json), old -> new (JSON; NULL when the
-- field did not exist before or was removed).
CREATE TABLE settings_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    changed_at TEXT NOT NULL,
    source TEXT NOT NULL,
    actor TEXT,
    path TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT
);
CREATE INDEX settings_audit_by_time ON settings_audit(changed_at);
