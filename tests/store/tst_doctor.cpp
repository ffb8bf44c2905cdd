// SPDX-License-Identifier: MIT
#include "store/doctor.h"
#include "store/migrator.h"
#include "support/testdatabase.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>
#include <QSqlQuery>
#include <QTest>

using namespace voxtrack;
using namespace voxtrack::store;
using voxtrack::test::TestDatabase;

namespace {

/// One defect planted in a clean, migrated database. Statements use placeholders that each
/// backend fills: {TRUE} {FALSE} {NOW} {DAYS_AGO_2}. Lines starting with "rebuild " (SQLite
/// only) rewrite a table's CREATE statement: "rebuild <table> /<regex>/<replacement>/".
struct Defect {
    QStringList postgres;
    QStringList sqlite;
};

QString fill(QString statement, bool postgres)
{
    statement.replace(QStringLiteral("{TRUE}"), postgres ? QStringLiteral("true") : QStringLiteral("1"));
    statement.replace(QStringLiteral("{FALSE}"), postgres ? QStringLiteral("false") : QStringLiteral("0"));
    statement.replace(QStringLiteral("{NOW}"),
        postgres ? QStringLiteral("now()") : QStringLiteral("strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"));
    statement.replace(QStringLiteral("{DAYS_AGO_2}"),
        postgres ? QStringLiteral("now() - interval '2 days'")
                 : QStringLiteral("strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-2 days')"));
    return statement;
}

const QStringList cleanData {
    QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, session_start, started_at, session_end, "
                   "ended_at, duration_seconds, is_active, metadata, message_count, end_reason) VALUES "
                   "('good-1', 'user-1', '2025-10-18T09:30:00.000Z', '2025-10-18T09:30:00.000Z', "
                   "'2025-10-18T09:30:45.200Z', '2025-10-18T09:30:45.200Z', 45.2, {FALSE}, '{\"channel\": \"web\"}', "
                   "3, 'client_closed')"),
    QStringLiteral(
        "INSERT INTO conversation_messages (session_id, user_id, role, content, created_at, message_id, seq) "
        "VALUES ('good-1', 'user-1', 'system', 'You are a market assistant.', '2025-10-18T09:30:00.100Z', "
        "'00000000-0000-4000-8000-000000000001', 1)"),
    QStringLiteral(
        "INSERT INTO conversation_messages (session_id, user_id, role, content, created_at, message_id, seq) "
        "VALUES ('good-1', 'user-1', 'user', 'What''s the price of Tesla?', '2025-10-18T09:30:05.000Z', "
        "'00000000-0000-4000-8000-000000000002', 2)"),
    QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content, audio_url, created_at, "
                   "message_id, seq) VALUES ('good-1', 'user-1', 'agent', 'The latest price for Tesla is 251.30.', "
                   "'https://example.invalid/a.wav', '2025-10-18T09:30:06.500Z', "
                   "'00000000-0000-4000-8000-000000000003', 3)"),
    QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, session_start, started_at, is_active, "
                   "message_count) VALUES ('good-2', 'user-2', {NOW}, {NOW}, {TRUE}, 1)"),
    QStringLiteral(
        "INSERT INTO conversation_messages (session_id, user_id, role, content, created_at, message_id, seq) "
        "SELECT 'good-2', 'user-2', 'user', 'Hello?', started_at, "
        "'00000000-0000-4000-8000-000000000004', 1 FROM conversation_sessions WHERE session_id = 'good-2'"),
};

/// SQLite cannot drop constraints: rebuild the table from its edited CREATE statement,
/// keeping rows and indexes.
Status sqliteRebuild(Connection& connection, const QString& table, const QString& pattern, const QString& replacement)
{
    const auto createSql
        = connection.scalar(QStringLiteral("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?"), {table});
    if (!createSql)
        return createSql.error();
    QString sql = createSql->toString();
    const QString edited = QString(sql).replace(QRegularExpression(pattern), replacement);
    if (edited == sql)
        return {
            QStringLiteral("test.rebuild"), QStringLiteral("the pattern %1 matched nothing in %2").arg(pattern, sql)};
    QStringList indexes;
    QSqlQuery query(connection.database());
    if (!query.exec(QStringLiteral("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = '%1' "
                                   "AND sql IS NOT NULL")
                        .arg(table)))
        return queryError(query, QStringLiteral("index list"));
    while (query.next())
        indexes << query.value(0).toString();
    query.finish();
    const QString rebuilt = table + QStringLiteral("_rebuilt");
    QString create = edited;
    create.replace(QRegularExpression(QStringLiteral(R"(^CREATE TABLE\s+(IF NOT EXISTS\s+)?"?\w+"?)")),
        QStringLiteral("CREATE TABLE ") + rebuilt);
    QStringList statements {QStringLiteral("PRAGMA foreign_keys=OFF"), create,
        QStringLiteral("INSERT INTO %1 SELECT * FROM %2").arg(rebuilt, table),
        QStringLiteral("DROP TABLE %1").arg(table), QStringLiteral("ALTER TABLE %1 RENAME TO %2").arg(rebuilt, table)};
    statements << indexes << QStringLiteral("PRAGMA foreign_keys=ON");
    return TestDatabase::execAll(connection, statements);
}

Status plant(Connection& connection, const QStringList& statements)
{
    const bool postgres = connection.isPostgreSql();
    static const QRegularExpression rebuild(QStringLiteral(R"(^rebuild (\w+) /(.*)/(.*)/$)"));
    for (const QString& statement : statements) {
        const auto match = rebuild.match(statement);
        Status status = match.hasMatch()
            ? sqliteRebuild(connection, match.captured(1), match.captured(2), match.captured(3))
            : connection.exec(fill(statement, postgres));
        if (!status.isNull())
            return status;
    }
    return {};
}

QStringList sorted(QStringList list)
{
    list.sort();
    return list;
}

} // namespace

Q_DECLARE_METATYPE(Defect)

class TestDoctor : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestDatabase> m_database;
    std::unique_ptr<Connection> m_connection;

    DoctorReport runDoctor(DoctorOptions options = {})
    {
        auto readOnly = Connection::open(m_database->url(), Connection::Access::ReadOnly);
        if (!readOnly) {
            QTest::qFail(qPrintable(readOnly.errorText()), __FILE__, __LINE__);
            return {};
        }
        Doctor doctor(**readOnly, options);
        auto report = doctor.run();
        if (!report) {
            QTest::qFail(qPrintable(report.errorText()), __FILE__, __LINE__);
            return {};
        }
        return *report;
    }

private Q_SLOTS:
    void init()
    {
        auto created = TestDatabase::create();
        QVERIFY2(created.hasValue(), qPrintable(created.errorText()));
        m_database = std::move(*created);
        m_connection = m_database->connect();
        QVERIFY(m_connection);
        const auto migrated = Migrator(*m_connection).migrate();
        QVERIFY2(migrated.hasValue(), qPrintable(migrated.errorText()));
        VOXTRACK_VERIFY_OK(plant(*m_connection, cleanData));
    }

    void cleanup()
    {
        m_connection.reset();
        m_database.reset();
    }

    void cleanDatabaseHasNoFinding()
    {
        const DoctorReport report = runDoctor();
        QCOMPARE(report.failedIds(), QStringList());
        QCOMPARE(report.notChecked(), 0);
        QCOMPARE(report.checks.size(), Doctor::catalogue().size());
        QVERIFY(!report.hasErrors());
    }

    void everyCheckHasAStableIdTitleAndHint()
    {
        QSet<QString> ids;
        static const QRegularExpression idShape(QStringLiteral(R"(^(schema|data)\.[a-z_]+$)"));
        for (const CheckResult& check : Doctor::catalogue()) {
            QVERIFY2(idShape.match(check.id).hasMatch(), qPrintable(check.id));
            QVERIFY2(!ids.contains(check.id), qPrintable(check.id));
            ids.insert(check.id);
            QVERIFY(!check.title.isEmpty());
            QVERIFY(!check.hint.isEmpty());
        }
    }

    void eachDefectYieldsItsFinding_data()
    {
        QTest::addColumn<Defect>("defect");
        QTest::addColumn<QStringList>("postgresFindings");
        QTest::addColumn<QStringList>("sqliteFindings");
        auto ids = [](std::initializer_list<const char*> list) {
            QStringList out;
            for (const char* id : list)
                out << QString::fromLatin1(id);
            return out;
        };
        const QString roleCheck = QStringLiteral(
            R"(CONSTRAINT conversation_messages_role_check CHECK \(role IN \('user', 'agent', 'system'\)\),)");

        QTest::addRow("schema.role_check_missing")
            << Defect {{QStringLiteral(
                           "ALTER TABLE conversation_messages DROP CONSTRAINT conversation_messages_role_check")},
                   {QStringLiteral("rebuild conversation_messages /%1//").arg(roleCheck)}}
            << ids({"schema.role_check_missing"}) << ids({"schema.role_check_missing"});
        QTest::addRow("schema.role_check_mismatch (assistant allowed)")
            << Defect {{QStringLiteral(
                            "ALTER TABLE conversation_messages DROP CONSTRAINT conversation_messages_role_check"),
                           QStringLiteral(
                               "ALTER TABLE conversation_messages ADD CONSTRAINT conversation_messages_role_check "
                               "CHECK (role IN ('user', 'assistant', 'system', 'agent'))")},
                   {QStringLiteral("rebuild conversation_messages /'agent', 'system'/'agent', 'system', 'assistant'/")}}
            << ids({"schema.role_check_mismatch"}) << ids({"schema.role_check_mismatch"});
        QTest::addRow("schema.role_check_mismatch (system missing)")
            << Defect {{QStringLiteral(
                            "ALTER TABLE conversation_messages DROP CONSTRAINT conversation_messages_role_check"),
                           QStringLiteral("DELETE FROM conversation_messages WHERE role = 'system'"),
                           QStringLiteral(
                               "UPDATE conversation_sessions SET message_count = 2 WHERE session_id = 'good-1'"),
                           QStringLiteral(
                               "ALTER TABLE conversation_messages ADD CONSTRAINT conversation_messages_role_check "
                               "CHECK (role IN ('user', 'agent'))")},
                   {QStringLiteral("DELETE FROM conversation_messages WHERE role = 'system'"),
                       QStringLiteral("UPDATE conversation_sessions SET message_count = 2 WHERE session_id = 'good-1'"),
                       QStringLiteral("rebuild conversation_messages /'agent', 'system'/'agent'/")}}
            << ids({"schema.role_check_mismatch"}) << ids({"schema.role_check_mismatch"});
        QTest::addRow("schema.session_fk_missing") << Defect {{QStringLiteral(
                                                                  "ALTER TABLE conversation_messages DROP CONSTRAINT "
                                                                  "conversation_messages_session_id_fkey")},
            {QStringLiteral(
                R"(rebuild conversation_messages /,\s*CONSTRAINT conversation_messages_session_id_fkey FOREIGN KEY \(session_id\)\s*REFERENCES conversation_sessions \(session_id\) ON DELETE CASCADE//)")}}
                                                   << ids({"schema.session_fk_missing"})
                                                   << ids({"schema.session_fk_missing"});
        QTest::addRow("schema.session_id_nullable")
            << Defect {{QStringLiteral("ALTER TABLE conversation_messages ALTER COLUMN session_id DROP NOT NULL")},
                   {QStringLiteral("rebuild conversation_messages /session_id TEXT NOT NULL/session_id TEXT/")}}
            << ids({"schema.session_id_nullable"}) << ids({"schema.session_id_nullable"});
        QTest::addRow("schema.session_id_not_unique") << Defect {{QStringLiteral(
                                                                      "ALTER TABLE conversation_messages DROP "
                                                                      "CONSTRAINT "
                                                                      "conversation_messages_session_id_fkey"),
                                                                     QStringLiteral(
                                                                         "ALTER TABLE conversation_sessions DROP "
                                                                         "CONSTRAINT "
                                                                         "conversation_sessions_session_id_key")},
            {QStringLiteral(
                R"(rebuild conversation_sessions /,\s*CONSTRAINT conversation_sessions_session_id_key UNIQUE \(session_id\)//)")}}
                                                      // PostgreSQL will not drop the unique key while the foreign key
                                                      // needs it.
                                                      << ids({"schema.session_fk_missing",
                                                             "schema.session_id_not_unique"})
                                                      << ids({"schema.session_id_not_unique"});
        QTest::addRow("schema.not_null_missing")
            << Defect {{QStringLiteral("ALTER TABLE conversation_messages ALTER COLUMN content DROP NOT NULL")},
                   {QStringLiteral("rebuild conversation_messages /content TEXT NOT NULL/content TEXT/")}}
            << ids({"schema.not_null_missing"}) << ids({"schema.not_null_missing"});
        QTest::addRow("schema.message_id_not_unique")
            << Defect {{QStringLiteral("DROP INDEX conversation_messages_message_id_key")},
                   {QStringLiteral("DROP INDEX conversation_messages_message_id_key")}}
            << ids({"schema.message_id_not_unique"}) << ids({"schema.message_id_not_unique"});
        QTest::addRow("schema.message_index_missing")
            << Defect {{QStringLiteral("DROP INDEX conversation_messages_session_created_idx"),
                           QStringLiteral("DROP INDEX conversation_messages_session_seq_idx")},
                   {QStringLiteral("DROP INDEX conversation_messages_session_created_idx"),
                       QStringLiteral("DROP INDEX conversation_messages_session_seq_idx")}}
            << ids({"schema.message_index_missing"}) << ids({"schema.message_index_missing"});
        QTest::addRow("schema.tracking_columns_missing")
            << Defect {{QStringLiteral("ALTER TABLE conversation_messages DROP COLUMN seq")},
                   {QStringLiteral("DROP INDEX conversation_messages_session_seq_idx"),
                       QStringLiteral("ALTER TABLE conversation_messages DROP COLUMN seq")}}
            << ids({"schema.tracking_columns_missing"}) << ids({"schema.tracking_columns_missing"});
        QTest::addRow("schema.missing_columns")
            << Defect {{QStringLiteral("ALTER TABLE conversation_messages DROP COLUMN audio_url")},
                   {QStringLiteral("ALTER TABLE conversation_messages DROP COLUMN audio_url")}}
            << ids({"schema.missing_columns"}) << ids({"schema.missing_columns"});

        QTest::addRow("data.role_invalid (assistant)")
            << Defect {{QStringLiteral(
                            "ALTER TABLE conversation_messages DROP CONSTRAINT conversation_messages_role_check"),
                           QStringLiteral("UPDATE conversation_messages SET role = 'assistant' WHERE role = 'agent'"),
                           QStringLiteral(
                               "ALTER TABLE conversation_messages ADD CONSTRAINT conversation_messages_role_check "
                               "CHECK (role IN ('user', 'agent', 'system')) NOT VALID")},
                   {QStringLiteral("PRAGMA ignore_check_constraints=ON"),
                       QStringLiteral("UPDATE conversation_messages SET role = 'assistant' WHERE role = 'agent'"),
                       QStringLiteral("PRAGMA ignore_check_constraints=OFF")}}
            // A check added NOT VALID is how PostgreSQL keeps such a row: that is a finding too.
            << ids({"data.role_invalid", "schema.role_check_not_validated"}) << ids({"data.role_invalid"});
        QTest::addRow("data.orphan_messages")
            << Defect {{QStringLiteral("SET session_replication_role = replica"),
                           QStringLiteral(
                               "INSERT INTO conversation_messages (session_id, user_id, role, content, created_at) "
                               "VALUES ('missing-session', 'user-1', 'user', 'lost', {NOW})"),
                           QStringLiteral("SET session_replication_role = DEFAULT")},
                   {QStringLiteral("PRAGMA foreign_keys=OFF"),
                       QStringLiteral(
                           "INSERT INTO conversation_messages (session_id, user_id, role, content, created_at) "
                           "VALUES ('missing-session', 'user-1', 'user', 'lost', {NOW})"),
                       QStringLiteral("PRAGMA foreign_keys=ON")}}
            << ids({"data.orphan_messages"}) << ids({"data.orphan_messages"});
        QTest::addRow("data.null_session_id")
            << Defect {{QStringLiteral("ALTER TABLE conversation_messages ALTER COLUMN session_id DROP NOT NULL"),
                           QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content) "
                                          "VALUES (NULL, 'user-1', 'user', 'no session')")},
                   {QStringLiteral("rebuild conversation_messages /session_id TEXT NOT NULL/session_id TEXT/"),
                       QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content) "
                                      "VALUES (NULL, 'user-1', 'user', 'no session')")}}
            << ids({"data.null_session_id", "schema.session_id_nullable"})
            << ids({"data.null_session_id", "schema.session_id_nullable"});
        QTest::addRow("data.null_required")
            << Defect {{QStringLiteral("ALTER TABLE conversation_messages ALTER COLUMN content DROP NOT NULL"),
                           QStringLiteral("UPDATE conversation_messages SET content = NULL WHERE role = 'user' "
                                          "AND session_id = 'good-2'")},
                   {QStringLiteral("rebuild conversation_messages /content TEXT NOT NULL/content TEXT/"),
                       QStringLiteral("UPDATE conversation_messages SET content = NULL WHERE role = 'user' "
                                      "AND session_id = 'good-2'")}}
            << ids({"data.null_required", "schema.not_null_missing"})
            << ids({"data.null_required", "schema.not_null_missing"});
        const QString duplicateSession
            = QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, session_start, started_at, "
                             "session_end, ended_at, duration_seconds, is_active, message_count) SELECT session_id, "
                             "user_id, session_start, started_at, session_end, ended_at, duration_seconds, is_active, "
                             "message_count FROM conversation_sessions WHERE session_id = 'good-1'");
        QTest::addRow("data.duplicate_session_id") << Defect {{QStringLiteral(
                                                                   "ALTER TABLE conversation_messages DROP CONSTRAINT "
                                                                   "conversation_messages_session_id_fkey"),
                                                                  QStringLiteral(
                                                                      "ALTER TABLE conversation_sessions DROP "
                                                                      "CONSTRAINT "
                                                                      "conversation_sessions_session_id_key"),
                                                                  duplicateSession},
            {QStringLiteral(
                 R"(rebuild conversation_sessions /,\s*CONSTRAINT conversation_sessions_session_id_key UNIQUE \(session_id\)//)"),
                // SQLite refuses writes to a parent whose referenced column lost its unique key.
                QStringLiteral("PRAGMA foreign_keys=OFF"), duplicateSession, QStringLiteral("PRAGMA foreign_keys=ON")}}
                                                   << ids({"data.duplicate_session_id", "schema.session_fk_missing",
                                                          "schema.session_id_not_unique"})
                                                   << ids({"data.duplicate_session_id",
                                                          "schema.session_id_not_unique"});
        const QString duplicateMessage
            = QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content, created_at, "
                             "message_id, seq) SELECT session_id, user_id, role, content, created_at, message_id, 2 "
                             "FROM conversation_messages WHERE session_id = 'good-2'");
        QTest::addRow("data.duplicate_message_id")
            << Defect {{QStringLiteral("DROP INDEX conversation_messages_message_id_key"), duplicateMessage},
                   {QStringLiteral("DROP INDEX conversation_messages_message_id_key"), duplicateMessage}}
            << ids({"data.duplicate_message_id", "schema.message_id_not_unique"})
            << ids({"data.duplicate_message_id", "schema.message_id_not_unique"});
        const QString endWithoutDeactivating
            = QStringLiteral("UPDATE conversation_sessions SET session_end = started_at, ended_at = started_at, "
                             "duration_seconds = 0 WHERE session_id = 'good-2'");
        QTest::addRow("data.ended_but_active") << Defect {{endWithoutDeactivating}, {endWithoutDeactivating}}
                                               << ids({"data.ended_but_active"}) << ids({"data.ended_but_active"});
        const QString deactivate
            = QStringLiteral("UPDATE conversation_sessions SET is_active = {FALSE} WHERE session_id = 'good-2'");
        QTest::addRow("data.inactive_without_end")
            << Defect {{deactivate}, {deactivate}} << ids({"data.inactive_without_end"})
            << ids({"data.inactive_without_end"});
        const QString staleSession
            = QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, session_start, started_at, "
                             "is_active) VALUES ('never-ended', 'user-3', {DAYS_AGO_2}, {DAYS_AGO_2}, {TRUE})");
        QTest::addRow("data.stale_active")
            << Defect {{staleSession}, {staleSession}} << ids({"data.stale_active"}) << ids({"data.stale_active"});
        const QString wrongDuration
            = QStringLiteral("UPDATE conversation_sessions SET duration_seconds = 75.2 WHERE session_id = 'good-1'");
        QTest::addRow("data.duration_mismatch") << Defect {{wrongDuration}, {wrongDuration}}
                                                << ids({"data.duration_mismatch"}) << ids({"data.duration_mismatch"});
        const QString noDuration
            = QStringLiteral("UPDATE conversation_sessions SET duration_seconds = NULL WHERE session_id = 'good-1'");
        QTest::addRow("data.duration_mismatch (missing)")
            << Defect {{noDuration}, {noDuration}} << ids({"data.duration_mismatch"})
            << ids({"data.duration_mismatch"});
        const QString startDiverges = QStringLiteral(
            "UPDATE conversation_sessions SET session_start = '2025-10-18T09:00:00.000Z' WHERE session_id = 'good-1'");
        QTest::addRow("data.start_columns_diverge")
            << Defect {{startDiverges}, {startDiverges}} << ids({"data.start_columns_diverge"})
            << ids({"data.start_columns_diverge"});
        const QString endMissing
            = QStringLiteral("UPDATE conversation_sessions SET session_end = NULL WHERE session_id = 'good-1'");
        QTest::addRow("data.end_columns_diverge")
            << Defect {{endMissing}, {endMissing}} << ids({"data.end_columns_diverge"})
            << ids({"data.end_columns_diverge"});
        const QStringList lateMessage {
            QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content, created_at, seq) "
                           "VALUES ('good-1', 'user-1', 'agent', 'too late', '2025-10-18T10:30:00.000Z', 4)"),
            QStringLiteral("UPDATE conversation_sessions SET message_count = 4 WHERE session_id = 'good-1'")};
        QTest::addRow("data.message_outside_session")
            << Defect {lateMessage, lateMessage} << ids({"data.message_outside_session"})
            << ids({"data.message_outside_session"});
        const QString wrongCount
            = QStringLiteral("UPDATE conversation_sessions SET message_count = 7 WHERE session_id = 'good-1'");
        QTest::addRow("data.message_count_mismatch")
            << Defect {{wrongCount}, {wrongCount}} << ids({"data.message_count_mismatch"})
            << ids({"data.message_count_mismatch"});

        // The four failures of the conversation-tracking write-up at once: no role check and an
        // 'assistant' row, an orphan message, a NULL session_id, a session never ended.
        const QString assistant
            = QStringLiteral("UPDATE conversation_messages SET role = 'assistant' WHERE role = 'agent'");
        const QString orphan
            = QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content, created_at) "
                             "VALUES ('missing-session', 'user-1', 'user', 'lost', {NOW})");
        const QString nullSession = QStringLiteral(
            "INSERT INTO conversation_messages (session_id, user_id, role, content) VALUES (NULL, 'u', 'user', 'x')");
        QTest::addRow("the write-up's four failures") << Defect {{QStringLiteral(
                                                                      "ALTER TABLE conversation_messages DROP "
                                                                      "CONSTRAINT conversation_messages_role_check"),
                                                                     QStringLiteral(
                                                                         "ALTER TABLE conversation_messages DROP "
                                                                         "CONSTRAINT "
                                                                         "conversation_messages_session_id_fkey"),
                                                                     QStringLiteral(
                                                                         "ALTER TABLE conversation_messages ALTER "
                                                                         "COLUMN session_id DROP NOT NULL"),
                                                                     assistant, orphan, nullSession, staleSession},
            {QStringLiteral("rebuild conversation_messages /%1//").arg(roleCheck),
                QStringLiteral(
                    R"(rebuild conversation_messages /,\s*CONSTRAINT conversation_messages_session_id_fkey FOREIGN KEY \(session_id\)\s*REFERENCES conversation_sessions \(session_id\) ON DELETE CASCADE//)"),
                QStringLiteral("rebuild conversation_messages /session_id TEXT NOT NULL/session_id TEXT/"), assistant,
                orphan, nullSession, staleSession}}
                                                      << ids({"schema.role_check_missing", "schema.session_fk_missing",
                                                             "schema.session_id_nullable", "data.role_invalid",
                                                             "data.orphan_messages", "data.null_session_id",
                                                             "data.stale_active"})
                                                      << ids({"schema.role_check_missing", "schema.session_fk_missing",
                                                             "schema.session_id_nullable", "data.role_invalid",
                                                             "data.orphan_messages", "data.null_session_id",
                                                             "data.stale_active"});
    }

    void eachDefectYieldsItsFinding()
    {
        QFETCH(Defect, defect);
        QFETCH(QStringList, postgresFindings);
        QFETCH(QStringList, sqliteFindings);
        const bool postgres = m_database->isPostgreSql();
        VOXTRACK_VERIFY_OK(plant(*m_connection, postgres ? defect.postgres : defect.sqlite));

        const DoctorReport report = runDoctor();
        const QStringList expected = postgres ? postgresFindings : sqliteFindings;
        QCOMPARE(sorted(report.failedIds()), sorted(expected));
        for (const QString& id : expected) {
            const CheckResult* check = report.check(id);
            QVERIFY(check);
            QVERIFY2(check->count > 0, qPrintable(id));
            QVERIFY2(!check->samples.isEmpty(), qPrintable(id));
            QVERIFY(check->samples.size() <= 5);
        }
        const bool anyError = std::any_of(expected.cbegin(), expected.cend(),
            [&](const QString& id) { return report.check(id)->severity == Severity::Error; });
        QCOMPARE(report.hasErrors(), anyError);
    }

    void samplesNameTheRowsAndAreCapped()
    {
        QStringList statements;
        for (int i = 0; i < 8; ++i) {
            statements << QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, session_start, "
                                         "started_at, is_active) VALUES ('stale-%1', 'u', {DAYS_AGO_2}, {DAYS_AGO_2}, "
                                         "{TRUE})")
                              .arg(i);
        }
        VOXTRACK_VERIFY_OK(plant(*m_connection, statements));
        const DoctorReport report = runDoctor();
        const CheckResult* stale = report.check(u"data.stale_active");
        QVERIFY(stale);
        QCOMPARE(stale->count, 8);
        QCOMPARE(stale->samples.size(), 5);
        QCOMPARE(stale->samples.constFirst(), QStringLiteral("stale-0"));

        DoctorOptions longer;
        longer.staleAfterSeconds = 3 * 24 * 3600;
        QCOMPARE(runDoctor(longer).check(u"data.stale_active")->status, CheckResult::Status::Passed);
    }

    void seedShapeWithoutTrackingColumnsReportsWhatItCannotCheck()
    {
        // A database of the conversation tables' shape made by someone else: no tracking columns.
        const bool postgres = m_database->isPostgreSql();
        QStringList statements {QStringLiteral("DROP INDEX conversation_messages_session_seq_idx"),
            QStringLiteral("DROP INDEX conversation_messages_message_id_key"),
            QStringLiteral("ALTER TABLE conversation_messages DROP COLUMN seq"),
            QStringLiteral("ALTER TABLE conversation_messages DROP COLUMN message_id")};
        if (postgres) {
            statements << QStringLiteral("ALTER TABLE conversation_sessions DROP COLUMN message_count")
                       << QStringLiteral("ALTER TABLE conversation_sessions DROP COLUMN end_reason");
        } else {
            // SQLite cannot drop a column with a CHECK constraint: rebuild without both.
            statements << QStringLiteral(
                R"(rebuild conversation_sessions /,\s*message_count INTEGER NOT NULL DEFAULT 0,\s*end_reason TEXT\s*CONSTRAINT conversation_sessions_end_reason_check\s*CHECK \(end_reason IN \([^)]*\)\)//)");
        }
        if (!postgres) {
            // rebuild copies columns with SELECT *: the rebuilt table has two columns fewer.
            statements.removeLast();
            VOXTRACK_VERIFY_OK(plant(*m_connection, statements));
            VOXTRACK_VERIFY_OK(TestDatabase::execAll(*m_connection,
                {QStringLiteral("PRAGMA foreign_keys=OFF"),
                    QStringLiteral(
                        "CREATE TABLE s2 AS SELECT id, session_id, user_id, session_start, started_at, "
                        "session_end, ended_at, duration_seconds, is_active, metadata FROM conversation_sessions"),
                    QStringLiteral("DROP TABLE conversation_sessions"),
                    QStringLiteral(
                        "CREATE TABLE conversation_sessions (id INTEGER PRIMARY KEY, session_id TEXT NOT NULL "
                        "UNIQUE, user_id TEXT NOT NULL, session_start TEXT NOT NULL, started_at TEXT NOT NULL, "
                        "session_end TEXT, ended_at TEXT, duration_seconds REAL, is_active INTEGER NOT NULL, "
                        "metadata TEXT NOT NULL DEFAULT '{}')"),
                    QStringLiteral("INSERT INTO conversation_sessions SELECT * FROM s2"),
                    QStringLiteral("DROP TABLE s2"), QStringLiteral("PRAGMA foreign_keys=ON")}));
        } else {
            VOXTRACK_VERIFY_OK(plant(*m_connection, statements));
        }

        const DoctorReport report = runDoctor();
        QCOMPARE(report.failedIds(), QStringList {QStringLiteral("schema.tracking_columns_missing")});
        QCOMPARE(report.check(u"schema.tracking_columns_missing")->severity, Severity::Info);
        QCOMPARE(report.check(u"schema.tracking_columns_missing")->count, 4);
        QVERIFY(!report.hasErrors());
        for (const char* id :
            {"data.duplicate_message_id", "data.message_count_mismatch", "schema.message_id_not_unique"}) {
            const CheckResult* check = report.check(QString::fromLatin1(id));
            QCOMPARE(check->status, CheckResult::Status::NotChecked);
            QVERIFY2(check->reason.contains(QStringLiteral("needs")), qPrintable(check->reason));
        }
    }

    void legacyShapeIsRecognised()
    {
        // The first shape: sessions keyed by id, messages pointing at it.
        const bool postgres = m_database->isPostgreSql();
        const QString idType = postgres ? QStringLiteral("text") : QStringLiteral("TEXT");
        VOXTRACK_VERIFY_OK(TestDatabase::execAll(*m_connection,
            {QStringLiteral("DROP TABLE conversation_messages"), QStringLiteral("DROP TABLE conversation_sessions"),
                QStringLiteral(
                    "CREATE TABLE conversation_sessions (id %1 PRIMARY KEY, user_id text NOT NULL, "
                    "started_at %2 NOT NULL, ended_at %2, duration_seconds real, is_active boolean NOT NULL, "
                    "metadata text NOT NULL DEFAULT '{}')")
                    .arg(idType, postgres ? QStringLiteral("timestamptz") : QStringLiteral("TEXT")),
                QStringLiteral("CREATE TABLE conversation_messages (id integer PRIMARY KEY, session_id %1 NOT NULL "
                               "REFERENCES conversation_sessions (id), user_id text, role text NOT NULL CHECK (role IN "
                               "('user', 'agent', 'system')), content text NOT NULL, audio_url text, metadata text, "
                               "created_at %2 NOT NULL)")
                    .arg(idType, postgres ? QStringLiteral("timestamptz") : QStringLiteral("TEXT")),
                QStringLiteral("CREATE INDEX legacy_messages_idx ON conversation_messages (session_id, created_at)")}));
        const DoctorReport report = runDoctor();
        const QStringList failed = report.failedIds();
        QVERIFY2(failed.contains(QStringLiteral("schema.legacy_shape")), qPrintable(failed.join(u' ')));
        QVERIFY2(failed.contains(QStringLiteral("schema.session_fk_missing")), qPrintable(failed.join(u' ')));
        QVERIFY(report.check(u"schema.session_fk_missing")->samples.constFirst().contains(QStringLiteral("(id)")));
        QVERIFY2(failed.contains(QStringLiteral("schema.missing_columns")), qPrintable(failed.join(u' ')));
        QVERIFY(report.check(u"schema.missing_columns")
                    ->samples.contains(QStringLiteral("conversation_sessions.session_start")));
        QVERIFY(!report.check(u"schema.missing_columns")
                     ->samples.contains(QStringLiteral("conversation_sessions.session_id")));
        QCOMPARE(report.check(u"schema.session_id_not_unique")->status, CheckResult::Status::NotChecked);
        QVERIFY(report.hasErrors());
    }

    void notAConversationDatabaseIsAnError()
    {
        VOXTRACK_VERIFY_OK(TestDatabase::execAll(*m_connection,
            {QStringLiteral("DROP TABLE conversation_messages"), QStringLiteral("DROP TABLE conversation_sessions")}));
        auto readOnly = Connection::open(m_database->url(), Connection::Access::ReadOnly);
        QVERIFY(readOnly);
        const auto report = Doctor(**readOnly).run();
        QVERIFY(!report);
        QCOMPARE(report.error().code, QStringLiteral("doctor.not_conversation_db"));
    }

    void doctorWritesNothing()
    {
        const auto before = m_connection->scalar(QStringLiteral("SELECT count(*) FROM conversation_messages"));
        QVERIFY(before);
        runDoctor();
        auto readOnly = Connection::open(m_database->url(), Connection::Access::ReadOnly);
        QVERIFY(readOnly);
        const Status write = (*readOnly)->exec(
            QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id) VALUES ('w', 'u')"));
        QVERIFY2(!write.isNull(), "a read-only connection accepted a write");
        const auto after = m_connection->scalar(QStringLiteral("SELECT count(*) FROM conversation_messages"));
        QCOMPARE(after->toLongLong(), before->toLongLong());
    }

    void reportAsJsonIsStable()
    {
        VOXTRACK_VERIFY_OK(plant(*m_connection,
            {QStringLiteral("UPDATE conversation_sessions SET message_count = 9 "
                            "WHERE session_id = 'good-1'")}));
        const QJsonObject json = runDoctor().toJson();
        QCOMPARE(json.value(QStringLiteral("backend")).toString(),
            m_database->isPostgreSql() ? QStringLiteral("postgresql") : QStringLiteral("sqlite"));
        QCOMPARE(json.value(QStringLiteral("summary")).toObject().value(QStringLiteral("warnings")).toInt(), 1);
        QCOMPARE(json.value(QStringLiteral("summary")).toObject().value(QStringLiteral("errors")).toInt(), 0);
        const QJsonArray checks = json.value(QStringLiteral("checks")).toArray();
        QCOMPARE(checks.size(), Doctor::catalogue().size());
        bool found = false;
        for (const QJsonValue& value : checks) {
            const QJsonObject check = value.toObject();
            for (const char* key : {"id", "severity", "status", "title", "count", "samples", "hint"})
                QVERIFY2(check.contains(QLatin1String(key)), key);
            if (check.value(QStringLiteral("id")).toString() == u"data.message_count_mismatch") {
                found = true;
                QCOMPARE(check.value(QStringLiteral("status")).toString(), QStringLiteral("failed"));
                QCOMPARE(check.value(QStringLiteral("count")).toInt(), 1);
                QVERIFY(check.value(QStringLiteral("samples")).toArray().at(0).toString().startsWith(u"good-1"));
            }
        }
        QVERIFY(found);
        QVERIFY(!json.value(QStringLiteral("database")).toString().contains(u"@") || !m_database->isPostgreSql()
            || json.value(QStringLiteral("database")).toString().contains(QStringLiteral("***")));
    }
};

QTEST_GUILESS_MAIN(TestDoctor)
#include "tst_doctor.moc"
