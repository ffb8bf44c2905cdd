// SPDX-License-Identifier: MIT
#pragma once

#include "client/histogram.h"
#include "core/error.h"

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>

namespace voxtrack::client {

/// One difference between what a conversation sent and what the database holds, or one
/// failure of a check.
struct Finding {
    QString check; ///< stable id of the check: "message.missing", "role.mismatch", …
    QString sessionId; ///< empty when the finding is not about one session
    QString field;
    QString expected;
    QString actual;
    QString message; ///< one readable sentence
};

/// A limit the run must hold, e.g. "ack p99 ms" ≤ 250 or "persisted ratio" ≥ 1.
struct Threshold {
    QString name;
    double limit = 0;
    double actual = 0;
    bool lowerIsBetter = true; ///< actual must be ≤ limit (else ≥ limit)
    /// actual ≤ limit (lowerIsBetter) or actual ≥ limit; a NaN actual fails.
    [[nodiscard]] bool passed() const { return lowerIsBetter ? actual <= limit : actual >= limit; }
};

/// One turn of one simulated conversation. A measure not taken is -1.
struct TurnSample {
    QString sessionId;
    int turn = 0;
    qint64 connectUs = -1;
    qint64 ackUs = -1;
    qint64 replyUs = -1;
    qint64 persistedUs = -1;
    bool ok = true;
    QString error; ///< "code: message" or empty
};

/// The outcome of a `voxtrack-cli drive` run. docs/reports.md describes every output form.
struct RunReport {
    QString scenario;
    QString server;
    QDateTime startedAt;
    double durationSeconds = 0;
    int sessionsPlanned = 0;
    int sessionsStarted = 0;
    int sessionsCompleted = 0;
    int sessionsFailed = 0;
    int peakConcurrent = 0; ///< the most sessions open at once
    qint64 messagesSent = 0;
    qint64 messagesAcked = 0;
    qint64 messagesPersisted = 0;
    LatencyHistogram connect;
    LatencyHistogram ack;
    LatencyHistogram reply;
    LatencyHistogram persisted;
    QList<Threshold> thresholds;
    QList<Finding> findings;
    bool verified = false; ///< the database was checked against the conversations
    bool interrupted = false; ///< stopped early (signal or --duration)
    QMap<QString, qint64> errorsByCode;
    int threads = 0; ///< connection threads of the client
    double clientCpuSeconds = -1; ///< user + system CPU of the client process; -1 unknown
    double clientPeakRssMb = -1; ///< peak resident memory of the client process; -1 unknown

    /// Acknowledged messages per second of the run's wall time.
    [[nodiscard]] double messagesPerSecond() const;
    /// Replies received (round trips completed) per second of the run's wall time.
    [[nodiscard]] double repliesPerSecond() const;

    /// Every threshold passed and there are no findings.
    [[nodiscard]] bool passed() const;
    /// The process exit code for a report: 0 passed, 1 otherwise (2, could not run, is the
    /// caller's when it has no report).
    [[nodiscard]] int exitCode() const { return passed() ? 0 : 1; }
    [[nodiscard]] int failedThresholds() const;

    /// Stable form for programs (summary.json); docs/reports.md lists every key.
    [[nodiscard]] QJsonObject toJson() const;
    /// A readable summary: counts, a latency table, thresholds, the first findings, verdict.
    [[nodiscard]] QString toText() const;
    /// JUnit XML: one testsuite with a testcase per threshold, one for verification and one
    /// per failing session (a session with a finding or, among turns, a failed turn).
    [[nodiscard]] QByteArray toJUnitXml(const QList<TurnSample>& turns = {}) const;
};

/// RFC 4180 CSV of the turns: a header, then one CRLF-ended row per turn; a measure not
/// taken (-1) is an empty cell. Columns: session_id, turn, connect_us, ack_us, reply_us,
/// persisted_us, ok, error.
[[nodiscard]] QByteArray turnsCsv(const QList<TurnSample>& turns);

/// Writes summary.json, junit.xml and turns.csv into directory, creating it (and its
/// parents). Each file is replaced atomically. Error code report.write, naming the path.
[[nodiscard]] Status writeReports(const RunReport& report, const QList<TurnSample>& turns, const QString& directory);

} // namespace voxtrack::client
