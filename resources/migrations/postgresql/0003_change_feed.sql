-- SPDX-License-Identifier: MIT
-- The change feed: after every statement that inserted or updated rows of the conversation
-- tables, one notification on the channel voxtrack_changes, whatever the number of rows (NOTIFY
-- is serialised server-wide, so one per row would throttle the writer). Statement-level triggers
-- with transition tables fire for INSERT, multi-row INSERT, INSERT ... ON CONFLICT and COPY FROM.
-- The payload is compact JSON:
--   {"t":"sessions","op":"insert","min":41,"max":52,"n":12}
-- t is sessions or messages, op insert or update, min and max the lowest and highest id the
-- statement touched and n how many rows it touched. A statement that touched no row (an
-- INSERT ... ON CONFLICT DO NOTHING whose rows all existed) sends nothing. Where id is not an
-- integer (a first-shape database upgraded in place keeps its uuid ids), min and max are null.
-- Notifications are delivered at commit, and only if the transaction commits.

CREATE OR REPLACE FUNCTION voxtrack_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    row_count bigint;
    first_id bigint;
    last_id bigint;
    integral_ids boolean;
BEGIN
    SELECT a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype) INTO integral_ids
    FROM pg_catalog.pg_attribute a
    WHERE a.attrelid = TG_RELID AND a.attname = 'id' AND NOT a.attisdropped;
    IF integral_ids THEN
        SELECT count(*), min(id), max(id) INTO row_count, first_id, last_id FROM voxtrack_changed_rows;
    ELSE
        SELECT count(*) INTO row_count FROM voxtrack_changed_rows;
    END IF;
    IF row_count > 0 THEN
        PERFORM pg_catalog.pg_notify('voxtrack_changes',
            format('{"t":"%s","op":"%s","min":%s,"max":%s,"n":%s}',
                CASE TG_TABLE_NAME WHEN 'conversation_sessions' THEN 'sessions' ELSE 'messages' END,
                lower(TG_OP), coalesce(first_id::text, 'null'), coalesce(last_id::text, 'null'), row_count));
    END IF;
    RETURN NULL;
END
$$;

-- A trigger with a transition table serves one event only, hence one trigger per table and event.
DROP TRIGGER IF EXISTS voxtrack_sessions_inserted ON conversation_sessions;
CREATE TRIGGER voxtrack_sessions_inserted AFTER INSERT ON conversation_sessions
    REFERENCING NEW TABLE AS voxtrack_changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION voxtrack_notify_change();
DROP TRIGGER IF EXISTS voxtrack_sessions_updated ON conversation_sessions;
CREATE TRIGGER voxtrack_sessions_updated AFTER UPDATE ON conversation_sessions
    REFERENCING NEW TABLE AS voxtrack_changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION voxtrack_notify_change();
DROP TRIGGER IF EXISTS voxtrack_messages_inserted ON conversation_messages;
CREATE TRIGGER voxtrack_messages_inserted AFTER INSERT ON conversation_messages
    REFERENCING NEW TABLE AS voxtrack_changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION voxtrack_notify_change();
DROP TRIGGER IF EXISTS voxtrack_messages_updated ON conversation_messages;
CREATE TRIGGER voxtrack_messages_updated AFTER UPDATE ON conversation_messages
    REFERENCING NEW TABLE AS voxtrack_changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION voxtrack_notify_change();
