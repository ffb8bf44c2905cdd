// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.h"
#include "core/protocol.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QUrl>
#include <QWebSocket>

#include <optional>

namespace voxtrack::client {

struct ClientOptions {
    QUrl url; ///< ws://host:port/v1/conversation
    QString userId; ///< sent as ?user_id= when there is no token
    QByteArray bearerToken; ///< sent as Authorization: Bearer …
    QJsonObject sessionMetadata; ///< sent as ?metadata=
    bool askPersisted = false; ///< ?persisted=1: the server reports each message stored
};

/// What happened to one message the client sent, timed from the moment it was sent.
struct Exchange {
    QString id;
    QString text;
    Role role = Role::User;
    QJsonObject metadata;
    qint64 sentAtUs = 0; ///< since the client's clock started
    qint64 ackUs = -1; ///< sent → message.ack
    qint64 replyUs = -1; ///< sent → the agent.message replying to it
    qint64 persistedUs = -1; ///< sent → message.persisted
    qint64 seq = 0;
    QUuid messageId;
    QString reply;
    QString replyId;
    qint64 replySeq = 0;
    QString replyAudioUrl;
    QString error; ///< the code of an error frame about it
};

/// One conversation over protocol v1, as a voice client would hold it, measuring every step:
/// connect → session.started, user.message → message.ack, → the agent's reply, → message.persisted.
/// Lives in one thread; everything is asynchronous and reported by signals.
class VoiceClient : public QObject {
    Q_OBJECT

public:
    explicit VoiceClient(ClientOptions options, QObject* parent = nullptr);
    ~VoiceClient() override;

    void open();
    /// Sends a message; returns its frame id ("m1", "m2", …).
    QString say(const QString& text, Role role = Role::User, const QJsonObject& metadata = {});
    /// Sends session.end; the server answers session.ended and closes.
    void end();
    /// Drops the connection without session.end.
    void abort();

    [[nodiscard]] QString sessionId() const { return m_sessionId; }
    [[nodiscard]] QString userId() const { return m_userId; }
    [[nodiscard]] QDateTime startedAt() const { return m_startedAt; }
    [[nodiscard]] qint64 connectUs() const { return m_connectUs; }
    [[nodiscard]] const QList<Exchange>& exchanges() const { return m_exchanges; }
    [[nodiscard]] const Exchange* exchange(const QString& id) const;
    /// Agent messages that answered no message of this client (or all, in order).
    [[nodiscard]] const QList<protocol::AgentMessage>& agentMessages() const { return m_agentMessages; }
    [[nodiscard]] const std::optional<protocol::SessionEnded>& ended() const { return m_ended; }
    /// The wall time the client saw the session last: from connect to session.ended.
    [[nodiscard]] double observedDurationSeconds() const;
    [[nodiscard]] bool isOpen() const { return !m_sessionId.isEmpty() && !m_closed; }
    [[nodiscard]] bool isClosed() const { return m_closed; }
    [[nodiscard]] const QList<protocol::ErrorFrame>& errors() const { return m_errors; }

Q_SIGNALS:
    void started(const QString& sessionId);
    void acked(const QString& id);
    void replied(const QString& replyTo, const QString& content);
    void persisted(const QString& id);
    void sessionEnded(const voxtrack::protocol::SessionEnded& ended);
    /// An error frame, a refused connection, or a close before session.ended.
    void failed(const voxtrack::Error& error);
    void closed();

private:
    void onText(const QString& text);
    [[nodiscard]] qint64 now() const { return m_clock.nsecsElapsed() / 1000; }

    ClientOptions m_options;
    QWebSocket m_socket;
    QElapsedTimer m_clock;
    QString m_sessionId;
    QString m_userId;
    QDateTime m_startedAt;
    qint64 m_connectUs = -1;
    qint64 m_endedAtUs = -1;
    int m_nextId = 0;
    QList<Exchange> m_exchanges;
    QHash<QString, qsizetype> m_index;
    QList<protocol::AgentMessage> m_agentMessages;
    QList<protocol::ErrorFrame> m_errors;
    std::optional<protocol::SessionEnded> m_ended;
    bool m_closed = false;
};

} // namespace voxtrack::client
