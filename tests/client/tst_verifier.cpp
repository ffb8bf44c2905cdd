// SPDX-License-Identifier: MIT
#include "client/verifier.h"
#include "client/voiceclient.h"
#include "core/wav.h"
#include "server/agent.h"
#include "server/conversationserver.h"
#include "store/migrator.h"
#include "support/testdatabase.h"
#include "support/testserver.h"
#include "tracker/conversationtracker.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>

using namespace voxtrack;
using namespace voxtrack::client;
using voxtrack::test::TestDatabase;
using voxtrack::test::TestServer;

namespace {

/// 16-bit mono PCM of silence lasting seconds at 16 kHz.
QByteArray silence(double seconds)
{
    return QByteArray(qsizetype(seconds * 16000) * 2, '\0');
}

/// An HTTP/1.1 server on a free loopback port answering GETs from a table of paths; any other
/// path gets a 404 with a JSON error, as voxtrackd answers.
class AudioHttpServer : public QObject {
public:
    struct Answer {
        int status = 200;
        QByteArray contentType = "audio/wav";
        QByteArray body;
    };

    AudioHttpServer()
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* socket = m_server.nextPendingConnection()) {
                socket->setParent(this);
                connect(socket, &QTcpSocket::readyRead, this, [this, socket] { serve(socket); });
            }
        });
    }

    [[nodiscard]] QString url(const QString& path) const
    {
        return QStringLiteral("http://127.0.0.1:%1%2").arg(m_server.serverPort()).arg(path);
    }

    QHash<QByteArray, Answer> answers;
    int requests = 0;

private:
    void serve(QTcpSocket* socket)
    {
        QByteArray& request = m_requests[socket];
        request += socket->readAll();
        if (!request.contains("\r\n\r\n"))
            return;
        ++requests;
        const QList<QByteArray> line = request.left(request.indexOf("\r\n")).split(' ');
        const QByteArray path = line.size() > 1 ? line.at(1) : QByteArray();
        const Answer answer = answers.value(
            path, {404, "application/json", R"({"error":{"code":"audio.not_found","message":"No such audio."}})"});
        QByteArray response = "HTTP/1.1 " + QByteArray::number(answer.status)
            + (answer.status == 200 ? " OK" : " Not Found") + "\r\nContent-Type: " + answer.contentType
            + "\r\nContent-Length: " + QByteArray::number(answer.body.size()) + "\r\nConnection: close\r\n\r\n"
            + answer.body;
        socket->write(response);
        socket->disconnectFromHost();
        m_requests.remove(socket);
    }

    QTcpServer m_server;
    QHash<QTcpSocket*, QByteArray> m_requests;
};

} // namespace

class TestVerifier : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestDatabase> m_database;
    std::unique_ptr<TestServer> m_server;
    std::unique_ptr<VoiceClient> m_client;
    QJsonObject m_sessionMetadata;

    void startServer(server::ServerOptions::Faults faults = {})
    {
        TestServer::Options options;
        options.faults = faults;
        options.agent = server::RulesAgent::defaultRules();
        auto server = TestServer::start(m_database->url(), options);
        QVERIFY2(server.hasValue(), qPrintable(server.errorText()));
        m_server = std::move(*server);
    }

    /// Three user messages (the first with metadata), the agent's replies, session.end; waits
    /// until everything is stored. With dropEveryNth = 2 the second message gets no reply.
    void holdConversation(bool secondDropped = false)
    {
        ClientOptions options;
        options.url = m_server->url();
        options.userId = QStringLiteral("caller-7");
        m_sessionMetadata = {{QStringLiteral("channel"), QStringLiteral("phone")}};
        options.sessionMetadata = m_sessionMetadata;
        m_client = std::make_unique<VoiceClient>(options);
        QSignalSpy ended(m_client.get(), &VoiceClient::sessionEnded);
        m_client->open();
        QTRY_VERIFY(!m_client->sessionId().isEmpty());
        const QList<std::pair<QString, QJsonObject>> turns {
            {QStringLiteral("What's the price of Tesla?"),
                {{QStringLiteral("asr_confidence"), 0.92}, {QStringLiteral("lang"), QStringLiteral("en")}}},
            {QStringLiteral("What's the price of Apple?"), {}},
            {QStringLiteral("Thank you, goodbye"), {}},
        };
        for (qsizetype i = 0; i < turns.size(); ++i) {
            const QString id = m_client->say(turns.at(i).first, Role::User, turns.at(i).second);
            QTRY_VERIFY(m_client->exchange(id)->ackUs >= 0);
            if (!(secondDropped && i == 1))
                QTRY_VERIFY(m_client->exchange(id)->replyUs >= 0);
        }
        m_client->end();
        QTRY_COMPARE(ended.size(), 1);
        QTRY_VERIFY(m_client->isClosed());
        QVERIFY(m_server->waitForPersisted());
    }

    /// The sorted, distinct check ids of a verification of the client's conversation.
    QStringList verifiedChecks(QList<Finding>* all = nullptr)
    {
        auto connection = m_database->connect();
        if (!connection)
            return {QStringLiteral("no connection")};
        const ExpectedSession expected = expectedFrom(*m_client, m_sessionMetadata);
        const auto findings = Verifier(*connection).verify(expected);
        if (!findings)
            return {findings.errorText()};
        QStringList checks;
        for (const Finding& finding : *findings) {
            if (finding.sessionId != m_client->sessionId())
                checks << QStringLiteral("finding without the session: ") + finding.check;
            if (finding.message.isEmpty())
                checks << QStringLiteral("finding without a message: ") + finding.check;
            checks << finding.check;
        }
        if (all)
            *all = *findings;
        checks.sort();
        checks.removeDuplicates();
        return checks;
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
        m_client.reset();
        m_server.reset();
        m_database.reset();
        m_sessionMetadata = {};
    }

    void aFaithfulConversationHasNoFindings()
    {
        startServer();
        holdConversation();
        const ExpectedSession expected = expectedFrom(*m_client, m_sessionMetadata);
        QCOMPARE(expected.messages.size(), 6);
        QCOMPARE(expected.messages.constFirst().seq, 2);
        QCOMPARE(expected.messages.at(1).role, Role::Agent);
        QCOMPARE(expected.messages.at(1).metadata.value(QStringLiteral("reply_to")).toString(), QStringLiteral("m1"));
        QCOMPARE(expected.messages.at(1).messageId,
            protocol::messageIdFor(m_client->sessionId(), QStringLiteral("agent-1")));
        QCOMPARE(expected.messageCount, 7);
        QVERIFY(expected.ended);
        QCOMPARE(verifiedChecks(), QStringList());
    }

    void aMissingSessionIsOneFinding()
    {
        auto connection = m_database->connect();
        QVERIFY(connection);
        const auto migrated = store::Migrator(*connection).migrate();
        QVERIFY2(migrated.hasValue(), qPrintable(migrated.errorText()));
        ExpectedSession expected;
        expected.sessionId = QStringLiteral("no-such-session");
        const auto findings = Verifier(*connection).verify(expected);
        QVERIFY2(findings.hasValue(), qPrintable(findings.errorText()));
        QCOMPARE(findings->size(), 1);
        QCOMPARE(findings->constFirst().check, QStringLiteral("session.missing"));
        QCOMPARE(findings->constFirst().sessionId, QStringLiteral("no-such-session"));
    }

    void aFailedQueryIsAnError()
    {
        auto connection = m_database->connect();
        QVERIFY(connection);
        const auto migrated = store::Migrator(*connection).migrate();
        QVERIFY2(migrated.hasValue(), qPrintable(migrated.errorText()));
        VOXTRACK_VERIFY_OK(connection->exec(QStringLiteral("DROP TABLE conversation_messages")));
        ExpectedSession expected;
        expected.sessionId = QStringLiteral("s");
        VOXTRACK_VERIFY_OK(connection->exec(
            QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, started_at, session_start) "
                           "VALUES ('s', 'u', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")));
        const auto findings = Verifier(*connection).verify(expected);
        QVERIFY(!findings.hasValue());
        QCOMPARE(findings.error().code, QStringLiteral("db.query"));
    }

    void serverFaultsAreFound_data()
    {
        QTest::addColumn<QString>("fault");
        QTest::addColumn<QStringList>("checks");
        QTest::addRow("agent-role") << QStringLiteral("agent-role") << QStringList {QStringLiteral("message.role")};
        QTest::addRow("drop-every=2") << QStringLiteral("drop-every=2")
                                      << QStringList {QStringLiteral("message.missing")};
        QTest::addRow("never-end") << QStringLiteral(
            "never-end") << QStringList {QStringLiteral("session.not_ended"), QStringLiteral("session.still_active")};
    }

    void serverFaultsAreFound()
    {
        QFETCH(QString, fault);
        QFETCH(QStringList, checks);
        server::ServerOptions::Faults faults;
        QVERIFY(faults.enable(fault));
        startServer(faults);
        holdConversation(faults.dropEveryNth == 2);
        QList<Finding> findings;
        QCOMPARE(verifiedChecks(&findings), checks);
        if (faults.agentWrongRole) {
            QCOMPARE(findings.size(), 3); // one per reply
            for (const Finding& finding : std::as_const(findings)) {
                QCOMPARE(finding.expected, QStringLiteral("agent"));
                QCOMPARE(finding.actual, QStringLiteral("user"));
            }
        }
        if (faults.dropEveryNth)
            QCOMPARE(findings.size(), 1);
    }

    void tamperingIsFound_data()
    {
        QTest::addColumn<QString>("sql");
        QTest::addColumn<QStringList>("checks");
        QTest::addRow("content") << QStringLiteral(
            "UPDATE conversation_messages SET content = 'tampered' WHERE session_id = ? AND seq = 2")
                                 << QStringList {QStringLiteral("message.content")};
        QTest::addRow("deleted") << QStringLiteral("DELETE FROM conversation_messages WHERE session_id = ? AND seq = 3")
                                 << QStringList {QStringLiteral("message.missing")};
        QTest::addRow("role") << QStringLiteral(
            "UPDATE conversation_messages SET role = 'user' WHERE session_id = ? AND role = 'agent'")
                              << QStringList {QStringLiteral("message.role")};
        QTest::addRow("seq") << QStringLiteral(
            "UPDATE conversation_messages SET seq = 40 WHERE session_id = ? AND seq = 4")
                             << QStringList {QStringLiteral("message.seq")};
        QTest::addRow("message-metadata")
            << QStringLiteral("UPDATE conversation_messages SET metadata = NULL WHERE session_id = ? AND seq = 2")
            << QStringList {QStringLiteral("message.metadata")};
        QTest::addRow("audio-url") << QStringLiteral(
            "UPDATE conversation_messages SET audio_url = 'https://cdn.example/a.wav' WHERE session_id = ? AND seq = 3")
                                   << QStringList {QStringLiteral("message.audio_url")};
        QTest::addRow("duration") << QStringLiteral(
            "UPDATE conversation_sessions SET duration_seconds = duration_seconds + 60 WHERE session_id = ?")
                                  << QStringList {QStringLiteral("session.duration")};
        QTest::addRow("message-count") << QStringLiteral(
            "UPDATE conversation_sessions SET message_count = message_count + 1 WHERE session_id = ?")
                                       << QStringList {QStringLiteral("session.message_count")};
        QTest::addRow("end-reason") << QStringLiteral(
            "UPDATE conversation_sessions SET end_reason = 'timeout' WHERE session_id = ?")
                                    << QStringList {QStringLiteral("session.end_reason")};
        QTest::addRow("user-id") << QStringLiteral(
            "UPDATE conversation_sessions SET user_id = 'someone-else' WHERE session_id = ?")
                                 << QStringList {QStringLiteral("session.user_id")};
        QTest::addRow("session-metadata") << QStringLiteral(
            "UPDATE conversation_sessions SET metadata = '{\"channel\": \"web\"}' WHERE session_id = ?")
                                          << QStringList {QStringLiteral("session.metadata")};
        QTest::addRow("extra-message") << QStringLiteral(
            "INSERT INTO conversation_messages (session_id, user_id, role, content, created_at, seq) "
            "SELECT session_id, user_id, 'user', 'injected', started_at, 99 FROM conversation_sessions "
            "WHERE session_id = ?") << QStringList {QStringLiteral("message.unexpected")};
        QTest::addRow("still-active") << QStringLiteral(
            "UPDATE conversation_sessions SET is_active = (1 = 1) WHERE session_id = ?")
                                      << QStringList {QStringLiteral("session.still_active")};
    }

    /// checkAudio() on its own, against the local HTTP server.
    void audioChecks()
    {
        AudioHttpServer http;
        http.answers.insert("/a.wav", {200, "audio/wav", wav::file(16000, silence(0.5))});
        http.answers.insert("/text.wav", {200, "audio/wav", "not a wav file at all, just text"});
        http.answers.insert("/8k.wav", {200, "audio/wav", wav::file(8000, silence(0.5))});
        const QString session = QStringLiteral("s-1");
        const QString message = QStringLiteral("7d4f6a51-0000-5000-8000-000000000001");
        auto checks = [&](const QString& url, double seconds) {
            QStringList result;
            for (const Finding& finding : checkAudio(session, message, url, seconds)) {
                result << finding.check;
                if (finding.sessionId != session || !finding.message.contains(message)
                    || !finding.message.endsWith(u'.'))
                    result << QStringLiteral("bad finding: ") + finding.message;
            }
            return result;
        };
        QCOMPARE(checks(http.url(QStringLiteral("/a.wav")), 0.5), QStringList());
        QCOMPARE(checks(http.url(QStringLiteral("/a.wav")), 0.515), QStringList()); // within 20 ms
        QCOMPARE(checks(http.url(QStringLiteral("/a.wav")), 0.53), QStringList {QStringLiteral("audio.duration")});
        QCOMPARE(checks(QString(), 0.5), QStringList {QStringLiteral("audio.url_missing")});
        QCOMPARE(checks(http.url(QStringLiteral("/gone.wav")), 0.5), QStringList {QStringLiteral("audio.fetch")});
        QCOMPARE(checks(QStringLiteral("ftp://127.0.0.1/a.wav"), 0.5), QStringList {QStringLiteral("audio.fetch")});
        QCOMPARE(checks(http.url(QStringLiteral("/text.wav")), 0.5), QStringList {QStringLiteral("audio.invalid")});
        QCOMPARE(checks(http.url(QStringLiteral("/8k.wav")), 0.5), QStringList {QStringLiteral("audio.invalid")});

        // the sentences say what was found
        const QList<Finding> invalid = checkAudio(session, message, http.url(QStringLiteral("/text.wav")), 0.5);
        QCOMPARE(invalid.size(), 1);
        const auto parsed = wav::parse(QByteArray("not a wav file at all, just text"));
        QVERIFY(!parsed);
        QVERIFY2(invalid.first().message.endsWith(parsed.error().message), qPrintable(invalid.first().message));
        const QList<Finding> missing = checkAudio(session, message, http.url(QStringLiteral("/gone.wav")), 0.5);
        QVERIFY2(missing.first().message.contains(QStringLiteral("HTTP 404")), qPrintable(missing.first().message));
        QCOMPARE(missing.first().actual, QStringLiteral("404"));
        const QList<Finding> longer = checkAudio(session, message, http.url(QStringLiteral("/a.wav")), 0.6);
        QCOMPARE(longer.first().expected, QStringLiteral("0.600"));
        QCOMPARE(longer.first().actual, QStringLiteral("0.500"));

        // nothing listening
        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
        const quint16 port = closed.serverPort();
        closed.close();
        QCOMPARE(checks(QStringLiteral("http://127.0.0.1:%1/a.wav").arg(port), 0.5),
            QStringList {QStringLiteral("audio.fetch")});
    }

    void spokenMessagesAreVerified_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QStringList>("checks");
        QTest::addRow("stored") << QStringLiteral("/ok.wav") << QStringList();
        QTest::addRow("no audio_url") << QString() << QStringList {QStringLiteral("audio.url_missing")};
        QTest::addRow("not served") << QStringLiteral("/gone.wav") << QStringList {QStringLiteral("audio.fetch")};
        QTest::addRow("not a WAV") << QStringLiteral("/garbage.wav") << QStringList {QStringLiteral("audio.invalid")};
        QTest::addRow("stereo") << QStringLiteral("/stereo.wav") << QStringList {QStringLiteral("audio.invalid")};
        QTest::addRow("shorter") << QStringLiteral("/short.wav") << QStringList {QStringLiteral("audio.duration")};
    }

    /// A spoken message's row points at the local HTTP server; the verifier fetches it.
    void spokenMessagesAreVerified()
    {
        QFETCH(QString, path);
        QFETCH(QStringList, checks);
        AudioHttpServer http;
        http.answers.insert("/ok.wav", {200, "audio/wav", wav::file(16000, silence(0.75))});
        http.answers.insert("/garbage.wav", {200, "audio/wav", QByteArray(300, 'x')});
        QByteArray stereo = wav::file(16000, silence(0.75));
        stereo[22] = 2; // the fmt chunk's channel count
        http.answers.insert("/stereo.wav", {200, "audio/wav", stereo});
        http.answers.insert("/short.wav", {200, "audio/wav", wav::file(16000, silence(0.7))});

        startServer();
        ClientOptions options;
        options.url = m_server->url();
        options.userId = QStringLiteral("speaker");
        m_client = std::make_unique<VoiceClient>(options);
        QSignalSpy ended(m_client.get(), &VoiceClient::sessionEnded);
        m_client->open();
        QTRY_VERIFY(!m_client->sessionId().isEmpty());
        const QString id = m_client->speak(QStringLiteral("What's the price of Tesla?"), silence(0.75), Pacing::Fast);
        QTRY_VERIFY(m_client->exchange(id)->replyUs >= 0);
        m_client->end();
        QTRY_COMPARE(ended.size(), 1);
        QTRY_VERIFY(m_client->isClosed());
        QVERIFY(m_server->waitForPersisted());

        const ExpectedSession expected = expectedFrom(*m_client, m_sessionMetadata);
        QCOMPARE(expected.messages.size(), 2);
        QVERIFY(expected.messages.first().spoken);
        QCOMPARE(expected.messages.first().audioSeconds, 0.75);
        QVERIFY(!expected.messages.last().spoken);

        auto connection = m_database->connect();
        QVERIFY(connection);
        const QString url = path.isEmpty() ? QString() : http.url(path);
        VOXTRACK_VERIFY_OK(connection->exec(
            QStringLiteral("UPDATE conversation_messages SET audio_url = ? WHERE session_id = ? AND seq = 2"),
            {url.isEmpty() ? QVariant() : QVariant(url), m_client->sessionId()}));
        QList<Finding> findings;
        QCOMPARE(verifiedChecks(&findings), checks);
        QCOMPARE(http.requests, path.isEmpty() ? 0 : 1);
        for (const Finding& finding : std::as_const(findings))
            QCOMPARE(finding.field, QStringLiteral("audio_url"));
    }

    /// Rows changed behind the server's back after a faithful conversation.
    void tamperingIsFound()
    {
        QFETCH(QString, sql);
        QFETCH(QStringList, checks);
        startServer();
        holdConversation();
        QCOMPARE(verifiedChecks(), QStringList());
        auto connection = m_database->connect();
        QVERIFY(connection);
        VOXTRACK_VERIFY_OK(connection->exec(sql, {m_client->sessionId()}));
        QCOMPARE(verifiedChecks(), checks);
    }
};

QTEST_GUILESS_MAIN(TestVerifier)
#include "tst_verifier.moc"
