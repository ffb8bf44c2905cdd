// SPDX-License-Identifier: MIT
#include "core/protocol.h"
#include "core/wav.h"
#include "server/audiostore.h"
#include "server/conversationserver.h"
#include "server/embeddedserver.h"
#include "store/connection.h"
#include "support/testdatabase.h"
#include "support/testserver.h"
#include "tracker/conversationtracker.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QScopeGuard>
#include <QSemaphore>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>

#include <atomic>
#include <cmath>
#include <memory>

using namespace voxtrack;
using namespace voxtrack::server;
using voxtrack::test::TestDatabase;

namespace {

constexpr int waitMs = 10'000;
constexpr int rate = 16000;

/// frames samples of a 440 Hz tone, 16-bit little-endian: the same bytes on every call.
QByteArray tone(qint64 frames, double hertz = 440.0)
{
    QByteArray pcm(frames * 2, Qt::Uninitialized);
    for (qint64 i = 0; i < frames; ++i) {
        const auto sample = qint16(std::lround(8000.0 * std::sin(2.0 * M_PI * hertz * double(i) / rate)));
        pcm[i * 2] = char(sample & 0xff);
        pcm[i * 2 + 1] = char((sample >> 8) & 0xff);
    }
    return pcm;
}

/// A raw protocol client keeping every text frame the server sends, as JSON.
class Client {
public:
    explicit Client(const QUrl& url)
    {
        QObject::connect(&m_socket, &QWebSocket::textMessageReceived, &m_socket,
            [this](const QString& text) { m_frames << QJsonDocument::fromJson(text.toUtf8()).object(); });
        QUrl withUser = url;
        withUser.setQuery(QStringLiteral("user_id=speaker"));
        m_socket.open(withUser);
    }
    ~Client() { QObject::disconnect(&m_socket, nullptr, nullptr, nullptr); }

    QWebSocket& socket() { return m_socket; }
    const QList<QJsonObject>& frames() const { return m_frames; }

    void sendJson(const QJsonObject& frame)
    {
        m_socket.sendTextMessage(QString::fromUtf8(QJsonDocument(frame).toJson(QJsonDocument::Compact)));
    }
    void startAudio(const QString& id, int sampleRate = rate)
    {
        sendJson({{QStringLiteral("type"), QStringLiteral("audio.start")}, {QStringLiteral("id"), id},
            {QStringLiteral("format"), QStringLiteral("pcm_s16le")}, {QStringLiteral("sample_rate"), sampleRate}});
    }
    void sendPcm(const QByteArray& pcm, qsizetype chunk = 3200)
    {
        for (qsizetype at = 0; at < pcm.size(); at += chunk)
            m_socket.sendBinaryMessage(pcm.mid(at, chunk));
    }
    void endAudio(const QString& id, const QString& transcript)
    {
        sendJson({{QStringLiteral("type"), QStringLiteral("audio.end")}, {QStringLiteral("id"), id},
            {QStringLiteral("transcript"), transcript}});
    }
    void sendMessage(const QString& id, const QString& content)
    {
        sendJson({{QStringLiteral("type"), QStringLiteral("user.message")}, {QStringLiteral("id"), id},
            {QStringLiteral("content"), content}});
    }

    /// The first frame of type whose id (or ref, for errors) is id; empty when none came yet.
    QJsonObject find(const QString& type, const QString& id = {}) const
    {
        for (const QJsonObject& frame : m_frames) {
            if (frame.value(QStringLiteral("type")).toString() != type)
                continue;
            const QString key = type == u"error" ? QStringLiteral("ref")
                : type == u"agent.message"       ? QStringLiteral("reply_to")
                                                 : QStringLiteral("id");
            if (id.isEmpty() || frame.value(key).toString() == id)
                return frame;
        }
        return {};
    }
    int count(const QString& type) const
    {
        return int(std::count_if(m_frames.begin(), m_frames.end(),
            [&](const QJsonObject& frame) { return frame.value(QStringLiteral("type")).toString() == type; }));
    }
    QString sessionId() const
    {
        return find(QStringLiteral("session.started")).value(QStringLiteral("session_id")).toString();
    }

private:
    QWebSocket m_socket;
    QList<QJsonObject> m_frames;
};

struct Fetched {
    int status = 0;
    QByteArray body;
    QByteArray contentType;
    QByteArray contentRange;
    QByteArray contentLength;
};

Fetched fetch(const QUrl& url, const QByteArray& range = {}, bool head = false)
{
    QNetworkAccessManager manager;
    QNetworkRequest request(url);
    if (!range.isEmpty())
        request.setRawHeader("Range", range);
    QNetworkReply* reply = head ? manager.head(request) : manager.get(request);
    QSignalSpy finished(reply, &QNetworkReply::finished);
    if (!reply->isFinished() && !finished.wait(waitMs))
        return {};
    Fetched out;
    out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    out.body = reply->readAll();
    out.contentType = reply->rawHeader("Content-Type");
    out.contentRange = reply->rawHeader("Content-Range");
    out.contentLength = reply->rawHeader("Content-Length");
    reply->deleteLater();
    return out;
}

struct MessageRow {
    QString role;
    QString content;
    QString audioUrl;
};

QList<MessageRow> messagesOf(const TestDatabase& database, const QString& sessionId)
{
    QList<MessageRow> rows;
    auto connection = database.connect();
    if (!connection)
        return rows;
    QSqlQuery query(connection->database());
    if (!store::execQuery(query,
            QStringLiteral(
                "SELECT role, content, audio_url FROM conversation_messages WHERE session_id = ? ORDER BY seq"),
            {sessionId})
             .isNull())
        return rows;
    while (query.next())
        rows << MessageRow {query.value(0).toString(), query.value(1).toString(), query.value(2).toString()};
    return rows;
}

QStringList storedFiles(const QString& directory)
{
    return QDir(directory).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot);
}

} // namespace

class TestAudio : public QObject {
    Q_OBJECT

private:
    /// An in-process voxtrackd with the instant agent; audioDirectory as EmbeddedServer takes it.
    std::unique_ptr<EmbeddedServer> startServer(const TestDatabase& database, const QString& audioDirectory = {},
        int maxAudioSeconds = 60, std::function<Expected<QByteArray>(const QString&)> speaker = {})
    {
        EmbeddedServer::Options options;
        options.database = database.url();
        options.audioDirectory = audioDirectory;
        options.server.workerThreads = 1;
        options.server.maxAudioSeconds = maxAudioSeconds;
        options.server.speaker = std::move(speaker);
        options.agent = test::TestServer::instantRules();
        auto started = EmbeddedServer::start(std::move(options));
        if (!started) {
            qWarning().noquote() << started.errorText();
            return nullptr;
        }
        return std::move(*started);
    }

    /// Sends one utterance and returns the audio URL its ack's message id names; fails the test otherwise.
    QString speak(
        EmbeddedServer& server, Client& client, const QString& id, const QByteArray& pcm, const QString& transcript)
    {
        client.startAudio(id);
        client.sendPcm(pcm);
        client.endAudio(id, transcript);
        [&] { QTRY_VERIFY_WITH_TIMEOUT(!client.find(QStringLiteral("message.ack"), id).isEmpty(), waitMs); }();
        const QString messageId
            = client.find(QStringLiteral("message.ack"), id).value(QStringLiteral("message_id")).toString();
        return server.server().audioUrl(QUuid::fromString(messageId));
    }

    /// Once the session started, sends content as "m1" and returns the agent's reply to it; fails
    /// the test when either does not come.
    static QJsonObject ask(Client& client, const QString& content)
    {
        [&] { QTRY_VERIFY_WITH_TIMEOUT(!client.sessionId().isEmpty(), waitMs); }();
        client.sendMessage(QStringLiteral("m1"), content);
        [&] {
            QTRY_VERIFY_WITH_TIMEOUT(
                !client.find(QStringLiteral("agent.message"), QStringLiteral("m1")).isEmpty(), waitMs);
        }();
        return client.find(QStringLiteral("agent.message"), QStringLiteral("m1"));
    }

private Q_SLOTS:
    void utteranceIsStoredTrackedAndServed()
    {
        VOXTRACK_TEST_DATABASE(database);
        auto server = startServer(*database);
        QVERIFY(server);
        Client client(server->url());
        QTRY_VERIFY_WITH_TIMEOUT(!client.sessionId().isEmpty(), waitMs);

        constexpr qint64 frames = 24'000; // 1.5 s
        const QByteArray pcm = tone(frames);
        const QString url = speak(*server, client, QStringLiteral("a1"), pcm, QStringLiteral("hello there"));
        if (QTest::currentTestFailed())
            return;
        const QString messageId = client.find(QStringLiteral("message.ack"), QStringLiteral("a1"))
                                      .value(QStringLiteral("message_id"))
                                      .toString();

        QFile file(QDir(server->audioDirectory()).filePath(messageId + QStringLiteral(".wav")));
        QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.fileName()));
        const QByteArray bytes = file.readAll();
        const auto format = wav::parse(bytes);
        QVERIFY2(format, qPrintable(format.errorText()));
        QCOMPARE(format->sampleRate, rate);
        QCOMPARE(format->channels, 1);
        QCOMPARE(format->bitsPerSample, 16);
        QCOMPARE(format->frames(), frames);
        QCOMPARE(bytes.mid(format->dataOffset), pcm);
        QCOMPARE(storedFiles(server->audioDirectory()), QStringList {messageId + QStringLiteral(".wav")});

        // The URL is on the WebSocket's host and port.
        QCOMPARE(QUrl(url).port(), server->url().port());
        QCOMPARE(QUrl(url).path(), QStringLiteral("/audio/%1.wav").arg(messageId));

        // The agent answers the transcript as it answers a user.message.
        QTRY_VERIFY_WITH_TIMEOUT(!client.find(QStringLiteral("agent.message"), QStringLiteral("a1")).isEmpty(), waitMs);
        QVERIFY(client.find(QStringLiteral("agent.message"), QStringLiteral("a1"))
                    .value(QStringLiteral("audio_url"))
                    .isNull());

        QVERIFY(server->waitForPersisted());
        const QList<MessageRow> rows = messagesOf(*database, client.sessionId());
        const auto user
            = std::find_if(rows.begin(), rows.end(), [](const MessageRow& row) { return row.role == u"user"; });
        QVERIFY(user != rows.end());
        QCOMPARE(user->content, QStringLiteral("hello there"));
        QCOMPARE(user->audioUrl, url);

        const Fetched got = fetch(QUrl(url));
        QCOMPARE(got.status, 200);
        QCOMPARE(got.contentType, QByteArray("audio/wav"));
        QCOMPARE(got.body, bytes);

        const Fetched head = fetch(QUrl(url), {}, true);
        QCOMPARE(head.status, 200);
        QCOMPARE(head.contentType, QByteArray("audio/wav"));
        QCOMPARE(head.contentLength, QByteArray::number(bytes.size()));
        QVERIFY(head.body.isEmpty());

        QUrl metricsUrl = server->server().httpUrl();
        metricsUrl.setPath(QStringLiteral("/metrics"));
        const QByteArray metrics = fetch(metricsUrl).body;
        QVERIFY2(metrics.contains("\nvoxtrack_audio_files_stored_total 1\n"), metrics.constData());
        QVERIFY2(metrics.contains(
                     QByteArray("\nvoxtrack_audio_bytes_stored_total " + QByteArray::number(bytes.size()) + '\n')),
            metrics.constData());
        QVERIFY2(metrics.contains("\nvoxtrack_audio_requests_total 2\n"), metrics.constData());
    }

    void longUtteranceIsStreamedWhole()
    {
        VOXTRACK_TEST_DATABASE(database);
        auto server = startServer(*database);
        QVERIFY(server);
        Client client(server->url());
        QTRY_VERIFY_WITH_TIMEOUT(!client.sessionId().isEmpty(), waitMs);
        const QByteArray pcm = tone(qint64(rate) * 60); // the longest kept by default: 1.9 MB
        const QString url = speak(*server, client, QStringLiteral("long"), pcm, QStringLiteral("a long story"));
        if (QTest::currentTestFailed())
            return;
        const Fetched got = fetch(QUrl(url));
        QCOMPARE(got.status, 200);
        QCOMPARE(got.body.size(), pcm.size() + wav::headerBytes);
        QCOMPARE(got.body.mid(wav::headerBytes), pcm);
        const Fetched tail = fetch(QUrl(url), "bytes=1000000-");
        QCOMPARE(tail.status, 206);
        QCOMPARE(tail.body, got.body.mid(1000000));
    }

    void rangeRequests_data()
    {
        QTest::addColumn<QByteArray>("range");
        QTest::addColumn<int>("status");
        QTest::addColumn<qint64>("first"); ///< -1: no body expected from the file
        QTest::addColumn<qint64>("length");
        QTest::addColumn<QByteArray>("contentRange");
        const qint64 size = 44 + 32000;
        const QByteArray total = QByteArray::number(size);
        QTest::addRow("header") << QByteArray("bytes=0-43") << 206 << qint64(0) << qint64(44)
                                << QByteArray("bytes 0-43/" + total);
        QTest::addRow("middle") << QByteArray("bytes=1000-1999") << 206 << qint64(1000) << qint64(1000)
                                << QByteArray("bytes 1000-1999/" + total);
        QTest::addRow("open end") << QByteArray("bytes=30000-") << 206 << qint64(30000) << size - 30000
                                  << QByteArray("bytes 30000-" + QByteArray::number(size - 1) + '/' + total);
        QTest::addRow("suffix") << QByteArray("bytes=-100") << 206 << size - 100 << qint64(100)
                                << QByteArray("bytes " + QByteArray::number(size - 100) + '-'
                                       + QByteArray::number(size - 1) + '/' + total);
        QTest::addRow("past the end clipped")
            << QByteArray("bytes=32000-99999") << 206 << qint64(32000) << size - 32000
            << QByteArray("bytes 32000-" + QByteArray::number(size - 1) + '/' + total);
        QTest::addRow("unsatisfiable") << QByteArray("bytes=99999-") << 416 << qint64(-1) << qint64(0)
                                       << QByteArray("bytes */" + total);
        QTest::addRow("empty suffix") << QByteArray("bytes=-0") << 416 << qint64(-1) << qint64(0)
                                      << QByteArray("bytes */" + total);
        QTest::addRow("malformed: whole file") << QByteArray("lines=1-2") << 200 << qint64(0) << size << QByteArray();
    }

    void rangeRequests()
    {
        QFETCH(QByteArray, range);
        QFETCH(int, status);
        QFETCH(qint64, first);
        QFETCH(qint64, length);
        QFETCH(QByteArray, contentRange);
        VOXTRACK_TEST_DATABASE(database);
        auto server = startServer(*database);
        QVERIFY(server);
        Client client(server->url());
        QTRY_VERIFY_WITH_TIMEOUT(!client.sessionId().isEmpty(), waitMs);
        const QString url = speak(*server, client, QStringLiteral("r1"), tone(16'000), QStringLiteral("range"));
        if (QTest::currentTestFailed())
            return;
        QFile file(QDir(server->audioDirectory()).filePath(QUrl(url).fileName()));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray bytes = file.readAll();

        const Fetched got = fetch(QUrl(url), range);
        QCOMPARE(got.status, status);
        QCOMPARE(got.contentRange, contentRange);
        if (first >= 0) {
            QCOMPARE(got.contentType, QByteArray("audio/wav"));
            QCOMPARE(got.body, bytes.mid(first, length));
        }
    }

    void unknownAudioIsNotFound_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addRow("unknown id")
            << QStringLiteral("/audio/%1.wav").arg(QUuid::createUuid().toString(QUuid::WithoutBraces));
        QTest::addRow("not a uuid") << QStringLiteral("/audio/journal.wav");
        QTest::addRow("braces") << QStringLiteral("/audio/%1.wav").arg(QUuid::createUuid().toString());
        QTest::addRow("traversal") << QStringLiteral("/audio/..%2F..%2Fetc%2Fpasswd");
        QTest::addRow("no name") << QStringLiteral("/audio/");
    }

    void unknownAudioIsNotFound()
    {
        QFETCH(QString, path);
        VOXTRACK_TEST_DATABASE(database);
        auto server = startServer(*database);
        QVERIFY(server);
        QUrl url = server->server().httpUrl();
        url.setPath(path, QUrl::TolerantMode);
        const Fetched got = fetch(url);
        QCOMPARE(got.status, 404);
        QCOMPARE(got.contentType, QByteArray("application/json"));
        QCOMPARE(QJsonDocument::fromJson(got.body).object().value(QStringLiteral("code")).toString(),
            QStringLiteral("audio.not_found"));
    }

    void droppedConnectionKeepsNothing()
    {
        VOXTRACK_TEST_DATABASE(database);
        auto server = startServer(*database);
        QVERIFY(server);
        QString sessionId;
        {
            Client client(server->url());
            QTRY_VERIFY_WITH_TIMEOUT(!client.sessionId().isEmpty(), waitMs);
            sessionId = client.sessionId();
            client.startAudio(QStringLiteral("a1"));
            client.sendPcm(tone(16'000));
            client.socket().flush();
            // Something answered after the PCM proves the server read it before the drop.
            client.sendJson(
                {{QStringLiteral("type"), QStringLiteral("audio.start")}, {QStringLiteral("id"), QStringLiteral("a2")},
                    {QStringLiteral("format"), QStringLiteral("pcm_s16le")}, {QStringLiteral("sample_rate"), rate}});
            QTRY_VERIFY_WITH_TIMEOUT(!client.find(QStringLiteral("error"), QStringLiteral("a2")).isEmpty(), waitMs);
            client.socket().abort();
        }
        QTRY_COMPARE_WITH_TIMEOUT(server->server().counters().activeSessions.load(), 0, waitMs);
        QVERIFY(server->waitForPersisted());
        QCOMPARE(storedFiles(server->audioDirectory()), QStringList());
        for (const MessageRow& row : messagesOf(*database, sessionId))
            QCOMPARE_NE(row.role, QStringLiteral("user"));
    }

    void tooLongIsDropped()
    {
        VOXTRACK_TEST_DATABASE(database);
        auto server = startServer(*database, {}, 1);
        QVERIFY(server);
        Client client(server->url());
        QTRY_VERIFY_WITH_TIMEOUT(!client.sessionId().isEmpty(), waitMs);
        client.startAudio(QStringLiteral("long"));
        client.sendPcm(tone(24'000)); // 1.5 s against a limit of 1 s
        QTRY_VERIFY_WITH_TIMEOUT(!client.find(QStringLiteral("error"), QStringLiteral("long")).isEmpty(), waitMs);
        const QJsonObject error = client.find(QStringLiteral("error"), QStringLiteral("long"));
        QCOMPARE(error.value(QStringLiteral("code")).toString(), QStringLiteral("audio.too_long"));
        QVERIFY2(error.value(QStringLiteral("message")).toString().contains(QStringLiteral("1 s")),
            qPrintable(error.value(QStringLiteral("message")).toString()));
        client.endAudio(QStringLiteral("long"), QStringLiteral("too much"));

        // The connection stays open, and the rest of that audio was dropped quietly.
        client.sendMessage(QStringLiteral("m1"), QStringLiteral("still here"));
        QTRY_VERIFY_WITH_TIMEOUT(!client.find(QStringLiteral("message.ack"), QStringLiteral("m1")).isEmpty(), waitMs);
        QCOMPARE(client.count(QStringLiteral("error")), 1);
        QVERIFY(client.find(QStringLiteral("message.ack"), QStringLiteral("long")).isEmpty());
        QCOMPARE(storedFiles(server->audioDirectory()), QStringList());

        // A short one after it is kept.
        speak(*server, client, QStringLiteral("short"), tone(8000), QStringLiteral("short"));
        QCOMPARE(storedFiles(server->audioDirectory()).size(), 1);
    }

    void disabledAudioIsRefused()
    {
        VOXTRACK_TEST_DATABASE(database);
        auto server = startServer(*database, QStringLiteral("none"));
        QVERIFY(server);
        QVERIFY(server->audioDirectory().isEmpty());
        Client client(server->url());
        QTRY_VERIFY_WITH_TIMEOUT(!client.sessionId().isEmpty(), waitMs);
        client.startAudio(QStringLiteral("a1"));
        client.sendPcm(tone(3200));
        client.endAudio(QStringLiteral("a1"), QStringLiteral("hello"));
        client.sendMessage(QStringLiteral("m1"), QStringLiteral("typed instead"));
        QTRY_VERIFY_WITH_TIMEOUT(!client.find(QStringLiteral("message.ack"), QStringLiteral("m1")).isEmpty(), waitMs);
        const QJsonObject error = client.find(QStringLiteral("error"), QStringLiteral("a1"));
        QCOMPARE(error.value(QStringLiteral("code")).toString(), QStringLiteral("audio.disabled"));
        QCOMPARE(client.count(QStringLiteral("error")), 1);
        QVERIFY(client.find(QStringLiteral("message.ack"), QStringLiteral("a1")).isEmpty());
    }

    void spokenRepliesCarryAudio()
    {
        VOXTRACK_TEST_DATABASE(database);
        auto speaker = [](const QString& text) -> Expected<QByteArray> { return tone(400 * text.size(), 220.0); };
        auto server = startServer(*database, {}, 60, speaker);
        QVERIFY(server);
        Client client(server->url());
        const QJsonObject reply = ask(client, QStringLiteral("hello"));
        if (QTest::currentTestFailed())
            return;
        const QString url = reply.value(QStringLiteral("audio_url")).toString();
        QVERIFY2(url.startsWith(server->server().httpUrl().toString() + QStringLiteral("/audio/")), qPrintable(url));

        const Fetched got = fetch(QUrl(url));
        QCOMPARE(got.status, 200);
        QCOMPARE(got.contentType, QByteArray("audio/wav"));
        const auto format = wav::parse(got.body);
        QVERIFY2(format, qPrintable(format.errorText()));
        QCOMPARE(format->sampleRate, 16000);
        QCOMPARE(format->channels, 1);
        const QString content = reply.value(QStringLiteral("content")).toString();
        QCOMPARE(got.body.mid(format->dataOffset), tone(400 * content.size(), 220.0));

        QVERIFY(server->waitForPersisted());
        const QList<MessageRow> rows = messagesOf(*database, client.sessionId());
        const auto agent
            = std::find_if(rows.begin(), rows.end(), [](const MessageRow& row) { return row.role == u"agent"; });
        QVERIFY(agent != rows.end());
        QCOMPARE(agent->audioUrl, url);
    }

    void speakingAReplyHoldsNoOtherConnection()
    {
        // The speaker blocks until the test lets it go. With one worker thread, a synthesis run
        // there would hold every connection; it runs on the speech thread instead.
        auto gate = std::make_shared<QSemaphore>();
        auto calls = std::make_shared<std::atomic<int>>(0);
        auto speaker = [gate, calls](const QString& text) -> Expected<QByteArray> {
            calls->fetch_add(1);
            gate->acquire();
            return tone(400 * text.size(), 220.0);
        };
        VOXTRACK_TEST_DATABASE(database);
        auto server = startServer(*database, {}, 60, speaker);
        QVERIFY(server);
        // Lets every synthesis go before the server is destroyed, even when a check fails.
        const auto open = qScopeGuard([gate] { gate->release(1000); });

        Client first(server->url());
        QTRY_VERIFY_WITH_TIMEOUT(!first.sessionId().isEmpty(), waitMs);
        first.sendMessage(QStringLiteral("m1"), QStringLiteral("hello"));
        QTRY_COMPARE_WITH_TIMEOUT(calls->load(), 1, waitMs);

        // While the first reply is being spoken, another caller is served.
        Client second(server->url());
        QTRY_VERIFY_WITH_TIMEOUT(!second.sessionId().isEmpty(), waitMs);
        second.sendMessage(QStringLiteral("m1"), QStringLiteral("hi"));
        QTRY_VERIFY_WITH_TIMEOUT(!second.find(QStringLiteral("message.ack"), QStringLiteral("m1")).isEmpty(), waitMs);
        QCOMPARE(first.count(QStringLiteral("agent.message")), 0);
        QCOMPARE(second.count(QStringLiteral("agent.message")), 0);

        gate->release(2);
        for (Client* client : {&first, &second}) {
            QTRY_VERIFY_WITH_TIMEOUT(
                !client->find(QStringLiteral("agent.message"), QStringLiteral("m1")).isEmpty(), waitMs);
            const QJsonObject reply = client->find(QStringLiteral("agent.message"), QStringLiteral("m1"));
            const QString url = reply.value(QStringLiteral("audio_url")).toString();
            QVERIFY2(
                url.startsWith(server->server().httpUrl().toString() + QStringLiteral("/audio/")), qPrintable(url));
            const Fetched got = fetch(QUrl(url));
            QCOMPARE(got.status, 200);
            QCOMPARE(got.body.size(), 44 + 2 * 400 * reply.value(QStringLiteral("content")).toString().size());
        }
        QCOMPARE(calls->load(), 2);
    }

    void aFailedSynthesisSendsTheReplyWithoutAudio()
    {
        VOXTRACK_TEST_DATABASE(database);
        auto speaker = [](const QString&) -> Expected<QByteArray> {
            return Error {QStringLiteral("speech.voice"), QStringLiteral("no such voice")};
        };
        auto server = startServer(*database, {}, 60, speaker);
        QVERIFY(server);
        Client client(server->url());
        const QJsonObject reply = ask(client, QStringLiteral("hello"));
        if (QTest::currentTestFailed())
            return;
        QVERIFY(!reply.value(QStringLiteral("content")).toString().isEmpty());
        QVERIFY2(!reply.value(QStringLiteral("audio_url")).toString().contains(QStringLiteral("/audio/")),
            qPrintable(reply.value(QStringLiteral("audio_url")).toString()));
        QCOMPARE(client.count(QStringLiteral("error")), 0);
        QVERIFY(server->waitForPersisted());
        const QList<MessageRow> rows = messagesOf(*database, client.sessionId());
        QVERIFY(std::any_of(rows.begin(), rows.end(), [](const MessageRow& row) { return row.role == u"agent"; }));
        QCOMPARE(QDir(server->server().audioStore()->directory()).entryList(QDir::Files).size(), 0);
    }

    void unwritableDirectoryStopsTheStart()
    {
        QTemporaryDir temporary;
        QVERIFY(temporary.isValid());
        QFile blocker(temporary.filePath(QStringLiteral("a-file")));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        VOXTRACK_TEST_DATABASE(database);
        EmbeddedServer::Options options;
        options.database = database->url();
        options.audioDirectory = temporary.filePath(QStringLiteral("a-file/audio"));
        auto started = EmbeddedServer::start(std::move(options));
        QVERIFY(!started);
        QCOMPARE(started.error().code, QStringLiteral("server.audio_dir"));
        QVERIFY2(started.error().message.contains(QStringLiteral("a-file/audio")), qPrintable(started.error().message));
    }
};

QTEST_GUILESS_MAIN(TestAudio)
#include "tst_audio.moc"
