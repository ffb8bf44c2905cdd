<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr_FR">
<context>
    <name>HealthPage</name>
    <message>
        <source>&amp;Database:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>postgresql://user:pass@host:5432/db?sslmode=require, sqlite:///path/to/file.db or sqlite:relative.db</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>postgresql://user@host:5432/db or sqlite:///path/to/file.db</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check the database, read-only (F5)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Run doctor</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>F5</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run the doctor to check the database.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select a check to see its samples and hint.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Voxtrack</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ctrl+Q</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;About Voxtrack</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>About &amp;Qt</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SessionsPage</name>
    <message>
        <source>Only this user&apos;s sessions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Active or ended sessions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All sessions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Active</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ended</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sessions with a message containing this text (any case)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Text in a message</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sessions whose metadata has this key with this value, written key=value</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>key=value in metadata</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Follow the database: new sessions appear, ended ones change</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Live</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::DatabaseUrl</name>
    <message>
        <source>The port &quot;%1&quot; in the database URL is not a number from 1 to 65535: fix the port, or leave it out to use 5432.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>postgresql://user@host:5432/database (or postgres://…), sqlite::memory:, sqlite:relative/path.db or sqlite:///absolute/path.db</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the user name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the host</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the database name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>an option name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the value of the option &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the SQLite file path</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a space</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the control character U+%1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The database URL has %1 in %2, which must be percent-encoded: write it as %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The database URL has a malformed percent-escape in the password: a % must be followed by two hexadecimal digits, so write a literal % as %25.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The database URL has the malformed percent-escape &quot;%1&quot; in %2: a % must be followed by two hexadecimal digits, so write a literal % as %25.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The database URL has an encoded NUL character (%2) in %1, which a database cannot use: remove it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The database URL has percent-escapes in %1 that are not UTF-8 text: encode other characters as UTF-8 bytes (é is %C3%A9).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The IPv6 address &quot;%1&quot; in the database URL is not valid: write hexadecimal groups separated by colons, as in [::1] or [2001:db8::5].</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The database URL lists several hosts (&quot;%1&quot;), which is not supported: give a single host.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The host &quot;%1&quot; in the database URL is not a valid host name: give a host name, an IPv4 address, an IPv6 address in brackets such as [::1], or a socket directory as ?host=/var/run/postgresql.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The sslmode &quot;%1&quot; in the database URL is not valid: use one of %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The target_session_attrs &quot;%1&quot; in the database URL is not valid: use one of %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The %1 &quot;%2&quot; in the database URL is not a whole number of seconds: give a number such as 10, or leave the option out.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The keepalives &quot;%1&quot; in the database URL is not valid: use 1 to turn TCP keepalives on or 0 to turn them off.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The option &quot;%1&quot; in the database URL has no value: write it as %1=value.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The option &quot;%1&quot; appears more than once in the database URL: keep only one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The database URL scheme &quot;%1&quot; is not supported: use %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The database URL has no scheme: start it with postgresql://, as in postgresql://user@host:5432/database.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is a file path, not a database URL: write %2 to use it as an SQLite database.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a database URL: use %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The SQLite URL names the host &quot;%1&quot;, but an SQLite database is a local file: use three slashes for an absolute path (sqlite:///%2) or none for a relative one (sqlite:%2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The SQLite URL has no file path: write sqlite:///absolute/path.db, sqlite:relative/path.db, or sqlite::memory: for an in-memory database.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The SQLite path &quot;%1&quot; ends with &quot;/&quot;, so it names a directory: add the file name, as in %1voxtrack.db.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The option &quot;%1&quot; in the database URL is not supported for SQLite: the only option is mode (ro, rw or rwc).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The SQLite mode &quot;%1&quot; in the database URL is not valid: use ro (read-only), rw (read-write) or rwc (read-write, created if missing).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The database URL is empty: give one such as postgresql://user@host/database or sqlite:///path/to/file.db.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The database URL must continue with &quot;//&quot; after &quot;%1:&quot;: write %1://host/database, or %1:///database for the local socket.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The database URL has an &quot;@&quot; after the host, which usually means the user name or password contains &quot;/&quot; or &quot;?&quot;: percent-encode them as %2F and %3F.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The database URL has more than one &quot;@&quot; before the host: if the user name or password contains &quot;@&quot;, write it as %40.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The database URL opens an IPv6 address with &quot;[&quot; but never closes it: add the &quot;]&quot;, as in postgresql://[::1]:5432/database.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The database URL has &quot;%1&quot; after the IPv6 address [%2]: only a port may follow it, as in [%2]:5432.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The host &quot;%1&quot; in the database URL has more than one &quot;:&quot;: put an IPv6 address in brackets, as in postgresql://[::1]:5432/database.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The database name &quot;%1&quot; in the database URL contains &quot;/&quot;: give a single name after the host, writing a slash that belongs to the name as %2F.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The option &quot;%1&quot; in the database URL is not supported: use one of %2.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::EndReason</name>
    <message>
        <source>The end reason &quot;%1&quot; is not known: use one of %2.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::Role</name>
    <message>
        <source>The role &quot;%1&quot; is not allowed: use &quot;agent&quot; for the agent&apos;s replies (allowed roles: %2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The role is empty: use one of %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The role &quot;%1&quot; is not allowed: use one of %2.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::app</name>
    <message>
        <source>Monitoring and test harness for voice-agent conversation tracking: checks the conversation tables of a PostgreSQL or SQLite database.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Database URL to check at start: postgresql://user:pass@host:5432/db?sslmode=require, sqlite:///path.db or sqlite:relative.db. Default: $VOXTRACK_DB, else %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>url</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run the doctor, save a PNG picture of the window to file, and quit.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unexpected argument &quot;%1&quot;: see --help. [usage]</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not write the picture to %1: check the directory exists and is writable. [screenshot.write]</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::cli</name>
    <message>
        <source>Database URL: postgresql://user:pass@host:5432/db?sslmode=require, sqlite:///path.db or sqlite:relative.db. Default: $VOXTRACK_DB, else %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>url</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Print the result as JSON for programs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>: see --help.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unexpected argument &quot;%1&quot;: see --help.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Creates the conversation tables, or brings them to the current schema version. An old database whose sessions are keyed by id only is upgraded: session_id is added and filled from id. Everything runs in one transaction: on failure nothing is changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is at schema version %2: nothing to do.
</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Upgraded the old table shape: session_id filled from id, NOT NULL and UNIQUE.
</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Migrated %1 from schema version %2 to %3 (applied: %4).
</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>none</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checks a conversation database, read-only, for the faults that break conversation tracking: a role outside user/agent/system, messages without their session, NULL session ids, sessions never ended, wrong durations and more. Exit code 0: no errors; 1: errors found; 2: could not run.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>An active session older than this many hours is stale (default 24).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>hours</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Seconds two timestamps or a duration may disagree by (default 1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>seconds</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--stale-after takes a positive number of hours, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--tolerance takes a number of seconds of 0 or more, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create or upgrade the conversation tables</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check a database for conversation-tracking faults</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage: voxtrack-cli &lt;command&gt; [options]

The headless harness for conversation-tracking backends.

Commands:
</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>
Run voxtrack-cli &lt;command&gt; --help for a command&apos;s options.
Exit codes: 0 done, 1 errors found, 2 could not run.
</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown command &quot;%1&quot;: run voxtrack-cli --help for the list.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--user takes a user_id, not an empty string.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--active and --ended exclude each other: give one of them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--since takes a time like 2h, 3d or 2025-10-18T09:30:00Z, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Lists conversation sessions, newest first, read-only: who, when, how long, how many stored messages and why it ended.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show at most this many sessions (default 50).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>n</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--limit takes a whole number of 1 or more, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>active</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SESSION</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>USER</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>STARTED</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>DURATION</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MESSAGES</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>END</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n session(s) shown (of %1 matching).
</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Shows one session&apos;s stored messages in order (seq, then created_at), read-only.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The session to show.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name the session: voxtrack-cli messages SESSION_ID --db URL.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The session %1 has no stored messages.
</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SEQ</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>TIME</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ROLE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CONTENT</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>AUDIO</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>yes</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n message(s) in session %1.
</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Exports every matching session with its messages, read-only. csv: one row per message with the session&apos;s columns repeated (a session without messages gets one row), RFC 4180 quoting, a header row. json: an array of sessions, each with a &quot;messages&quot; array.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>csv or json.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>format</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Write to this file (replaced whole, or not at all) instead of stdout.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--format takes csv or json, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Say which format to export: --format csv or --format json.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--output takes a file name, not an empty string.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not write %1: %2: check the directory exists and is writable.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Exported %n session(s) with %1 message(s) to %2.
</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>List sessions, newest first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show one session&apos;s messages in order</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export sessions with their messages as CSV or JSON</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run a scenario&apos;s conversations against a server and verify them</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--%1 expects a whole number from %2 to %3, not &quot;%4&quot;: see --help.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1/%2 sessions done, %3 open, %4 msg/s, reply p95 %5, %6 error(s)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>, verifying %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> (stopping)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Runs the conversations of a scenario file (docs/scenarios.md) against a server speaking protocol v1: from one session to thousands at once, with think times, expectations on each reply and captured values. With --verify, each finished session is compared with the database: the session row and every message, role, content and duration. Thresholds in the scenario decide the exit code: 0 every threshold holds and verification is clean, 1 otherwise, 2 the run could not take place. Ctrl+C stops the run gracefully and still writes the report; a second Ctrl+C aborts the open connections.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The scenario file (JSON).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server&apos;s WebSocket URL. Default: $VOXTRACK_URL, else %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bearer token every session sends (default: $VOXTRACK_TOKEN). Without one, sessions name their user with ?user_id= (a server run with --no-auth).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>token</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Compare the database (--db) with every session once it ended.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Write summary.json, junit.xml and turns.csv into this directory (created if needed).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>dir</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run this many sessions instead of the scenario&apos;s.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>At most this many sessions at once instead of the scenario&apos;s.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Threads holding the connections (default: one per core).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Milliseconds to wait for a connection, an acknowledgement or a reply before it counts as an error (default 10000).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Milliseconds a session&apos;s rows may take to reach the database after it ended; verification looks again until then before it reports a difference (default 5000).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Seconds duration_seconds may differ from the duration the client saw (default 1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Do not ask the server for message.persisted frames (no persisted latency without --verify).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Seed for the random think times, to repeat a run exactly.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No progress line, even on a terminal.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name the scenario file to run: see --help.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server URL &quot;%1&quot; is not a WebSocket URL: use ws://host:port/v1/conversation.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--tolerance expects seconds from 0 to 3600, not &quot;%1&quot;: see --help.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--seed expects a whole number above 0, not &quot;%1&quot;: see --help.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The scenario&apos;s min_persisted_ratio needs --verify or message.persisted frames: drop --no-persisted or add --verify.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 sessions at once need as many open files, but this process may open only %2: raise the limit (ulimit -n %3) or lower the concurrency.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stopping: no new sessions; open ones finish their turn and end (Ctrl+C again to abort).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Aborting the open connections.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Append realistic conversations to a database, fast</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Say how many with --%1 (a whole number from %2 to %3): see --help.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 rows written, committing…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 / %2 rows (%3%), %4 rows/s, ETA %5</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Appends realistic conversations to a migrated database: sessions spread over the last days (ended ones with durations from seconds to half an hour, a share still open), each with a system prompt and alternating user and agent messages with metadata and audio URLs. The rows pass voxtrack-cli doctor. Everything is written in one transaction: on failure or Ctrl+C nothing is left behind. Exit code 0: done; 2: could not seed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How many sessions to write (1 to 10,000,000).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Messages in every session, the system prompt included (0 to 1,000).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>m</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How many users the sessions belong to (default: sessions / 20, at least 1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ended sessions start within this many days back from now (default 30).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Percentage of sessions still open, started within the last hour (default 1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>percent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Repeat the content of an earlier run (users, texts, metadata, times relative to now); random when not given. Session and message ids are always fresh.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--active expects a percentage from 0 to 100, not &quot;%1&quot;: see --help.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--seed expects a whole number from 0 to %1, not &quot;%2&quot;: see --help.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>There is no SQLite database at %1: create it with voxtrack-cli migrate --db %2, then seed it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Seeded %1: %2 sessions (%3 open) with %4 messages for %5 users.
</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 rows in %2 s: %3 rows/s. Seed %4 repeats this content.
</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::cli::FilterOptions</name>
    <message>
        <source>Only the sessions of this user_id.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only sessions still active.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only sessions that have ended.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only sessions started at or after this time: ISO 8601 (2025-10-18T09:30:00Z; UTC when no offset is given) or a span back from now (30m, 2h, 3d, 1w).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>time</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::client</name>
    <message>
        <source>%1: %2 (limit %3 %4)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>session %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>expected &quot;%1&quot;, got &quot;%2&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not write the report %1: %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not create the report directory %1.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::client::LatencyHistogram</name>
    <message>
        <source>The histogram data is not valid: %1.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::client::RunReport</name>
    <message>
        <source>voxtrack drive: %1 against %2
</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>started %1, ran %2 s%3
</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> (interrupted)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>sessions: %1 planned, %2 started, %3 completed, %4 failed
</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>messages: %1 sent, %2 acknowledged, %3 persisted
</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>latency (ms)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>count</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>max</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>mean</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>connect</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ack</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reply</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>persisted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>thresholds:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PASS</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>FAIL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>verification: not run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>verification: the database matches the conversations</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>findings: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>… and %1 more (see summary.json)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>errors by code:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PASSED</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>FAILED: %1 threshold(s) failed, %2 finding(s)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>turn %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>verification was not run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 finding(s)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>… and %1 more</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>throughput: %1 messages/s, %2 replies/s; peak concurrency %3 sessions
</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>client: %1 thread(s), %2 s CPU (%3 µs per message), peak memory %4 MB
</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::client::Scenario</name>
    <message>
        <source>the &quot;}&quot; at offset %1 closes no placeholder: write }} for a literal brace.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the &quot;{&quot; at offset %1 is not closed: end the placeholder with &quot;}&quot;, or write {{ for a literal brace.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a whole number of milliseconds from %1 to %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a JSON object</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: the regular expression is invalid (%2 at offset %3): fix the pattern.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: the placeholder {%2} is not known: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>use {n} for the session number, and {{ and }} for literal braces.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a whole number of milliseconds from 0 to %1, or a range [min, max] of two such numbers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a whole number of milliseconds from 0 to %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: the range [%2, %3] is inverted: write the shorter time first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>an object with &quot;contains&quot;, &quot;regex&quot;, &quot;within_ms&quot; or &quot;role&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>one of %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>an object of names and regular expressions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: the name is not usable as a placeholder: start with a letter and use only letters, digits and &quot;_&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: the name is reserved for the placeholder {%2}: choose another name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>an object with &quot;say&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>use {n} or {user_id}, capture the value in an earlier turn&apos;s &quot;capture&quot;, and write {{ and }} for literal braces.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>use {n}, {user_id} or a value captured by an earlier turn (%1), and write {{ and }} for literal braces.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: the placeholder {%2} is captured only by this turn or a later one: capture it in an earlier turn, since a value can be used only after the reply it comes from.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: only user turns get a reply, and this turn&apos;s role is &quot;%2&quot;: remove it, or make the turn a user turn.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a whole number of times from %1 to %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>an object of limits</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a number of milliseconds above 0 and at most %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a number from 0 to 1 (a fraction: 0.01 is 1 %)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1.p99_reply_ms: the limit %2 is below p95_reply_ms (%3), so the two look swapped: make p99_reply_ms at least p95_reply_ms.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>an object with &quot;per_second&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a number of sessions per second above 0 and at most %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a whole number of seconds from %1 to %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The scenario is not valid JSON (%1 at byte %2): fix the file there.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The scenario is an array, not a JSON object: write one object with &quot;version&quot; and &quot;turns&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>version: the version %1 is not supported: write a scenario of version 1, as docs/scenarios.md describes.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a whole number of sessions from %1 to %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>concurrency: %1 sessions at once is more than the %2 sessions of the run: lower &quot;concurrency&quot; or raise &quot;sessions&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>use {n} for the session number or {uuid} for a random UUID, and {{ and }} for literal braces.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>an array of at least one turn</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>turns: the array is empty: add at least one turn with &quot;say&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>turns: %1 turns are more than %2: split the conversation or use &quot;repeat&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The scenario file %1 cannot be read (%2): check the path and its permissions.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::client::SessionDriver</name>
    <message>
        <source>The server ended the session before its turns were over (reason %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The reply came from the agent, not from the expected role &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The reply took %1 ms, more than the expected %2 ms.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The reply &quot;%1&quot; does not contain &quot;%2&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The reply &quot;%1&quot; does not match /%2/.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No session.started within %1 ms of connecting.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No reply within %1 ms (the run&apos;s reply timeout).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No message.ack within %1 ms (the run&apos;s reply timeout).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No session.ended within %1 ms of session.end.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server did not close the connection within %1 ms of session.ended.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The connection closed while a reply was awaited.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::client::Verifier</name>
    <message>
        <source>The session %1 is not in conversation_sessions: the session start was never stored.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The session is stored for user %1, but the server told the client %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The session&apos;s metadata is not what the client sent.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>set</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The client received session.ended, but the session has no ended_at.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The client received session.ended, but the session is still active.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The ended session has no duration_seconds.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>duration_seconds differs from the duration session.ended reported by more than %1 s.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>duration_seconds differs from the duration the client observed by more than %1 s.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>duration_seconds differs from ended_at - started_at by more than %1 s.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>message_count is %1, but session.ended reported %2 messages.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>end_reason is &quot;%1&quot;, but session.ended reported &quot;%2&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The message %1 is stored %2 times: a retried write was not deduplicated.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The message at seq %1 (%2) was acknowledged but is not in conversation_messages.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The message %1 is stored with role &quot;assistant&quot;: agent replies must be stored as &quot;agent&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The message %1 is stored with role &quot;%2&quot; instead of &quot;%3&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The content of the message %1 is not what was exchanged.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The metadata of the message %1 is not what was exchanged.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The audio_url of the message %1 is not what was exchanged.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The message %1 is stored at seq %2, but was exchanged at seq %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The message row %1 (seq %2, role &quot;%3&quot;) was never exchanged with the client.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::client::VerifyWorker</name>
    <message>
        <source>The session could not be verified: %1 [%2]</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::client::VoiceClient</name>
    <message>
        <source>Could not connect to %1 (%2): check the server URL and that the server runs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server closed the connection before the session ended (code %1: %2).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::HealthPage</name>
    <message>
        <source>%1, %2, %3, %4</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n error(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n warning(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n note(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n not checked</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Checking %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checked %1 (%2, schema version %3) in %4 ms.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The doctor could not run [%1].</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not checked: %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Passed: nothing found.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 found, the first %2:</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n found:</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Hint:</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::MainWindow</name>
    <message>
        <source>&amp;Health</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>About Voxtrack</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;h3&gt;Voxtrack %1&lt;/h3&gt;&lt;p&gt;A monitoring and test harness for voice-agent backends that track conversations in a database: it checks the conversation_sessions and conversation_messages tables on PostgreSQL or SQLite for the faults that break tracking.&lt;/p&gt;&lt;p&gt;Qt %2 (built with Qt %3)&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::gui::SessionsPage</name>
    <message>
        <source>Write the metadata filter as key=value, for example channel=phone.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No database</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n session(s) so far, counting…</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n session(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
</context>
<context>
    <name>voxtrack::json</name>
    <message>
        <source>an empty string</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (%2 characters)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>an array</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>an object</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>nothing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: the key is missing: add it as %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: expected %2, not %3: fix the value.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: the key is not known: use one of %2 (keys starting with &quot;_&quot; are comments).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a non-empty string</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a string</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>true or false</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the number 1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::models::ActiveSessionsModel</name>
    <message>
        <source>Active sessions</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::models::DoctorReportModel</name>
    <message>
        <source>Passed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not checked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Error</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Warning</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Note</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not checked: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Severity</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Count</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Finding</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Samples</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hint</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::models::DoctorRunner</name>
    <message>
        <source>The doctor run was cancelled.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::models::DurationHistogramModel</name>
    <message>
        <source>%1 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 h</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Duration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sessions</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::models::HistogramModel</name>
    <message>
        <source>From</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>To</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::models::LatencyHistogramModel</name>
    <message>
        <source>Latency</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Replies</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::models::LatencyPercentilesModel</name>
    <message>
        <source>%1 ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>p%1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 % of %2 replies came within this time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Percentile</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Latency</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::models::MessagesByRoleModel</name>
    <message>
        <source>%1 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not an allowed role (user, agent, system): the doctor lists these messages.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Role</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Messages</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Share</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::models::MessagesModel</name>
    <message>
        <source>Seq</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Role</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Content</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Audio</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Metadata</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::models::SessionsModel</name>
    <message>
        <source>%1 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 min %2 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>active</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ended</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Session</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Started</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ended</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Duration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>State</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Messages</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>End reason</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Metadata</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::models::SessionsPerBucketModel</name>
    <message>
        <source>Sessions started</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::models::TimeSeriesModel</name>
    <message>
        <source>Start (UTC)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::protocol</name>
    <message>
        <source>a string of 1 to %1 letters, digits, &quot;.&quot;, &quot;_&quot;, &quot;:&quot; or &quot;-&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 or null</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a string</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a string or null</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a non-empty string</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a JSON object</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; (16-bit little-endian mono PCM)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>an integer from %1 to %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>an integer of at least 1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>an integer of at least 0</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a number of seconds of at least 0</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a UTC time with milliseconds such as &quot;2025-10-18T09:30:00.123Z&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a UUID such as &quot;0d5e2f4a-3c1b-5e6f-8a9b-1c2d3e4f5a6b&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>one of %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The field &quot;role&quot; must be a string, not %1: use one of %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The %1 frame has no &quot;%2&quot; field: add it as %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The field &quot;%1&quot; of the %2 frame must be %3, not %4.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The frame is not valid JSON (%1 at byte %2): send one UTF-8 JSON object per text frame.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The frame is %1, not a JSON object: send one object with a &quot;type&quot; field per text frame.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The frame has no &quot;type&quot;: add one such as &quot;user.message&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The field &quot;type&quot; must be a string such as &quot;user.message&quot;, not %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The frame type %1 is not known: use one of %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The text frame is %1 bytes, more than the limit of %2 bytes: send a shorter message.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The audio %1 is still open: send audio.end for it before audio.start %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No audio is open for audio.end %1: send audio.start with that id before the PCM data.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The audio.end id %1 does not match the open audio %2: end %2 first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A binary frame of %1 bytes arrived with no audio open: send audio.start before the PCM data.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::server::ConnectionWorker</name>
    <message>
        <source>The server is shutting down: connect again later.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This endpoint speaks WebSocket: connect with ws://…%1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only GET is served here.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No audio is stored under %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing is served at %1: the endpoints are %2, /healthz and /metrics.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No user: this server runs without authentication, so add ?user_id=&lt;id&gt; to the URL.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No credentials: send the header &quot;Authorization: Bearer &lt;token&gt;&quot; with a token signed with the server&apos;s secret.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The metadata query parameter is not a JSON object: send ?metadata= with a URL-encoded object such as {&quot;channel&quot;:&quot;web&quot;}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server holds its maximum of %1 sessions: try again later.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This session has ended and takes no more frames: open a new connection for a new session.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::server::ConversationServer</name>
    <message>
        <source>Cannot listen on %1:%2 (%3): choose another --listen address or port, or stop what uses it.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::server::Jwt</name>
    <message>
        <source>header</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>payload</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>signature</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server has no JWT secret to verify tokens with: configure the project&apos;s JWT secret.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The bearer token is empty: send the access token after &quot;Bearer &quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The token has %1 parts separated by &quot;.&quot;, not 3: send a JWT (header.payload.signature) exactly as it was issued.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The token&apos;s %1 is not valid base64url: send the token exactly as it was issued.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The token&apos;s header is not a JSON object: send a JWT as it was issued.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The token&apos;s header has no &quot;alg&quot; naming its algorithm: send an HS256 token as Supabase issues them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The token is not signed (algorithm &quot;none&quot;): send a token signed with HS256, as Supabase issues them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The token is signed with the algorithm %1, not HS256: send an HS256 token, as Supabase issues them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The token&apos;s header has critical extensions (&quot;crit&quot;) this server does not understand: send a plain HS256 token.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The token&apos;s signature does not verify: check that the server has the JWT secret of the project that issued the token, and send the token unaltered.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The token&apos;s payload is not a JSON object: send a JWT as it was issued.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The token has no user id (a non-empty string &quot;sub&quot; claim): use the access token of a signed-in user.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The token has no expiry (&quot;exp&quot; claim) and tokens that never expire are refused: issue one with an expiry.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The token&apos;s &quot;exp&quot; claim is not a time in seconds since 1970: issue a token with a valid expiry.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The token&apos;s &quot;%1&quot; claim is not a time in seconds since 1970: issue a token with valid times.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The token expired at %1: sign in again to get a fresh one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The token is not valid before %1: wait until then, or check the clocks of the issuer and of this server.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::server::RulesAgent</name>
    <message>
        <source>a whole number of milliseconds from 0 to %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: the &quot;}&quot; at offset %2 closes no placeholder: write }} for a literal brace.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: the &quot;{&quot; at offset %2 is not closed: end the placeholder with &quot;}&quot;, or write {{ for a literal brace.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: the placeholder {%2} is not known: use {text}, {user_id}, {session_id} or {1} to {9}, and {{ and }} for literal braces.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>an object with &quot;match&quot; and &quot;reply&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>true or false</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: the regular expression is invalid (%2 at offset %3): fix the pattern.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The rules are not valid JSON (%1 at byte %2): fix the file there.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The rules are an array, not a JSON object: write one object with &quot;version&quot; and &quot;rules&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>version: the version %1 is not supported: write rules of version 1, as docs/agent-rules.md describes.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>an array of rules (it may be empty)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>an array of rules</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>an object with &quot;reply&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The rules file %1 cannot be read (%2): check the path and its permissions.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::store</name>
    <message>
        <source>the local socket</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PostgreSQL at %1 refused the login of user &quot;%2&quot; (%3): check the user and password in the URL, PGPASSWORD or ~/.pgpass.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PostgreSQL at %1 has no database &quot;%2&quot;: create it (createdb %2) or fix the database name in the URL.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The TLS connection to PostgreSQL at %1 failed (%2): check sslmode and the certificates in the URL.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not reach PostgreSQL at %1 (%2): start the server, or check the host and port in the URL.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not connect to PostgreSQL at %1: %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 does not have both conversation_sessions and conversation_messages: point --db at a conversation database, or create the tables with voxtrack-cli migrate.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 keeps sessions in the old shape without a session_id column: upgrade it with voxtrack-cli migrate.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>There is no session &quot;%1&quot; in %2: list the sessions with voxtrack-cli sessions.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 does not have both conversation_sessions and conversation_messages: open a conversation database, or create the tables with voxtrack-cli migrate.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>h</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt; %1 %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>≥ %1 %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1–%2 %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>minute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>hour</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>day</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>week</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Counting by the %1 from %2 to %3 makes %4 buckets, more than %5: choose a larger bucket or a shorter time range.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::store::ChangeFeed</name>
    <message>
        <source>%1 ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no reason given</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connecting to %1 for live updates.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Live updates could not connect to the database (%1): retrying in %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Live updates could not follow the database (%1): retrying in %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Following %1 through notifications.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Following %1 by polling every %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PostgreSQL refused LISTEN %1 (%2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The database connection was lost (%1): reconnecting in %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the server closed it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The change notification &quot;%1&quot; is not valid (%2): it is ignored; check that the database&apos;s voxtrack_notify_change() is the one of migration 0003.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not a JSON object</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown member &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the member &quot;%1&quot; is missing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>t must be &quot;sessions&quot; or &quot;messages&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>op must be &quot;insert&quot; or &quot;update&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>n must be a whole number of at least 1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>min and max must both be whole numbers, or both null</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>min is greater than max</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::store::Connection</name>
    <message>
        <source>The Qt SQL driver %1 is not installed: install the package %2 (scripts/setup does).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>There is no SQLite database at %1: check the path, or create one with voxtrack-cli migrate --db %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The directory %1 for the SQLite database does not exist: create it or choose another path.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not open the SQLite database %1 (%2): check that the file is a SQLite database and that you may read%3 it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> and write</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The file %1 is not a usable SQLite database (%2): check the path.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PostgreSQL refused the session settings (%1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PostgreSQL refused a read-only session (%1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The database rejected &quot;%1&quot;: %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not begin a transaction: %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not commit the transaction: %1.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::store::Doctor</name>
    <message>
        <source>conversation_sessions has no session_id column (the old shape keyed by id)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run voxtrack-cli migrate: it adds session_id, fills it from id and makes it NOT NULL and UNIQUE.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>tables or columns of the conversation schema are missing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run voxtrack-cli migrate, or add the listed columns.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>conversation_messages.role has no check constraint</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add CONSTRAINT conversation_messages_role_check CHECK (role IN (&apos;user&apos;, &apos;agent&apos;, &apos;system&apos;)).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the role check does not allow exactly user, agent and system</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Replace the constraint with CHECK (role IN (&apos;user&apos;, &apos;agent&apos;, &apos;system&apos;)); agent replies are &apos;agent&apos;, never &apos;assistant&apos;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the role check was added NOT VALID: existing rows were never checked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fix the rows data.role_invalid lists, then ALTER TABLE conversation_messages VALIDATE CONSTRAINT &lt;name&gt;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>conversation_messages.session_id has no foreign key to conversation_sessions(session_id)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add CONSTRAINT conversation_messages_session_id_fkey FOREIGN KEY (session_id) REFERENCES conversation_sessions (session_id), after removing orphan messages.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a session_id column accepts NULL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fill the NULLs (from id for sessions), then ALTER COLUMN session_id SET NOT NULL.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>conversation_sessions.session_id is not unique</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add CONSTRAINT conversation_sessions_session_id_key UNIQUE (session_id); the foreign key from messages needs it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>required columns accept NULL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Make the listed columns NOT NULL once data.null_required is clean.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>conversation_messages.message_id is not unique</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create a unique index on message_id: it is the key that keeps retried writes from doubling messages.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no index on conversation_messages (session_id, created_at) or (session_id, seq)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CREATE INDEX ON conversation_messages (session_id, created_at): reading a conversation scans the table without it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the tracking columns (message_count, end_reason, message_id, seq) are missing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run voxtrack-cli migrate to add them; until then the checks that need them are not run.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>messages with a role other than user, agent or system</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>UPDATE conversation_messages SET role = &apos;agent&apos; WHERE role = &apos;assistant&apos;; find the writer that sends the wrong role.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>messages whose session does not exist</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The session insert failed or came after its messages: write the session first (one ordered queue), then delete or re-parent these messages.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>rows with a NULL or empty session_id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fill session_id (sessions: from id, as voxtrack-cli migrate does) or delete the rows.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>rows with NULL in a required column</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fill the missing user_id, role, content or created_at, or delete the rows.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>session_id values used by more than one session</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Merge or delete the duplicates, then make session_id UNIQUE.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>message_id values stored more than once</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A retried write was stored twice: delete the extra copies and make message_id UNIQUE.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>sessions with an end time that are still marked active</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The session end must set is_active = false in the same update as ended_at.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>inactive sessions without an end time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The session end must set ended_at and session_end with is_active = false.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>sessions still active long after they started (never ended)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>End sessions when the socket goes (close, error or ping timeout); a server start closes leftovers with end_reason &apos;recovered&apos;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ended sessions whose duration_seconds is missing or disagrees with ended_at - started_at</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Compute duration_seconds from the stored started_at and ended_at, in the same update.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>session_start and started_at disagree</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Write both columns from one timestamp.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>session_end and ended_at disagree</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>messages created outside their session&apos;s start and end</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stamp messages with the server&apos;s clock when they arrive, and end the session after its last message.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>sessions whose message_count differs from their stored messages</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Messages were lost or written after the session ended: compare the server&apos;s journal, then recount.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::store::Migrator</name>
    <message>
        <source>The database %1 is open read-only: migrations need write access; drop ?mode=ro from the URL.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The database is at schema version %1, newer than this program&apos;s %2: use a newer Voxtrack.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Migration %1 (%2) differs from the one applied to this database: migrations are never edited once released; restore the file or add a new migration.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Migration %1 (%2) failed, nothing was changed: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The upgrade of the old table shape (sessions keyed by id) failed, nothing was changed: %1 Run voxtrack-cli doctor on the database to see the rows at fault.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%n session(s) without user_id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%n session(s) with a NULL id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%n message(s) belonging to no session</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%n message(s) with a role other than user, agent or system</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%n message(s) without content</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The old table shape (sessions keyed by id) cannot be upgraded, nothing was changed: it holds %1. Run voxtrack-cli doctor on it to see them, fix or delete them, then migrate again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The upgrade of the old table shape (sessions keyed by id) failed, nothing was changed: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::tracker</name>
    <message>
        <source>The journal file %1 cannot be used (%2): check that the journal directory is writable and has space.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 has no conversation tables: create them first with voxtrack-cli migrate on the same --db URL.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 lacks columns of the current schema (%2): bring it up to date with voxtrack-cli migrate on the same --db URL.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::tracker::ConversationTracker</name>
    <message>
        <source>The tracker is shutting down and takes no more messages: reconnect to another server.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The database is behind by %1 messages and there is no journal to hold more: try again later, or run the server with a journal.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A session needs a session id and a user id: neither may be empty.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The session %1 is already open: use a new session id.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A message needs the id of its session: the session id is empty.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>There is no open session %1: start the session before its messages, and send nothing after its end.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>There is no open session %1 to end: it was never started or has ended already.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::tracker::Journal</name>
    <message>
        <source>Could not create the journal directory %1: choose a writable directory.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The journal checkpoint in %1 is damaged: move the journal directory aside to start afresh (its unwritten messages would be lost).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The journal checkpoint in %1 lies past the journal&apos;s end: move the journal directory aside to start afresh.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A journal record must hold 1 byte to 64 MiB, not %1 bytes.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No journal segment holds offset %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A journal record header is cut short.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A journal record fails its checksum.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::tracker::Seeder</name>
    <message>
        <source>The number of %1 must be from %2 to %3, not %4: choose one in that range.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The seed must be from 0 to %1, not %2: choose one in that range.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The share of open sessions must be from 0 to 100 percent, not %1: choose one in that range.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Seeding was interrupted and rolled back: nothing was written. Run it again to seed the database.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::tracker::pg</name>
    <message>
        <source>Writing to PostgreSQL failed (%1): %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The PostgreSQL driver does not expose its libpq connection (it hands out &quot;%1&quot;): Voxtrack needs Qt&apos;s QPSQL driver built against libpq.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrack::tracker::pg::CopyIn</name>
    <message>
        <source>Writing to PostgreSQL failed (%1): the statement did not start a COPY FROM STDIN.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>voxtrackd</name>
    <message>
        <source>voxtrackd: the reference conversation-tracking server. Clients speak WebSocket protocol v1 on /v1/conversation; every session and message is journaled, then written to the database in batches; /healthz and /metrics are served on the same port.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Database URL (default: %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>url</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Address and port to listen on (default 127.0.0.1:8787; port 0 picks a free one).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>host:port</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>HS256 secret that signs client tokens (or $VOXTRACK_TOKEN_SECRET).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>secret</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No authentication: clients name themselves with ?user_id=.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Largest text frame accepted (default 65536).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>bytes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Most sessions open at once (default 10000).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>count</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The simulated agent&apos;s rules file (JSON; see docs/agent-rules.md). Default: built-in rules.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No simulated replies: an external agent relays its replies with role &quot;agent&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Journal directory (default %1/journal; &quot;none&quot; to run without one).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>dir</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>debug, info (default), warning or error.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>level</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Milliseconds of silence (no frame, no pong) after which a connection is dropped and its session ended with reason timeout (default 45000).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Milliseconds a stop may take to drain the queue (default 10000).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>For testing a harness only: make the server misbehave on purpose. agent-role (store replies as role user), drop-every=N (acknowledge every N-th user message but never store it), never-end (leave ended sessions active in the database). May be given more than once.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>fault</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--%1 takes a whole number of at least %2, not &quot;%3&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--log-level takes debug, info, warning or error, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--listen takes an address and port such as 127.0.0.1:8787 or [::1]:8787, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--no-auth and a token secret exclude each other: choose one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose how clients prove who they are: --token-secret SECRET (HS256 tokens whose sub is the user id, as Supabase issues them) or --no-auth (identity from ?user_id=).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--test-fault takes agent-role, drop-every=N (N ≥ 1) or never-end, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This process may open only %1 files, fewer than --max-sessions %2 needs: raise the limit (ulimit -n) or lower --max-sessions.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
