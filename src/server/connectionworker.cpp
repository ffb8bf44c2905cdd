// SPDX-License-Identifier: MIT
#include "server/connectionworker.h"

#include "core/wav.h"
#include "server/agent.h"
#include "server/jwt.h"
#include "server/logging.h"
#include "tracker/conversationtracker.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>
#include <QTcpSocket>
#include <QUrlQuery>
#include <QWebSocket>
#include <QWebSocketServer>

namespace voxtrack::server {

namespace {

constexpr qsizetype maxHttpHead = 16 * 1024;

QByteArray httpResponse(int status, const QByteArray& reason, const QByteArray& contentType, const QByteArray& body)
{
    return "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason + "\r\nContent-Type: " + contentType
        + "\r\nContent-Length: " + QByteArray::number(body.size())
        + "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n" + body;
}

QByteArray jsonError(const QString& code, const QString& message)
{
    return QJsonDocument(QJsonObject {{QStringLiteral("code"), code}, {QStringLiteral("message"), message}})
               .toJson(QJsonDocument::Compact)
        + '\n';
}

/// A single byte range of a Range header, resolved against a file's size.
struct ByteRange {
    bool partial = false; ///< a satisfiable single range: answer 206
    bool unsatisfiable = false; ///< answer 416
    qint64 first = 0;
    qint64 last = 0;
};

/// Reads "bytes=a-b", "bytes=a-" or "bytes=-n". A header that is absent, malformed or asks for
/// several ranges is ignored (the whole file is sent), as RFC 9110 allows.
ByteRange parseRange(const QByteArray& header, qint64 size)
{
    ByteRange range;
    if (!header.startsWith("bytes=") || header.contains(','))
        return range;
    const QByteArray spec = header.mid(6).trimmed();
    const qsizetype dash = spec.indexOf('-');
    if (dash < 0)
        return range;
    const QByteArray from = spec.left(dash).trimmed();
    const QByteArray to = spec.mid(dash + 1).trimmed();
    bool fromOk = false;
    bool toOk = false;
    const qint64 a = from.toLongLong(&fromOk);
    const qint64 b = to.toLongLong(&toOk);
    if (from.isEmpty()) {
        if (!toOk || b < 0)
            return range;
        if (b == 0 || size == 0) {
            range.unsatisfiable = true;
            return range;
        }
        range.partial = true;
        range.first = std::max<qint64>(0, size - b);
        range.last = size - 1;
        return range;
    }
    if (!fromOk || a < 0 || (!to.isEmpty() && (!toOk || b < a)))
        return range;
    if (a >= size) {
        range.unsatisfiable = true;
        return range;
    }
    range.partial = true;
    range.first = a;
    range.last = to.isEmpty() ? size - 1 : std::min(b, size - 1);
    return range;
}

QString newSessionId()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

} // namespace

ConnectionWorker::ConnectionWorker(const ServerOptions& options, tracker::ConversationTracker* tracker,
    std::shared_ptr<const Agent> agent, const ConversationServer* server, ServerCounters* counters)
    : m_options(options)
    , m_tracker(tracker)
    , m_agent(std::move(agent))
    , m_server(server)
    , m_counters(counters)
{
}

ConnectionWorker::~ConnectionWorker()
{
    qDeleteAll(m_connections);
}

void ConnectionWorker::initialize()
{
    m_webSockets = new QWebSocketServer(
        QStringLiteral("voxtrackd/%1").arg(QStringLiteral(VOXTRACK_VERSION)), QWebSocketServer::NonSecureMode, this);
    connect(m_webSockets, &QWebSocketServer::newConnection, this, &ConnectionWorker::onWebSocket);
    m_pingTimer = new QTimer(this);
    m_pingTimer->setInterval(std::max(50, std::min(m_options.pingIntervalMs, m_options.idleTimeoutMs / 3)));
    connect(m_pingTimer, &QTimer::timeout, this, &ConnectionWorker::pingAll);
    m_pingTimer->start();
    connect(m_tracker, &tracker::ConversationTracker::durable, this, &ConnectionWorker::onDurable);
    connect(m_tracker, &tracker::ConversationTracker::persisted, this, &ConnectionWorker::onPersisted);
}

void ConnectionWorker::takeDescriptor(qintptr descriptor)
{
    auto* socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(descriptor)) {
        delete socket;
        return;
    }
    if (m_closing) {
        socket->write(httpResponse(503, "Service Unavailable", "application/json",
            jsonError(
                QStringLiteral("server.shutting_down"), tr("The server is shutting down: connect again later."))));
        socket->disconnectFromHost();
        return;
    }
    m_counters->connections.fetch_add(1, std::memory_order_relaxed);
    connect(socket, &QTcpSocket::readyRead, this, [this, socket] { sniff(socket); });
    connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    // A client that connects and says nothing is dropped.
    QTimer::singleShot(10'000, socket, [socket] {
        if (socket->property("voxtrack.sniffed").isNull())
            socket->abort();
    });
}

void ConnectionWorker::sniff(QTcpSocket* socket)
{
    const QByteArray head = socket->peek(maxHttpHead);
    const qsizetype end = head.indexOf("\r\n\r\n");
    if (end < 0) {
        if (head.size() >= maxHttpHead) {
            socket->write(
                httpResponse(431, "Request Header Fields Too Large", "text/plain", "request head too large\n"));
            socket->disconnectFromHost();
        }
        return; // wait for the rest of the head
    }
    socket->setProperty("voxtrack.sniffed", true);
    disconnect(socket, &QTcpSocket::readyRead, this, nullptr);

    const QList<QByteArray> lines = head.left(end).split('\n');
    const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
    const QByteArray method = requestLine.value(0);
    const QByteArray target = requestLine.value(1);
    const QByteArray path = target.left(target.indexOf('?') < 0 ? target.size() : target.indexOf('?'));
    bool upgrade = false;
    QByteArray range;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon > 0 && line.left(colon).trimmed().toLower() == "upgrade"
            && line.mid(colon + 1).trimmed().toLower() == "websocket")
            upgrade = true;
        if (colon > 0 && line.left(colon).trimmed().toLower() == "range")
            range = line.mid(colon + 1).trimmed();
    }
    if (upgrade && path == QByteArrayView(protocol::conversationPath)) {
        disconnect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        m_webSockets->handleConnection(socket);
        return;
    }
    socket->read(end + 4);
    if (path == QByteArrayView(protocol::conversationPath)) {
        socket->write(httpResponse(426, "Upgrade Required", "application/json",
            jsonError(QStringLiteral("http.upgrade_required"),
                tr("This endpoint speaks WebSocket: connect with ws://…%1.").arg(protocol::conversationPath))));
        socket->disconnectFromHost();
        return;
    }
    serveHttp(socket, method, path, range);
}

void ConnectionWorker::serveHttp(
    QTcpSocket* socket, const QByteArray& method, const QByteArray& path, const QByteArray& range)
{
    QByteArray response;
    if (method != "GET" && method != "HEAD") {
        response = httpResponse(405, "Method Not Allowed", "application/json",
            jsonError(QStringLiteral("http.method"), tr("Only GET is served here.")));
    } else if (path == "/healthz") {
        response = httpResponse(200, "OK", "application/json", m_server->healthText());
    } else if (path == "/metrics") {
        response = httpResponse(200, "OK", "text/plain; version=0.0.4; charset=utf-8", m_server->metricsText());
    } else if (path.startsWith("/audio/")) {
        serveAudio(socket, method, path, range);
        return;
    } else {
        response = httpResponse(404, "Not Found", "application/json",
            jsonError(QStringLiteral("http.not_found"),
                tr("Nothing is served at %1: the endpoints are %2, /healthz and /metrics.")
                    .arg(QString::fromUtf8(path), protocol::conversationPath)));
    }
    if (method == "HEAD")
        response.truncate(response.indexOf("\r\n\r\n") + 4);
    socket->write(response);
    socket->disconnectFromHost();
}

void ConnectionWorker::serveAudio(
    QTcpSocket* socket, const QByteArray& method, const QByteArray& path, const QByteArray& range)
{
    const AudioStore* store = m_server->audioStore();
    const std::optional<QUuid> id = AudioStore::idFromPath(path);
    auto* file = store && id ? new QFile(store->pathFor(*id), socket) : nullptr;
    if (!file || !file->open(QIODevice::ReadOnly)) {
        delete file;
        QByteArray response = httpResponse(404, "Not Found", "application/json",
            jsonError(audiocodes::notFound,
                tr("No audio is stored under %1: audio URLs come from the audio_url of a stored message.")
                    .arg(QString::fromUtf8(path))));
        if (method == "HEAD")
            response.truncate(response.indexOf("\r\n\r\n") + 4);
        socket->write(response);
        socket->disconnectFromHost();
        return;
    }
    const qint64 size = file->size();
    const ByteRange wanted = parseRange(range, size);
    QByteArray head;
    if (wanted.unsatisfiable) {
        const QByteArray body = jsonError(QStringLiteral("audio.range"),
            tr("The range %1 lies outside the %2 bytes of this file: ask for bytes below %2.")
                .arg(QString::fromLatin1(range))
                .arg(size));
        head = "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Type: application/json\r\nContent-Length: "
            + QByteArray::number(body.size()) + "\r\nContent-Range: bytes */" + QByteArray::number(size)
            + "\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n";
        socket->write(method == "HEAD" ? head : head + body);
        socket->disconnectFromHost();
        delete file;
        return;
    }
    const qint64 first = wanted.partial ? wanted.first : 0;
    const qint64 length = wanted.partial ? wanted.last - wanted.first + 1 : size;
    head = wanted.partial ? "HTTP/1.1 206 Partial Content\r\n" : "HTTP/1.1 200 OK\r\n";
    head += "Content-Type: audio/wav\r\nContent-Length: " + QByteArray::number(length) + "\r\nAccept-Ranges: bytes\r\n";
    if (wanted.partial) {
        head += "Content-Range: bytes " + QByteArray::number(wanted.first) + '-' + QByteArray::number(wanted.last) + '/'
            + QByteArray::number(size) + "\r\n";
    }
    head += "Connection: close\r\n\r\n";
    socket->write(head);
    m_counters->audioRequests.fetch_add(1, std::memory_order_relaxed);
    if (method == "HEAD" || length == 0 || !file->seek(first)) {
        delete file;
        socket->disconnectFromHost();
        return;
    }
    // The file goes out in chunks as the socket drains, never whole in memory.
    auto remaining = std::make_shared<qint64>(length);
    auto pump = [socket, file, remaining] {
        constexpr qint64 chunkBytes = 64 * 1024;
        while (*remaining > 0 && socket->bytesToWrite() < 4 * chunkBytes) {
            const QByteArray chunk = file->read(std::min(chunkBytes, *remaining));
            if (chunk.isEmpty()) {
                *remaining = -1;
                socket->abort();
                return;
            }
            *remaining -= chunk.size();
            socket->write(chunk);
            if (*remaining == 0)
                socket->disconnectFromHost();
        }
    };
    connect(socket, &QTcpSocket::bytesWritten, file, pump);
    pump();
}

void ConnectionWorker::onWebSocket()
{
    while (QWebSocket* socket = m_webSockets->nextPendingConnection()) {
        socket->setParent(this);
        socket->setMaxAllowedIncomingMessageSize(
            quint64(std::max<qsizetype>(m_options.maxFrameBytes, 1024)) * 4 + 4096);
        const QNetworkRequest request = socket->request();
        const QUrlQuery query(socket->requestUrl());

        QString userId;
        if (m_options.noAuth) {
            userId = query.queryItemValue(QStringLiteral("user_id"), QUrl::FullyDecoded);
            if (userId.isEmpty()) {
                refuse(socket, protocol::codes::authMissing,
                    tr("No user: this server runs without authentication, so add ?user_id=<id> to the URL."),
                    protocol::CloseUnauthorized);
                continue;
            }
        } else {
            const QString token = bearerToken(request.rawHeader("Authorization"));
            if (token.isEmpty()) {
                refuse(socket, protocol::codes::authMissing,
                    tr("No credentials: send the header \"Authorization: Bearer <token>\" with a token signed with "
                       "the server's secret."),
                    protocol::CloseUnauthorized);
                continue;
            }
            const auto claims = verifyJwt(token.toUtf8(), m_options.tokenSecret);
            if (!claims) {
                refuse(socket, claims.error().code, claims.error().message, protocol::CloseUnauthorized);
                continue;
            }
            userId = claims->sub;
        }

        QJsonObject metadata;
        const QString metadataText = query.queryItemValue(QStringLiteral("metadata"), QUrl::FullyDecoded);
        if (!metadataText.isEmpty()) {
            QJsonParseError error;
            const QJsonDocument document = QJsonDocument::fromJson(metadataText.toUtf8(), &error);
            if (!document.isObject()) {
                refuse(socket, QStringLiteral("session.bad_metadata"),
                    tr("The metadata query parameter is not a JSON object: send ?metadata= with a URL-encoded "
                       "object such as {\"channel\":\"web\"}."),
                    1008);
                continue;
            }
            metadata = document.object();
        }

        if (m_counters->activeSessions.fetch_add(1) >= m_options.maxSessions) {
            m_counters->activeSessions.fetch_sub(1);
            refuse(socket, protocol::codes::serverBusy,
                tr("The server holds its maximum of %1 sessions: try again later.").arg(m_options.maxSessions),
                protocol::CloseTryAgainLater);
            continue;
        }

        auto* connection = new Connection;
        connection->socket = socket;
        connection->sessionId = newSessionId();
        connection->userId = userId;
        connection->wantsPersisted = query.queryItemValue(QStringLiteral("persisted")) == u"1";
        connection->lastActivity.start();
        connection->since.start();

        const auto started = m_tracker->startSession(connection->sessionId, userId, metadata);
        if (!started) {
            m_counters->activeSessions.fetch_sub(1);
            delete connection;
            refuse(socket, QStringLiteral("server.unavailable"), started.error().message, protocol::CloseTryAgainLater);
            continue;
        }
        quint64 ticket = started->ticket;
        const QDateTime startedAt = started->startedAt;
        const QString prompt = m_agent->systemPrompt();
        if (!prompt.isEmpty()) {
            if (const auto system = m_tracker->trackMessage(connection->sessionId, Role::System, prompt)) {
                ticket = system->ticket;
                connection->lastSeq = system->seq;
            }
        }
        m_connections.insert(socket, connection);
        connect(socket, &QWebSocket::textMessageReceived, this,
            [this, connection](const QString& text) { onText(connection, text); });
        connect(socket, &QWebSocket::binaryMessageReceived, this,
            [this, connection](const QByteArray& data) { onBinary(connection, data); });
        connect(socket, &QWebSocket::pong, this, [connection] { connection->lastActivity.restart(); });
        connect(socket, &QWebSocket::disconnected, this, [this, socket] { onDisconnected(socket); });
        hold(m_untilDurable, ticket, socket,
            protocol::encode(protocol::SessionStarted {connection->sessionId, userId, startedAt, protocol::version}));
    }
}

void ConnectionWorker::refuse(QWebSocket* socket, const QString& code, const QString& message, quint16 closeCode)
{
    m_server->countError(code);
    qCInfo(lcServer).noquote() << "refused a connection from" << socket->peerAddress().toString() << code;
    sendNow(socket, protocol::encode(protocol::makeError(code, message)));
    socket->close(QWebSocketProtocol::CloseCode(closeCode), code);
    connect(socket, &QWebSocket::disconnected, socket, &QObject::deleteLater);
}

void ConnectionWorker::sendNow(QWebSocket* socket, const QByteArray& frame)
{
    if (socket && socket->state() == QAbstractSocket::ConnectedState)
        socket->sendTextMessage(QString::fromUtf8(frame));
}

void ConnectionWorker::sendError(QWebSocket* socket, const QString& code, const QString& message, const QString& ref)
{
    m_server->countError(code);
    m_counters->framesRejected.fetch_add(1, std::memory_order_relaxed);
    sendNow(socket, protocol::encode(protocol::makeError(code, message, ref)));
}

void ConnectionWorker::hold(
    std::deque<Held>& queue, quint64 ticket, QWebSocket* socket, QByteArray frame, quint16 closeCode)
{
    queue.push_back({ticket, socket, std::move(frame), closeCode});
    release(queue,
        &queue == &m_untilDurable ? std::max(m_durable, m_tracker->durableTicket())
                                  : std::max(m_persisted, m_tracker->persistedTicket()));
}

void ConnectionWorker::release(std::deque<Held>& queue, quint64 upTo)
{
    // Tickets from one worker are taken in order, so each queue is sorted by ticket.
    while (!queue.empty() && queue.front().ticket <= upTo) {
        Held held = std::move(queue.front());
        queue.pop_front();
        if (!held.socket)
            continue;
        if (!held.frame.isEmpty())
            sendNow(held.socket, held.frame);
        if (held.closeCode) {
            // Close on the next turn of the event loop, so frames already read from the socket
            // (a message right behind session.end) still get their answer first.
            QMetaObject::invokeMethod(
                held.socket,
                [socket = held.socket, code = held.closeCode] {
                    if (socket)
                        socket->close(QWebSocketProtocol::CloseCode(code));
                },
                Qt::QueuedConnection);
        }
    }
}

void ConnectionWorker::onDurable(quint64 ticket)
{
    m_durable = std::max(m_durable, ticket);
    release(m_untilDurable, m_durable);
}

void ConnectionWorker::onPersisted(quint64 ticket)
{
    m_persisted = std::max(m_persisted, ticket);
    release(m_untilPersisted, m_persisted);
}

void ConnectionWorker::onText(Connection* connection, const QString& text)
{
    connection->lastActivity.restart();
    m_counters->framesReceived.fetch_add(1, std::memory_order_relaxed);
    QWebSocket* socket = connection->socket;
    protocol::ParsedClientFrame parsed = protocol::parseClientFrame(QStringView(text), m_options.maxFrameBytes);
    if (!parsed.ok()) {
        sendError(socket, parsed.error.code, parsed.error.message, parsed.error.ref);
        return;
    }
    if (connection->ended) {
        QString ref;
        std::visit(
            [&](const auto& frame) {
                using T = std::decay_t<decltype(frame)>;
                if constexpr (!std::is_same_v<T, protocol::SessionEnd>)
                    ref = frame.id;
            },
            *parsed.frame);
        sendError(socket, protocol::codes::sessionEnded,
            tr("This session has ended and takes no more frames: open a new connection for a new session."), ref);
        return;
    }
    std::visit(
        [&](auto& frame) {
            using T = std::decay_t<decltype(frame)>;
            if constexpr (std::is_same_v<T, protocol::UserMessage>) {
                trackUserText(connection, frame.id, frame.role, frame.content, frame.metadata);
            } else if constexpr (std::is_same_v<T, protocol::AudioStart>) {
                if (!connection->audio.isOpen())
                    connection->discardedAudio.clear();
                if (!m_server->audioStore()) {
                    connection->discardedAudio = frame.id;
                    sendError(socket, audiocodes::disabled,
                        tr("This server stores no audio (it runs with --audio-dir none): send the transcript as a "
                           "user.message instead."),
                        frame.id);
                    return;
                }
                const protocol::ErrorFrame error = connection->audio.start(frame);
                if (!error.isNull()) {
                    sendError(socket, error.code, error.message, error.ref);
                    return;
                }
                connection->audioPcm.clear();
            } else if constexpr (std::is_same_v<T, protocol::AudioEnd>) {
                if (!connection->audio.isOpen() && !connection->discardedAudio.isEmpty()
                    && connection->discardedAudio == frame.id) {
                    // Already answered with audio.disabled or audio.too_long.
                    connection->discardedAudio.clear();
                    return;
                }
                const int sampleRate = connection->audio.isOpen() ? connection->audio.current().sampleRate : 0;
                const protocol::ErrorFrame error = connection->audio.end(frame);
                if (!error.isNull()) {
                    sendError(socket, error.code, error.message, error.ref);
                    return;
                }
                const QByteArray pcm = std::exchange(connection->audioPcm, QByteArray());
                trackUserText(connection, frame.id, Role::User, frame.transcript, QJsonObject {}, &pcm, sampleRate);
            } else {
                endSession(connection, EndReason::ClientClosed, true);
            }
        },
        *parsed.frame);
}

void ConnectionWorker::onBinary(Connection* connection, const QByteArray& data)
{
    connection->lastActivity.restart();
    m_counters->framesReceived.fetch_add(1, std::memory_order_relaxed);
    if (connection->ended) {
        dropAudio(connection); // the session is over: its open audio goes
        return;
    }
    if (!connection->audio.isOpen() && !connection->discardedAudio.isEmpty())
        return; // the rest of an audio already refused or cut off
    const protocol::ErrorFrame error = connection->audio.binary(data.size());
    if (!error.isNull()) {
        sendError(connection->socket, error.code, error.message, error.ref);
        return;
    }
    const protocol::AudioStart& open = connection->audio.current();
    const qint64 limit = qint64(m_options.maxAudioSeconds) * open.sampleRate * 2;
    if (connection->audio.bytesReceived() > limit) {
        const QString id = open.id;
        dropAudio(connection);
        connection->discardedAudio = id;
        sendError(connection->socket, audiocodes::tooLong,
            tr("The audio \"%1\" is longer than %2 s: it was dropped; send shorter utterances, or start the server "
               "with a larger --max-audio-seconds.")
                .arg(id)
                .arg(m_options.maxAudioSeconds),
            id);
        return;
    }
    connection->audioPcm.append(data);
}

void ConnectionWorker::dropAudio(Connection* connection)
{
    connection->audio.reset();
    connection->audioPcm = QByteArray();
}

void ConnectionWorker::trackUserText(Connection* connection, const QString& id, Role role, const QString& content,
    const QJsonObject& metadata, const QByteArray* pcm, int sampleRate)
{
    QWebSocket* socket = connection->socket;
    const QUuid messageId = protocol::messageIdFor(connection->sessionId, id);
    const quint64 received = m_counters->userMessages.fetch_add(1, std::memory_order_relaxed) + 1;
    if (m_options.faults.dropEveryNth > 0 && received % quint64(m_options.faults.dropEveryNth) == 0) {
        // Test fault: acknowledged, never stored.
        sendNow(socket, protocol::encode(protocol::MessageAck {id, ++connection->lastSeq, messageId}));
        return;
    }
    QString audioUrl;
    if (pcm) {
        const auto stored = storeAudio(messageId, sampleRate, *pcm);
        if (!stored) {
            qCWarning(lcServer).noquote() << stored.error().message;
            sendError(socket, stored.error().code, stored.error().message, id);
            return;
        }
        audioUrl = *stored;
    }
    const auto tracked = m_tracker->trackMessage(connection->sessionId, role, content, audioUrl, metadata, messageId);
    if (!tracked) {
        const QString code = tracked.error().code == u"tracker.overloaded" ? QStringLiteral("server.overloaded")
            : tracked.error().code == u"tracker.stopped"                   ? QStringLiteral("server.shutting_down")
                                                                           : tracked.error().code;
        sendError(socket, code, tracked.error().message, id);
        return;
    }
    connection->lastSeq = std::max(connection->lastSeq, tracked->seq);
    hold(m_untilDurable, tracked->ticket, socket,
        protocol::encode(protocol::MessageAck {id, tracked->seq, tracked->messageId}));
    if (connection->wantsPersisted)
        hold(m_untilPersisted, tracked->ticket, socket,
            protocol::encode(protocol::MessagePersisted {id, tracked->messageId}));
    if (role == Role::User && !tracked->duplicate)
        scheduleReply(connection, id, content);
}

void ConnectionWorker::scheduleReply(Connection* connection, const QString& replyTo, const QString& text)
{
    const auto reply = m_agent->reply(AgentTurn {connection->sessionId, connection->userId, text, replyTo});
    if (!reply)
        return;
    QElapsedTimer since;
    since.start();
    PendingReply pending {connection->socket, connection->sessionId, replyTo, *reply, since};
    // The reply is spoken while the agent "thinks": synthesis runs on the server's speech threads,
    // never here, where other connections are served.
    std::optional<QFuture<SpokenReply>> speech = m_server->speak(reply->content);
    QTimer::singleShot(std::max(0, reply->delayMs), this, [this, pending, speech]() mutable {
        if (!speech) {
            postReply(pending, nullptr);
            return;
        }
        speech->then(this, [this, pending](const SpokenReply& spoken) { postReply(pending, &spoken); });
    });
}

void ConnectionWorker::postReply(const PendingReply& pending, const SpokenReply* spoken)
{
    if (!pending.socket)
        return;
    Connection* open = m_connections.value(pending.socket.data());
    if (!open || open->ended || open->sessionId != pending.sessionId)
        return;
    const QString id = QStringLiteral("agent-%1").arg(++open->agentReplies);
    const QJsonObject metadata {{QStringLiteral("reply_to"), pending.replyTo},
        {QStringLiteral("reply_latency_ms"), qint64(pending.since.elapsed())}};
    const QUuid messageId = protocol::messageIdFor(pending.sessionId, id);
    QString audioUrl = pending.reply.audioUrl;
    if (spoken) {
        const auto stored = spoken->error.isEmpty() ? storeAudio(messageId, speakerSampleRate, spoken->pcm)
                                                    : Expected<QString>(Error {{}, spoken->error});
        if (stored)
            audioUrl = *stored;
        else
            qCWarning(lcServer).noquote() << "the reply goes out without audio:" << stored.error().message;
    }
    const auto tracked
        = m_tracker->trackMessage(pending.sessionId, m_options.faults.agentWrongRole ? Role::User : Role::Agent,
            pending.reply.content, audioUrl, metadata, messageId);
    if (!tracked)
        return;
    open->lastSeq = std::max(open->lastSeq, tracked->seq);
    hold(m_untilDurable, tracked->ticket, pending.socket,
        protocol::encode(protocol::AgentMessage {
            id, pending.reply.content, audioUrl, pending.replyTo, tracked->seq, tracked->createdAt}));
}

Expected<QString> ConnectionWorker::storeAudio(const QUuid& messageId, int sampleRate, const QByteArray& pcm)
{
    const AudioStore* store = m_server->audioStore();
    if (!store)
        return Error {audiocodes::disabled, tr("This server stores no audio.")};
    if (Status written = store->write(messageId, sampleRate, pcm); !written.isNull())
        return written;
    m_counters->audioFilesStored.fetch_add(1, std::memory_order_relaxed);
    m_counters->audioBytesStored.fetch_add(quint64(pcm.size() + wav::headerBytes), std::memory_order_relaxed);
    return m_server->audioUrl(messageId);
}

void ConnectionWorker::endSession(Connection* connection, EndReason reason, bool notify)
{
    if (connection->ended)
        return;
    connection->ended = true;
    dropAudio(connection); // an audio still open is kept nowhere
    m_counters->activeSessions.fetch_sub(1);
    if (m_options.faults.neverEnd) {
        // Test fault: the client is told the session ended; the database never hears of it.
        if (notify && connection->socket) {
            sendNow(connection->socket,
                protocol::encode(protocol::SessionEnded {connection->sessionId,
                    double(connection->since.elapsed()) / 1000.0, int(connection->lastSeq), reason}));
            hold(m_untilDurable, 0, connection->socket, {}, quint16(QWebSocketProtocol::CloseCodeNormal));
        }
        return;
    }
    const auto ended = m_tracker->endSession(connection->sessionId, reason);
    if (!ended) {
        qCWarning(lcServer).noquote() << ended.error().message;
        return;
    }
    if (notify && connection->socket) {
        const quint16 closeCode = reason == EndReason::ServerShutdown ? quint16(QWebSocketProtocol::CloseCodeGoingAway)
                                                                      : quint16(QWebSocketProtocol::CloseCodeNormal);
        // With ?persisted=1 the end waits for the database too, so that every message.persisted
        // comes first and session.ended means the whole session is stored.
        hold(connection->wantsPersisted ? m_untilPersisted : m_untilDurable, ended->ticket, connection->socket,
            protocol::encode(
                protocol::SessionEnded {connection->sessionId, ended->durationSeconds, ended->messageCount, reason}),
            closeCode);
    }
}

void ConnectionWorker::onDisconnected(QWebSocket* socket)
{
    Connection* connection = m_connections.take(socket);
    if (connection) {
        endSession(connection, connection->timedOut ? EndReason::Timeout : EndReason::ClientClosed, false);
        delete connection;
    }
    socket->deleteLater();
}

void ConnectionWorker::pingAll()
{
    // abort() may remove the connection at once (onDisconnected): walk a copy.
    const QList<Connection*> connections = m_connections.values();
    for (Connection* connection : connections) {
        if (!connection->socket || connection->ended)
            continue;
        if (connection->lastActivity.elapsed() > m_options.idleTimeoutMs) {
            qCInfo(lcServer).noquote() << "session" << connection->sessionId << "silent for"
                                       << connection->lastActivity.elapsed() << "ms: dropping it";
            connection->timedOut = true;
            connection->socket->abort();
            continue;
        }
        connection->socket->ping();
    }
}

quint64 ConnectionWorker::endAllSessions()
{
    m_closing = true;
    const QList<Connection*> connections = m_connections.values();
    for (Connection* connection : connections)
        endSession(connection, EndReason::ServerShutdown, true);
    return m_tracker->lastTicket();
}

void ConnectionWorker::closeAll()
{
    onDurable(m_tracker->durableTicket());
    const QList<Connection*> connections = m_connections.values();
    for (Connection* connection : connections) {
        if (connection->socket && connection->socket->state() == QAbstractSocket::ConnectedState)
            connection->socket->close(QWebSocketProtocol::CloseCodeGoingAway);
    }
    m_pingTimer->stop();
}

} // namespace voxtrack::server
