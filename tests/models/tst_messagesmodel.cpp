// SPDX-License-Identifier: MIT
#include "core/role.h"
#include "models/messagesmodel.h"
#include "support/testdatabase.h"

#include <QAbstractItemModelTester>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QSignalSpy>
#include <QTest>

using namespace voxtrack;
using voxtrack::models::MessagesModel;
using voxtrack::test::TestDatabase;

class TestMessagesModel : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestDatabase> m_database;
    std::unique_ptr<store::Connection> m_writer;

    bool postgres() const { return m_database->isPostgreSql(); }

    /// Session sid with messages seq first … last: seq 1 system, then user and agent in turn.
    void addMessages(const QString& sid, int first, int last)
    {
        const QString sql = postgres()
            ? QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content, metadata, seq, "
                             "created_at) SELECT '%1', 'user-1', CASE WHEN g = 1 THEN 'system' WHEN g % 2 = 0 THEN "
                             "'user' ELSE 'agent' END, 'message ' || g, jsonb_build_object('n', g), g, "
                             "timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second' "
                             "FROM generate_series(%2, %3) g")
            : QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content, metadata, seq, "
                             "created_at) WITH RECURSIVE s(g) AS (SELECT %2 UNION ALL SELECT g + 1 FROM s WHERE g < "
                             "%3) SELECT '%1', 'user-1', CASE WHEN g = 1 THEN 'system' WHEN g % 2 = 0 THEN 'user' "
                             "ELSE 'agent' END, 'message ' || g, json_object('n', g), g, "
                             "strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01 00:00:00', '+' || g || ' seconds') FROM s");
        VOXTRACK_VERIFY_OK(m_writer->exec(sql.arg(sid).arg(first).arg(last)));
    }

    void addSession(const QString& sid)
    {
        VOXTRACK_VERIFY_OK(m_writer->exec(
            QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, is_active) VALUES ('%1', "
                           "'user-1', %2)")
                .arg(sid, postgres() ? QStringLiteral("true") : QStringLiteral("1"))));
    }

    qint64 maxMessageId()
    {
        auto value = m_writer->scalar(QStringLiteral("SELECT max(id) FROM conversation_messages"));
        return value ? value->toLongLong() : -1;
    }

    static void loadAll(MessagesModel& model)
    {
        QTRY_VERIFY_WITH_TIMEOUT(model.rowCount() > 0 || model.isComplete(), 10000);
        while (!model.isComplete()) {
            if (model.canFetchMore({}))
                model.fetchMore({});
            QTest::qWait(5);
        }
    }

private Q_SLOTS:
    void initTestCase() { QLoggingCategory::setFilterRules(QStringLiteral("voxtrack.*.info=false")); }

    void init()
    {
        auto created = TestDatabase::create();
        QVERIFY2(created.hasValue(), qPrintable(created.errorText()));
        m_database = std::move(*created);
        m_writer = m_database->connectMigrated();
        QVERIFY(m_writer);
    }

    void cleanup()
    {
        m_writer.reset();
        m_database.reset();
    }

    void showsOneSessionInOrderAcrossPages()
    {
        addSession(QStringLiteral("s-1"));
        addSession(QStringLiteral("s-2"));
        addMessages(QStringLiteral("s-1"), 1, 1234);
        addMessages(QStringLiteral("s-2"), 1, 10);
        MessagesModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setDatabase(m_database->url());
        model.setSessionId(QStringLiteral("s-1"));
        loadAll(model);
        QCOMPARE(model.rowCount(), 1234);
        for (int row = 0; row < model.rowCount(); ++row) {
            QCOMPARE(model.data(model.index(row, 0), MessagesModel::SeqRole).toLongLong(), row + 1);
            QCOMPARE(model.data(model.index(row, MessagesModel::ContentColumn)).toString(),
                QStringLiteral("message %1").arg(row + 1));
        }
        QCOMPARE(model.data(model.index(0, 0), MessagesModel::RoleRole).toInt(), int(Role::System));
        QCOMPARE(model.data(model.index(1, 0), MessagesModel::RoleRole).toInt(), int(Role::User));
        QCOMPARE(model.data(model.index(2, 0), MessagesModel::RoleRole).toInt(), int(Role::Agent));
        QCOMPARE(model.data(model.index(2, MessagesModel::RoleColumn)).toString(), QStringLiteral("agent"));
        QCOMPARE(model.data(model.index(2, 0), MessagesModel::MetadataRole)
                     .toJsonValue()
                     .toObject()
                     .value(QStringLiteral("n")),
            QJsonValue(3));
        QVERIFY(model.data(model.index(2, 0), MessagesModel::CreatedAtRole).toDateTime().isValid());
        QVERIFY(model.transcript().contains(QStringLiteral("agent: message 3\n")));

        model.setSessionId(QStringLiteral("s-2"));
        loadAll(model);
        QCOMPARE(model.rowCount(), 10);
    }

    void newMessagesAppearLive()
    {
        addSession(QStringLiteral("s-1"));
        addSession(QStringLiteral("s-2"));
        addMessages(QStringLiteral("s-1"), 1, 5);
        MessagesModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setDatabase(m_database->url());
        model.setSessionId(QStringLiteral("s-1"));
        loadAll(model);
        QCOMPARE(model.rowCount(), 5);
        const qint64 before = maxMessageId();
        addMessages(QStringLiteral("s-2"), 1, 3); // another session's: not shown
        addMessages(QStringLiteral("s-1"), 6, 7);
        QSignalSpy applied(&model, &MessagesModel::liveChangeApplied);
        model.messagesInserted(before + 1, maxMessageId());
        QVERIFY(applied.wait(10000));
        QCOMPARE(model.rowCount(), 7);
        QCOMPARE(model.data(model.index(6, MessagesModel::ContentColumn)).toString(), QStringLiteral("message 7"));
        QVERIFY(model.data(model.index(6, 0), MessagesModel::NewRole).toBool());
        QVERIFY(!model.data(model.index(4, 0), MessagesModel::NewRole).toBool());
        model.markAllSeen();
        QVERIFY(!model.data(model.index(6, 0), MessagesModel::NewRole).toBool());
    }

    void noSessionNoRows()
    {
        MessagesModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setDatabase(m_database->url());
        QVERIFY(model.isComplete());
        QCOMPARE(model.rowCount(), 0);
        QVERIFY(!model.canFetchMore({}));
    }
};

QTEST_GUILESS_MAIN(TestMessagesModel)
#include "tst_messagesmodel.moc"
