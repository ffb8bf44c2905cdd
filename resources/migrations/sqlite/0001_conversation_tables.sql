-- SPDX-License-Identifier: MIT
-- The conversation tables in the shape the tracking servers of the field use (sessions keyed
-- by session_id), with the same constraints, under the same names, as on PostgreSQL:
--   conversation_messages_role_check       a role outside user/agent/system ("assistant")
--   conversation_messages_session_id_fkey  a message written before (or without) its session
--   NOT NULL session_id                    a row without its session
-- Timestamps are ISO 8601 text in UTC with milliseconds (2025-10-18T09:30:00.000Z); booleans
-- are 0/1; metadata is a JSON object as text.

CREATE TABLE IF NOT EXISTS conversation_sessions (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    session_start TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    session_end TEXT,
    ended_at TEXT,
    duration_seconds REAL,
    is_active INTEGER NOT NULL DEFAULT 1 CONSTRAINT conversation_sessions_is_active_check CHECK (is_active IN (0, 1)),
    metadata TEXT NOT NULL DEFAULT '{}'
        CONSTRAINT conversation_sessions_metadata_check CHECK (json_valid(metadata) AND json_type(metadata) = 'object'),
    CONSTRAINT conversation_sessions_session_id_key UNIQUE (session_id)
);

CREATE TABLE IF NOT EXISTS conversation_messages (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL,
    user_id TEXT,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    audio_url TEXT,
    metadata TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT conversation_messages_role_check CHECK (role IN ('user', 'agent', 'system')),
    CONSTRAINT conversation_messages_session_id_fkey FOREIGN KEY (session_id)
        REFERENCES conversation_sessions (session_id) ON DELETE CASCADE
);

CREATE INDEX IF NOT EXISTS conversation_messages_session_created_idx
    ON conversation_messages (session_id, created_at);
