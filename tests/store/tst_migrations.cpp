// SPDX-License-Identifier: MIT
#include "store/connection.h"
#include "store/migrator.h"
#include "store/schema.h"
#include "support/testdatabase.h"

#include <QLoggingCategory>
#include <QSignalSpy>
#include <QSqlDriver>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTest>

using namespace voxtrack;
using namespace voxtrack::store;
using voxtrack::test::testBackend;
using voxtrack::test::TestDatabase;

namespace {

const QString sessionA = QStringLiteral("6f1c2a0e-0000-4000-8000-00000000000a");
const QString sessionB = QStringLiteral("6f1c2a0e-0000-4000-8000-00000000000b");
const QString sessionC = QStringLiteral("6f1c2a0e-0000-4000-8000-00000000000c");
const QString missingSession = QStringLiteral("6f1c2a0e-0000-4000-8000-0000000000ff");

bool isPostgres()
{
    return testBackend() == Backend::PostgreSql;
}

/// Every row a query returns, one string per row, values joined by '|', NULL as "NULL".
Expected<QStringList> queryRows(Connection& connection, const QString& sql)
{
    QSqlQuery query(connection.database());
    query.setForwardOnly(true);
    if (Status status = execQuery(query, sql); !status.isNull())
        return status;
    QStringList rows;
    while (query.next()) {
        QStringList values;
        for (int i = 0; i < query.record().count(); ++i)
            values << (query.isNull(i) ? QStringLiteral("NULL") : query.value(i).toString());
        rows << values.join(u'|');
    }
    return rows;
}

QString dumpColumn(const ColumnInfo& column)
{
    return QStringLiteral("column %1 %2%3%4")
        .arg(column.name, column.type, column.notNull ? QStringLiteral(" not null") : QString(),
            column.primaryKey ? QStringLiteral(" primary key") : QString());
}

/// A TableInfo as lines that compare equal when the table did not change.
QStringList dumpTable(const QString& label, const TableInfo& table)
{
    QStringList lines {label + (table.exists ? QStringLiteral(" exists") : QStringLiteral(" missing"))};
    for (const ColumnInfo& column : table.columns)
        lines << label + u' ' + dumpColumn(column);
    QStringList rest;
    for (const IndexInfo& index : table.indexes) {
        rest << QStringLiteral("%1 index %2 (%3)%4%5")
                    .arg(label, index.name, index.columns.join(QStringLiteral(", ")),
                        index.unique ? QStringLiteral(" unique") : QString(),
                        index.partial ? QStringLiteral(" partial") : QString());
    }
    for (const CheckInfo& check : table.checks) {
        rest << QStringLiteral("%1 check %2: %3%4")
                    .arg(label, check.name, check.definition,
                        check.validated ? QString() : QStringLiteral(" not valid"));
    }
    for (const ForeignKeyInfo& key : table.foreignKeys) {
        rest << QStringLiteral("%1 foreign key %2: %3 -> %4(%5)")
                    .arg(label, key.name, key.column, key.referencedTable, key.referencedColumn);
    }
    rest.sort();
    return lines + rest;
}

QStringList dumpSchema(const SchemaInfo& schema)
{
    return dumpTable(QStringLiteral("sessions"), schema.sessions)
        + dumpTable(QStringLiteral("messages"), schema.messages)
        + QStringList {QStringLiteral("migrations table %1").arg(schema.hasMigrationsTable),
            QStringLiteral("schema version %1").arg(schema.schemaVersion)};
}

/// The database's tables, its conversation schema and the migrations table's rows.
Expected<QStringList> dumpDatabase(Connection& connection)
{
    const auto tables = queryRows(connection,
        connection.isPostgreSql()
            ? QStringLiteral("SELECT 'table ' || tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
            : QStringLiteral("SELECT 'table ' || name FROM sqlite_master WHERE type = 'table' ORDER BY 1"));
    if (!tables)
        return tables.error();
    const auto schema = inspectSchema(connection);
    if (!schema)
        return schema.error();
    QStringList dump = *tables + dumpSchema(*schema);
    // Triggers on the conversation tables and the functions they call (the change feed's).
    const auto triggers = queryRows(connection,
        connection.isPostgreSql()
            ? QStringLiteral("SELECT 'trigger ' || pg_get_triggerdef(oid) FROM pg_trigger "
                             "WHERE NOT tgisinternal ORDER BY tgname")
            : QStringLiteral("SELECT 'trigger ' || name || ' ' || sql FROM sqlite_master WHERE type = 'trigger' "
                             "ORDER BY name"));
    if (!triggers)
        return triggers.error();
    dump += *triggers;
    if (connection.isPostgreSql()) {
        const auto functions = queryRows(connection,
            QStringLiteral("SELECT 'function ' || p.proname || ' ' || md5(p.prosrc) FROM pg_proc p "
                           "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' ORDER BY 1"));
        if (!functions)
            return functions.error();
        dump += *functions;
    }
    if (schema->hasMigrationsTable) {
        const auto rows = queryRows(
            connection, QStringLiteral("SELECT version, name, checksum FROM voxtrack_schema_migrations ORDER BY 1"));
        if (!rows)
            return rows.error();
        for (const QString& row : *rows)
            dump << QStringLiteral("migration ") + row;
    }
    return dump;
}

/// The conversation tables' rows, for "nothing changed" comparisons.
Expected<QStringList> dumpRows(Connection& connection)
{
    QStringList dump;
    for (const auto table : {u"conversation_sessions", u"conversation_messages"}) {
        const QString name = QString::fromUtf16(table);
        const auto rows = queryRows(connection, QStringLiteral("SELECT * FROM %1 ORDER BY id").arg(name));
        if (!rows)
            return rows.error();
        for (const QString& row : *rows)
            dump << name + u' ' + row;
    }
    return dump;
}

/// The seed's first shape: sessions keyed by id, messages pointing at it.
QStringList legacyTables(bool messagesForeignKey)
{
    const QString reference = messagesForeignKey ? QStringLiteral(" REFERENCES conversation_sessions(id)") : QString();
    if (isPostgres()) {
        return {QStringLiteral(
                    "CREATE TABLE conversation_sessions (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_id text, "
                    "started_at timestamptz, ended_at timestamptz, duration_seconds double precision, "
                    "is_active boolean, metadata jsonb)"),
            QStringLiteral(
                "CREATE TABLE conversation_messages (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), session_id uuid%1, "
                "user_id text, role text, content text, audio_url text, metadata jsonb, "
                "created_at timestamptz)")
                .arg(reference)};
    }
    return {QStringLiteral("CREATE TABLE conversation_sessions (id TEXT PRIMARY KEY, user_id TEXT, started_at TEXT, "
                           "ended_at TEXT, duration_seconds REAL, is_active INTEGER, metadata TEXT)"),
        QStringLiteral("CREATE TABLE conversation_messages (id TEXT PRIMARY KEY, session_id TEXT%1, user_id TEXT, "
                       "role TEXT, content TEXT, audio_url TEXT, metadata TEXT, created_at TEXT)")
            .arg(reference)};
}

/// Three sessions (A with three messages inserted out of time order, B with one, C with none).
QStringList legacyRows()
{
    return {
        QStringLiteral("INSERT INTO conversation_sessions (id, user_id, started_at, ended_at, duration_seconds, "
                       "is_active, metadata) VALUES "
                       "('%1', 'u-1', '2025-10-18T09:00:00.000Z', '2025-10-18T09:10:00.000Z', 600, FALSE, '{}'), "
                       "('%2', 'u-2', '2025-10-18T10:00:00.000Z', NULL, NULL, TRUE, '{\"channel\":\"phone\"}'), "
                       "('%3', 'u-1', '2025-10-18T11:00:00.000Z', '2025-10-18T11:01:00.000Z', 60, FALSE, NULL)")
            .arg(sessionA, sessionB, sessionC),
        QStringLiteral(
            "INSERT INTO conversation_messages (id, session_id, user_id, role, content, audio_url, metadata, "
            "created_at) VALUES "
            "('6f1c2a0e-0000-4000-8000-000000001001', '%1', 'u-1', 'user', 'second question', NULL, NULL, "
            "'2025-10-18T09:02:00.000Z'), "
            "('6f1c2a0e-0000-4000-8000-000000001002', '%1', NULL, 'agent', 'first answer', "
            "'https://example.com/a.wav', '{\"latency_ms\":420}', '2025-10-18T09:01:00.000Z'), "
            "('6f1c2a0e-0000-4000-8000-000000001003', '%1', NULL, 'system', 'you are helpful', NULL, NULL, "
            "'2025-10-18T09:00:00.000Z'), "
            "('6f1c2a0e-0000-4000-8000-000000001004', '%2', 'u-2', 'user', 'hello; it''s me', NULL, NULL, "
            "'2025-10-18T10:00:05.000Z')")
            .arg(sessionA, sessionB),
    };
}

QString legacyMessage(const QString& id, const QString& session, const QString& role, const QString& content)
{
    return QStringLiteral("INSERT INTO conversation_messages (id, session_id, role, content, created_at) "
                          "VALUES ('%1', %2, %3, '%4', '2025-10-18T12:00:00.000Z')")
        .arg(id, session, role, content);
}

/// Statements that write a message whose session does not exist, past the old foreign key.
QStringList orphanMessage(const QString& id)
{
    const QString insert
        = legacyMessage(id, u'\'' + missingSession + u'\'', QStringLiteral("'user'"), QStringLiteral("orphan"));
    if (isPostgres()) {
        return {QStringLiteral("SET session_replication_role = replica"), insert,
            QStringLiteral("SET session_replication_role = DEFAULT")};
    }
    return {QStringLiteral("PRAGMA foreign_keys = OFF"), insert, QStringLiteral("PRAGMA foreign_keys = ON")};
}

} // namespace

class TestMigrations : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(Migrator::latestVersion(testBackend()) >= 3, "the migrations are not in the store's resources");
        QLoggingCategory::setFilterRules(QStringLiteral("voxtrack.store.migrations.info=false"));
        qInfo("backend: %s", qPrintable(voxtrack::test::testBackendName()));
    }

    void freshDatabase()
    {
        VOXTRACK_TEST_DATABASE(db);
        auto connection = db->connect();
        QVERIFY(connection);

        const auto before = inspectSchema(*connection);
        QVERIFY2(before, qPrintable(before.errorText()));
        QVERIFY(!before->sessions.exists);
        QVERIFY(!before->messages.exists);
        QVERIFY(!before->hasMigrationsTable);

        const auto result = Migrator(*connection).migrate();
        QVERIFY2(result, qPrintable(result.errorText()));
        const int latest = Migrator::latestVersion(db->backend());
        QCOMPARE(result->versionBefore, 0);
        QCOMPARE(result->versionAfter, latest);
        QVERIFY(!result->legacyUpgraded);
        const QList<Migration> available = Migrator::available(db->backend());
        QCOMPARE(result->applied.size(), available.size());
        for (qsizetype i = 0; i < available.size(); ++i)
            QCOMPARE(result->applied.at(i).version, available.at(i).version);

        const auto after = inspectSchema(*connection);
        QVERIFY2(after, qPrintable(after.errorText()));
        QVERIFY(after->sessions.exists);
        QVERIFY(after->messages.exists);
        QVERIFY(after->hasMigrationsTable);
        QCOMPARE(after->schemaVersion, latest);
        QVERIFY(!after->isLegacyShape());

        // One row per migration, with the file's name and checksum.
        const auto rows = queryRows(
            *connection, QStringLiteral("SELECT version, name, checksum FROM voxtrack_schema_migrations ORDER BY 1"));
        QVERIFY2(rows, qPrintable(rows.errorText()));
        QStringList expected;
        for (const Migration& migration : available) {
            QCOMPARE(migration.checksum.size(), 64); // SHA-256, hex
            expected << QStringLiteral("%1|%2|%3").arg(migration.version).arg(migration.name, migration.checksum);
        }
        QCOMPARE(*rows, expected);
        QCOMPARE(available.constFirst().name, QStringLiteral("conversation_tables"));
        QCOMPARE(available.constLast().version, latest);

        // Both backends ship the same versions, so a schema version means the same on each.
        for (const Backend backend : {Backend::PostgreSql, Backend::Sqlite}) {
            QStringList versions;
            for (const Migration& migration : Migrator::available(backend))
                versions << QStringLiteral("%1 %2").arg(migration.version).arg(migration.name);
            QCOMPARE(versions,
                (QStringList {QStringLiteral("1 conversation_tables"), QStringLiteral("2 tracking_columns"),
                    QStringLiteral("3 change_feed")}));
        }
    }

    void freshSchemaHasTheChangeFeed()
    {
        VOXTRACK_TEST_DATABASE(db);
        auto connection = db->connect();
        QVERIFY(connection);
        const auto result = Migrator(*connection).migrate();
        QVERIFY2(result, qPrintable(result.errorText()));

        if (!connection->isPostgreSql()) {
            // SQLite readers poll PRAGMA data_version: no trigger, nothing but the recorded version.
            const auto triggers
                = connection->scalar(QStringLiteral("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"));
            QVERIFY2(triggers, qPrintable(triggers.errorText()));
            QCOMPARE(triggers->toLongLong(), 0);
            const auto name
                = connection->scalar(QStringLiteral("SELECT name FROM voxtrack_schema_migrations WHERE version = 3"));
            QVERIFY2(name, qPrintable(name.errorText()));
            QCOMPARE(name->toString(), QStringLiteral("change_feed"));
            return;
        }

        // One statement-level trigger per table and event, with the statement's rows as a
        // transition table, all calling voxtrack_notify_change().
        const auto triggers = queryRows(*connection,
            QStringLiteral("SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger "
                           "WHERE NOT tgisinternal ORDER BY 1, 2"));
        QVERIFY2(triggers, qPrintable(triggers.errorText()));
        QStringList expected;
        for (const auto& [table, prefix] : {std::pair {"conversation_messages", "voxtrack_messages"},
                 std::pair {"conversation_sessions", "voxtrack_sessions"}}) {
            for (const auto& [suffix, event] : {std::pair {"inserted", "INSERT"}, std::pair {"updated", "UPDATE"}}) {
                const QString name = QString::fromLatin1(prefix) + u'_' + QString::fromLatin1(suffix);
                expected << QStringLiteral("%1|%2|CREATE TRIGGER %2 AFTER %3 ON public.%1 REFERENCING NEW TABLE AS "
                                           "voxtrack_changed_rows FOR EACH STATEMENT EXECUTE FUNCTION "
                                           "voxtrack_notify_change()")
                                .arg(QString::fromLatin1(table), name, QString::fromLatin1(event));
            }
        }
        QCOMPARE(*triggers, expected);
    }

    void freshSchemaHasColumn_data()
    {
        QTest::addColumn<QString>("table");
        QTest::addColumn<QString>("column");
        QTest::addColumn<bool>("notNull");
        const QString sessions = QStringLiteral("conversation_sessions");
        const QString messages = QStringLiteral("conversation_messages");
        const std::pair<const char*, bool> sessionColumns[] = {
            {"session_id", true},
            {"user_id", true},
            {"session_start", true},
            {"started_at", true},
            {"session_end", false},
            {"ended_at", false},
            {"duration_seconds", false},
            {"is_active", true},
            {"metadata", true},
            {"message_count", true},
            {"end_reason", false},
        };
        for (const auto& [column, notNull] : sessionColumns)
            QTest::addRow("sessions.%s", column) << sessions << QString::fromLatin1(column) << notNull;
        const std::pair<const char*, bool> messageColumns[] = {
            {"session_id", true},
            {"user_id", false},
            {"role", true},
            {"content", true},
            {"audio_url", false},
            {"metadata", false},
            {"created_at", true},
            {"message_id", false},
            {"seq", false},
        };
        for (const auto& [column, notNull] : messageColumns)
            QTest::addRow("messages.%s", column) << messages << QString::fromLatin1(column) << notNull;
    }

    void freshSchemaHasColumn()
    {
        QFETCH(QString, table);
        QFETCH(QString, column);
        QFETCH(bool, notNull);
        VOXTRACK_TEST_DATABASE(db);
        auto connection = db->connect();
        QVERIFY(connection);
        const auto result = Migrator(*connection).migrate();
        QVERIFY2(result, qPrintable(result.errorText()));
        const auto schema = inspectSchema(*connection);
        QVERIFY2(schema, qPrintable(schema.errorText()));
        const TableInfo& info = table == u"conversation_sessions" ? schema->sessions : schema->messages;
        const ColumnInfo* found = info.column(column);
        QVERIFY2(found, qPrintable(QStringLiteral("%1 has no column %2").arg(table, column)));
        QCOMPARE(found->notNull, notNull);
    }

    void freshSchemaHasKeys()
    {
        VOXTRACK_TEST_DATABASE(db);
        auto connection = db->connect();
        QVERIFY(connection);
        const auto result = Migrator(*connection).migrate();
        QVERIFY2(result, qPrintable(result.errorText()));
        const auto schema = inspectSchema(*connection);
        QVERIFY2(schema, qPrintable(schema.errorText()));
        QVERIFY(schema->sessions.isUnique({QStringLiteral("session_id")}));
        QVERIFY(schema->messages.isUnique({QStringLiteral("message_id")}));
        const auto key = schema->sessionForeignKey();
        QVERIFY(key);
        QCOMPARE(key->name, QStringLiteral("conversation_messages_session_id_fkey"));
        QCOMPARE(key->referencedTable, QStringLiteral("conversation_sessions"));
        QCOMPARE(key->referencedColumn, QStringLiteral("session_id"));
        const auto roleCheck = schema->roleCheck();
        QVERIFY(roleCheck);
        QCOMPARE(roleCheck->name, QStringLiteral("conversation_messages_role_check"));
        QCOMPARE(SchemaInfo::checkLiterals(roleCheck->definition),
            (QStringList {QStringLiteral("user"), QStringLiteral("agent"), QStringLiteral("system")}));
        QVERIFY(schema->messages.hasIndexStartingWith({QStringLiteral("session_id"), QStringLiteral("created_at")}));
        QVERIFY(schema->messages.hasIndexStartingWith({QStringLiteral("session_id"), QStringLiteral("seq")}));
    }

    void migratingTwiceChangesNothing()
    {
        VOXTRACK_TEST_DATABASE(db);
        const int latest = Migrator::latestVersion(db->backend());
        QStringList firstDump;
        {
            auto connection = db->connect();
            QVERIFY(connection);
            const auto first = Migrator(*connection).migrate();
            QVERIFY2(first, qPrintable(first.errorText()));
            QCOMPARE(first->applied.size(), Migrator::available(db->backend()).size());
            const auto dump = dumpDatabase(*connection);
            QVERIFY2(dump, qPrintable(dump.errorText()));
            firstDump = *dump;
        }
        QVERIFY(firstDump.contains(QStringLiteral("schema version %1").arg(latest)));

        {
            auto connection = db->connect();
            QVERIFY(connection);
            const auto second = Migrator(*connection).migrate();
            QVERIFY2(second, qPrintable(second.errorText()));
            QCOMPARE(second->versionBefore, latest);
            QCOMPARE(second->versionAfter, latest);
            QVERIFY(second->applied.isEmpty());
            QVERIFY(!second->legacyUpgraded);
            const auto dump = dumpDatabase(*connection);
            QVERIFY2(dump, qPrintable(dump.errorText()));
            QCOMPARE(*dump, firstDump);
        }

        // A third connection, opened afterwards, sees the latest version and has nothing to do.
        auto third = db->connect();
        QVERIFY(third);
        const auto schema = inspectSchema(*third);
        QVERIFY2(schema, qPrintable(schema.errorText()));
        QCOMPARE(schema->schemaVersion, latest);
        const auto again = Migrator(*third).migrate();
        QVERIFY2(again, qPrintable(again.errorText()));
        QCOMPARE(again->versionBefore, latest);
        QVERIFY(again->applied.isEmpty());
        const auto dump = dumpDatabase(*third);
        QVERIFY2(dump, qPrintable(dump.errorText()));
        QCOMPARE(*dump, firstDump);
    }

    void upgradesLegacyShape()
    {
        VOXTRACK_TEST_DATABASE(db);
        {
            auto setup = db->connect();
            QVERIFY(setup);
            VOXTRACK_VERIFY_OK(TestDatabase::execAll(*setup, legacyTables(true) + legacyRows()));
            const auto schema = inspectSchema(*setup);
            QVERIFY2(schema, qPrintable(schema.errorText()));
            QVERIFY(schema->isLegacyShape());
        }

        auto connection = db->connect();
        QVERIFY(connection);
        const auto result = Migrator(*connection).migrate();
        QVERIFY2(result, qPrintable(result.errorText()));
        QVERIFY(result->legacyUpgraded);
        QCOMPARE(result->versionBefore, 0);
        QCOMPARE(result->versionAfter, Migrator::latestVersion(db->backend()));

        // session_id is the old id, as text, NOT NULL and unique.
        auto rows = queryRows(*connection,
            QStringLiteral("SELECT session_id, user_id FROM conversation_sessions "
                           "ORDER BY session_id"));
        QVERIFY2(rows, qPrintable(rows.errorText()));
        QCOMPARE(*rows,
            (QStringList {sessionA + QStringLiteral("|u-1"), sessionB + QStringLiteral("|u-2"),
                sessionC + QStringLiteral("|u-1")}));
        if (connection->isPostgreSql()) {
            // In place: id is still there, and session_id is its text.
            const auto mismatched = connection->scalar(
                QStringLiteral("SELECT count(*) FROM conversation_sessions WHERE session_id <> CAST(id AS TEXT)"));
            QVERIFY2(mismatched, qPrintable(mismatched.errorText()));
            QCOMPARE(mismatched->toLongLong(), 0);
        }

        const auto schema = inspectSchema(*connection);
        QVERIFY2(schema, qPrintable(schema.errorText()));
        QVERIFY(!schema->isLegacyShape());
        const ColumnInfo* sessionId = schema->sessions.column(u"session_id");
        QVERIFY(sessionId);
        QVERIFY(sessionId->notNull);
        QVERIFY(schema->sessions.isUnique({QStringLiteral("session_id")}));
        const auto key = schema->sessionForeignKey();
        QVERIFY2(key, "conversation_messages.session_id has no foreign key after the upgrade");
        QCOMPARE(key->referencedTable, QStringLiteral("conversation_sessions"));
        QCOMPARE(key->referencedColumn, QStringLiteral("session_id"));
        for (const char* column : {"session_start", "session_end", "message_count", "end_reason"})
            QVERIFY2(schema->sessions.hasColumn(QString::fromLatin1(column)), column);
        for (const char* column : {"message_id", "seq"})
            QVERIFY2(schema->messages.hasColumn(QString::fromLatin1(column)), column);
        QCOMPARE(schema->schemaVersion, Migrator::latestVersion(db->backend()));

        // Every message is still there, numbered 1..n per session in created_at order.
        rows = queryRows(*connection,
            QStringLiteral("SELECT session_id, seq, role, content, audio_url "
                           "FROM conversation_messages ORDER BY session_id, created_at"));
        QVERIFY2(rows, qPrintable(rows.errorText()));
        QCOMPARE(*rows,
            (QStringList {
                sessionA + QStringLiteral("|1|system|you are helpful|NULL"),
                sessionA + QStringLiteral("|2|agent|first answer|https://example.com/a.wav"),
                sessionA + QStringLiteral("|3|user|second question|NULL"),
                sessionB + QStringLiteral("|1|user|hello; it's me|NULL"),
            }));

        // message_count holds the real counts.
        rows = queryRows(
            *connection, QStringLiteral("SELECT session_id, message_count FROM conversation_sessions ORDER BY 1"));
        QVERIFY2(rows, qPrintable(rows.errorText()));
        QCOMPARE(*rows,
            (QStringList {
                sessionA + QStringLiteral("|3"), sessionB + QStringLiteral("|1"), sessionC + QStringLiteral("|0")}));

        // session_start/session_end come from started_at/ended_at, which keep their values.
        const auto twins = connection->scalar(
            QStringLiteral("SELECT count(*) FROM conversation_sessions WHERE session_start = started_at "
                           "AND ((session_end IS NULL AND ended_at IS NULL) OR session_end = ended_at)"));
        QVERIFY2(twins, qPrintable(twins.errorText()));
        QCOMPARE(twins->toLongLong(), 3);
        rows = queryRows(*connection,
            QStringLiteral("SELECT session_id FROM conversation_sessions "
                           "WHERE started_at = '2025-10-18T09:00:00.000Z' "
                           "AND ended_at = '2025-10-18T09:10:00.000Z'"));
        QVERIFY2(rows, qPrintable(rows.errorText()));
        QCOMPARE(*rows, QStringList {sessionA});
        rows = queryRows(
            *connection, QStringLiteral("SELECT session_id FROM conversation_sessions WHERE is_active ORDER BY 1"));
        QVERIFY2(rows, qPrintable(rows.errorText()));
        QCOMPARE(*rows, QStringList {sessionB});
        const auto channel = connection->scalar(connection->isPostgreSql()
                ? QStringLiteral("SELECT metadata->>'channel' FROM conversation_sessions "
                                 "WHERE session_id = ?")
                : QStringLiteral("SELECT json_extract(metadata, '$.channel') FROM "
                                 "conversation_sessions WHERE session_id = ?"),
            {sessionB});
        QVERIFY2(channel, qPrintable(channel.errorText()));
        QCOMPARE(channel->toString(), QStringLiteral("phone"));

        // The new foreign key holds: a message for an unknown session is refused.
        const Status orphan
            = connection->exec(QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content) "
                                              "VALUES ('no-such-session', 'u-1', 'user', 'hello')"));
        QCOMPARE(orphan.code, QStringLiteral("db.constraint"));
        // And a message for a known session goes in, announced on the change feed's channel. The
        // upgrade in place keeps PostgreSQL's uuid ids, so the notification carries no id range.
        QSqlDriver* driver = connection->database().driver();
        QSignalSpy notifications(driver, &QSqlDriver::notification);
        if (connection->isPostgreSql())
            QVERIFY(driver->subscribeToNotification(QStringLiteral("voxtrack_changes")));
        VOXTRACK_VERIFY_OK(connection->exec(
            QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content, seq) "
                           "VALUES (?, 'u-1', 'user', 'third question', 4)"),
            {sessionA}));
        if (connection->isPostgreSql()) {
            QTRY_COMPARE_WITH_TIMEOUT(notifications.size(), 1, 5000);
            QCOMPARE(notifications.at(0).at(2).toString(),
                QStringLiteral(R"({"t":"messages","op":"insert","min":null,"max":null,"n":1})"));
            QVERIFY(driver->unsubscribeFromNotification(QStringLiteral("voxtrack_changes")));
        }

        // A second migrate has nothing to do.
        auto second = db->connect();
        QVERIFY(second);
        const auto again = Migrator(*second).migrate();
        QVERIFY2(again, qPrintable(again.errorText()));
        QVERIFY(!again->legacyUpgraded);
        QVERIFY(again->applied.isEmpty());
        QCOMPARE(again->versionBefore, Migrator::latestVersion(db->backend()));
    }

    void legacyUpgradeEnforcesTheConstraints_data()
    {
        QTest::addColumn<QString>("insert");
        QTest::addColumn<QString>("mentions");
        QTest::addRow("message without session_id") << QStringLiteral(
            "INSERT INTO conversation_messages (session_id, role, content) VALUES (NULL, 'user', 'x')")
                                                    << QStringLiteral("session_id");
        QTest::addRow("assistant role") << QStringLiteral(
            "INSERT INTO conversation_messages (session_id, role, content) "
            "VALUES ('%1', 'assistant', 'x')")
                                               .arg(sessionA)
                                        << QStringLiteral("conversation_messages_role_check");
    }

    void legacyUpgradeEnforcesTheConstraints()
    {
        // After migrate, an upgraded database refuses what a fresh one refuses (the doctor's
        // schema.session_id_nullable and schema.role_check_missing are errors).
        QFETCH(QString, insert);
        QFETCH(QString, mentions);
        VOXTRACK_TEST_DATABASE(db);
        auto connection = db->connect();
        QVERIFY(connection);
        VOXTRACK_VERIFY_OK(TestDatabase::execAll(*connection, legacyTables(true) + legacyRows()));
        const auto result = Migrator(*connection).migrate();
        QVERIFY2(result, qPrintable(result.errorText()));
        QVERIFY(result->legacyUpgraded);

        const Status status = connection->exec(insert);
        QVERIFY2(!status.isNull(), "the upgraded database accepted a row a fresh one refuses");
        QCOMPARE(status.code, QStringLiteral("db.constraint"));
        QVERIFY2(status.message.contains(mentions), qPrintable(status.message));
        const auto messages = connection->scalar(QStringLiteral("SELECT count(*) FROM conversation_messages"));
        QVERIFY2(messages, qPrintable(messages.errorText()));
        QCOMPARE(messages->toLongLong(), 4);
    }

    void refusesLegacyDataThatCannotMove_data()
    {
        QTest::addColumn<bool>("foreignKey");
        QTest::addColumn<QStringList>("badRows");
        QTest::addColumn<QString>("mentions");
        QTest::addColumn<QStringList>("fix");

        const QString orphanId = QStringLiteral("6f1c2a0e-0000-4000-8000-000000001099");
        const QStringList deleteOrphan {
            QStringLiteral("DELETE FROM conversation_messages WHERE id = '%1'").arg(orphanId)};
        const QString orphanWords
            = isPostgres() ? QStringLiteral("foreign key") : QStringLiteral("1 message(s) belonging to no session");
        QTest::addRow("orphan message") << true << orphanMessage(orphanId) << orphanWords << deleteOrphan;
        QTest::addRow("orphan message, old table without foreign key")
            << false
            << QStringList {legacyMessage(
                   orphanId, u'\'' + missingSession + u'\'', QStringLiteral("'user'"), QStringLiteral("orphan"))}
            << orphanWords << deleteOrphan;

        if (!isPostgres()) {
            // The SQLite upgrade rebuilds the tables from migration 0001, with all its checks.
            QTest::addRow("assistant role")
                << true
                << QStringList {legacyMessage(
                       orphanId, u'\'' + sessionC + u'\'', QStringLiteral("'assistant'"), QStringLiteral("hi"))}
                << QStringLiteral("1 message(s) with a role other than user, agent or system")
                << QStringList {QStringLiteral("UPDATE conversation_messages SET role = 'agent' WHERE role = "
                                               "'assistant'")};
            QTest::addRow("message without session_id")
                << true
                << QStringList {legacyMessage(
                       orphanId, QStringLiteral("NULL"), QStringLiteral("'user'"), QStringLiteral("lost"))}
                << QStringLiteral("1 message(s) belonging to no session") << deleteOrphan;
            QTest::addRow("session without user_id")
                << true
                << QStringList {QStringLiteral("INSERT INTO conversation_sessions (id, started_at) VALUES "
                                               "('6f1c2a0e-0000-4000-8000-0000000000dd', "
                                               "'2025-10-18T12:00:00.000Z')")}
                << QStringLiteral("1 session(s) without user_id")
                << QStringList {QStringLiteral("UPDATE conversation_sessions SET user_id = 'u-9' "
                                               "WHERE user_id IS NULL")};
            QTest::addRow("several problems")
                << true
                << (orphanMessage(orphanId)
                       + QStringList {legacyMessage(QStringLiteral("6f1c2a0e-0000-4000-8000-000000001098"),
                                          u'\'' + sessionC + u'\'', QStringLiteral("'assistant'"),
                                          QStringLiteral("hi")),
                           legacyMessage(QStringLiteral("6f1c2a0e-0000-4000-8000-000000001097"),
                               u'\'' + sessionC + u'\'', QStringLiteral("'Assistant'"), QStringLiteral("hey"))})
                << QStringLiteral("1 message(s) belonging to no session; 2 message(s) with a role other than user, "
                                  "agent or system")
                << (deleteOrphan
                       + QStringList {QStringLiteral("UPDATE conversation_messages SET role = 'agent' "
                                                     "WHERE role IN ('assistant', 'Assistant')")});
        }
    }

    void refusesLegacyDataThatCannotMove()
    {
        QFETCH(bool, foreignKey);
        QFETCH(QStringList, badRows);
        QFETCH(QString, mentions);
        QFETCH(QStringList, fix);

        VOXTRACK_TEST_DATABASE(db);
        {
            auto setup = db->connect();
            QVERIFY(setup);
            VOXTRACK_VERIFY_OK(TestDatabase::execAll(*setup, legacyTables(foreignKey) + legacyRows() + badRows));
        }

        auto connection = db->connect();
        QVERIFY(connection);
        const auto schemaBefore = dumpDatabase(*connection);
        QVERIFY2(schemaBefore, qPrintable(schemaBefore.errorText()));
        const auto rowsBefore = dumpRows(*connection);
        QVERIFY2(rowsBefore, qPrintable(rowsBefore.errorText()));
        QCOMPARE(rowsBefore->size(), 3 + 4 + badRows.filter(QStringLiteral("INSERT INTO")).size());

        const auto result = Migrator(*connection).migrate();
        QVERIFY2(!result, "the migration succeeded on data the new constraints reject");
        QCOMPARE(result.error().code, QStringLiteral("migrate.legacy_data"));
        QVERIFY2(result.error().message.contains(mentions), qPrintable(result.error().message));

        // Nothing changed, seen from the migrating connection and from a new one.
        for (int pass = 0; pass < 2; ++pass) {
            std::unique_ptr<Connection> other = pass == 0 ? nullptr : db->connect();
            QVERIFY(pass == 0 || other);
            Connection& c = pass == 0 ? *connection : *other;
            const auto schemaAfter = dumpDatabase(c);
            QVERIFY2(schemaAfter, qPrintable(schemaAfter.errorText()));
            QCOMPARE(*schemaAfter, *schemaBefore);
            const auto rowsAfter = dumpRows(c);
            QVERIFY2(rowsAfter, qPrintable(rowsAfter.errorText()));
            QCOMPARE(*rowsAfter, *rowsBefore);
            const auto schema = inspectSchema(c);
            QVERIFY2(schema, qPrintable(schema.errorText()));
            QVERIFY(schema->isLegacyShape());
            QVERIFY(!schema->sessions.hasColumn(u"session_id"));
            QVERIFY(!schema->hasMigrationsTable);
            QCOMPARE(schema->schemaVersion, 0);
        }

        // Once the rows are fixed, the upgrade goes through.
        VOXTRACK_VERIFY_OK(TestDatabase::execAll(*connection, fix));
        const auto retried = Migrator(*connection).migrate();
        QVERIFY2(retried, qPrintable(retried.errorText()));
        QVERIFY(retried->legacyUpgraded);
        QCOMPARE(retried->versionAfter, Migrator::latestVersion(db->backend()));
    }

    void refusesTamperedChecksum()
    {
        VOXTRACK_TEST_DATABASE(db);
        auto connection = db->connect();
        QVERIFY(connection);
        const auto first = Migrator(*connection).migrate();
        QVERIFY2(first, qPrintable(first.errorText()));
        VOXTRACK_VERIFY_OK(
            connection->exec(QStringLiteral("UPDATE voxtrack_schema_migrations SET checksum = 'x' WHERE version = 1")));

        const auto result = Migrator(*connection).migrate();
        QVERIFY2(!result, "a migration whose checksum differs was accepted");
        QCOMPARE(result.error().code, QStringLiteral("migrate.checksum"));
        QVERIFY2(result.error().message.contains(QStringLiteral("Migration 1 (conversation_tables)")),
            qPrintable(result.error().message));

        // The record was left as it was.
        const auto checksum
            = connection->scalar(QStringLiteral("SELECT checksum FROM voxtrack_schema_migrations WHERE version = 1"));
        QVERIFY2(checksum, qPrintable(checksum.errorText()));
        QCOMPARE(checksum->toString(), QStringLiteral("x"));
    }

    void refusesNewerDatabase()
    {
        VOXTRACK_TEST_DATABASE(db);
        auto connection = db->connect();
        QVERIFY(connection);
        const auto first = Migrator(*connection).migrate();
        QVERIFY2(first, qPrintable(first.errorText()));
        VOXTRACK_VERIFY_OK(connection->exec(QStringLiteral("INSERT INTO voxtrack_schema_migrations "
                                                           "(version, name, checksum) VALUES (9999, 'future', 'f')")));

        const auto result = Migrator(*connection).migrate();
        QVERIFY2(!result, "a database newer than the program was migrated");
        QCOMPARE(result.error().code, QStringLiteral("migrate.newer"));
        QVERIFY2(result.error().message.contains(QStringLiteral("9999")), qPrintable(result.error().message));
        const auto version = connection->scalar(QStringLiteral("SELECT max(version) FROM voxtrack_schema_migrations"));
        QVERIFY2(version, qPrintable(version.errorText()));
        QCOMPARE(version->toInt(), 9999);
    }

    void refusesReadOnlyConnection_data()
    {
        QTest::addColumn<bool>("urlReadOnly");
        QTest::addRow("read-only access") << false;
        if (!isPostgres())
            QTest::addRow("mode=ro in the URL") << true;
    }

    void refusesReadOnlyConnection()
    {
        QFETCH(bool, urlReadOnly);
        VOXTRACK_TEST_DATABASE(db);
        QStringList before;
        {
            // The SQLite file must exist for a read-only open.
            auto connection = db->connect();
            QVERIFY(connection);
            const auto first = Migrator(*connection).migrate();
            QVERIFY2(first, qPrintable(first.errorText()));
            const auto dump = dumpDatabase(*connection);
            QVERIFY2(dump, qPrintable(dump.errorText()));
            before = *dump;
        }

        DatabaseUrl url = db->url();
        if (urlReadOnly) {
            const auto parsed = DatabaseUrl::parse(url.toString() + QStringLiteral("?mode=ro"));
            QVERIFY2(parsed, qPrintable(parsed.errorText()));
            url = *parsed;
            QVERIFY(url.isReadOnly());
        }
        auto readOnly
            = Connection::open(url, urlReadOnly ? Connection::Access::ReadWrite : Connection::Access::ReadOnly);
        QVERIFY2(readOnly, qPrintable(readOnly.errorText()));
        const auto result = Migrator(**readOnly).migrate();
        QVERIFY2(!result, "a read-only connection was migrated");
        QCOMPARE(result.error().code, QStringLiteral("migrate.read_only"));

        const auto after = dumpDatabase(**readOnly);
        QVERIFY2(after, qPrintable(after.errorText()));
        QCOMPARE(*after, before);
    }
};

QTEST_GUILESS_MAIN(TestMigrations)
#include "tst_migrations.moc"
