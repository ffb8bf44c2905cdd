// SPDX-License-Identifier: MIT
#include "store/connection.h"
#include "store/migrator.h"
#include "support/testdatabase.h"

#include <QLoggingCategory>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTest>

using namespace voxtrack;
using namespace voxtrack::store;
using voxtrack::test::testBackend;
using voxtrack::test::TestDatabase;

namespace {

const QString firstMessageId = QStringLiteral("00000000-0000-4000-8000-000000000001");
const QString otherMessageId = QStringLiteral("00000000-0000-4000-8000-000000000002");

bool isPostgres()
{
    return testBackend() == Backend::PostgreSql;
}

/// A message for session s-1 with the given role (an SQL expression).
QString messageWithRole(const QString& role)
{
    return QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content) "
                          "VALUES ('s-1', 'u-1', %1, 'hello')")
        .arg(role);
}

/// A new session s-2 with the given end_reason (an SQL expression).
QString sessionWithEndReason(const QString& reason)
{
    return QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, is_active, end_reason) "
                          "VALUES ('s-2', 'u-1', FALSE, %1)")
        .arg(reason);
}

/// A new session s-2 with the given metadata (an SQL expression).
QString sessionWithMetadata(const QString& metadata)
{
    return QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, metadata) VALUES ('s-2', 'u-1', %1)")
        .arg(metadata);
}

/// Every row of both tables, for "nothing was written" comparisons.
Expected<QStringList> dumpRows(Connection& connection)
{
    QStringList dump;
    for (const auto table : {u"conversation_sessions", u"conversation_messages"}) {
        const QString name = QString::fromUtf16(table);
        QSqlQuery query(connection.database());
        query.setForwardOnly(true);
        const QString sql = QStringLiteral("SELECT * FROM %1 ORDER BY id").arg(name);
        if (Status status = execQuery(query, sql); !status.isNull())
            return status;
        while (query.next()) {
            QStringList values;
            for (int i = 0; i < query.record().count(); ++i)
                values << (query.isNull(i) ? QStringLiteral("NULL") : query.value(i).toString());
            dump << name + u' ' + values.join(u'|');
        }
    }
    return dump;
}

} // namespace

class TestConstraints : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestDatabase> m_db;
    std::unique_ptr<Connection> m_connection;
    QStringList m_rowsBefore;

    /// count(*) of a table, or -1 (and a failed test) when the query fails.
    qint64 count(const QString& table)
    {
        const auto n = m_connection->scalar(QStringLiteral("SELECT count(*) FROM %1").arg(table));
        if (!n) {
            QTest::qFail(qPrintable(n.errorText()), __FILE__, __LINE__);
            return -1;
        }
        return n->toLongLong();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QLoggingCategory::setFilterRules(QStringLiteral("voxtrack.store.migrations.info=false"));
        qInfo("backend: %s", qPrintable(voxtrack::test::testBackendName()));
    }

    /// A freshly migrated database holding session s-1 and one message in it.
    void init()
    {
        VOXTRACK_TEST_DATABASE(db);
        m_db = std::move(db);
        m_connection = m_db->connect();
        QVERIFY(m_connection);
        const auto migrated = Migrator(*m_connection).migrate();
        QVERIFY2(migrated, qPrintable(migrated.errorText()));
        VOXTRACK_VERIFY_OK(m_connection->exec(QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id) "
                                                             "VALUES ('s-1', 'u-1')")));
        VOXTRACK_VERIFY_OK(m_connection->exec(
            QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content, message_id, seq) "
                           "VALUES ('s-1', 'u-1', 'user', 'first', '%1', 1)")
                .arg(firstMessageId)));
        const auto rows = dumpRows(*m_connection);
        QVERIFY2(rows, qPrintable(rows.errorText()));
        m_rowsBefore = *rows;
        QCOMPARE(m_rowsBefore.size(), 2);
    }

    void cleanup()
    {
        m_connection.reset();
        m_db.reset();
        m_rowsBefore.clear();
    }

    void rejects_data()
    {
        QTest::addColumn<QString>("statement");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QStringList>("mentions");

        const QString constraint = QStringLiteral("db.constraint");
        const QStringList roleCheck {QStringLiteral("conversation_messages_role_check")};
        const QStringList foreignKey {isPostgres() ? QStringLiteral("conversation_messages_session_id_fkey")
                                                   : QStringLiteral("FOREIGN KEY constraint failed")};
        auto notNull = [](const char* table, const char* column) {
            const QString name = QString::fromLatin1(column);
            return isPostgres()
                ? QStringList {QStringLiteral("null value in column \"%1\"").arg(name), QStringLiteral("not-null")}
                : QStringList {QStringLiteral("NOT NULL constraint failed"),
                    QStringLiteral("%1.%2").arg(QString::fromLatin1(table), name)};
        };
        auto unique = [](const char* table, const char* column, const char* key) {
            return isPostgres() ? QStringList {QString::fromLatin1(key)}
                                : QStringList {QStringLiteral("UNIQUE constraint failed: %1.%2")
                                                   .arg(QString::fromLatin1(table), QString::fromLatin1(column))};
        };
        const QStringList endReasonCheck {QStringLiteral("conversation_sessions_end_reason_check")};
        const QStringList metadataCheck {QStringLiteral("conversation_sessions_metadata_check")};

        // The role check: "assistant" is the classic one.
        QTest::addRow("role assistant") << messageWithRole(QStringLiteral("'assistant'")) << constraint << roleCheck;
        QTest::addRow("role Assistant") << messageWithRole(QStringLiteral("'Assistant'")) << constraint << roleCheck;
        QTest::addRow("role bot") << messageWithRole(QStringLiteral("'bot'")) << constraint << roleCheck;
        QTest::addRow("role empty") << messageWithRole(QStringLiteral("''")) << constraint << roleCheck;
        QTest::addRow("role User") << messageWithRole(QStringLiteral("'User'")) << constraint << roleCheck;
        QTest::addRow("role NULL") << messageWithRole(QStringLiteral("NULL")) << constraint
                                   << notNull("conversation_messages", "role");
        QTest::addRow("role updated to assistant")
            << QStringLiteral("UPDATE conversation_messages SET role = 'assistant'") << constraint << roleCheck;

        // The foreign key from messages to sessions.
        QTest::addRow("message for unknown session")
            << QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content) "
                              "VALUES ('s-404', 'u-1', 'user', 'hello')")
            << constraint << foreignKey;
        QTest::addRow("message moved to unknown session")
            << QStringLiteral("UPDATE conversation_messages SET session_id = 's-404'") << constraint << foreignKey;
        QTest::addRow("session with messages renamed")
            << QStringLiteral("UPDATE conversation_sessions SET session_id = 's-9' WHERE session_id = 's-1'")
            << constraint << foreignKey;

        // NOT NULL session_id in both tables.
        QTest::addRow("session with NULL session_id")
            << QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id) VALUES (NULL, 'u-2')")
            << constraint << notNull("conversation_sessions", "session_id");
        QTest::addRow("session without session_id")
            << QStringLiteral("INSERT INTO conversation_sessions (user_id) VALUES ('u-2')") << constraint
            << notNull("conversation_sessions", "session_id");
        QTest::addRow("message with NULL session_id")
            << QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content) "
                              "VALUES (NULL, 'u-1', 'user', 'hello')")
            << constraint << notNull("conversation_messages", "session_id");
        QTest::addRow("message without session_id")
            << QStringLiteral("INSERT INTO conversation_messages (user_id, role, content) VALUES ('u-1', 'user', 'hi')")
            << constraint << notNull("conversation_messages", "session_id");
        QTest::addRow("session_id set to NULL") << QStringLiteral("UPDATE conversation_messages SET session_id = NULL")
                                                << constraint << notNull("conversation_messages", "session_id");
        QTest::addRow("session without user_id")
            << QStringLiteral("INSERT INTO conversation_sessions (session_id) VALUES ('s-2')") << constraint
            << notNull("conversation_sessions", "user_id");
        QTest::addRow("message without content")
            << QStringLiteral("INSERT INTO conversation_messages (session_id, role) VALUES ('s-1', 'user')")
            << constraint << notNull("conversation_messages", "content");

        // Unique keys.
        QTest::addRow("duplicate session_id")
            << QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id) VALUES ('s-1', 'u-2')")
            << constraint << unique("conversation_sessions", "session_id", "conversation_sessions_session_id_key");
        QTest::addRow("duplicate message_id")
            << QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content, message_id) "
                              "VALUES ('s-1', 'u-1', 'agent', 'again', '%1')")
                   .arg(firstMessageId)
            << constraint << unique("conversation_messages", "message_id", "conversation_messages_message_id_key");

        // end_reason outside client_closed, timeout, server_shutdown, recovered.
        QTest::addRow("end_reason crashed")
            << sessionWithEndReason(QStringLiteral("'crashed'")) << constraint << endReasonCheck;
        QTest::addRow("end_reason Timeout")
            << sessionWithEndReason(QStringLiteral("'Timeout'")) << constraint << endReasonCheck;
        QTest::addRow("end_reason empty") << sessionWithEndReason(QStringLiteral("''")) << constraint << endReasonCheck;
        QTest::addRow("end_reason updated to crashed")
            << QStringLiteral("UPDATE conversation_sessions SET end_reason = 'crashed', is_active = FALSE")
            << constraint << endReasonCheck;

        // Session metadata must be a JSON object.
        QTest::addRow("metadata array") << sessionWithMetadata(QStringLiteral("'[1]'")) << constraint << metadataCheck;
        QTest::addRow("metadata JSON null")
            << sessionWithMetadata(QStringLiteral("'null'")) << constraint << metadataCheck;
        QTest::addRow("metadata string") << sessionWithMetadata(QStringLiteral("'\"text\"'")) << constraint
                                         << metadataCheck;
        QTest::addRow("metadata number") << sessionWithMetadata(QStringLiteral("'42'")) << constraint << metadataCheck;
        // PostgreSQL refuses the text before any check runs: it is not jsonb at all.
        QTest::addRow("metadata not JSON")
            << sessionWithMetadata(QStringLiteral("'nope'")) << (isPostgres() ? QStringLiteral("db.query") : constraint)
            << (isPostgres() ? QStringList {QStringLiteral("invalid input syntax for type json")} : metadataCheck);
        QTest::addRow("metadata NULL") << sessionWithMetadata(QStringLiteral("NULL")) << constraint
                                       << notNull("conversation_sessions", "metadata");

        if (!isPostgres()) {
            // SQLite has no boolean type: a check keeps is_active to 0 and 1.
            QTest::addRow("is_active 2") << QStringLiteral("UPDATE conversation_sessions SET is_active = 2")
                                         << constraint
                                         << QStringList {QStringLiteral("conversation_sessions_is_active_check")};
        }
    }

    void rejects()
    {
        QFETCH(QString, statement);
        QFETCH(QString, code);
        QFETCH(QStringList, mentions);

        const Status status = m_connection->exec(statement);
        QVERIFY2(!status.isNull(), qPrintable(QStringLiteral("accepted: %1").arg(statement)));
        QVERIFY2(status.code == code, qPrintable(status.toString()));
        for (const QString& words : mentions)
            QVERIFY2(status.message.contains(words), qPrintable(status.message));

        // Nothing was written.
        QCOMPARE(count(QStringLiteral("conversation_sessions")), 1);
        QCOMPARE(count(QStringLiteral("conversation_messages")), 1);
        const auto rows = dumpRows(*m_connection);
        QVERIFY2(rows, qPrintable(rows.errorText()));
        QCOMPARE(*rows, m_rowsBefore);
    }

    void acceptsRole_data()
    {
        QTest::addColumn<QString>("role");
        QTest::addRow("user") << QStringLiteral("user");
        QTest::addRow("agent") << QStringLiteral("agent");
        QTest::addRow("system") << QStringLiteral("system");
    }

    void acceptsRole()
    {
        QFETCH(QString, role);
        VOXTRACK_VERIFY_OK(m_connection->exec(
            QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content, message_id, seq) "
                           "VALUES ('s-1', 'u-1', ?, 'hello', '%1', 2)")
                .arg(otherMessageId),
            {role}));
        QCOMPARE(count(QStringLiteral("conversation_messages")), 2);
        const auto stored
            = m_connection->scalar(QStringLiteral("SELECT role FROM conversation_messages WHERE seq = 2"));
        QVERIFY2(stored, qPrintable(stored.errorText()));
        QCOMPARE(stored->toString(), role);
    }

    void acceptsEndReason_data()
    {
        QTest::addColumn<QString>("reason");
        QTest::addRow("client_closed") << QStringLiteral("'client_closed'");
        QTest::addRow("timeout") << QStringLiteral("'timeout'");
        QTest::addRow("server_shutdown") << QStringLiteral("'server_shutdown'");
        QTest::addRow("recovered") << QStringLiteral("'recovered'");
        QTest::addRow("NULL") << QStringLiteral("NULL");
    }

    void acceptsEndReason()
    {
        QFETCH(QString, reason);
        VOXTRACK_VERIFY_OK(m_connection->exec(sessionWithEndReason(reason)));
        QCOMPARE(count(QStringLiteral("conversation_sessions")), 2);
    }

    void acceptsObjectMetadata_data()
    {
        QTest::addColumn<QString>("metadata");
        QTest::addRow("empty object") << QStringLiteral("'{}'");
        QTest::addRow("nested object") << QStringLiteral("'{\"channel\": \"phone\", \"tags\": [1, 2]}'");
    }

    void acceptsObjectMetadata()
    {
        QFETCH(QString, metadata);
        VOXTRACK_VERIFY_OK(m_connection->exec(sessionWithMetadata(metadata)));
        QCOMPARE(count(QStringLiteral("conversation_sessions")), 2);
    }

    void defaultsFillARow()
    {
        // The smallest valid insert: the defaults make a complete, active session.
        VOXTRACK_VERIFY_OK(m_connection->exec(
            QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id) VALUES ('s-2', 'u-2')")));
        const auto active = m_connection->scalar(
            QStringLiteral("SELECT count(*) FROM conversation_sessions WHERE session_id = 's-2' AND is_active "
                           "AND session_start IS NOT NULL AND started_at IS NOT NULL AND message_count = 0 "
                           "AND end_reason IS NULL AND session_end IS NULL"));
        QVERIFY2(active, qPrintable(active.errorText()));
        QCOMPARE(active->toLongLong(), 1);
    }
};

QTEST_GUILESS_MAIN(TestConstraints)
#include "tst_constraints.moc"
