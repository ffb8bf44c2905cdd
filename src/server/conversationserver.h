// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.h"
#include "server/audiostore.h"

#include <QFuture>
#include <QHostAddress>
#include <QObject>
#include <QThreadPool>
#include <QUrl>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

class QTcpServer;
class QThread;

namespace voxtrack::tracker {
class ConversationTracker;
}

namespace voxtrack::server {

class Agent;
class ConnectionWorker;

struct ServerOptions {
    QHostAddress address = QHostAddress::LocalHost;
    quint16 port = 8787; ///< 0 picks a free port
    /// HS256 secret for bearer tokens; empty with noAuth false refuses every connection.
    QByteArray tokenSecret;
    bool noAuth = false; ///< identity from ?user_id= instead of a token
    qsizetype maxFrameBytes = 65536;
    int maxSessions = 10'000;
    int pingIntervalMs = 15'000; ///< how often idle connections are pinged
    int idleTimeoutMs = 45'000; ///< a connection silent this long (no frame, no pong) is dropped: end_reason timeout
    int workerThreads = 0; ///< threads serving connections; 0: one per core
    /// Where utterances are stored as <message_id>.wav and served from /audio/; created by
    /// listen(). Empty: audio.start is refused with audio.disabled.
    QString audioDirectory;
    /// The longest utterance kept; also bounds its bytes (seconds × sample rate × 2).
    int maxAudioSeconds = 60;
    /// Speaks the agent's replies: returns 16 kHz mono 16-bit PCM for a text, or an error (the
    /// reply then goes out without audio). Called in a connection worker's thread, once per
    /// reply, so it must be thread-safe; it holds up that worker's connections while it runs.
    /// Null: replies carry no audio of their own.
    std::function<Expected<QByteArray>(const QString& text)> speaker;

    /// Deliberate faults, so the harness's verification can be shown to catch them. Never on in
    /// production: voxtrackd sets them only from --test-fault.
    struct Faults {
        bool agentWrongRole = false; ///< store the agent's replies with role "user"
        int dropEveryNth = 0; ///< acknowledge every n-th user message the server receives, but never store it
        bool neverEnd = false; ///< answer session.end but leave the session row active

        /// Turns one fault on by its name: agent-role, drop-every=N (N ≥ 1) or never-end, as
        /// voxtrackd's --test-fault takes them. False for anything else.
        bool enable(QStringView name);
    } faults;
};

/// Counters of the server itself (the tracker has its own), readable from any thread.
struct ServerCounters {
    std::atomic<quint64> connections {0};
    std::atomic<quint64> framesReceived {0};
    std::atomic<quint64> framesRejected {0};
    std::atomic<int> activeSessions {0};
    std::atomic<quint64> userMessages {0}; ///< user messages received, over every connection
    std::atomic<quint64> audioFilesStored {0}; ///< utterances and spoken replies written to the audio store
    std::atomic<quint64> audioBytesStored {0}; ///< their size, headers included
    std::atomic<quint64> audioRequests {0}; ///< /audio/ requests answered with the file (200 or 206)
};

/// The sample rate of the speaker's PCM (ServerOptions::speaker).
inline constexpr int speakerSampleRate = 16000;

/// Error codes of the audio side, beside protocol::codes.
namespace audiocodes {
inline constexpr QLatin1StringView disabled {"audio.disabled"};
inline constexpr QLatin1StringView tooLong {"audio.too_long"};
inline constexpr QLatin1StringView storeFailed {"audio.store_failed"};
inline constexpr QLatin1StringView notFound {"audio.not_found"};
} // namespace audiocodes

/// An agent's reply as speech: the PCM of ServerOptions::speaker, or why there is none.
struct SpokenReply {
    QByteArray pcm; ///< 16-bit mono at speakerSampleRate; empty when synthesis failed
    QString error; ///< the failure, as a sentence
};

/// The voxtrackd endpoint: WebSocket protocol v1 on /v1/conversation, and plain HTTP beside it
/// on the same port (/healthz, /metrics, the stored utterances under /audio/<message_id>.wav). Connections are spread
/// over worker threads, each serving its sockets in its own event loop; every conversation is tracked through the
/// ConversationTracker, whose durable() and persisted() tickets decide when acknowledgements and replies go out: a
/// client is told "ack" only for a message the journal holds.
class ConversationServer : public QObject {
    Q_OBJECT

public:
    ConversationServer(ServerOptions options, tracker::ConversationTracker* tracker, std::shared_ptr<const Agent> agent,
        QObject* parent = nullptr);
    ~ConversationServer() override;

    /// Opens the audio directory, then starts listening. Error codes: server.audio_dir,
    /// server.listen.
    Status listen();
    /// ws://host:port/v1/conversation
    [[nodiscard]] QUrl conversationUrl() const;
    /// http://host:port
    [[nodiscard]] QUrl httpUrl() const;
    [[nodiscard]] quint16 port() const;
    /// The store of utterances; null when audio is disabled (or before listen()).
    [[nodiscard]] const AudioStore* audioStore() const { return m_audio ? &*m_audio : nullptr; }
    /// http://host:port/audio/<message_id>.wav
    [[nodiscard]] QString audioUrl(const QUuid& messageId) const;
    /// Starts speaking text through ServerOptions::speaker on the server's speech threads, so that
    /// no connection waits for it; nullopt when there is no speaker, no audio store or no text.
    /// Thread-safe.
    [[nodiscard]] std::optional<QFuture<SpokenReply>> speak(const QString& text) const;

    /// Stops accepting, ends every open session with end_reason server_shutdown (the clients get
    /// session.ended and a close) and waits up to timeoutMs for the workers to finish.
    void shutdown(int timeoutMs);

    [[nodiscard]] const ServerCounters& counters() const { return *m_counters; }
    /// The /metrics page: Prometheus text format 0.0.4.
    [[nodiscard]] QByteArray metricsText() const;
    /// The /healthz body.
    [[nodiscard]] QByteArray healthText() const;

    /// Counts an error code for /metrics (frame errors, auth failures, …). Thread-safe.
    void countError(const QString& code) const;

private:
    void acceptDescriptor(qintptr descriptor);

    ServerOptions m_options;
    tracker::ConversationTracker* m_tracker;
    std::shared_ptr<const Agent> m_agent;
    std::unique_ptr<ServerCounters> m_counters;
    std::optional<AudioStore> m_audio;
    QString m_httpBase; ///< httpUrl() once listening, read by the workers
    QTcpServer* m_listener = nullptr;
    QList<QThread*> m_threads;
    QList<ConnectionWorker*> m_workers;
    int m_nextWorker = 0;
    struct ErrorCounts;
    std::unique_ptr<ErrorCounts> m_errors;
    /// Synthesis of spoken replies, a thread per core: espeak-ng speaks one text at a time, but
    /// the resampling after it runs in parallel. Declared last, so that it is waited for before
    /// anything it could use goes away.
    mutable QThreadPool m_speech;
};

} // namespace voxtrack::server
