// SPDX-License-Identifier: MIT
#include "core/protocol.h"
#include "server/agent.h"
#include "server/conversationserver.h"
#include "server/jwt.h"
#include "store/connection.h"
#include "support/testdatabase.h"
#include "tracker/conversationtracker.h"

#include <QElapsedTimer>
#include <QHostAddress>
#include <QJsonDocument>
#include <QNetworkRequest>
#include <QSet>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>

#include <array>
#include <memory>
#include <optional>
#include <vector>

using namespace voxtrack;
using namespace voxtrack::server;
using voxtrack::test::TestDatabase;

namespace {

/// How long anything asynchronous may take: generous, the tests pass in a fraction of it.
constexpr int waitMs = 10'000;

/// JSON written with single quotes, which keeps the test data readable; none of it needs a
/// literal single quote.
QByteArray json(const char* text)
{
    return QByteArray(text).replace('\'', '"');
}

QString compact(const QJsonObject& object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

QString uuidText(const QUuid& id)
{
    return id.toString(QUuid::WithoutBraces);
}

QJsonObject parseObject(const QVariant& text)
{
    return QJsonDocument::fromJson(text.toString().toUtf8()).object();
}

/// The test agent: a system prompt and replies without delay, so conversations are quick.
const char* const testRules = "{'version': 1, 'system': 'You are the test agent.', "
                              "'rules': [{'match': 'weather', 'reply': 'It is sunny, {user_id}.'}], "
                              "'fallback': {'reply': 'You said: {text}'}}";
const QString testSystemPrompt = QStringLiteral("You are the test agent.");

template <typename T> QList<T> framesOf(const QList<protocol::ServerFrame>& frames)
{
    QList<T> out;
    for (const protocol::ServerFrame& frame : frames) {
        if (const T* typed = std::get_if<T>(&frame))
            out << *typed;
    }
    return out;
}

/// One WebSocket client on the test's thread. It keeps every frame the server sent, parsed
/// strictly with protocol::parseServerFrame (a frame that does not parse is kept apart, and
/// every test checks there is none), and how the connection was closed.
class Client {
public:
    Client()
    {
        QObject::connect(&m_socket, &QWebSocket::textMessageReceived, &m_socket, [this](const QString& text) {
            m_texts << text;
            auto parsed = protocol::parseServerFrame(QStringView(text));
            if (parsed)
                m_frames.push_back(std::move(*parsed));
            else
                m_invalid << text + QStringLiteral(" -- ") + parsed.errorText();
        });
        QObject::connect(&m_socket, &QWebSocket::binaryMessageReceived, &m_socket, [this](const QByteArray& data) {
            m_invalid << QStringLiteral("a binary frame of %1 bytes").arg(data.size());
        });
        QObject::connect(&m_socket, &QWebSocket::disconnected, &m_socket, [this] {
            m_closed = true;
            m_closeCode = int(m_socket.closeCode());
        });
    }
    ~Client() { QObject::disconnect(&m_socket, nullptr, nullptr, nullptr); }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    void open(const QUrl& url) { m_socket.open(url); }
    void open(const QNetworkRequest& request) { m_socket.open(request); }
    QWebSocket& socket() { return m_socket; }

    void send(const QString& text) { m_socket.sendTextMessage(text); }
    void send(const QJsonObject& frame) { send(compact(frame)); }
    /// A user.message; extra adds or replaces fields (metadata, role…).
    void sendMessage(const QString& id, const QString& content, const QJsonObject& extra = {})
    {
        QJsonObject frame {{QStringLiteral("type"), QStringLiteral("user.message")}, {QStringLiteral("id"), id},
            {QStringLiteral("content"), content}};
        for (auto it = extra.begin(); it != extra.end(); ++it)
            frame.insert(it.key(), it.value());
        send(frame);
    }
    void endSession()
    {
        send(QJsonObject {{QStringLiteral("type"), QStringLiteral("session.end")},
            {QStringLiteral("reason"), QStringLiteral("the test is done")}});
    }

    [[nodiscard]] const std::vector<protocol::ServerFrame>& frames() const { return m_frames; }

    template <typename T> [[nodiscard]] QList<T> all() const
    {
        QList<T> out;
        for (const protocol::ServerFrame& frame : m_frames) {
            if (const T* typed = std::get_if<T>(&frame))
                out << *typed;
        }
        return out;
    }

    /// The position among the received frames of the first T that matches, or -1.
    template <typename T, typename Predicate> [[nodiscard]] qsizetype indexOf(Predicate matches) const
    {
        for (size_t i = 0; i < m_frames.size(); ++i) {
            if (const T* typed = std::get_if<T>(&m_frames[i]); typed && matches(*typed))
                return qsizetype(i);
        }
        return -1;
    }

    [[nodiscard]] std::optional<protocol::SessionStarted> started() const
    {
        const auto list = all<protocol::SessionStarted>();
        return list.isEmpty() ? std::nullopt : std::optional(list.constFirst());
    }
    [[nodiscard]] QString sessionId() const { return started() ? started()->sessionId : QString(); }
    [[nodiscard]] std::optional<protocol::SessionEnded> ended() const
    {
        const auto list = all<protocol::SessionEnded>();
        return list.isEmpty() ? std::nullopt : std::optional(list.constFirst());
    }
    [[nodiscard]] QList<protocol::MessageAck> acksOf(const QString& id) const
    {
        QList<protocol::MessageAck> out;
        for (const auto& ack : all<protocol::MessageAck>()) {
            if (ack.id == id)
                out << ack;
        }
        return out;
    }
    [[nodiscard]] std::optional<protocol::MessageAck> ack(const QString& id) const
    {
        const auto list = acksOf(id);
        return list.isEmpty() ? std::nullopt : std::optional(list.constFirst());
    }
    [[nodiscard]] QList<protocol::MessagePersisted> persistedOf(const QString& id) const
    {
        QList<protocol::MessagePersisted> out;
        for (const auto& persisted : all<protocol::MessagePersisted>()) {
            if (persisted.id == id)
                out << persisted;
        }
        return out;
    }
    [[nodiscard]] std::optional<protocol::AgentMessage> replyTo(const QString& id) const
    {
        for (const auto& reply : all<protocol::AgentMessage>()) {
            if (reply.replyTo == id)
                return reply;
        }
        return std::nullopt;
    }
    [[nodiscard]] QList<protocol::ErrorFrame> errors() const { return all<protocol::ErrorFrame>(); }

    [[nodiscard]] bool isConnected() const { return m_socket.state() == QAbstractSocket::ConnectedState; }
    [[nodiscard]] bool isClosed() const { return m_closed; }
    [[nodiscard]] int closeCode() const { return m_closeCode; }
    [[nodiscard]] const QStringList& invalidFrames() const { return m_invalid; }

    /// Everything received, for failure messages.
    [[nodiscard]] QString transcript() const
    {
        return QStringLiteral("received: [%1]; unparsable: [%2]; closed: %3 (code %4)")
            .arg(m_texts.join(QStringLiteral(", ")), m_invalid.join(QStringLiteral(", ")))
            .arg(m_closed)
            .arg(m_closeCode);
    }

private:
    std::vector<protocol::ServerFrame> m_frames;
    QStringList m_texts;
    QStringList m_invalid;
    bool m_closed = false;
    int m_closeCode = -1;
    QWebSocket m_socket; // last: destroyed first, while the lists above still exist
};

/// A session row as the tests compare it: times in milliseconds since the epoch.
struct SessionRow {
    bool found = false;
    QString userId;
    QVariant startedAt;
    QVariant endedAt;
    QVariant durationSeconds;
    bool active = true;
    QJsonObject metadata;
    int messageCount = -1;
    QString endReason;
};

struct MessageRow {
    QString userId;
    QString role;
    QString content;
    QVariant audioUrl;
    QVariant metadata; ///< JSON text, or null
    qint64 createdAt = 0;
    QString messageId;
    qint64 seq = 0;
};

struct HttpResponse {
    int status = 0;
    QByteArray contentType;
    QByteArray body;
    QByteArray raw;
};

/// A WebSocket client made by hand on a QTcpSocket: it performs the handshake, reads frames
/// and sends exactly the bytes it is told to, but never answers anything by itself (no pong, no
/// close reply), and sees close codes as they are on the wire.
class RawClient {
public:
    RawClient()
    {
        QObject::connect(&m_socket, &QTcpSocket::readyRead, &m_socket, [this] { m_received += m_socket.readAll(); });
    }
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    /// Connects and sends the upgrade request for target ("/v1/conversation?user_id=x").
    bool open(quint16 port, const QByteArray& target)
    {
        m_socket.connectToHost(QHostAddress::LocalHost, port);
        if (!m_socket.waitForConnected(waitMs))
            return false;
        m_socket.write("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port)
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              "Sec-WebSocket-Version: 13\r\n\r\n");
        return true;
    }

    /// A masked client frame (with a zero mask, so the payload stays readable).
    static QByteArray clientFrame(int opcode, const QByteArray& payload)
    {
        QByteArray frame(1, char(0x80 | opcode));
        const qsizetype size = payload.size();
        if (size < 126) {
            frame += char(0x80 | size);
        } else {
            frame += char(0x80 | 126);
            frame += char((size >> 8) & 0xff);
            frame += char(size & 0xff);
        }
        frame += QByteArray(4, '\0');
        return frame + payload;
    }
    /// Writes bytes as they are, several frames in one write if asked.
    void write(const QByteArray& bytes) { m_socket.write(bytes); }

    [[nodiscard]] bool headReceived() const { return m_received.contains("\r\n\r\n"); }
    [[nodiscard]] bool upgraded() const { return m_received.startsWith("HTTP/1.1 101"); }
    [[nodiscard]] QByteArray head() const { return m_received.left(m_received.indexOf("\r\n\r\n")); }
    [[nodiscard]] bool isDisconnected() const { return m_socket.state() == QAbstractSocket::UnconnectedState; }

    struct Frame {
        int opcode = 0;
        QByteArray payload;
    };
    /// The complete frames received after the handshake (server frames are never masked).
    [[nodiscard]] QList<Frame> frames() const
    {
        QList<Frame> out;
        if (!headReceived())
            return out;
        const QByteArray data = m_received.mid(m_received.indexOf("\r\n\r\n") + 4);
        const auto byte = [&](qsizetype i) { return quint64(quint8(data.at(i))); };
        qsizetype at = 0;
        while (at + 2 <= data.size()) {
            quint64 length = byte(at + 1) & 0x7f;
            qsizetype header = 2;
            if (length == 126) {
                if (at + 4 > data.size())
                    break;
                length = (byte(at + 2) << 8) | byte(at + 3);
                header = 4;
            } else if (length == 127) {
                if (at + 10 > data.size())
                    break;
                length = 0;
                for (qsizetype i = 0; i < 8; ++i)
                    length = (length << 8) | byte(at + 2 + i);
                header = 10;
            }
            if (at + header + qsizetype(length) > data.size())
                break;
            out << Frame {int(byte(at) & 0x0f), data.mid(at + header, qsizetype(length))};
            at += header + qsizetype(length);
        }
        return out;
    }
    [[nodiscard]] QList<int> opcodes() const
    {
        QList<int> out;
        for (const Frame& frame : frames())
            out << frame.opcode;
        return out;
    }
    /// The text frames, parsed; one that does not parse is an error frame with code "unparsable".
    [[nodiscard]] QList<protocol::ServerFrame> textFrames() const
    {
        QList<protocol::ServerFrame> out;
        for (const Frame& frame : frames()) {
            if (frame.opcode != 0x1)
                continue;
            auto parsed = protocol::parseServerFrame(QByteArrayView(frame.payload));
            out << (parsed ? *parsed
                           : protocol::ServerFrame(
                               protocol::makeError(QStringLiteral("unparsable"), QString::fromUtf8(frame.payload))));
        }
        return out;
    }
    /// The code of the close frame received, or -1 while none arrived.
    [[nodiscard]] int closeCode() const
    {
        for (const Frame& frame : frames()) {
            if (frame.opcode == 0x8)
                return frame.payload.size() >= 2 ? int((quint8(frame.payload.at(0)) << 8) | quint8(frame.payload.at(1)))
                                                 : 1005;
        }
        return -1;
    }
    [[nodiscard]] QString transcript() const
    {
        QStringList parts;
        for (const Frame& frame : frames())
            parts << QStringLiteral("%1:%2").arg(frame.opcode).arg(QString::fromUtf8(frame.payload.toHex()));
        return QString::fromUtf8(head()) + QStringLiteral(" | ") + parts.join(QStringLiteral(", "));
    }

private:
    QByteArray m_received;
    QTcpSocket m_socket; // last: destroyed first
};

} // namespace

class TestServer : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestDatabase> m_database;
    std::unique_ptr<QTemporaryDir> m_scratch;
    std::unique_ptr<tracker::ConversationTracker> m_tracker;
    std::unique_ptr<ConversationServer> m_server;
    std::unique_ptr<store::Connection> m_reader;

    [[nodiscard]] bool isPostgres() const { return m_database->isPostgreSql(); }

    static ServerOptions noAuthOptions()
    {
        ServerOptions options;
        options.address = QHostAddress::LocalHost;
        options.port = 0;
        options.noAuth = true;
        options.workerThreads = 2;
        return options;
    }

    static std::shared_ptr<const Agent> testAgent()
    {
        auto agent = RulesAgent::fromJson(json(testRules));
        if (!agent) {
            qWarning().noquote() << agent.errorText();
            return {};
        }
        return std::shared_ptr<const Agent>(std::move(agent).value());
    }

    /// Starts the server of a test on a free port of the loopback interface.
    Status startServer(ServerOptions options, std::shared_ptr<const Agent> agent = testAgent())
    {
        if (!agent)
            return {QStringLiteral("test.agent"), QStringLiteral("The test agent's rules do not load.")};
        m_server = std::make_unique<ConversationServer>(std::move(options), m_tracker.get(), std::move(agent));
        return m_server->listen();
    }

    /// The conversation URL with a query (already percent-encoded where needed).
    [[nodiscard]] QUrl urlWith(const QString& query) const
    {
        QUrl url = m_server->conversationUrl();
        if (!query.isEmpty())
            url.setQuery(query);
        return url;
    }
    [[nodiscard]] QUrl urlFor(const QString& userId, const QString& moreQuery = {}) const
    {
        return urlWith(QStringLiteral("user_id=") + QString::fromLatin1(QUrl::toPercentEncoding(userId))
            + (moreQuery.isEmpty() ? QString() : u'&' + moreQuery));
    }

    [[nodiscard]] bool waitForEverythingPersisted() const
    {
        return m_tracker->waitForPersisted(m_tracker->lastTicket(), waitMs);
    }

    /// The test's own connection for reading back (opened on first use).
    store::Connection* reader()
    {
        if (!m_reader)
            m_reader = m_database->connect();
        return m_reader.get();
    }

    /// SQL for a timestamp column as milliseconds since the epoch.
    [[nodiscard]] QString ms(const QString& column) const
    {
        return voxtrack::test::sqlEpochMs(m_database->backend(), column);
    }

    [[nodiscard]] QString text(const QString& column) const
    {
        return voxtrack::test::sqlText(m_database->backend(), column);
    }

    /// The first column of the first row as a number; -1 when the query fails.
    qint64 count(const QString& sql, const QVariantList& values = {})
    {
        store::Connection* connection = reader();
        if (!connection)
            return -1;
        const auto value = connection->scalar(sql, values);
        if (!value) {
            qWarning().noquote() << value.errorText();
            return -1;
        }
        return value->toLongLong();
    }

    qint64 sessionCount() { return count(QStringLiteral("SELECT count(*) FROM conversation_sessions")); }
    qint64 messageCountOf(const QString& sessionId)
    {
        return count(QStringLiteral("SELECT count(*) FROM conversation_messages WHERE session_id = ?"), {sessionId});
    }

    SessionRow session(const QString& sessionId)
    {
        SessionRow row;
        store::Connection* connection = reader();
        if (!connection)
            return row;
        QSqlQuery query(connection->database());
        query.setForwardOnly(true);
        const QString sql = QStringLiteral("SELECT user_id, %1, %2, duration_seconds, is_active, %3, message_count, "
                                           "end_reason FROM conversation_sessions WHERE session_id = ?")
                                .arg(ms(QStringLiteral("started_at")), ms(QStringLiteral("ended_at")),
                                    text(QStringLiteral("metadata")));
        if (Status status = store::execQuery(query, sql, {sessionId}); !status.isNull()) {
            qWarning().noquote() << status.toString();
            return row;
        }
        if (!query.next())
            return row;
        row.found = true;
        row.userId = query.value(0).toString();
        row.startedAt = query.value(1);
        row.endedAt = query.value(2);
        row.durationSeconds = query.value(3);
        row.active = query.value(4).toBool();
        row.metadata = parseObject(query.value(5));
        row.messageCount = query.value(6).toInt();
        row.endReason = query.value(7).toString();
        return row;
    }

    /// The messages of a session in seq order.
    QList<MessageRow> messages(const QString& sessionId)
    {
        QList<MessageRow> rows;
        store::Connection* connection = reader();
        if (!connection)
            return rows;
        QSqlQuery query(connection->database());
        query.setForwardOnly(true);
        const QString sql = QStringLiteral("SELECT user_id, role, content, audio_url, %1, %2, %3, seq "
                                           "FROM conversation_messages WHERE session_id = ? ORDER BY seq")
                                .arg(text(QStringLiteral("metadata")), ms(QStringLiteral("created_at")),
                                    text(QStringLiteral("message_id")));
        if (Status status = store::execQuery(query, sql, {sessionId}); !status.isNull()) {
            qWarning().noquote() << status.toString();
            return rows;
        }
        while (query.next()) {
            MessageRow row;
            row.userId = query.value(0).toString();
            row.role = query.value(1).toString();
            row.content = query.value(2).toString();
            row.audioUrl = query.value(3);
            row.metadata = query.value(4);
            row.createdAt = query.value(5).toLongLong();
            row.messageId = query.value(6).toString();
            row.seq = query.value(7).toLongLong();
            rows << row;
        }
        return rows;
    }

    /// One HTTP/1.1 request on a raw socket; the server answers and closes.
    HttpResponse httpRequest(const QByteArray& method, const QByteArray& target, const QByteArray& headers = {})
    {
        HttpResponse response;
        QTcpSocket socket;
        QObject::connect(&socket, &QTcpSocket::readyRead, &socket, [&] { response.raw += socket.readAll(); });
        socket.connectToHost(QHostAddress::LocalHost, m_server->port());
        if (!socket.waitForConnected(waitMs))
            return response;
        socket.write(method + ' ' + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(m_server->port())
            + "\r\n" + headers + "\r\n");
        if (!QTest::qWaitFor([&] { return socket.state() == QAbstractSocket::UnconnectedState; }, waitMs))
            return response;
        response.raw += socket.readAll();
        const qsizetype end = response.raw.indexOf("\r\n\r\n");
        if (end < 0)
            return response;
        const QList<QByteArray> lines = response.raw.left(end).split('\n');
        response.status = lines.value(0).split(' ').value(1).toInt();
        for (const QByteArray& line : lines) {
            if (line.toLower().startsWith("content-type:"))
                response.contentType = line.mid(line.indexOf(':') + 1).trimmed();
        }
        response.body = response.raw.mid(end + 4);
        return response;
    }

private Q_SLOTS:
    void init()
    {
        auto created = TestDatabase::create();
        QVERIFY2(created.hasValue(), qPrintable(created.errorText()));
        m_database = std::move(*created);
        m_scratch = std::make_unique<QTemporaryDir>();
        QVERIFY(m_scratch->isValid());
        tracker::TrackerOptions options;
        options.database = m_database->url();
        options.journalDirectory = m_scratch->filePath(QStringLiteral("journal"));
        m_tracker = std::make_unique<tracker::ConversationTracker>(options);
        VOXTRACK_VERIFY_OK(m_tracker->start());
        // The writer connects and migrates in its thread; the tests read the tables.
        QTRY_VERIFY_WITH_TIMEOUT(m_tracker->isDatabaseUp(), waitMs);
    }

    void cleanup()
    {
        if (m_server)
            m_server->shutdown(2000);
        m_server.reset();
        if (m_tracker)
            QVERIFY(m_tracker->stop(5000));
        m_tracker.reset();
        m_reader.reset();
        m_scratch.reset();
        m_database.reset();
    }

    void scriptedConversationYieldsExactlyTheRows()
    {
        VOXTRACK_VERIFY_OK(startServer(noAuthOptions()));
        const QJsonObject sessionMetadata {{QStringLiteral("channel"), QStringLiteral("test")}};
        Client client;
        client.open(urlFor(QStringLiteral("u-1"),
            QStringLiteral("metadata=") + QString::fromLatin1(QUrl::toPercentEncoding(compact(sessionMetadata)))));
        QTRY_VERIFY2_WITH_TIMEOUT(client.started().has_value(), qPrintable(client.transcript()), waitMs);
        const protocol::SessionStarted started = *client.started();
        const QString sessionId = started.sessionId;
        QVERIFY(!sessionId.isEmpty());
        QCOMPARE(started.userId, QStringLiteral("u-1"));
        QCOMPARE(started.protocol, protocol::version);
        QCOMPARE(client.frames().size(), size_t(1));

        // One by one, so the agent's replies take a known place in the sequence.
        const QJsonObject m1Metadata {{QStringLiteral("lang"), QStringLiteral("en")}, {QStringLiteral("n"), 1}};
        client.sendMessage(
            QStringLiteral("m1"), QStringLiteral("What is the weather?"), {{QStringLiteral("metadata"), m1Metadata}});
        QTRY_VERIFY2_WITH_TIMEOUT(
            client.replyTo(QStringLiteral("m1")).has_value(), qPrintable(client.transcript()), waitMs);
        client.sendMessage(
            QStringLiteral("m2"), QStringLiteral("Be brief."), {{QStringLiteral("role"), QStringLiteral("system")}});
        QTRY_VERIFY2_WITH_TIMEOUT(
            client.ack(QStringLiteral("m2")).has_value(), qPrintable(client.transcript()), waitMs);
        client.sendMessage(QStringLiteral("m3"), QStringLiteral("hello there"));
        QTRY_VERIFY2_WITH_TIMEOUT(
            client.replyTo(QStringLiteral("m3")).has_value(), qPrintable(client.transcript()), waitMs);

        struct ExpectedAck {
            QString id;
            qint64 seq;
        };
        for (const ExpectedAck& expected : {ExpectedAck {QStringLiteral("m1"), 2},
                 ExpectedAck {QStringLiteral("m2"), 4}, ExpectedAck {QStringLiteral("m3"), 5}}) {
            const auto ack = client.ack(expected.id);
            QVERIFY(ack);
            QCOMPARE(ack->seq, expected.seq);
            QCOMPARE(uuidText(ack->messageId), uuidText(protocol::messageIdFor(sessionId, expected.id)));
        }
        // The agent answers the user messages, after their acks, and not the system one.
        const auto reply1 = client.replyTo(QStringLiteral("m1"));
        const auto reply3 = client.replyTo(QStringLiteral("m3"));
        QCOMPARE(client.all<protocol::AgentMessage>().size(), 2);
        QCOMPARE(reply1->content, QStringLiteral("It is sunny, u-1."));
        QCOMPARE(reply1->seq, 3);
        QCOMPARE(reply3->content, QStringLiteral("You said: hello there"));
        QCOMPARE(reply3->seq, 6);
        for (const auto& reply : {*reply1, *reply3}) {
            QVERIFY2(protocol::isValidId(reply.id), qPrintable(reply.id));
            QVERIFY(reply.audioUrl.isEmpty());
            const qsizetype ackAt = client.indexOf<protocol::MessageAck>(
                [&](const protocol::MessageAck& ack) { return ack.id == reply.replyTo; });
            const qsizetype replyAt = client.indexOf<protocol::AgentMessage>(
                [&](const protocol::AgentMessage& m) { return m.id == reply.id; });
            QVERIFY(ackAt >= 0 && ackAt < replyAt);
        }
        QVERIFY(reply1->id != reply3->id);

        // A resend, after a lost ack say: the same ack; the first content wins; no second reply.
        client.sendMessage(QStringLiteral("m1"), QStringLiteral("changed"));
        QTRY_VERIFY2_WITH_TIMEOUT(
            client.acksOf(QStringLiteral("m1")).size() == 2, qPrintable(client.transcript()), waitMs);
        QCOMPARE(client.acksOf(QStringLiteral("m1")).constLast(), client.acksOf(QStringLiteral("m1")).constFirst());

        client.endSession();
        QTRY_VERIFY2_WITH_TIMEOUT(client.isClosed(), qPrintable(client.transcript()), waitMs);
        QCOMPARE(client.closeCode(), int(QWebSocketProtocol::CloseCodeNormal));
        const auto ended = client.ended();
        QVERIFY2(ended, qPrintable(client.transcript()));
        QVERIFY(std::holds_alternative<protocol::SessionEnded>(client.frames().back()));
        QCOMPARE(ended->sessionId, sessionId);
        QCOMPARE(endReasonName(ended->reason), QStringLiteral("client_closed"));
        QCOMPARE(ended->messages, 6); // system, m1, reply, m2, m3, reply
        QVERIFY(ended->durationSeconds >= 0);
        QCOMPARE(client.all<protocol::AgentMessage>().size(), 2);
        QVERIFY(client.errors().isEmpty());
        QVERIFY2(client.invalidFrames().isEmpty(), qPrintable(client.transcript()));

        QVERIFY(waitForEverythingPersisted());
        const SessionRow row = session(sessionId);
        QVERIFY(row.found);
        QCOMPARE(row.userId, QStringLiteral("u-1"));
        QCOMPARE(row.metadata, sessionMetadata);
        QCOMPARE(row.startedAt.toLongLong(), started.startedAt.toMSecsSinceEpoch());
        QVERIFY(!row.endedAt.isNull());
        QVERIFY(!row.active);
        const double expectedDuration = double(row.endedAt.toLongLong() - row.startedAt.toLongLong()) / 1000.0;
        QVERIFY2(qAbs(row.durationSeconds.toDouble() - expectedDuration) < 0.01,
            qPrintable(QStringLiteral("%1 vs %2").arg(row.durationSeconds.toDouble()).arg(expectedDuration)));
        QVERIFY2(qAbs(row.durationSeconds.toDouble() - ended->durationSeconds) < 0.01,
            qPrintable(QStringLiteral("%1 vs %2").arg(row.durationSeconds.toDouble()).arg(ended->durationSeconds)));
        QCOMPARE(row.messageCount, ended->messages);
        QCOMPARE(row.endReason, QStringLiteral("client_closed"));

        struct ExpectedRow {
            QString role;
            QString content;
            QJsonObject metadata; ///< empty: NULL
            QString messageId; ///< empty: any (the system prompt's is random)
            QString replyTo; ///< for agent rows
        };
        const QList<ExpectedRow> expectedRows {
            {QStringLiteral("system"), testSystemPrompt, {}, {}, {}},
            {QStringLiteral("user"), QStringLiteral("What is the weather?"), m1Metadata,
                uuidText(protocol::messageIdFor(sessionId, QStringLiteral("m1"))), {}},
            {QStringLiteral("agent"), reply1->content, {}, uuidText(protocol::messageIdFor(sessionId, reply1->id)),
                QStringLiteral("m1")},
            {QStringLiteral("system"), QStringLiteral("Be brief."), {},
                uuidText(protocol::messageIdFor(sessionId, QStringLiteral("m2"))), {}},
            {QStringLiteral("user"), QStringLiteral("hello there"), {},
                uuidText(protocol::messageIdFor(sessionId, QStringLiteral("m3"))), {}},
            {QStringLiteral("agent"), reply3->content, {}, uuidText(protocol::messageIdFor(sessionId, reply3->id)),
                QStringLiteral("m3")},
        };
        const QList<MessageRow> rows = messages(sessionId);
        QCOMPARE(rows.size(), expectedRows.size());
        for (qsizetype i = 0; i < rows.size(); ++i) {
            const MessageRow& actual = rows.at(i);
            const ExpectedRow& expected = expectedRows.at(i);
            QCOMPARE(actual.seq, i + 1);
            QCOMPARE(actual.role, expected.role);
            QCOMPARE(actual.content, expected.content);
            QCOMPARE(actual.userId, QStringLiteral("u-1"));
            QVERIFY(actual.audioUrl.isNull());
            if (!expected.messageId.isEmpty())
                QCOMPARE(actual.messageId, expected.messageId);
            else
                QVERIFY(!QUuid::fromString(actual.messageId).isNull());
            if (expected.role == u"agent") {
                QCOMPARE(parseObject(actual.metadata).value(QStringLiteral("reply_to")).toString(), expected.replyTo);
            } else if (expected.metadata.isEmpty()) {
                QVERIFY2(actual.metadata.isNull(), qPrintable(actual.metadata.toString()));
            } else {
                QCOMPARE(parseObject(actual.metadata), expected.metadata);
            }
        }
        QCOMPARE(rows.at(2).createdAt, reply1->createdAt.toMSecsSinceEpoch());
        QCOMPARE(rows.at(5).createdAt, reply3->createdAt.toMSecsSinceEpoch());
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM conversation_messages WHERE role = 'assistant'")), 0);
        QCOMPARE(count(QStringLiteral("SELECT count(DISTINCT message_id) FROM conversation_messages")), 6);
    }

    void badFrameIsAnsweredAndDropped_data()
    {
        QTest::addColumn<QByteArray>("frame");
        QTest::addColumn<bool>("binary");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("ref");

        const QString notJson = QStringLiteral("frame.not_json");
        const QString missingField = QStringLiteral("frame.missing_field");
        const QString badField = QStringLiteral("frame.bad_field");
        const QString roleInvalid = QStringLiteral("role.invalid");
        const QString b1 = QStringLiteral("b1");
        QTest::addRow("not JSON") << QByteArray("hello") << false << notJson << QString();
        QTest::addRow("empty text") << QByteArray() << false << notJson << QString();
        QTest::addRow("a JSON array") << json("[{'type': 'session.end'}]") << false
                                      << QStringLiteral("frame.not_object") << QString();
        QTest::addRow("missing type") << json("{'id': 'b1', 'content': 'hi'}") << false
                                      << QStringLiteral("frame.type_missing") << b1;
        QTest::addRow("unknown type") << json("{'type': 'user.mesage', 'id': 'b1', 'content': 'hi'}") << false
                                      << QStringLiteral("frame.unknown_type") << b1;
        QTest::addRow("a server type") << json("{'type': 'session.started', 'id': 'b1'}") << false
                                       << QStringLiteral("frame.unknown_type") << b1;
        QTest::addRow("user.message without id")
            << json("{'type': 'user.message', 'content': 'hi'}") << false << missingField << QString();
        QTest::addRow("user.message with a bad id")
            << json("{'type': 'user.message', 'id': 'b 1/x', 'content': 'hi'}") << false << badField << QString();
        QTest::addRow("user.message with an id of 65 characters")
            << json("{'type': 'user.message', 'content': 'hi', 'id': '") + QByteArray(65, 'a') + json("'}") << false
            << badField << QString();
        QTest::addRow("user.message without content")
            << json("{'type': 'user.message', 'id': 'b1'}") << false << missingField << b1;
        QTest::addRow("content a number")
            << json("{'type': 'user.message', 'id': 'b1', 'content': 42}") << false << badField << b1;
        QTest::addRow("content empty") << json("{'type': 'user.message', 'id': 'b1', 'content': ''}") << false
                                       << badField << b1;
        QTest::addRow("metadata not an object")
            << json("{'type': 'user.message', 'id': 'b1', 'content': 'hi', 'metadata': ['a']}") << false << badField
            << b1;
        QTest::addRow("role assistant") << json(
            "{'type': 'user.message', 'id': 'b1', 'content': 'hi', 'role': 'assistant'}")
                                        << false << roleInvalid << b1;
        QTest::addRow("role Assistant") << json(
            "{'type': 'user.message', 'id': 'b1', 'content': 'hi', 'role': 'Assistant'}")
                                        << false << roleInvalid << b1;
        QTest::addRow("role 42") << json("{'type': 'user.message', 'id': 'b1', 'content': 'hi', 'role': 42}") << false
                                 << roleInvalid << b1;
        QTest::addRow("oversized frame") << json("{'type': 'user.message', 'id': 'b1', 'content': '")
                + QByteArray(600, 'x') + json("'}")
                                         << false << QStringLiteral("frame.too_large") << QString();
        QTest::addRow("binary frame outside audio")
            << QByteArray(320, '\0') << true << QStringLiteral("frame.binary_unexpected") << QString();
        QTest::addRow("audio.end without audio.start")
            << json("{'type': 'audio.end', 'id': 'a1', 'transcript': 'hi'}") << false
            << QStringLiteral("audio.out_of_order") << QStringLiteral("a1");
        QTest::addRow("audio.start with sample_rate 3")
            << json("{'type': 'audio.start', 'id': 'a1', 'format': 'pcm_s16le', 'sample_rate': 3}") << false << badField
            << QStringLiteral("a1");
    }

    void badFrameIsAnsweredAndDropped()
    {
        QFETCH(QByteArray, frame);
        QFETCH(bool, binary);
        QFETCH(QString, code);
        QFETCH(QString, ref);

        ServerOptions options = noAuthOptions();
        options.maxFrameBytes = 512;
        // Silent: no system row and no replies, so the session's rows are exactly what was acked.
        VOXTRACK_VERIFY_OK(startServer(options, std::make_shared<SilentAgent>()));
        Client client;
        client.open(urlFor(QStringLiteral("u-bad")));
        QTRY_VERIFY2_WITH_TIMEOUT(client.started().has_value(), qPrintable(client.transcript()), waitMs);
        const QString sessionId = client.sessionId();

        if (binary)
            client.socket().sendBinaryMessage(frame);
        else
            client.send(QString::fromUtf8(frame));
        QTRY_VERIFY2_WITH_TIMEOUT(client.errors().size() == 1, qPrintable(client.transcript()), waitMs);
        const protocol::ErrorFrame error = client.errors().constFirst();
        QCOMPARE(error.code, code);
        QCOMPARE(error.ref, ref);
        QVERIFY(!error.message.isEmpty());
        if (code == u"role.invalid")
            QVERIFY2(error.message.contains(QStringLiteral("user, agent, system")), qPrintable(error.message));

        // The connection still works.
        client.sendMessage(QStringLiteral("ok-1"), QStringLiteral("a valid message"));
        QTRY_VERIFY2_WITH_TIMEOUT(
            client.ack(QStringLiteral("ok-1")).has_value(), qPrintable(client.transcript()), waitMs);
        QCOMPARE(client.ack(QStringLiteral("ok-1"))->seq, 1);
        QVERIFY(client.isConnected());
        QCOMPARE(client.errors().size(), 1);
        QVERIFY(!client.ended());
        QVERIFY2(client.invalidFrames().isEmpty(), qPrintable(client.transcript()));

        // Nothing was written for the bad frame.
        QVERIFY(waitForEverythingPersisted());
        const QList<MessageRow> rows = messages(sessionId);
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows.constFirst().messageId, uuidText(protocol::messageIdFor(sessionId, QStringLiteral("ok-1"))));
        QCOMPARE(rows.constFirst().content, QStringLiteral("a valid message"));
        QVERIFY(session(sessionId).active);
    }

    void frameAfterSessionEndIsRefused()
    {
        VOXTRACK_VERIFY_OK(startServer(noAuthOptions()));
        // By hand, to put session.end and the next frame in one TCP write, so the server holds both
        // before it can close. docs/protocol.md promises the error session.ended for any frame
        // after session.end; the order of that error and session.ended is not checked.
        RawClient raw;
        QVERIFY(raw.open(m_server->port(), "/v1/conversation?user_id=u-late"));
        QTRY_VERIFY2_WITH_TIMEOUT(raw.textFrames().size() == 1, qPrintable(raw.transcript()), waitMs);
        const auto started = framesOf<protocol::SessionStarted>(raw.textFrames());
        QVERIFY2(started.size() == 1, qPrintable(raw.transcript()));
        const QString sessionId = started.constFirst().sessionId;
        raw.write(RawClient::clientFrame(0x1, json("{'type': 'user.message', 'id': 'm1', 'content': 'hello'}")));
        QTRY_VERIFY2_WITH_TIMEOUT(
            framesOf<protocol::AgentMessage>(raw.textFrames()).size() == 1, qPrintable(raw.transcript()), waitMs);

        raw.write(RawClient::clientFrame(0x1, json("{'type': 'session.end'}"))
            + RawClient::clientFrame(0x1, json("{'type': 'user.message', 'id': 'm9', 'content': 'one more thing'}")));
        QTRY_VERIFY2_WITH_TIMEOUT(raw.closeCode() > 0, qPrintable(raw.transcript()), waitMs);
        QCOMPARE(raw.closeCode(), int(QWebSocketProtocol::CloseCodeNormal));
        const QList<protocol::ServerFrame> frames = raw.textFrames();
        const auto ended = framesOf<protocol::SessionEnded>(frames);
        QVERIFY2(ended.size() == 1, qPrintable(raw.transcript()));
        QCOMPARE(ended.constFirst().messages, 3);
        const auto errors = framesOf<protocol::ErrorFrame>(frames);
        QVERIFY2(errors.size() == 1, qPrintable(raw.transcript()));
        QCOMPARE(errors.constFirst().code, QStringLiteral("session.ended"));
        QCOMPARE(errors.constFirst().ref, QStringLiteral("m9"));
        QVERIFY(!errors.constFirst().message.isEmpty());
        QCOMPARE(framesOf<protocol::MessageAck>(frames).size(), 1); // m1's

        QVERIFY(waitForEverythingPersisted());
        const QList<MessageRow> rows = messages(sessionId);
        QCOMPARE(rows.size(), 3);
        for (const MessageRow& row : rows) {
            QVERIFY(row.content != u"one more thing");
            QVERIFY(row.messageId != uuidText(protocol::messageIdFor(sessionId, QStringLiteral("m9"))));
        }
        QCOMPARE(session(sessionId).messageCount, 3);
    }

    void bearerTokens_data()
    {
        QTest::addColumn<QByteArray>("authorization");
        QTest::addColumn<QString>("code"); // empty: accepted

        const qint64 now = QDateTime::currentSecsSinceEpoch();
        const QJsonObject valid {{QStringLiteral("sub"), QStringLiteral("user-42")},
            {QStringLiteral("exp"), now + 3600}, {QStringLiteral("role"), QStringLiteral("authenticated")}};
        QJsonObject expired = valid;
        expired.insert(QStringLiteral("exp"), now - 3600);
        QJsonObject noSubject = valid;
        noSubject.remove(QStringLiteral("sub"));

        QTest::addRow("no Authorization header") << QByteArray() << QStringLiteral("auth.missing");
        QTest::addRow("another scheme") << QByteArray("Basic dXNlcjpwYXNz") << QStringLiteral("auth.missing");
        QTest::addRow("not a token") << QByteArray("Bearer not-a-token") << QStringLiteral("auth.invalid");
        QTest::addRow("signed with another secret")
            << "Bearer " + signJwt(valid, "another-secret") << QStringLiteral("auth.invalid");
        QTest::addRow("without sub") << "Bearer " + signJwt(noSubject, "s3cret") << QStringLiteral("auth.invalid");
        QTest::addRow("expired") << "Bearer " + signJwt(expired, "s3cret") << QStringLiteral("auth.expired");
        QTest::addRow("valid") << "Bearer " + signJwt(valid, "s3cret") << QString();
    }

    void bearerTokens()
    {
        QFETCH(QByteArray, authorization);
        QFETCH(QString, code);

        ServerOptions options = noAuthOptions();
        options.noAuth = false;
        options.tokenSecret = "s3cret";
        VOXTRACK_VERIFY_OK(startServer(options));
        QNetworkRequest request(urlFor(QStringLiteral("not-me"))); // ignored with auth on
        if (!authorization.isEmpty())
            request.setRawHeader("Authorization", authorization);
        Client client;
        QSignalSpy disconnected(&client.socket(), &QWebSocket::disconnected);
        client.open(request);

        if (!code.isEmpty()) {
            QTRY_COMPARE_WITH_TIMEOUT(disconnected.size(), 1, waitMs);
            QCOMPARE(client.closeCode(), int(protocol::CloseUnauthorized));
            QCOMPARE(client.frames().size(), size_t(1));
            QCOMPARE(client.errors().size(), 1);
            QCOMPARE(client.errors().constFirst().code, code);
            QVERIFY(client.errors().constFirst().ref.isEmpty());
            QVERIFY(!client.errors().constFirst().message.isEmpty());
            QVERIFY2(client.invalidFrames().isEmpty(), qPrintable(client.transcript()));
            QVERIFY(waitForEverythingPersisted());
            QCOMPARE(sessionCount(), 0);
            return;
        }
        QTRY_VERIFY2_WITH_TIMEOUT(client.started().has_value(), qPrintable(client.transcript()), waitMs);
        QCOMPARE(client.started()->userId, QStringLiteral("user-42"));
        const QString sessionId = client.sessionId();
        client.endSession();
        QTRY_VERIFY2_WITH_TIMEOUT(client.isClosed(), qPrintable(client.transcript()), waitMs);
        QVERIFY(client.errors().isEmpty());
        QVERIFY(waitForEverythingPersisted());
        QCOMPARE(session(sessionId).userId, QStringLiteral("user-42"));
        QCOMPARE(sessionCount(), 1);
    }

    void noAuthIdentity_data()
    {
        QTest::addColumn<QString>("query");
        QTest::addColumn<QByteArray>("authorization");
        QTest::addColumn<QString>("code"); // empty: accepted as "u-7"

        const QByteArray token = "Bearer " + signJwt({{QStringLiteral("sub"), QStringLiteral("user-42")}}, "whatever");
        QTest::addRow("user_id") << QStringLiteral("user_id=u-7") << QByteArray() << QString();
        QTest::addRow("user_id, a token is ignored") << QStringLiteral("user_id=u-7") << token << QString();
        QTest::addRow("no user_id") << QString() << QByteArray() << QStringLiteral("auth.missing");
        QTest::addRow("empty user_id") << QStringLiteral("user_id=") << QByteArray() << QStringLiteral("auth.missing");
        QTest::addRow("a token without user_id") << QString() << token << QStringLiteral("auth.missing");
    }

    void noAuthIdentity()
    {
        QFETCH(QString, query);
        QFETCH(QByteArray, authorization);
        QFETCH(QString, code);

        VOXTRACK_VERIFY_OK(startServer(noAuthOptions()));
        QNetworkRequest request(urlWith(query));
        if (!authorization.isEmpty())
            request.setRawHeader("Authorization", authorization);
        Client client;
        client.open(request);
        if (!code.isEmpty()) {
            QTRY_VERIFY2_WITH_TIMEOUT(client.isClosed(), qPrintable(client.transcript()), waitMs);
            QCOMPARE(client.closeCode(), int(protocol::CloseUnauthorized));
            QCOMPARE(client.errors().size(), 1);
            QCOMPARE(client.errors().constFirst().code, code);
            QVERIFY(!client.started());
            QCOMPARE(sessionCount(), 0);
            return;
        }
        QTRY_VERIFY2_WITH_TIMEOUT(client.started().has_value(), qPrintable(client.transcript()), waitMs);
        QCOMPARE(client.started()->userId, QStringLiteral("u-7"));
        QVERIFY(waitForEverythingPersisted());
        QCOMPARE(session(client.sessionId()).userId, QStringLiteral("u-7"));
    }

    void metadataThatIsNotAnObjectIsRefused()
    {
        VOXTRACK_VERIFY_OK(startServer(noAuthOptions()));
        Client client;
        client.open(urlFor(QStringLiteral("u-meta"),
            QStringLiteral("metadata=") + QString::fromLatin1(QUrl::toPercentEncoding(QStringLiteral("[1, 2]")))));
        QTRY_VERIFY2_WITH_TIMEOUT(client.isClosed(), qPrintable(client.transcript()), waitMs);
        QCOMPARE(client.closeCode(), int(QWebSocketProtocol::CloseCodePolicyViolated));
        QCOMPARE(client.errors().size(), 1);
        QCOMPARE(client.errors().constFirst().code, QStringLiteral("session.bad_metadata"));
        QVERIFY(!client.started());
        QVERIFY(waitForEverythingPersisted());
        QCOMPARE(sessionCount(), 0);
    }

    void sessionLimit()
    {
        ServerOptions options = noAuthOptions();
        options.maxSessions = 2;
        VOXTRACK_VERIFY_OK(startServer(options));
        Client first;
        Client second;
        first.open(urlFor(QStringLiteral("u-1")));
        second.open(urlFor(QStringLiteral("u-2")));
        QTRY_VERIFY2_WITH_TIMEOUT(first.started().has_value(), qPrintable(first.transcript()), waitMs);
        QTRY_VERIFY2_WITH_TIMEOUT(second.started().has_value(), qPrintable(second.transcript()), waitMs);

        // The third sees the close code as it is on the wire: QWebSocket of Qt 6.4 reports 1013 as
        // 1002 (its isCloseCodeValid() refuses 1012-2999).
        RawClient third;
        QVERIFY(third.open(m_server->port(), "/v1/conversation?user_id=u-3"));
        QTRY_VERIFY2_WITH_TIMEOUT(third.closeCode() > 0, qPrintable(third.transcript()), waitMs);
        QVERIFY2(third.upgraded(), third.head().constData());
        QCOMPARE(third.closeCode(), int(protocol::CloseTryAgainLater));
        const QList<protocol::ServerFrame> refused = third.textFrames();
        QCOMPARE(refused.size(), 1);
        QVERIFY2(std::holds_alternative<protocol::ErrorFrame>(refused.constFirst()), qPrintable(third.transcript()));
        QCOMPARE(std::get<protocol::ErrorFrame>(refused.constFirst()).code, QStringLiteral("server.busy"));
        QVERIFY(std::get<protocol::ErrorFrame>(refused.constFirst()).ref.isEmpty());
        QVERIFY(first.isConnected());
        QVERIFY(second.isConnected());

        first.endSession();
        QTRY_VERIFY2_WITH_TIMEOUT(first.isClosed(), qPrintable(first.transcript()), waitMs);
        Client fourth;
        fourth.open(urlFor(QStringLiteral("u-4")));
        QTRY_VERIFY2_WITH_TIMEOUT(fourth.started().has_value(), qPrintable(fourth.transcript()), waitMs);
        QVERIFY(fourth.errors().isEmpty());
        QCOMPARE(m_server->counters().activeSessions.load(), 2);

        QVERIFY(waitForEverythingPersisted());
        QCOMPARE(sessionCount(), 3);
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM conversation_sessions WHERE user_id = 'u-3'")), 0);
    }

    void disconnectWithoutSessionEnd_data()
    {
        QTest::addColumn<bool>("abortConnection");
        QTest::addRow("close handshake") << false;
        QTest::addRow("connection dropped") << true;
    }

    void disconnectWithoutSessionEnd()
    {
        QFETCH(bool, abortConnection);
        VOXTRACK_VERIFY_OK(startServer(noAuthOptions()));
        Client client;
        client.open(urlFor(QStringLiteral("u-gone")));
        QTRY_VERIFY2_WITH_TIMEOUT(client.started().has_value(), qPrintable(client.transcript()), waitMs);
        const QString sessionId = client.sessionId();
        client.sendMessage(QStringLiteral("m1"), QStringLiteral("hello"));
        QTRY_VERIFY2_WITH_TIMEOUT(
            client.replyTo(QStringLiteral("m1")).has_value(), qPrintable(client.transcript()), waitMs);

        if (abortConnection)
            client.socket().abort();
        else
            client.socket().close();
        QTRY_VERIFY_WITH_TIMEOUT(!session(sessionId).active, waitMs);
        const SessionRow row = session(sessionId);
        QCOMPARE(row.endReason, QStringLiteral("client_closed"));
        QVERIFY(!row.endedAt.isNull());
        QCOMPARE(row.messageCount, 3);
        QVERIFY(waitForEverythingPersisted());
        QCOMPARE(messageCountOf(sessionId), 3);
        QTRY_COMPARE_WITH_TIMEOUT(m_server->counters().activeSessions.load(), 0, waitMs);
    }

    void silentClientTimesOut()
    {
        ServerOptions options = noAuthOptions();
        options.idleTimeoutMs = 300;
        options.pingIntervalMs = 100;
        VOXTRACK_VERIFY_OK(startServer(options));

        // A well-behaved client: idle as well, but it answers the pings (QWebSocket does).
        Client answering;
        answering.open(urlFor(QStringLiteral("u-pongs")));
        QTRY_VERIFY2_WITH_TIMEOUT(answering.started().has_value(), qPrintable(answering.transcript()), waitMs);

        // Clients that complete the handshake and then never answer anything; several, so one ping
        // round drops more than one connection.
        constexpr int vanishingCount = 3;
        std::vector<std::unique_ptr<RawClient>> vanishing;
        for (int i = 0; i < vanishingCount; ++i) {
            vanishing.push_back(std::make_unique<RawClient>());
            QVERIFY(vanishing.back()->open(
                m_server->port(), "/v1/conversation?user_id=u-vanishing-" + QByteArray::number(i)));
        }
        QElapsedTimer silent;
        silent.start();
        for (const auto& raw : vanishing) {
            QTRY_VERIFY_WITH_TIMEOUT(raw->headReceived(), waitMs);
            QVERIFY2(raw->upgraded(), raw->head().constData());
        }
        for (const auto& raw : vanishing)
            QTRY_VERIFY2_WITH_TIMEOUT(raw->isDisconnected(), qPrintable(raw->transcript()), waitMs);
        QVERIFY2(silent.elapsed() >= 250, qPrintable(QString::number(silent.elapsed())));

        for (int i = 0; i < vanishingCount; ++i) {
            const RawClient& raw = *vanishing.at(size_t(i));
            // It got session.started and pings before it was dropped.
            const QList<protocol::ServerFrame> texts = raw.textFrames();
            QVERIFY2(!texts.isEmpty() && std::holds_alternative<protocol::SessionStarted>(texts.constFirst()),
                qPrintable(raw.transcript()));
            const QString sessionId = std::get<protocol::SessionStarted>(texts.constFirst()).sessionId;
            QVERIFY2(raw.opcodes().contains(0x9), qPrintable(raw.transcript()));

            QTRY_VERIFY_WITH_TIMEOUT(!session(sessionId).active, waitMs);
            const SessionRow row = session(sessionId);
            QCOMPARE(row.userId, QStringLiteral("u-vanishing-%1").arg(i));
            QCOMPARE(row.endReason, QStringLiteral("timeout"));
            QVERIFY(!row.endedAt.isNull());
        }

        // The pong-answering client outlived several timeouts and still works.
        QTest::qWait(600);
        QVERIFY2(answering.isConnected(), qPrintable(answering.transcript()));
        answering.sendMessage(QStringLiteral("m1"), QStringLiteral("still here"));
        QTRY_VERIFY2_WITH_TIMEOUT(
            answering.ack(QStringLiteral("m1")).has_value(), qPrintable(answering.transcript()), waitMs);
        QVERIFY(waitForEverythingPersisted());
        QVERIFY(session(answering.sessionId()).active);
    }

    void httpBesideWebSocket()
    {
        VOXTRACK_VERIFY_OK(startServer(noAuthOptions()));
        Client client;
        client.open(urlFor(QStringLiteral("u-http")));
        QTRY_VERIFY2_WITH_TIMEOUT(client.started().has_value(), qPrintable(client.transcript()), waitMs);
        client.sendMessage(QStringLiteral("m1"), QStringLiteral("hello"));
        client.sendMessage(
            QStringLiteral("m2"), QStringLiteral("hello"), {{QStringLiteral("role"), QStringLiteral("assistant")}});
        QTRY_VERIFY2_WITH_TIMEOUT(
            client.ack(QStringLiteral("m1")) && client.errors().size() == 1, qPrintable(client.transcript()), waitMs);
        QCOMPARE(client.errors().constFirst().code, QStringLiteral("role.invalid"));
        QVERIFY(waitForEverythingPersisted());

        const HttpResponse health = httpRequest("GET", "/healthz");
        QCOMPARE(health.status, 200);
        QVERIFY2(health.contentType.startsWith("application/json"), health.contentType.constData());
        const QJsonObject healthBody = QJsonDocument::fromJson(health.body).object();
        QCOMPARE(healthBody.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
        QCOMPARE(healthBody.value(QStringLiteral("database")).toString(), QStringLiteral("up"));
        QCOMPARE(healthBody.value(QStringLiteral("sessions")).toInt(), 1);

        const HttpResponse metrics = httpRequest("GET", "/metrics");
        QCOMPARE(metrics.status, 200);
        QVERIFY2(metrics.contentType.startsWith("text/plain"), metrics.contentType.constData());
        const QList<QByteArray> lines = metrics.body.split('\n');
        const auto valueOf = [&](const QByteArray& series) -> double {
            for (const QByteArray& line : lines) {
                if (line.startsWith(QByteArray(series + ' ')))
                    return line.mid(series.size() + 1).toDouble();
            }
            return -1;
        };
        QVERIFY2(valueOf("voxtrack_sessions_started_total") >= 1, metrics.body.constData());
        QVERIFY2(valueOf("voxtrack_messages_persisted_total") >= 2, metrics.body.constData()); // system, m1
        QVERIFY2(valueOf("voxtrack_write_seconds_bucket{le=\"+Inf\"}") >= 1, metrics.body.constData());
        QCOMPARE(valueOf("voxtrack_errors_total{code=\"role.invalid\"}"), 1.0);

        const HttpResponse missing = httpRequest("GET", "/nope");
        QCOMPARE(missing.status, 404);
        QVERIFY2(missing.contentType.startsWith("application/json"), missing.contentType.constData());
        QCOMPARE(QJsonDocument::fromJson(missing.body).object().value(QStringLiteral("code")).toString(),
            QStringLiteral("http.not_found"));

        const HttpResponse noUpgrade = httpRequest("GET", "/v1/conversation?user_id=u-http");
        QCOMPARE(noUpgrade.status, 426);
        QVERIFY(!QJsonDocument::fromJson(noUpgrade.body).object().value(QStringLiteral("code")).toString().isEmpty());

        // The WebSocket beside them is unaffected.
        QVERIFY(client.isConnected());
        client.sendMessage(QStringLiteral("m3"), QStringLiteral("hello"));
        QTRY_VERIFY2_WITH_TIMEOUT(
            client.ack(QStringLiteral("m3")).has_value(), qPrintable(client.transcript()), waitMs);
    }

    void shutdownEndsOpenSessions_data()
    {
        QTest::addColumn<int>("sessions");
        QTest::addRow("two sessions") << 2;
        QTest::addRow("twenty sessions") << 20;
    }

    void shutdownEndsOpenSessions()
    {
        QFETCH(int, sessions);
        VOXTRACK_VERIFY_OK(startServer(noAuthOptions()));
        std::vector<std::unique_ptr<Client>> clients;
        QStringList sessionIds;
        for (int i = 0; i < sessions; ++i) {
            clients.push_back(std::make_unique<Client>());
            Client& client = *clients.back();
            client.open(urlFor(QStringLiteral("u-%1").arg(i)));
            QTRY_VERIFY2_WITH_TIMEOUT(client.started().has_value(), qPrintable(client.transcript()), waitMs);
            sessionIds << client.sessionId();
            client.sendMessage(QStringLiteral("m1"), QStringLiteral("hello"));
            QTRY_VERIFY2_WITH_TIMEOUT(
                client.replyTo(QStringLiteral("m1")).has_value(), qPrintable(client.transcript()), waitMs);
        }

        m_server->shutdown(2000);
        for (const auto& each : clients) {
            const Client& client = *each;
            QTRY_VERIFY2_WITH_TIMEOUT(client.isClosed(), qPrintable(client.transcript()), waitMs);
            QVERIFY2(client.ended(), qPrintable(client.transcript()));
            QCOMPARE(endReasonName(client.ended()->reason), QStringLiteral("server_shutdown"));
            QCOMPARE(client.ended()->messages, 3);
            QVERIFY(std::holds_alternative<protocol::SessionEnded>(client.frames().back()));
            QCOMPARE(client.closeCode(), int(QWebSocketProtocol::CloseCodeGoingAway));
        }
        QVERIFY(waitForEverythingPersisted());
        for (const QString& sessionId : std::as_const(sessionIds)) {
            const SessionRow row = session(sessionId);
            QVERIFY(!row.active);
            QCOMPARE(row.endReason, QStringLiteral("server_shutdown"));
            QCOMPARE(row.messageCount, 3);
        }
    }

    void persistedFramesFollowAcks()
    {
        VOXTRACK_VERIFY_OK(startServer(noAuthOptions(), std::make_shared<SilentAgent>()));
        Client client;
        client.open(urlFor(QStringLiteral("u-p"), QStringLiteral("persisted=1")));
        QTRY_VERIFY2_WITH_TIMEOUT(client.started().has_value(), qPrintable(client.transcript()), waitMs);
        const QString sessionId = client.sessionId();
        const QStringList ids {QStringLiteral("m1"), QStringLiteral("m2"), QStringLiteral("m3")};
        for (const QString& id : ids)
            client.sendMessage(id, QStringLiteral("message %1").arg(id));
        QTRY_VERIFY2_WITH_TIMEOUT(
            client.all<protocol::MessagePersisted>().size() == ids.size(), qPrintable(client.transcript()), waitMs);
        qint64 lastSeq = 0;
        qsizetype lastPersistedAt = -1;
        for (const QString& id : ids) {
            const auto ack = client.ack(id);
            QVERIFY(ack);
            QVERIFY(ack->seq > lastSeq);
            lastSeq = ack->seq;
            QCOMPARE(client.persistedOf(id).size(), 1);
            QCOMPARE(uuidText(client.persistedOf(id).constFirst().messageId), uuidText(ack->messageId));
            const qsizetype ackAt
                = client.indexOf<protocol::MessageAck>([&](const protocol::MessageAck& a) { return a.id == id; });
            const qsizetype persistedAt = client.indexOf<protocol::MessagePersisted>(
                [&](const protocol::MessagePersisted& p) { return p.id == id; });
            QVERIFY2(ackAt < persistedAt, qPrintable(client.transcript()));
            QVERIFY2(lastPersistedAt < persistedAt, qPrintable(client.transcript())); // in seq order
            lastPersistedAt = persistedAt;
        }
        // By the time message.persisted arrives, the row is there.
        QCOMPARE(messageCountOf(sessionId), 3);

        // A resend of a stored message: its ack again, then message.persisted right after it.
        client.sendMessage(QStringLiteral("m2"), QStringLiteral("again"));
        QTRY_VERIFY2_WITH_TIMEOUT(
            client.persistedOf(QStringLiteral("m2")).size() == 2, qPrintable(client.transcript()), waitMs);
        QCOMPARE(client.acksOf(QStringLiteral("m2")).size(), 2);
        const auto& frames = client.frames();
        QVERIFY(std::holds_alternative<protocol::MessagePersisted>(frames.back()));
        QVERIFY(std::holds_alternative<protocol::MessageAck>(frames.at(frames.size() - 2)));
        QCOMPARE(std::get<protocol::MessageAck>(frames.at(frames.size() - 2)).id, QStringLiteral("m2"));
        QCOMPARE(messageCountOf(sessionId), 3);
        QVERIFY2(client.invalidFrames().isEmpty(), qPrintable(client.transcript()));
    }

    void withoutPersistedParameterNoPersistedFrames()
    {
        VOXTRACK_VERIFY_OK(startServer(noAuthOptions(), std::make_shared<SilentAgent>()));
        Client client;
        client.open(urlFor(QStringLiteral("u-np")));
        QTRY_VERIFY2_WITH_TIMEOUT(client.started().has_value(), qPrintable(client.transcript()), waitMs);
        client.sendMessage(QStringLiteral("m1"), QStringLiteral("hello"));
        QTRY_VERIFY2_WITH_TIMEOUT(
            client.ack(QStringLiteral("m1")).has_value(), qPrintable(client.transcript()), waitMs);
        QVERIFY(waitForEverythingPersisted());
        client.endSession();
        QTRY_VERIFY2_WITH_TIMEOUT(client.isClosed(), qPrintable(client.transcript()), waitMs);
        QVERIFY(client.all<protocol::MessagePersisted>().isEmpty());
    }

    void manyConcurrentClients()
    {
        constexpr int clientCount = 50;
        constexpr int messagesEach = 5;
        VOXTRACK_VERIFY_OK(startServer(noAuthOptions()));
        std::vector<std::unique_ptr<Client>> clients;
        for (int i = 0; i < clientCount; ++i) {
            clients.push_back(std::make_unique<Client>());
            clients.back()->open(urlFor(QStringLiteral("crowd-%1").arg(i)));
        }
        const auto everyClient = [&](const auto& condition) {
            for (const auto& client : clients) {
                if (!condition(*client))
                    return false;
            }
            return true;
        };
        QTRY_VERIFY_WITH_TIMEOUT(everyClient([](const Client& c) { return c.started().has_value(); }), waitMs);

        for (const auto& client : clients) {
            for (int m = 1; m <= messagesEach; ++m)
                client->sendMessage(QStringLiteral("m%1").arg(m), QStringLiteral("message %1").arg(m));
        }
        QTRY_VERIFY_WITH_TIMEOUT(everyClient([](const Client& c) {
            return c.all<protocol::MessageAck>().size() == messagesEach
                && c.all<protocol::AgentMessage>().size() == messagesEach;
        }),
            3 * waitMs);
        QStringList sessionIds;
        for (const auto& client : clients) {
            qint64 lastSeq = 0;
            for (int m = 1; m <= messagesEach; ++m) {
                const QString id = QStringLiteral("m%1").arg(m);
                const auto ack = client->ack(id);
                QVERIFY(ack);
                QVERIFY(ack->seq > lastSeq);
                lastSeq = ack->seq;
                QCOMPARE(uuidText(ack->messageId), uuidText(protocol::messageIdFor(client->sessionId(), id)));
            }
            QVERIFY(client->errors().isEmpty());
            QVERIFY2(client->invalidFrames().isEmpty(), qPrintable(client->transcript()));
            sessionIds << client->sessionId();
            client->endSession();
        }
        QCOMPARE(QSet<QString>(sessionIds.begin(), sessionIds.end()).size(), clientCount);
        QTRY_VERIFY_WITH_TIMEOUT(everyClient([](const Client& c) { return c.isClosed(); }), waitMs);
        for (const auto& client : clients) {
            QVERIFY2(client->ended(), qPrintable(client->transcript()));
            QCOMPARE(client->ended()->messages, 1 + 2 * messagesEach);
        }

        QVERIFY(waitForEverythingPersisted());
        constexpr int rowsEach = 1 + 2 * messagesEach; // system prompt, messages, replies
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM conversation_messages")), clientCount * rowsEach);
        QCOMPARE(count(QStringLiteral("SELECT count(DISTINCT message_id) FROM conversation_messages")),
            clientCount * rowsEach);
        // Every session's seq runs 1..rowsEach without gap or repeat.
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM (SELECT session_id FROM conversation_messages GROUP BY "
                                      "session_id HAVING count(*) = ? AND count(DISTINCT seq) = ? AND min(seq) = 1 "
                                      "AND max(seq) = ?) AS complete"),
                     {rowsEach, rowsEach, rowsEach}),
            clientCount);
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM conversation_sessions WHERE is_active = ? AND "
                                      "end_reason = 'client_closed' AND message_count = ?"),
                     {isPostgres() ? QVariant(false) : QVariant(0), rowsEach}),
            clientCount);
    }
};

QTEST_GUILESS_MAIN(TestServer)
#include "tst_server.moc"
