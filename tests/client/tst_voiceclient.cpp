// SPDX-License-Identifier: MIT
#include "client/voiceclient.h"
#include "server/agent.h"
#include "server/conversationserver.h"
#include "server/jwt.h"
#include "support/testdatabase.h"
#include "support/testserver.h"
#include "tracker/conversationtracker.h"

#include <QJsonDocument>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace voxtrack;
using namespace voxtrack::client;
using voxtrack::test::TestDatabase;
using voxtrack::test::TestServer;

class TestVoiceClient : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestDatabase> m_database;
    std::unique_ptr<TestServer> m_server;

    void startServer(const QByteArray& secret = {}, server::ServerOptions::Faults faults = {})
    {
        TestServer::Options options;
        options.tokenSecret = secret;
        options.faults = faults;
        options.agent = server::RulesAgent::defaultRules();
        auto server = TestServer::start(m_database->url(), options);
        QVERIFY2(server.hasValue(), qPrintable(server.errorText()));
        m_server = std::move(*server);
    }

private Q_SLOTS:
    void init()
    {
        auto created = TestDatabase::create();
        QVERIFY2(created.hasValue(), qPrintable(created.errorText()));
        m_database = std::move(*created);
    }

    void cleanup()
    {
        m_server.reset();
        m_database.reset();
    }

    void holdsAConversationAndTimesEachStep()
    {
        startServer();
        ClientOptions options;
        options.url = m_server->url();
        options.userId = QStringLiteral("caller-7");
        options.sessionMetadata = {{QStringLiteral("channel"), QStringLiteral("phone")}};
        options.askPersisted = true;
        VoiceClient client(options);
        QSignalSpy started(&client, &VoiceClient::started);
        QSignalSpy ended(&client, &VoiceClient::sessionEnded);
        client.open();
        QTRY_COMPARE(started.size(), 1);
        QVERIFY(client.connectUs() > 0);
        QCOMPARE(client.userId(), QStringLiteral("caller-7"));

        const QString id = client.say(QStringLiteral("What's the price of Tesla?"));
        QTRY_VERIFY(client.exchange(id)->replyUs >= 0);
        QTRY_VERIFY(client.exchange(id)->persistedUs >= 0);
        const Exchange* exchange = client.exchange(id);
        QVERIFY(exchange->ackUs >= 0);
        QVERIFY(exchange->ackUs <= exchange->replyUs);
        QCOMPARE(exchange->seq, 2); // after the system message
        QCOMPARE(exchange->reply, QStringLiteral("The latest price for Tesla is $251.30."));
        QCOMPARE(exchange->replySeq, 3);
        QCOMPARE(exchange->messageId, protocol::messageIdFor(client.sessionId(), id));

        client.end();
        QTRY_COMPARE(ended.size(), 1);
        QCOMPARE(client.ended()->messages, 3);
        QTRY_VERIFY(client.isClosed());
        QVERIFY(client.observedDurationSeconds() >= 0);

        QVERIFY(m_server->waitForPersisted());
        auto connection = m_database->connect();
        QVERIFY(connection);
        QSqlQuery query(connection->database());
        QVERIFY(query.exec(QStringLiteral("SELECT user_id, metadata FROM conversation_sessions WHERE session_id = '%1'")
                               .arg(client.sessionId())));
        QVERIFY(query.next());
        QCOMPARE(query.value(0).toString(), QStringLiteral("caller-7"));
        QCOMPARE(QJsonDocument::fromJson(query.value(1).toString().toUtf8()).object(), options.sessionMetadata);
    }

    void testFaultsStoreWrongData_data()
    {
        QTest::addColumn<QString>("fault");
        QTest::addRow("agent-role") << QStringLiteral("agent-role");
        QTest::addRow("drop-every=2") << QStringLiteral("drop-every=2");
        QTest::addRow("never-end") << QStringLiteral("never-end");
    }

    /// The switches that let the harness's verification be shown to work really break the data.
    void testFaultsStoreWrongData()
    {
        QFETCH(QString, fault);
        server::ServerOptions::Faults faults;
        faults.agentWrongRole = fault == u"agent-role";
        faults.dropEveryNth = fault == u"drop-every=2" ? 2 : 0;
        faults.neverEnd = fault == u"never-end";
        startServer({}, faults);
        ClientOptions options;
        options.url = m_server->url();
        options.userId = QStringLiteral("u");
        VoiceClient client(options);
        QSignalSpy ended(&client, &VoiceClient::sessionEnded);
        client.open();
        QTRY_VERIFY(!client.sessionId().isEmpty());
        const QString first = client.say(QStringLiteral("What's the price of Tesla?"));
        const QString second = client.say(QStringLiteral("What's the price of Apple?"));
        QTRY_VERIFY(client.exchange(first)->ackUs >= 0 && client.exchange(second)->ackUs >= 0);
        if (!faults.dropEveryNth)
            QTRY_VERIFY(client.exchange(first)->replyUs >= 0 && client.exchange(second)->replyUs >= 0);
        client.end();
        QTRY_COMPARE(ended.size(), 1);
        QVERIFY(m_server->waitForPersisted());

        auto connection = m_database->connect();
        QVERIFY(connection);
        auto number = [&](const QString& sql) {
            const auto value = connection->scalar(sql, {client.sessionId()});
            return value ? value->toLongLong() : -1;
        };
        const qint64 agentRows = number(
            QStringLiteral("SELECT count(*) FROM conversation_messages WHERE session_id = ? AND role = 'agent'"));
        const qint64 userRows = number(
            QStringLiteral("SELECT count(*) FROM conversation_messages WHERE session_id = ? AND role = 'user'"));
        const qint64 active
            = number(QStringLiteral("SELECT count(*) FROM conversation_sessions WHERE session_id = ? AND "
                                    "ended_at IS NULL"));
        if (faults.agentWrongRole) {
            QCOMPARE(agentRows, 0);
            QCOMPARE(userRows, 4); // the two questions and the two replies, stored as user
        } else if (faults.dropEveryNth) {
            QCOMPARE(userRows, 1); // the second message was acknowledged, never stored
        } else {
            QCOMPARE(agentRows, 2);
            QCOMPARE(active, 1); // session.ended was sent, the row never ended
        }
    }

    void bearerTokenIdentifiesTheUser()
    {
        startServer("s3cret");
        ClientOptions options;
        options.url = m_server->url();
        options.bearerToken = server::signJwt(
            {{QStringLiteral("sub"), QStringLiteral("user-42")},
                {QStringLiteral("exp"), QDateTime::currentDateTimeUtc().addSecs(3600).toSecsSinceEpoch()}},
            "s3cret");
        VoiceClient client(options);
        QSignalSpy started(&client, &VoiceClient::started);
        client.open();
        QTRY_COMPARE(started.size(), 1);
        QCOMPARE(client.userId(), QStringLiteral("user-42"));
    }

    void aRefusedTokenIsAFailure()
    {
        startServer("s3cret");
        ClientOptions options;
        options.url = m_server->url();
        options.bearerToken = "not.a.token";
        VoiceClient client(options);
        QSignalSpy failed(&client, &VoiceClient::failed);
        client.open();
        QTRY_VERIFY(!failed.isEmpty());
        QCOMPARE(failed.constFirst().at(0).value<Error>().code, QStringLiteral("auth.invalid"));
        QTRY_VERIFY(client.isClosed());
        QVERIFY(client.sessionId().isEmpty());
    }

    void nothingListeningIsAConnectFailure()
    {
        QTcpServer reserve; // a port nobody serves once closed
        QVERIFY(reserve.listen(QHostAddress::LocalHost));
        const quint16 port = reserve.serverPort();
        reserve.close();
        ClientOptions options;
        options.url = QUrl(QStringLiteral("ws://127.0.0.1:%1/v1/conversation").arg(port));
        options.userId = QStringLiteral("u");
        VoiceClient client(options);
        QSignalSpy failed(&client, &VoiceClient::failed);
        client.open();
        QTRY_VERIFY(!failed.isEmpty());
        QCOMPARE(failed.constFirst().at(0).value<Error>().code, QStringLiteral("client.connect"));
    }

    void aDroppedConnectionEndsTheSession()
    {
        startServer();
        ClientOptions options;
        options.url = m_server->url();
        options.userId = QStringLiteral("u");
        VoiceClient client(options);
        QSignalSpy started(&client, &VoiceClient::started);
        client.open();
        QTRY_COMPARE(started.size(), 1);
        const QString id = client.say(QStringLiteral("hello"));
        QTRY_VERIFY(client.exchange(id)->ackUs >= 0);
        client.abort();
        auto connection = m_database->connect();
        QVERIFY(connection);
        auto endReason = [&] {
            const auto value = connection->scalar(
                QStringLiteral("SELECT end_reason FROM conversation_sessions WHERE session_id = ?"),
                {client.sessionId()});
            return value ? value->toString() : value.errorText();
        };
        QTRY_COMPARE(endReason(), QStringLiteral("client_closed"));
    }
};

QTEST_GUILESS_MAIN(TestVoiceClient)
#include "tst_voiceclient.moc"
