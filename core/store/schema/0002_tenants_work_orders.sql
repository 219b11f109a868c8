-- Tenants and their maintenance work orders (the tools' tables), and what VAPI reports after a
-- call (transcript, summary, recording, cost, why it ended) on the call's own record.
CREATE TABLE tenants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    phone TEXT NOT NULL UNIQUE,          -- E.164, as the caller ID arrives
    phone_key TEXT NOT NULL,             -- last ten digits, what lookups match on
    unit TEXT NOT NULL,
    property TEXT NOT NULL,
    email TEXT,
    is_demo INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX tenants_by_phone_key ON tenants(phone_key);
CREATE INDEX tenants_by_unit ON tenants(unit);
CREATE TABLE work_orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket TEXT NOT NULL UNIQUE,         -- six digits, read back to the caller digit by digit
    call_id TEXT,
    tenant_id INTEGER REFERENCES tenants(id),
    unit TEXT NOT NULL,
    category TEXT NOT NULL,
    description TEXT NOT NULL,
    urgency TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    source TEXT NOT NULL,                -- vapi_webhook, model, ...
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX work_orders_by_call ON work_orders(call_id);
CREATE INDEX work_orders_by_tenant ON work_orders(tenant_id, created_at);
ALTER TABLE calls ADD COLUMN ended_reason TEXT;
ALTER TABLE calls ADD COLUMN transcript TEXT;
ALTER TABLE calls ADD COLUMN summary TEXT;
ALTER TABLE calls ADD COLUMN recording_url TEXT;
ALTER TABLE calls ADD COLUMN cost REAL;
