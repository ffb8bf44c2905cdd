// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.h"
#include "core/protocol.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QQueue>
#include <QTimer>
#include <QUrl>
#include <QWebSocket>

#include <optional>

namespace voxtrack::client {

/// The audio speak() sends: 16 kHz mono s16le, in frames of 20 ms.
inline constexpr int audioSampleRate = 16000;
inline constexpr int audioFrameMs = 20;
inline constexpr int audioFrameBytes = audioSampleRate / 1000 * audioFrameMs * 2; // 640

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
    bool spoken = false; ///< sent as audio (speak()); text is its transcript
    qint64 audioBytes = 0; ///< the PCM sent, 16 kHz mono s16le
    qint64 audioStartUs = -1; ///< when audio.start was sent; sentAtUs is when audio.end was

    /// The duration of the PCM sent, in seconds (0 for a text message).
    [[nodiscard]] double audioSeconds() const;
};

/// How speak() sends its PCM.
enum class Pacing {
    Fast, ///< every frame at once, then audio.end
    RealTime, ///< one 20 ms frame every 20 ms, as a microphone would deliver them
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
    /// Sends a spoken message: audio.start (pcm_s16le, 16000 Hz), the PCM in binary frames of
    /// 20 ms (640 bytes), then audio.end with the transcript; returns its frame id. pcm16k is
    /// 16 kHz mono s16le. The exchange is timed from audio.end, like say() from its frame, and
    /// remembers how much audio it carried. Only one audio is open at a time: a speak() while
    /// another one is still being sent in real time waits for it, and so does a say() then.
    /// Spoken messages are the user's and carry no metadata (audio.end has none).
    QString speak(const QString& transcript, const QByteArray& pcm16k, Pacing pacing = Pacing::Fast);
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
    /// A speak()'s audio.end was sent: all its audio is out.
    void spoken(const QString& id);
    void sessionEnded(const voxtrack::protocol::SessionEnded& ended);
    /// An error frame, a refused connection, or a close before session.ended.
    void failed(const voxtrack::Error& error);
    void closed();

private:
    void onText(const QString& text);
    /// Something to send once the audio being sent is complete.
    struct Outgoing {
        QString id;
        QByteArray pcm; ///< empty for a text message
        Pacing pacing = Pacing::Fast;
        bool spoken = false;
    };
    void sendNext();
    void sendText(const QString& id);
    void sendFrames(bool all);
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
    QQueue<Outgoing> m_outgoing;
    std::optional<Outgoing> m_speaking; ///< the audio being sent in real time
    qsizetype m_speakingOffset = 0; ///< PCM bytes of it sent so far
    QElapsedTimer m_speakingClock;
    QTimer m_frameTimer;
};

} // namespace voxtrack::client
