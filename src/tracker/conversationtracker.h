// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"
#include "core/records.h"
#include "tracker/batchwriter.h"
#include "tracker/command.h"
#include "tracker/metrics.h"

#include <QHash>
#include <QObject>
#include <QUuid>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

class QThread;

namespace voxtrack::tracker {

class Journal;
class WriterConnection;

struct TrackerOptions {
    DatabaseUrl database;
    /// Where accepted commands are journaled before they reach the database; empty: no
    /// journal (commands live in memory only until written, and are refused past memoryLimit).
    QString journalDirectory;
    int maxBatch = 2000; ///< commands per transaction at most
    int maxDelayMs = 2; ///< how long a batch may wait to fill up
    int memoryLimit = 200'000; ///< commands held in memory; past it the journal takes them
    int retryInitialMs = 50; ///< first wait after a failed write; doubles up to retryMaxMs
    int retryMaxMs = 5000;
    bool syncJournal = false; ///< fdatasync every journal write (survives power loss, not only crashes)
    bool migrate = true; ///< apply migrations when the writer first connects
    bool recoverOpenSessions = true; ///< close sessions a previous run left active ('recovered')
    BatchWriter::PostgresPath postgresPath = BatchWriter::PostgresPath::Copy;
};

/// What trackMessage() stamped on a message.
struct TrackedMessage {
    QUuid messageId;
    qint64 seq = 0;
    QDateTime createdAt;
    quint64 ticket = 0;
    bool duplicate = false; ///< the same message_id was tracked before: nothing new was queued
};

/// What startSession() stamped on the session.
struct StartedSession {
    QDateTime startedAt;
    quint64 ticket = 0;
};

/// What endSession() stamped on the end.
struct EndedSession {
    QDateTime startedAt;
    QDateTime endedAt;
    double durationSeconds = 0;
    int messageCount = 0;
    quint64 ticket = 0;
};

/// Tracks conversations into the database without ever making its callers wait for I/O.
///
/// startSession(), trackMessage() and endSession() may be called from any thread. They
/// validate, stamp the time, sequence number and idempotency key, and queue: microseconds.
/// Every accepted command gets a ticket; tickets grow by one in the order of acceptance.
///
/// Behind them: a journal thread appends accepted commands to the on-disk journal (when one is
/// configured) and reports them durable(); one writer thread, with its own connection, writes
/// them to the database in batches, in ticket order — so a session row is always written
/// before its messages and its end — and reports them persisted(). When the database fails,
/// the writer keeps the batch and retries with capped backoff; commands keep being accepted and
/// journaled, and past memoryLimit are read back from the journal instead of memory. A
/// restarted tracker replays what the journal holds beyond its checkpoint (idempotently: every
/// message has a unique message_id), then closes the sessions the previous run left active.
class ConversationTracker : public QObject {
    Q_OBJECT

public:
    explicit ConversationTracker(TrackerOptions options, QObject* parent = nullptr);
    ~ConversationTracker() override;

    /// Opens the journal and starts the threads. The database need not be reachable: the
    /// writer connects (and migrates, and recovers) when it can. Error codes: journal.*.
    Status start();

    /// Stops accepting, then waits up to timeoutMs for everything accepted to reach the
    /// database. Returns true when all did; otherwise what is left stays in the journal (or,
    /// without one, is lost and counted in the error log). Safe to call twice.
    bool stop(int timeoutMs);

    /// Session ids must be new: the server makes UUIDs. An id a session used before, once that
    /// session has ended, is not recognised here and its row is not written again.
    /// Error codes: tracker.invalid, tracker.session_exists, tracker.stopped, tracker.overloaded.
    Expected<StartedSession> startSession(
        const QString& sessionId, const QString& userId, const QJsonObject& metadata = {});
    /// messageId defaults to a new random UUID; the same messageId twice is tracked once.
    /// Error codes: tracker.invalid, tracker.unknown_session, tracker.stopped, tracker.overloaded.
    Expected<TrackedMessage> trackMessage(const QString& sessionId, Role role, const QString& content,
        const QString& audioUrl = {}, const QJsonObject& metadata = {}, const QUuid& messageId = {});
    /// Error codes: tracker.unknown_session, tracker.stopped, tracker.overloaded.
    Expected<EndedSession> endSession(const QString& sessionId, EndReason reason);

    [[nodiscard]] QStringList activeSessions() const;
    [[nodiscard]] int activeSessionCount() const;
    [[nodiscard]] quint64 lastTicket() const;
    [[nodiscard]] quint64 durableTicket() const { return m_durableTicket.load(); }
    [[nodiscard]] quint64 persistedTicket() const { return m_persistedTicket.load(); }
    /// Accepted commands not yet in the database.
    [[nodiscard]] quint64 queueDepth() const;
    [[nodiscard]] qint64 journalPendingBytes() const;
    [[nodiscard]] bool isDatabaseUp() const { return m_metrics.databaseUp.load() == 1; }

    /// Blocks until ticket is in the database or timeoutMs passes. For tests and shutdown.
    bool waitForPersisted(quint64 ticket, int timeoutMs) const;

    [[nodiscard]] const TrackerMetrics& metrics() const { return m_metrics; }
    [[nodiscard]] const TrackerOptions& options() const { return m_options; }

Q_SIGNALS:
    /// Commands up to ticket are journaled (or, without a journal, taken by the writer).
    void durable(quint64 ticket);
    /// Commands up to ticket are committed to the database.
    void persisted(quint64 ticket);
    /// The writer lost or regained the database; error says why it is down.
    void databaseStateChanged(bool up, const QString& error);
    /// Sessions a previous run left open were closed with end_reason 'recovered'.
    void sessionsRecovered(const QStringList& sessionIds);

private:
    struct SessionState {
        QString userId;
        QDateTime startedAt;
        qint64 nextSeq = 1;
        int messageCount = 0;
        QHash<QUuid, TrackedMessage> messages;
    };
    struct Pending {
        quint64 ticket = 0;
        qint64 offset = -1; ///< journal offset, -1 without a journal
        qint64 next = -1;
        Command command;
    };

    Expected<quint64> enqueueLocked(Command command);
    static Error stoppedError();
    void journalLoop();
    void writerLoop();
    bool gather(std::vector<Pending>& batch);
    bool writeWithRetry(std::vector<Pending>& batch, bool idempotent);
    bool connectWriter();
    void afterCommit(const std::vector<Pending>& batch);
    void logIndicators(const std::vector<Pending>& batch) const;
    bool sleepUnlessStopping(int ms);

    TrackerOptions m_options;
    TrackerMetrics m_metrics;
    std::unique_ptr<Journal> m_journal;

    // Accepted commands, guarded by m_mutex with the session table.
    mutable std::mutex m_mutex;
    std::condition_variable m_accepted;
    QHash<QString, SessionState> m_sessions;
    std::vector<Pending> m_incoming;
    quint64 m_nextTicket = 1;
    bool m_acceptingStopped = false;

    // Journaled commands waiting for the writer (journal mode), guarded by m_writerMutex.
    mutable std::mutex m_writerMutex;
    std::condition_variable m_writerWake;
    std::deque<Pending> m_toWrite;
    qint64 m_position = 0; ///< journal offset of the next command to write (writer thread)
    std::atomic<qint64> m_writtenOffset {0}; ///< m_position, readable from any thread
    qint64 m_recoveryEnd = 0; ///< journal offset where this run's commands begin

    std::atomic<bool> m_stopThreads {false};
    std::atomic<quint64> m_durableTicket {0};
    std::atomic<quint64> m_persistedTicket {0};
    std::atomic<quint64> m_lastAcceptedTicket {0};
    mutable std::mutex m_persistedMutex;
    mutable std::condition_variable m_persistedWake;

    // Writer-thread state.
    std::vector<Pending> m_taken; ///< without a journal: commands taken from m_incoming in one swap
    size_t m_takenAt = 0; ///< the next of m_taken to batch
    std::unique_ptr<WriterConnection> m_writer;
    bool m_recovered = false;
    int m_connectDelayMs = 50;
    qint64 m_lastCheckpointMs = 0;

    QThread* m_journalThread = nullptr;
    QThread* m_writerThread = nullptr;
    bool m_started = false;
};

} // namespace voxtrack::tracker
