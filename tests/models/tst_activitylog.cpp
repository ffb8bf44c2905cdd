// SPDX-License-Identifier: MIT
#include "client/voiceclient.h"
#include "models/activitylog.h"
#include "store/changefeed.h"
#include "support/testdatabase.h"
#include "support/testserver.h"

#include <QAbstractItemModelTester>
#include <QLoggingCategory>
#include <QSignalSpy>
#include <QTest>

using namespace voxtrack;
using models::ActivityLog;

class TestActivityLog : public QObject {
    Q_OBJECT

private:
    static QStringList texts(const ActivityLog& log)
    {
        QStringList lines;
        for (int row = 0; row < log.rowCount(); ++row)
            lines.append(log.index(row).data(ActivityLog::TextRole).toString());
        return lines;
    }

private Q_SLOTS:
    void initTestCase() { QLoggingCategory::setFilterRules(QStringLiteral("voxtrack.*.info=false")); }

    void logsWhatAConversationLeftInTheDatabase()
    {
        VOXTRACK_TEST_DATABASE(database);
        auto server = test::TestServer::start(database->url());
        QVERIFY2(server.hasValue(), qPrintable(server.errorText()));

        // A session from before: its start is not logged, its end is.
        client::ClientOptions earlierOptions {(*server)->url(), QStringLiteral("early-bird"), {}, {}, true};
        client::VoiceClient earlier(earlierOptions);
        QSignalSpy earlierStarted(&earlier, &client::VoiceClient::started);
        earlier.open();
        QVERIFY(earlierStarted.wait(10000));
        QVERIFY((*server)->waitForPersisted());

        store::ChangeFeed feed(database->url());
        ActivityLog log;
        QAbstractItemModelTester tester(&log, QAbstractItemModelTester::FailureReportingMode::QtTest);
        log.follow(feed);
        feed.start();
        QTRY_COMPARE_WITH_TIMEOUT(feed.state(), store::ChangeFeed::State::Live, 10000);
        QSignalSpy ready(&log, &ActivityLog::ready);
        log.setDatabase(database->url());
        QVERIFY(ready.wait(10000));
        QCOMPARE(log.rowCount(), 0);

        client::ClientOptions options {(*server)->url(), QStringLiteral("caller-7"), {}, {}, true};
        client::VoiceClient voice(options);
        QSignalSpy started(&voice, &client::VoiceClient::started);
        voice.open();
        QVERIFY(started.wait(10000));
        const QString sessionId = voice.sessionId();
        QTRY_VERIFY_WITH_TIMEOUT(
            texts(log).contains(QStringLiteral("Started session %1 for user caller-7").arg(sessionId)), 10000);

        QSignalSpy replied(&voice, &client::VoiceClient::replied);
        voice.say(QStringLiteral("What's the price of Tesla?"));
        QVERIFY(replied.wait(10000));
        QTRY_VERIFY_WITH_TIMEOUT(
            texts(log).contains(QStringLiteral("Saved agent message for session %1").arg(sessionId)), 10000);
        QVERIFY(texts(log).contains(QStringLiteral("Saved user message for session %1").arg(sessionId)));

        QSignalSpy ended(&voice, &client::VoiceClient::sessionEnded);
        voice.end();
        QVERIFY(ended.wait(10000));
        earlier.end();
        const auto endedLine = [&](const QString& id) {
            for (const QString& line : texts(log)) {
                if (line.startsWith(QStringLiteral("Ended session %1 (duration: ").arg(id)))
                    return line;
            }
            return QString();
        };
        QTRY_VERIFY_WITH_TIMEOUT(!endedLine(sessionId).isEmpty(), 10000);
        // The agent's greeting, the question and the answer.
        QVERIFY2(endedLine(sessionId).endsWith(QStringLiteral(" s, messages: 3, reason: client_closed)")),
            qPrintable(endedLine(sessionId)));
        QTRY_VERIFY_WITH_TIMEOUT(!endedLine(earlier.sessionId()).isEmpty(), 10000);
        QVERIFY(
            !texts(log).contains(QStringLiteral("Started session %1 for user early-bird").arg(earlier.sessionId())));

        // The lines come in the order things happened, each with its session and kind.
        const QStringList lines = texts(log);
        QVERIFY(lines.indexOf(QStringLiteral("Started session %1 for user caller-7").arg(sessionId))
            < lines.indexOf(QStringLiteral("Saved user message for session %1").arg(sessionId)));
        const int first = 0;
        QCOMPARE(log.index(first).data(ActivityLog::SessionIdRole).toString(), sessionId);
        QCOMPARE(log.index(first).data(ActivityLog::KindRole).toInt(), int(ActivityLog::Kind::Started));
        QVERIFY(log.index(first).data(ActivityLog::TimeRole).toDateTime().isValid());
    }

    void aRoleOutsideTheSchemaIsAProblem()
    {
        VOXTRACK_TEST_DATABASE(database);
        auto writer = database->connectMigrated();
        QVERIFY(writer);
        if (database->isPostgreSql()) {
            // A database that lost its check: what a careless server would then store.
            VOXTRACK_VERIFY_OK(writer->exec(
                QStringLiteral("ALTER TABLE conversation_messages DROP CONSTRAINT conversation_messages_role_check")));
        }
        VOXTRACK_VERIFY_OK(writer->exec(
            QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id) VALUES ('s-1', 'u-1')")));

        store::ChangeFeed feed(database->url());
        ActivityLog log;
        log.follow(feed);
        feed.start();
        QTRY_COMPARE_WITH_TIMEOUT(feed.state(), store::ChangeFeed::State::Live, 10000);
        QSignalSpy ready(&log, &ActivityLog::ready);
        log.setDatabase(database->url());
        QVERIFY(ready.wait(10000));

        const QString role = database->isPostgreSql() ? QStringLiteral("assistant") : QStringLiteral("agent");
        VOXTRACK_VERIFY_OK(writer->exec(QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, "
                                                       "content) VALUES ('s-1', 'u-1', '%1', 'The price is $1.00.')")
                                            .arg(role)));
        QTRY_COMPARE_WITH_TIMEOUT(log.rowCount(), 1, 10000);
        const QModelIndex line = log.index(0);
        if (database->isPostgreSql()) {
            QCOMPARE(line.data(ActivityLog::KindRole).toInt(), int(ActivityLog::Kind::Problem));
            QCOMPARE(line.data(ActivityLog::TextRole).toString(),
                QStringLiteral("Saved a message with the role \"assistant\" for session s-1: the schema allows user, "
                               "agent and system"));
        } else {
            QCOMPARE(line.data(ActivityLog::KindRole).toInt(), int(ActivityLog::Kind::Saved));
            QCOMPARE(
                line.data(ActivityLog::TextRole).toString(), QStringLiteral("Saved agent message for session s-1"));
        }
    }

    void aBigWriteIsSummed()
    {
        VOXTRACK_TEST_DATABASE(database);
        auto writer = database->connectMigrated();
        QVERIFY(writer);
        VOXTRACK_VERIFY_OK(writer->exec(
            QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id) VALUES ('s-1', 'u-1')")));
        store::ChangeFeed feed(database->url());
        ActivityLog log;
        log.follow(feed);
        feed.start();
        QTRY_COMPARE_WITH_TIMEOUT(feed.state(), store::ChangeFeed::State::Live, 10000);
        QSignalSpy ready(&log, &ActivityLog::ready);
        log.setDatabase(database->url());
        QVERIFY(ready.wait(10000));

        const int messages = ActivityLog::maxLinesPerChange + 50;
        QStringList values;
        for (int i = 0; i < messages; ++i)
            values.append(QStringLiteral("('s-1', 'u-1', 'user', 'line %1')").arg(i));
        VOXTRACK_VERIFY_OK(writer->exec(
            QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content) VALUES ")
            + values.join(u',')));
        QTRY_COMPARE_WITH_TIMEOUT(log.rowCount(), ActivityLog::maxLinesPerChange + 1, 10000);
        QCOMPARE(log.index(log.rowCount() - 1).data(ActivityLog::TextRole).toString(),
            QStringLiteral("… and 50 more message(s) saved in the same write"));

        // The next write starts after the whole batch: nothing is listed twice.
        VOXTRACK_VERIFY_OK(writer->exec(QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, "
                                                       "content) VALUES ('s-1', 'u-1', 'agent', 'ok')")));
        QTRY_COMPARE_WITH_TIMEOUT(log.rowCount(), ActivityLog::maxLinesPerChange + 2, 10000);
        QCOMPARE(log.index(log.rowCount() - 1).data(ActivityLog::TextRole).toString(),
            QStringLiteral("Saved agent message for session s-1"));
    }
};

QTEST_GUILESS_MAIN(TestActivityLog)
#include "tst_activitylog.moc"
