// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.h"

#include <QDateTime>
#include <QList>
#include <QString>

#include <optional>

namespace voxtrack::store {

class Connection;

// Statistics for the dashboard's charts. Each is counted by the database (GROUP BY and
// aggregates), never by reading rows into the program, and gives the same numbers on PostgreSQL
// and SQLite for the same data. docs/statistics.md describes every one of them.
//
// Error codes of every function: inspect.not_conversation_db (the tables are missing), db.query.

/// A time range: from inclusive, to exclusive; an invalid bound leaves that side open. Session
/// statistics filter on started_at, message statistics on created_at.
struct TimeRange {
    QDateTime from;
    QDateTime to;

    friend bool operator==(const TimeRange&, const TimeRange&) = default;
};

/// The width of a time bucket. Buckets are aligned in UTC: whole minutes, hours, days, and weeks
/// starting on Monday.
enum class Bucket {
    Auto, ///< the smallest of the others that gives at most autoBucketLimit buckets (else Week)
    Minute,
    Hour,
    Day,
    Week,
};

/// Auto picks a bucket so that a series has at most this many buckets.
inline constexpr int autoBucketLimit = 200;
/// A chosen bucket that would give more buckets than this is refused (stats.too_many_buckets).
inline constexpr int maxBuckets = 10000;

/// The bucket's width in seconds; 0 for Auto.
[[nodiscard]] qint64 bucketSeconds(Bucket bucket);
/// The start of the bucket that holds time, in UTC. time must be valid; bucket must not be Auto.
[[nodiscard]] QDateTime bucketStart(const QDateTime& time, Bucket bucket);
/// How many buckets of this width a series from first to last (both inclusive) has.
[[nodiscard]] qint64 bucketCount(const QDateTime& first, const QDateTime& last, Bucket bucket);
/// The bucket Auto stands for over [first, last].
[[nodiscard]] Bucket autoBucket(const QDateTime& first, const QDateTime& last);

/// One bucket of a time series.
struct BucketCount {
    QDateTime start; ///< UTC
    qint64 count = 0;

    friend bool operator==(const BucketCount&, const BucketCount&) = default;
};

/// Counts per time bucket, consecutive: empty buckets between the first and the last are there
/// with a count of 0. Empty when nothing falls in the range.
struct TimeSeries {
    Bucket bucket = Bucket::Hour; ///< the width used: never Auto
    QList<BucketCount> buckets;

    friend bool operator==(const TimeSeries&, const TimeSeries&) = default;
};

/// One bin of the session duration histogram: lowerSeconds <= duration < upperSeconds. The first
/// bin also holds what lies below it (negative durations, a bad database's), the last has no upper
/// bound.
struct DurationBin {
    QString label; ///< "< 10 s", "1–2 min", "≥ 30 min" (translated)
    double lowerSeconds = 0;
    std::optional<double> upperSeconds;
    qint64 count = 0;

    friend bool operator==(const DurationBin&, const DurationBin&) = default;
};

/// How many messages carry one role.
struct RoleCount {
    QString role; ///< as stored: a role outside user/agent/system shows as it is
    qint64 count = 0;

    friend bool operator==(const RoleCount&, const RoleCount&) = default;
};

/// One bin of the reply latency histogram: lowerMs <= latency < upperMs; the first bin also holds
/// what lies below it, the last has no upper bound.
struct LatencyBin {
    QString label; ///< "< 100 ms", "1–2 s", "≥ 5 s" (translated)
    double lowerMs = 0;
    std::optional<double> upperMs;
    qint64 count = 0;

    friend bool operator==(const LatencyBin&, const LatencyBin&) = default;
};

/// The agent's reply latency, from metadata.reply_latency_ms of agent messages. Percentiles are
/// continuous (linear interpolation between the two closest ranks, PostgreSQL's percentile_cont):
/// they are 0 when count is 0 ("no data").
struct ReplyLatency {
    qint64 count = 0; ///< agent messages with a numeric reply_latency_ms
    double p50 = 0;
    double p90 = 0;
    double p95 = 0;
    double p99 = 0;
    QList<LatencyBin> histogram; ///< always every bin, in order

    [[nodiscard]] bool hasData() const { return count > 0; }
    friend bool operator==(const ReplyLatency&, const ReplyLatency&) = default;
};

/// Sessions started per bucket (by started_at). With Bucket::Auto the width is chosen from range
/// when both of its bounds are set, else from the span of the data within it.
/// Error codes: also stats.too_many_buckets.
[[nodiscard]] Expected<TimeSeries> sessionsPerBucket(Connection& connection, const TimeRange& range, Bucket bucket);

/// Ended sessions (ended_at and duration_seconds set) started in range, by duration_seconds, in
/// fixed bins: < 10 s, 10–30 s, 30–60 s, 1–2 min, 2–5 min, 5–10 min, 10–30 min, ≥ 30 min. Every
/// bin is there, empty ones with 0.
[[nodiscard]] Expected<QList<DurationBin>> durationHistogram(Connection& connection, const TimeRange& range);

/// Messages created in range per role, for every role present: user, agent, system, then any
/// other role as stored (in byte order).
[[nodiscard]] Expected<QList<RoleCount>> messagesByRole(Connection& connection, const TimeRange& range);

/// Per bucket, the sessions open at any moment in it: started_at < bucket end and (ended_at IS
/// NULL or ended_at >= bucket start). The series covers the part of range where sessions were
/// open: from the first start to the last end, a session without an end being open until now.
/// Error codes: also stats.too_many_buckets.
[[nodiscard]] Expected<TimeSeries> activeSessionsOverTime(Connection& connection, const TimeRange& range, Bucket bucket,
    const QDateTime& now = QDateTime::currentDateTimeUtc());

/// Reply latency of agent messages created in range. Messages without a numeric reply_latency_ms
/// are left out; when none has one (or the metadata column is missing) count is 0.
[[nodiscard]] Expected<ReplyLatency> replyLatency(Connection& connection, const TimeRange& range);

} // namespace voxtrack::store
