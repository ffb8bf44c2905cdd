// SPDX-License-Identifier: MIT
#pragma once

// The parts of LoadRunner that live in its threads. Not part of the library's interface.

#include "client/loadrunner.h"
#include "client/voiceclient.h"

#include <QDeadlineTimer>
#include <QHash>
#include <QSet>
#include <QUuid>

#include <mutex>
#include <random>

namespace voxtrack::store {
class Connection;
}

namespace voxtrack::client {

/// Everything one session did, handed from its connection thread to the runner.
struct SessionOutcome {
    int n = 0;
    bool connected = false;
    bool completed = false; ///< every turn said, session.ended received, no error
    bool failed = false;
    bool aborted = false; ///< cut off by a second stop: not verified
    qint64 connectUs = -1;
    qint64 sent = 0;
    qint64 acked = 0;
    qint64 persistedFrames = 0;
    QList<TurnSample> turns;
    QStringList errorCodes;
    std::optional<ExpectedSession> expected;
    QList<QUuid> clientMessageIds; ///< the acknowledged messages this client sent
};

/// The database's verdict on one session.
struct VerifiedSession {
    QString sessionId;
    QList<Finding> findings;
    qint64 clientMessagesFound = 0;
};

/// One conversation, in a connection thread: connect, the turns with their think times and
/// expectations, session.end, and the outcome handed to the runner.
class SessionDriver : public QObject {
    Q_OBJECT

public:
    SessionDriver(SessionWorker* worker, int n);

    void begin();
    /// No more turns: end after the turn in flight (a session still connecting ends once started).
    void stopGracefully();
    /// Drop the connection now.
    void abortNow();

private:
    enum class State { Connecting, Thinking, Waiting, Ending, Done };

    [[nodiscard]] const Turn& turn() const;
    void nextTurn();
    void sendTurn();
    void turnDone();
    void endSession();
    void onTimeout();
    void onFailed(const voxtrack::Error& error);
    void onReply(const QString& replyTo, const QString& content);
    void finish();
    void turnError(const QString& code, const QString& message);
    void sessionError(const QString& code, const QString& message);
    [[nodiscard]] QString label() const;

    SessionWorker* m_worker;
    int m_n;
    QString m_userId;
    QJsonObject m_metadata;
    std::unique_ptr<VoiceClient> m_client;
    QTimer m_timer;
    State m_state = State::Connecting;
    int m_turnIndex = 0;
    int m_repetition = 0;
    int m_step = 0; ///< turns sent so far, repetitions counted
    QString m_pendingId;
    QHash<QString, QString> m_captured;
    QHash<QString, QString> m_turnErrors; ///< frame id → "code: message"
    QHash<QString, int> m_stepOf; ///< frame id → turn number from 1
    QStringList m_sessionErrors;
    QStringList m_errorCodes;
    bool m_stopping = false;
    bool m_aborted = false;
    bool m_allTurnsSaid = false;
};

/// The reply latencies a connection thread measured since the runner last took them: written
/// by that thread at each reply, taken by the runner's progress() about once a second. The lock
/// is the thread's own, so the two meet at most once a second.
struct ReplyWindow {
    std::mutex mutex;
    LatencyHistogram replies;
};

/// The sessions of one connection thread.
class SessionWorker : public QObject {
    Q_OBJECT

public:
    SessionWorker(LoadRunner* runner, const Scenario& scenario, const RunOptions& options, quint64 seed);

    void startSession(int n);
    void stopAll();
    void abortAll();
    /// Deletes every session still here (the runner is going away).
    void clear();
    /// A session is over: its outcome goes to the runner.
    void done(SessionDriver* driver, SessionOutcome outcome);
    /// A think time drawn from this thread's generator.
    [[nodiscard]] int think(const ThinkTime& time);
    /// The speech of text in voice (16 kHz mono s16le), synthesized once per text and voice in
    /// this thread for the whole run.
    [[nodiscard]] Expected<QByteArray> speech(const QString& text, const speech::Voice& voice);

    [[nodiscard]] const Scenario& scenario() const { return m_scenario; }
    [[nodiscard]] const RunOptions& options() const { return m_options; }
    [[nodiscard]] bool isStopping() const { return m_stopping; }
    std::atomic<qint64>& sent() { return *m_sent; }
    std::atomic<qint64>& replies() { return *m_replies; }
    /// A reply arrived after this many microseconds (for the progress window).
    void recordReply(qint64 microseconds);
    /// Adds the replies recorded since the last call to into, and forgets them. Any thread.
    void takeReplies(LatencyHistogram& into);

private:
    LoadRunner* m_runner;
    Scenario m_scenario; ///< this thread's own copy, regular expressions included
    RunOptions m_options;
    std::shared_ptr<std::atomic<qint64>> m_sent;
    std::shared_ptr<std::atomic<qint64>> m_replies;
    std::mt19937_64 m_random;
    ReplyWindow m_window;
    QSet<SessionDriver*> m_drivers;
    bool m_stopping = false;
    QHash<QString, QByteArray> m_speech; ///< speech() by voice, rate and text
};

/// Verification on a thread with its own database connection. A session with findings is
/// looked at again (with a growing pause) until its settle time has passed, since the server
/// writes in batches after it answered.
class VerifyWorker : public QObject {
    Q_OBJECT

public:
    VerifyWorker(LoadRunner* runner, VerifyOptions options);
    ~VerifyWorker() override;

    [[nodiscard]] Status open(const DatabaseUrl& url);
    void close();
    void check(const ExpectedSession& expected, const QList<QUuid>& clientIds, int settleMs);
    /// No more waiting for rows to settle: each pending session is checked once more now.
    void hurry();

private:
    struct Pending {
        ExpectedSession expected;
        QList<QUuid> clientIds;
        QDeadlineTimer deadline;
        int tries = 0;
    };

    void attempt(int key);

    LoadRunner* m_runner;
    VerifyOptions m_options;
    std::unique_ptr<store::Connection> m_connection;
    QHash<int, std::shared_ptr<Pending>> m_pending;
    int m_nextKey = 0;
    bool m_hurry = false;
};

} // namespace voxtrack::client
