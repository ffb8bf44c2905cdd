// SPDX-License-Identifier: MIT
#pragma once

#include <QHash>
#include <QMutex>
#include <QString>

#include <array>
#include <atomic>
#include <span>

namespace voxtrack::tracker {

/// A histogram with fixed upper bounds, updated lock-free from any thread; the shape
/// Prometheus expects (cumulative buckets, sum, count).
class BucketHistogram {
public:
    explicit BucketHistogram(std::span<const double> upperBounds);

    void observe(double value);
    [[nodiscard]] std::span<const double> upperBounds() const { return m_bounds; }
    /// Cumulative counts, one per bound, then +Inf.
    [[nodiscard]] QList<quint64> cumulativeCounts() const;
    [[nodiscard]] double sum() const;
    [[nodiscard]] quint64 count() const { return m_count.load(std::memory_order_relaxed); }

private:
    QList<double> m_bounds;
    std::unique_ptr<std::atomic<quint64>[]> m_buckets; ///< one per bound, then +Inf
    std::atomic<quint64> m_count {0};
    std::atomic<quint64> m_sumMicros {0}; ///< sum × 10⁶, kept as an integer for atomic adds
};

/// What the tracker counts. Everything is safe to read from any thread.
struct TrackerMetrics {
    TrackerMetrics();

    std::atomic<quint64> sessionsStarted {0};
    std::atomic<quint64> sessionsEnded {0};
    std::atomic<quint64> sessionsRecovered {0};
    std::atomic<quint64> messagesReceived {0};
    std::atomic<quint64> messagesPersisted {0};
    std::atomic<quint64> commandsPersisted {0};
    std::atomic<quint64> batches {0};
    std::atomic<quint64> writeRetries {0};
    std::atomic<quint64> deadLettered {0};
    std::atomic<int> databaseUp {-1}; ///< 1 up, 0 down, -1 not yet known
    BucketHistogram batchRows;
    BucketHistogram writeSeconds;

    void countError(const QString& code);
    [[nodiscard]] QHash<QString, quint64> errors() const;

private:
    mutable QMutex m_mutex;
    QHash<QString, quint64> m_errors;
};

} // namespace voxtrack::tracker
