// SPDX-License-Identifier: MIT
#pragma once

#include "core/protocol.h"
#include "server/agent.h"
#include "server/conversationserver.h"

#include <QElapsedTimer>
#include <QHash>
#include <QPointer>
#include <QTimer>

#include <deque>
#include <memory>
#include <optional>

class QTcpSocket;
class QWebSocket;
class QWebSocketServer;

namespace voxtrack::server {

/// Serves the connections of one worker thread: sniffs each new socket for HTTP or a WebSocket
/// upgrade, runs the conversations of its WebSockets and holds back each acknowledgement and
/// reply until the tracker reports its ticket durable. Lives in its thread; the server talks
/// to it with queued calls only.
class ConnectionWorker : public QObject {
    Q_OBJECT

public:
    ConnectionWorker(const ServerOptions& options, tracker::ConversationTracker* tracker,
        std::shared_ptr<const Agent> agent, const ConversationServer* server, ServerCounters* counters);
    ~ConnectionWorker() override;

    /// Creates the worker's sockets; called in the worker thread once it runs.
    void initialize();
    /// Takes a freshly accepted socket.
    void takeDescriptor(qintptr descriptor);
    /// Ends every open session with end_reason server_shutdown; returns the last ticket used.
    quint64 endAllSessions();
    /// Sends what is held back up to the tracker's durable ticket, then closes every socket.
    void closeAll();

private:
    struct Connection {
        QPointer<QWebSocket> socket;
        QString sessionId;
        QString userId;
        bool ended = false;
        bool timedOut = false;
        bool wantsPersisted = false;
        protocol::AudioGate audio;
        QByteArray audioPcm; ///< the PCM of the open audio so far
        /// An audio refused (audio.disabled) or cut off (audio.too_long): its binary frames are
        /// dropped quietly and its audio.end is not answered.
        QString discardedAudio;
        QElapsedTimer lastActivity;
        int agentReplies = 0;
        qint64 lastSeq = 0;
        QElapsedTimer since;
    };
    struct Held {
        quint64 ticket = 0;
        QPointer<QWebSocket> socket;
        QByteArray frame;
        quint16 closeCode = 0; ///< close the socket after sending, with this code
    };

    void sniff(QTcpSocket* socket);
    void serveHttp(QTcpSocket* socket, const QByteArray& method, const QByteArray& path, const QByteArray& range);
    void serveAudio(QTcpSocket* socket, const QByteArray& method, const QByteArray& path, const QByteArray& range);
    void onWebSocket();
    void onText(Connection* connection, const QString& text);
    void onBinary(Connection* connection, const QByteArray& data);
    void onDisconnected(QWebSocket* socket);
    /// Tracks a user message; with pcm, its audio is stored first and the message carries its URL.
    void trackUserText(Connection* connection, const QString& id, Role role, const QString& content,
        const QJsonObject& metadata, const QByteArray* pcm = nullptr, int sampleRate = 0);
    /// Writes pcm as the WAV of messageId, before the message that names it is tracked, and
    /// counts it; the URL it is served at. Errors: audio.disabled, audio.store_failed.
    Expected<QString> storeAudio(const QUuid& messageId, int sampleRate, const QByteArray& pcm);
    /// Forgets the audio a connection has open, and its bytes.
    static void dropAudio(Connection* connection);
    /// An agent's reply waiting for its delay (and its speech).
    struct PendingReply {
        QPointer<QWebSocket> socket;
        QString sessionId;
        QString replyTo;
        AgentReply reply;
        QElapsedTimer since;
    };
    void scheduleReply(Connection* connection, const QString& replyTo, const QString& text);
    /// Tracks and sends a reply if its session is still open; with spoken, its speech is stored
    /// first and the message carries its URL (a failure is logged and the reply goes without).
    void postReply(const PendingReply& pending, const SpokenReply* spoken);
    void endSession(Connection* connection, EndReason reason, bool notify);
    void sendNow(QWebSocket* socket, const QByteArray& frame);
    void sendError(QWebSocket* socket, const QString& code, const QString& message, const QString& ref = {});
    void refuse(QWebSocket* socket, const QString& code, const QString& message, quint16 closeCode);
    void hold(std::deque<Held>& queue, quint64 ticket, QWebSocket* socket, QByteArray frame, quint16 closeCode = 0);
    void release(std::deque<Held>& queue, quint64 upTo);
    void onDurable(quint64 ticket);
    void onPersisted(quint64 ticket);
    void pingAll();

    ServerOptions m_options;
    tracker::ConversationTracker* m_tracker;
    std::shared_ptr<const Agent> m_agent;
    const ConversationServer* m_server;
    ServerCounters* m_counters;
    QWebSocketServer* m_webSockets = nullptr;
    QTimer* m_pingTimer = nullptr;
    QHash<QWebSocket*, Connection*> m_connections;
    std::deque<Held> m_untilDurable;
    std::deque<Held> m_untilPersisted;
    quint64 m_durable = 0;
    quint64 m_persisted = 0;
    bool m_closing = false;
};

} // namespace voxtrack::server
