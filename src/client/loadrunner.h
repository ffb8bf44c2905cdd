// SPDX-License-Identifier: MIT
#pragma once

#include "client/report.h"
#include "client/scenario.h"
#include "client/verifier.h"
#include "core/databaseurl.h"
#include "core/error.h"

#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QTimer>
#include <QUrl>

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

class QThread;

namespace voxtrack::client {

class SessionWorker;
class VerifyWorker;
struct SessionOutcome;
struct VerifiedSession;

/// How a scenario is run: where, with which identity, how patiently, and whether the database
/// is checked afterwards.
struct RunOptions {
    QUrl url; ///< ws://host:port/v1/conversation
    QByteArray bearerToken; ///< sent by every session; empty: ?user_id= from the scenario
    int threads = 0; ///< threads holding connections; 0: one per core
    int replyTimeoutMs = 10'000; ///< longest wait for a connection, a reply or an acknowledgement
    int endTimeoutMs = 10'000; ///< longest wait for session.ended after session.end
    bool askPersisted = true; ///< ?persisted=1: time each message until it is in the database
    std::optional<DatabaseUrl> verifyDatabase; ///< set: compare the database with every session
    VerifyOptions verify;
    /// How long after a session ended its rows may take to appear: verification retries a
    /// session with findings until this has passed, then reports what it still finds.
    int settleMs = 5'000;
    quint64 seed = 0; ///< think times; 0: a random seed
    /// false: turns() stays empty, so that a run of many sessions (a demo left running for
    /// hours) does not keep a sample of every turn; the report's histograms are kept either way.
    bool keepTurns = true;
};

/// A consistent snapshot of a run in progress, for a progress line or a chart.
struct RunProgress {
    double elapsedSeconds = 0;
    int planned = 0;
    int started = 0; ///< sessions handed to a connection thread
    int open = 0;
    int completed = 0;
    int failed = 0;
    int finished = 0; ///< every session that is over, however it ended
    qint64 messagesSent = 0;
    qint64 replies = 0;
    qint64 errors = 0;
    double messagesPerSecond = 0; ///< over the latest window (below)
    double replyP95Ms = 0; ///< over the sessions finished so far
    int verifying = 0; ///< sessions waiting for verification
    bool stopping = false;

    /// The latest window: about a second of the run, from windowStartSeconds to windowEndSeconds
    /// (seconds since the start). A new window closes when progress() is asked at least a second
    /// after the previous one closed, and once more when the run is over (a shorter last one), so
    /// a caller polling several times a second sees each window several times: a new one has a
    /// larger windowEndSeconds. 0 and 0 before the first window closed.
    double windowStartSeconds = 0;
    double windowEndSeconds = 0;
    qint64 windowReplies = 0; ///< replies that arrived in the window
    double windowReplyP50Ms = 0; ///< percentiles of those replies' latency; 0 without replies
    double windowReplyP95Ms = 0;
    double windowReplyP99Ms = 0;
};

/// Runs a scenario: thousands of concurrent VoiceClient conversations spread over connection
/// threads, each with its own event loop; sessions start at the scenario's arrival rate (with its
/// ramp) while fewer than its concurrency are open, until all have run or the time cap is
/// reached. Each session says its turns with their think times, checks each reply against its
/// expectation, captures values for later turns, ends the session and is then, with
/// verification on, compared with the database on a thread of its own. finished() comes once
/// everything is over; report() and turns() then hold the result.
///
/// Lives in the thread that creates it, which must run an event loop.
class LoadRunner : public QObject {
    Q_OBJECT

public:
    LoadRunner(Scenario scenario, RunOptions options, QObject* parent = nullptr);
    ~LoadRunner() override;

    /// Starts the run. With verification on, first opens the database (read-only): an Error
    /// (db.*) means nothing was started.
    [[nodiscard]] Status start();
    /// Stops gracefully: no new session starts; an open session finishes the turn in flight
    /// and ends. The report says "interrupted". A second stop() aborts the open connections.
    void stop();

    /// A snapshot for a progress line or a chart. Call it in the runner's thread; it is cheap
    /// (it closes the current window at most once a second; see RunProgress).
    [[nodiscard]] RunProgress progress() const;
    [[nodiscard]] bool isFinished() const { return m_finished; }
    /// Set when no session could connect at all: the run could not take place.
    [[nodiscard]] const std::optional<Error>& fatalError() const { return m_fatal; }
    [[nodiscard]] const RunReport& report() const { return m_report; }
    [[nodiscard]] const QList<TurnSample>& turns() const { return m_turns; }

    /// When session n (from 1) is due to start, in seconds from the start of the run, given
    /// an arrival rate that climbs linearly from 0 over rampSeconds: session 1 at 0, then
    /// session k once the integral of the rate reaches k − 1. 0 for every session without a
    /// rate. Exposed for tests.
    [[nodiscard]] static double dueSeconds(int n, double perSecond, int rampSeconds);

Q_SIGNALS:
    void finished();

private:
    friend class SessionWorker;
    friend class VerifyWorker;

    void schedule();
    void dispatch(int n);
    void onOutcome(const voxtrack::client::SessionOutcome& outcome);
    void onVerified(const voxtrack::client::VerifiedSession& verified);
    void finishIfDone();
    void completeReport();
    void shutdownThreads();

    Scenario m_scenario;
    RunOptions m_options;
    RunReport m_report;
    QList<TurnSample> m_turns;
    std::optional<Error> m_fatal;

    std::vector<QThread*> m_threads;
    std::vector<SessionWorker*> m_workers;
    QThread* m_verifyThread = nullptr;
    VerifyWorker* m_verifier = nullptr;

    QTimer m_scheduler;
    QTimer m_timeCap;
    QElapsedTimer m_clock;
    int m_nextSession = 1;
    int m_open = 0;
    int m_finishedSessions = 0;
    int m_verifying = 0;
    int m_stops = 0;
    bool m_finished = false;
    bool m_threadsDown = false;
    qint64 m_errorCount = 0;

    // The progress window: messages per second and reply latency percentiles, the latest closed
    // window's values and the replies of the one in progress.
    struct Window {
        double startSeconds = 0;
        double endSeconds = 0;
        qint64 sentAtEnd = 0;
        double messagesPerSecond = 0;
        qint64 replies = 0;
        double p50Ms = 0;
        double p95Ms = 0;
        double p99Ms = 0;
    };
    void closeWindow(double now, qint64 sent) const;
    mutable Window m_window;
    mutable LatencyHistogram m_windowReplies;

    std::shared_ptr<std::atomic<qint64>> m_sent;
    std::shared_ptr<std::atomic<qint64>> m_replies;
};

} // namespace voxtrack::client
