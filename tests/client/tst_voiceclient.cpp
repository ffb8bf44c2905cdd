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
#include <QWebSocket>
#include <QWebSocketServer>

using namespace voxtrack;
using namespace voxtrack::client;
using voxtrack::test::TestDatabase;
using voxtrack::test::TestServer;

namespace {

/// A WebSocket server that starts a session and records every frame a client sends.
class RecordingServer : public QObject {
public:
    struct Frame {
        bool binary = false;
        QJsonObject json; ///< text frames
        qsizetype bytes = 0; ///< binary frames
        qint64 atMs = 0; ///< since the server started
    };

    RecordingServer()
        : m_server(QStringLiteral("recording"), QWebSocketServer::NonSecureMode)
    {
        m_clock.start();
        m_server.listen(QHostAddress::LocalHost, 0);
        connect(&m_server, &QWebSocketServer::newConnection, this, [this] {
            QWebSocket* socket = m_server.nextPendingConnection();
            socket->setParent(this);
            connect(socket, &QWebSocket::textMessageReceived, this, [this](const QString& text) {
                frames.append({false, QJsonDocument::fromJson(text.toUtf8()).object(), 0, m_clock.elapsed()});
            });
            connect(socket, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray& data) {
                frames.append({true, {}, data.size(), m_clock.elapsed()});
            });
            const protocol::SessionStarted started {
                QStringLiteral("s-1"), QStringLiteral("u-1"), QDateTime::currentDateTimeUtc(), protocol::version};
            socket->sendTextMessage(QString::fromUtf8(protocol::encode(protocol::ServerFrame(started))));
        });
    }

    [[nodiscard]] QUrl url() const
    {
        return QUrl(QStringLiteral("ws://127.0.0.1:%1/v1/conversation").arg(m_server.serverPort()));
    }
    /// The index of the first text frame of this type at or after from, or -1.
    [[nodiscard]] qsizetype indexOf(const QString& type, qsizetype from = 0) const
    {
        for (qsizetype i = from; i < frames.size(); ++i) {
            if (!frames.at(i).binary && frames.at(i).json.value(QStringLiteral("type")).toString() == type)
                return i;
        }
        return -1;
    }

    QList<Frame> frames;

private:
    QWebSocketServer m_server;
    QElapsedTimer m_clock;
};

} // namespace

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

    void speakSendsTwentyMillisecondFrames()
    {
        RecordingServer server;
        ClientOptions options;
        options.url = server.url();
        VoiceClient client(options);
        QSignalSpy started(&client, &VoiceClient::started);
        QSignalSpy spoken(&client, &VoiceClient::spoken);
        client.open();
        QTRY_COMPARE(started.size(), 1);

        const QByteArray pcm(32000 + 100, '\x01'); // 1 s and 50 samples
        const QString id = client.speak(QStringLiteral("What's the price of Tesla?"), pcm, Pacing::Fast);
        QCOMPARE(spoken.size(), 1);
        QCOMPARE(spoken.at(0).at(0).toString(), id);
        QTRY_VERIFY(server.indexOf(QStringLiteral("audio.end")) >= 0);

        QCOMPARE(server.frames.size(), 1 + 51 + 1);
        const QJsonObject start = server.frames.first().json;
        QCOMPARE(start.value(QStringLiteral("type")).toString(), QStringLiteral("audio.start"));
        QCOMPARE(start.value(QStringLiteral("id")).toString(), id);
        QCOMPARE(start.value(QStringLiteral("format")).toString(), QStringLiteral("pcm_s16le"));
        QCOMPARE(start.value(QStringLiteral("sample_rate")).toInt(), 16000);
        qsizetype bytes = 0;
        for (qsizetype i = 1; i <= 51; ++i) {
            QVERIFY(server.frames.at(i).binary);
            QCOMPARE(server.frames.at(i).bytes, i < 51 ? 640 : 100);
            bytes += server.frames.at(i).bytes;
        }
        QCOMPARE(bytes, pcm.size());
        const QJsonObject end = server.frames.last().json;
        QCOMPARE(end.value(QStringLiteral("type")).toString(), QStringLiteral("audio.end"));
        QCOMPARE(end.value(QStringLiteral("id")).toString(), id);
        QCOMPARE(end.value(QStringLiteral("transcript")).toString(), QStringLiteral("What's the price of Tesla?"));

        const Exchange* exchange = client.exchange(id);
        QVERIFY(exchange->spoken);
        QCOMPARE(exchange->audioBytes, pcm.size());
        QCOMPARE(exchange->audioSeconds(), 1.003125);
        QVERIFY(exchange->audioStartUs >= 0 && exchange->audioStartUs <= exchange->sentAtUs);
    }

    void realTimePacingTakesAsLongAsTheAudio()
    {
        RecordingServer server;
        ClientOptions options;
        options.url = server.url();
        VoiceClient client(options);
        QSignalSpy started(&client, &VoiceClient::started);
        QSignalSpy spoken(&client, &VoiceClient::spoken);
        client.open();
        QTRY_COMPARE(started.size(), 1);

        const QByteArray pcm(16000, '\0'); // 0.5 s: 25 frames
        const QString id = client.speak(QStringLiteral("Hello"), pcm, Pacing::RealTime);
        // a message said meanwhile waits for the audio to end
        const QString text = client.say(QStringLiteral("Goodbye"));
        QCOMPARE(spoken.size(), 0);
        QVERIFY(spoken.wait(5000));
        QTRY_VERIFY(server.indexOf(QStringLiteral("user.message")) >= 0);

        const qsizetype start = server.indexOf(QStringLiteral("audio.start"));
        const qsizetype end = server.indexOf(QStringLiteral("audio.end"));
        QCOMPARE(start, 0);
        QCOMPARE(end, 26);
        QCOMPARE(server.indexOf(QStringLiteral("user.message")), 27);
        QCOMPARE(server.frames.at(27).json.value(QStringLiteral("id")).toString(), text);
        for (qsizetype i = 1; i < end; ++i)
            QVERIFY(server.frames.at(i).binary);
        const qint64 elapsedMs = server.frames.at(end).atMs - server.frames.at(start).atMs;
        QVERIFY2(elapsedMs >= 400, qPrintable(QStringLiteral("%1 ms for 500 ms of audio").arg(elapsedMs)));
        // frames are spread out, not sent in a burst at the end
        const qint64 firstHalfMs = server.frames.at(13).atMs - server.frames.at(start).atMs;
        QVERIFY2(firstHalfMs >= 200, qPrintable(QStringLiteral("frame 13 after %1 ms").arg(firstHalfMs)));
        QCOMPARE(client.exchange(id)->audioSeconds(), 0.5);
    }

    void spokenMessagesAreAnsweredAndStored()
    {
        startServer();
        ClientOptions options;
        options.url = m_server->url();
        options.userId = QStringLiteral("speaker");
        options.askPersisted = true;
        VoiceClient client(options);
        QSignalSpy started(&client, &VoiceClient::started);
        client.open();
        QTRY_COMPARE(started.size(), 1);

        const QByteArray pcm(8000, '\0');
        const QString id = client.speak(QStringLiteral("What's the price of Tesla?"), pcm, Pacing::Fast);
        QTRY_VERIFY(client.exchange(id)->persistedUs >= 0);
        QTRY_VERIFY(client.exchange(id)->replyUs >= 0);
        const Exchange* exchange = client.exchange(id);
        QCOMPARE(exchange->seq, 2);
        QCOMPARE(exchange->reply, QStringLiteral("The latest price for Tesla is $251.30."));
        QCOMPARE(exchange->messageId, protocol::messageIdFor(client.sessionId(), id));
        QVERIFY(exchange->error.isEmpty());
        QVERIFY(client.errors().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestVoiceClient)
#include "tst_voiceclient.moc"
