-- SPDX-License-Identifier: MIT
-- Additive columns: the server's bookkeeping (message_count, end_reason) and the idempotency
-- key and order of messages (message_id, seq). Existing rows are backfilled so the doctor's
-- data checks hold on an adopted database from the start.

ALTER TABLE conversation_sessions ADD COLUMN message_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversation_sessions ADD COLUMN end_reason TEXT
    CONSTRAINT conversation_sessions_end_reason_check
    CHECK (end_reason IN ('client_closed', 'timeout', 'server_shutdown', 'recovered'));

ALTER TABLE conversation_messages ADD COLUMN message_id TEXT;
ALTER TABLE conversation_messages ADD COLUMN seq INTEGER;

UPDATE conversation_messages SET seq = numbered.seq
FROM (SELECT id, row_number() OVER (PARTITION BY session_id ORDER BY created_at, id) AS seq
      FROM conversation_messages) AS numbered
WHERE conversation_messages.id = numbered.id AND conversation_messages.seq IS NULL;

UPDATE conversation_sessions SET message_count = counted.n
FROM (SELECT session_id, count(*) AS n FROM conversation_messages GROUP BY session_id) AS counted
WHERE conversation_sessions.session_id = counted.session_id;

CREATE UNIQUE INDEX IF NOT EXISTS conversation_messages_message_id_key ON conversation_messages (message_id);
CREATE INDEX IF NOT EXISTS conversation_messages_session_seq_idx ON conversation_messages (session_id, seq);
CREATE INDEX IF NOT EXISTS conversation_sessions_started_at_idx ON conversation_sessions (started_at, id);
CREATE INDEX IF NOT EXISTS conversation_sessions_user_started_idx ON conversation_sessions (user_id, started_at);
CREATE INDEX IF NOT EXISTS conversation_sessions_active_idx ON conversation_sessions (started_at) WHERE is_active = 1;
